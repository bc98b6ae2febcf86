#!/usr/bin/env python3
"""Every `import` of a module this package builds or depends on is a direct dependency of the
importing target in Package.swift, so nothing but the manifest keeps the layers.

SwiftPM's own `--explicit-target-dependency-import-check error` (also run by `make test`) refuses
imports of targets outside the importer's dependency closure only: a target may still import what
its dependencies depend on. This closes that gap. Exit 1 and one line per undeclared import.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
manifest = (ROOT / "Package.swift").read_text(encoding="utf-8")


def blocks(text, opener):
    """The text of each `opener(...)` call, parentheses balanced."""
    for match in re.finditer(re.escape(opener), text):
        depth, start = 0, match.end() - 1
        for index in range(start, len(text)):
            if text[index] == "(":
                depth += 1
            elif text[index] == ")":
                depth -= 1
                if depth == 0:
                    yield text[start:index + 1]
                    break


targets = {}
for kind, folder in ((".target(", "Sources"), (".executableTarget(", "Sources"), (".testTarget(", "Tests"),
                     (".systemLibrary(", "Sources")):
    for block in blocks(manifest, kind):
        name = re.search(r'name:\s*"([^"]+)"', block).group(1)
        deps = set()
        found = re.search(r"dependencies:\s*\[", block)
        if found:
            depth, start = 0, found.end() - 1
            for index in range(start, len(block)):
                depth += {"[": 1, "]": -1}.get(block[index], 0)
                if depth == 0:
                    listed = block[start:index]
                    break
            products = re.findall(r'\.product\(\s*name:\s*"([^"]+)"', listed)
            deps |= set(products)
            deps |= set(re.findall(r'"([^"]+)"', re.sub(r"\.product\([^)]*\)", "", listed)))
        targets[name] = (folder, deps)

# Modules the package could import: its own targets and its dependencies' products.
known = set(targets) | {d for _, deps in targets.values() for d in deps}
problems = []
for name, (folder, deps) in sorted(targets.items()):
    for source in sorted((ROOT / folder / name).rglob("*.swift")):
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            match = re.match(r"\s*(?:@[\w]+(?:\([^)]*\))?\s+)*import\s+(?:(?:struct|class|enum|func|var|let|protocol|typealias)\s+)?([A-Za-z_][\w]*)", line)
            if match and match.group(1) in known and match.group(1) != name and match.group(1) not in deps:
                problems.append(f"{source.relative_to(ROOT)}:{number}: target {name} imports {match.group(1)}, "
                                f"which its dependencies in Package.swift do not list")
for problem in problems:
    print(problem)
print(f"imports: {len(targets)} targets checked, {len(problems)} undeclared")
sys.exit(1 if problems else 0)
