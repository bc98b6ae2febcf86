#!/usr/bin/env bash
# The Swift files `make format` and `make lint` work on: tracked and new (not ignored) files under
# Sources, Tests and Fuzz plus both Package.swift, one path a line. Generated files are among them:
# protoc's *.pb.swift say `swift-format-ignore-file`, and scripts/bundle_seeds.py writes its files
# already formatted.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
git ls-files --cached --others --exclude-standard -- \
        Package.swift 'Sources/*.swift' 'Tests/*.swift' 'Fuzz/*.swift' \
    | sort -u \
    | while IFS= read -r file; do if [[ -f "$file" ]]; then printf '%s\n' "$file"; fi; done
