#!/usr/bin/env bash
# The Swift files `make format` and `make lint` work on: tracked and new (not ignored) files under
# Sources, Tests and Fuzz plus both Package.swift, without the generated ones (protoc's *.pb.swift,
# BundledSeeds.swift from scripts/bundle_seeds.py, BundledOpenAPI.swift), one path a line.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
git ls-files --cached --others --exclude-standard -- \
        Package.swift 'Sources/*.swift' 'Tests/*.swift' 'Fuzz/*.swift' \
    | grep -v -e '\.pb\.swift$' -e '/BundledSeeds\.swift$' -e '/BundledOpenAPI\.swift$' \
    | sort -u \
    | while IFS= read -r file; do if [[ -f "$file" ]]; then printf '%s\n' "$file"; fi; done
