#!/usr/bin/env python3
"""Checks the relative links and #anchors of README.md, CONTRIBUTING.md and docs/*.md.

Every relative link must name a file or folder inside the repository; an anchor (`#x` in the
same page, `other.md#x` in another) must match a heading of that page, slugged as GitHub does
(lowercase; punctuation other than `-` and `_` dropped; each space becomes `-`; a repeated
heading gets `-1`, `-2`, ...), or an explicit `<a id="x">` / `<a name="x">`.
http(s) and mailto links are not checked. Prints `file:line: target: reason` for each broken
link and exits 1, or prints a one-line summary and exits 0. Python standard library only.

    python3 scripts/check_doc_links.py [ROOT]
"""
import os
import re
import sys
import unicodedata
from urllib.parse import unquote

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
# [text](target) and ![alt](target), target optionally in <>, optionally followed by a title.
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)")
REFERENCE_DEF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
HTML_HREF = re.compile(r"<a\s[^>]*\bhref\s*=\s*[\"']([^\"']*)[\"']", re.IGNORECASE)
HTML_ANCHOR = re.compile(r"<a\s[^>]*\b(?:id|name)\s*=\s*[\"']([^\"']*)[\"']", re.IGNORECASE)
SKIPPED_SCHEMES = re.compile(r"^(?:https?:|mailto:)", re.IGNORECASE)
OTHER_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def prose_lines(text):
    """(line number, line) for every line outside fenced code blocks."""
    fence = None
    for number, line in enumerate(text.splitlines(), 1):
        match = FENCE.match(line)
        if fence is None:
            if match:
                fence = match.group(1)
                continue
            yield number, line
        elif match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence) \
                and line.strip() == match.group(1):
            fence = None


def heading_text(raw):
    """The heading as GitHub renders it to text: code spans keep their content, links their text,
    images and HTML tags go, emphasis markers go."""
    parts = []
    last = 0
    for match in INLINE_CODE.finditer(raw):
        parts.append(plain_text(raw[last:match.start()]))
        parts.append(match.group(2).strip())
        last = match.end()
    parts.append(plain_text(raw[last:]))
    return "".join(parts).strip()


def plain_text(markdown):
    """Text outside code spans: links keep their text; images, HTML tags and emphasis markers go."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", markdown)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"\*+", "", text)
    return re.sub(r"(?<!\w)_{1,2}(?=\S)(.+?)(?<=\S)_{1,2}(?!\w)", r"\1", text)


def slug(text):
    kept = []
    for char in text.lower():
        category = unicodedata.category(char)
        if char in " -" or category[0] in "LMN" or category == "Pc":
            kept.append(char)
    return "".join(kept).replace(" ", "-")


def anchors_of(text):
    """Every anchor a page offers: heading slugs (with GitHub's duplicate suffixes) and explicit ids."""
    anchors, seen = set(), {}
    previous = ""
    for _, line in prose_lines(text):
        title = None
        atx = ATX.match(line)
        if atx:
            title = atx.group(2) or ""
        elif SETEXT.match(line) and previous.strip() and not previous.lstrip().startswith(("|", "#", ">", "-", "*", "<")) \
                and not ATX.match(previous):
            title = previous.strip()
        if title is not None:
            base = slug(heading_text(title))
            count = seen.get(base, 0)
            seen[base] = count + 1
            anchors.add(base if count == 0 else f"{base}-{count}")
        for explicit in HTML_ANCHOR.findall(line):
            anchors.add(explicit)
        previous = line
    return anchors


def links_of(text):
    """(line number, target) for every link outside code."""
    for number, line in prose_lines(text):
        bare = INLINE_CODE.sub("", line)
        for match in INLINE_LINK.finditer(bare):
            yield number, match.group(1).strip("<>")
        definition = REFERENCE_DEF.match(bare)
        if definition:
            yield number, definition.group(1).strip("<>")
        for target in HTML_HREF.findall(bare):
            yield number, target


def documents(root):
    names = ["README.md", "CONTRIBUTING.md"]
    docs = os.path.join(root, "docs")
    if os.path.isdir(docs):
        names += sorted(os.path.join("docs", name) for name in os.listdir(docs) if name.endswith(".md"))
    return [name for name in names if os.path.isfile(os.path.join(root, name))]


def main():
    root = os.path.realpath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
    cache = {}

    def anchors(path):
        if path not in cache:
            with open(path, encoding="utf-8") as handle:
                cache[path] = anchors_of(handle.read())
        return cache[path]

    checked, broken = 0, []
    for name in documents(root):
        path = os.path.join(root, name)
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        for line, target in links_of(text):
            if SKIPPED_SCHEMES.match(target):
                continue
            checked += 1
            if OTHER_SCHEME.match(target):
                broken.append(f"{name}:{line}: {target}: not a relative link (only http, https and mailto are skipped)")
                continue
            file_part, _, anchor = target.partition("#")
            file_part = unquote(file_part.split("?", 1)[0])
            if file_part:
                if file_part.startswith("/"):
                    resolved = os.path.realpath(os.path.join(root, file_part.lstrip("/")))
                else:
                    resolved = os.path.realpath(os.path.join(os.path.dirname(path), file_part))
                if resolved != root and not resolved.startswith(root + os.sep):
                    broken.append(f"{name}:{line}: {target}: points outside the repository")
                    continue
                if not os.path.exists(resolved):
                    broken.append(f"{name}:{line}: {target}: no such file or folder")
                    continue
            else:
                resolved = path
            if anchor:
                if os.path.isdir(resolved) or not resolved.endswith(".md"):
                    continue  # line anchors (#L10) and the like on source files are GitHub's, not the file's
                if unquote(anchor) not in anchors(resolved):
                    where = "this page" if resolved == path else os.path.relpath(resolved, root)
                    broken.append(f"{name}:{line}: {target}: no heading or <a id> '{anchor}' in {where}")

    for message in broken:
        print(message)
    print(f"doc links: {checked} checked, {len(broken)} broken")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
