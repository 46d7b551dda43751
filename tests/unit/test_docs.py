"""The README is a front door and docs/ holds one page per reader: every relative link
resolves (file and heading), every make target is documented, the README stays short."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_LINK_RE = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_FENCE_RE = re.compile(r"^```.*?^```", re.S | re.M)


def anchors(page: Path) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped (``-`` and ``_`` kept), spaces to ``-``."""
    text = _FENCE_RE.sub("", page.read_text())
    found = set()
    for heading in re.findall(r"^#{1,6} (.+)$", text, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


def links(page: Path) -> list[str]:
    return _LINK_RE.findall(_FENCE_RE.sub("", page.read_text()))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_resolves_to_a_file_and_heading(page):
    broken = []
    for target in links(page):
        if re.match(r"^[a-z]+:", target):  # http(s):, mailto:: not ours to check here
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(target)
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(target)
    assert broken == []


def test_the_readme_is_short_and_opens_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.encode()) < 10_000
    first_screen = "\n".join(readme.splitlines()[:25])
    assert "make demo" in first_screen and "make test" in first_screen


def test_every_make_target_with_a_help_line_is_documented():
    documented = "\n".join(page.read_text() for page in PAGES)
    makefiles = [ROOT / "Makefile", *sorted((ROOT / "mk").glob("*.mk"))]
    targets = set()
    for makefile in makefiles:
        text = makefile.read_text()
        targets |= set(re.findall(r"^## make ([a-z][a-z0-9-]*)", text, re.M))
        targets |= set(re.findall(r"^([a-z][a-z0-9-]*):[^=\n]*## ", text, re.M))
    assert {"demo", "test", "tick"} <= targets  # the patterns still match
    assert sorted(t for t in targets if not re.search(rf"make (-\S+ )*{t}\b", documented)) == []


def test_every_page_is_reachable_from_the_readme():
    readme_links = {target.partition("#")[0] for target in links(ROOT / "README.md")}
    assert {f"docs/{page.name}" for page in PAGES[1:] if page.name != "openapi.json"} <= readme_links
