"""README for visitors, docs/ for developers: the README stays short, opens with the two commands,
and no relative link or image in README.md or docs/*.md points at a missing file."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MAX_README_BYTES = 10_000
COMMANDS = ["pip install -r requirements.txt -e . && streamlit run streamlit_app.py", "bash scripts/test.sh"]
DOCS = ["architecture.md", "science.md", "benchmarks.md", "results.md", "workshop.md", "development.md"]

FENCE = re.compile(r"^[ \t]*```[^\n]*\n(.*?)^[ \t]*```", re.S | re.M)
# [text](target) and ![alt](target), and the src of an <img> tag
MD_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
IMG_SRC = re.compile(r"<img\b[^>]*\bsrc=[\"']([^\"']+)[\"']", re.I)


def code_blocks(text: str) -> list[str]:
    return [block.strip() for block in FENCE.findall(text)]


def relative_targets(text: str) -> list[str]:
    """Every link or image target that names a file of this repository (no scheme, not an anchor)."""
    prose = FENCE.sub("", text)  # links inside code blocks are code, not links
    targets = MD_LINK.findall(prose) + IMG_SRC.findall(prose)
    return [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:", t, re.I) and not t.startswith("#")]


def missing_targets(md: pathlib.Path) -> list[str]:
    text = md.read_text(encoding="utf-8")
    missing = []
    for target in relative_targets(text):
        path = target.split("#", 1)[0].split("?", 1)[0]
        if not (md.parent / path).exists():
            missing.append(f"{md.relative_to(ROOT) if md.is_relative_to(ROOT) else md.name}: {target}")
    return missing


def test_readme_is_short():
    assert README.stat().st_size <= MAX_README_BYTES, f"README.md is {README.stat().st_size} bytes"


def test_readme_opens_with_the_two_commands():
    assert code_blocks(README.read_text(encoding="utf-8"))[:2] == COMMANDS


def test_readme_links_every_docs_file():
    text = README.read_text(encoding="utf-8")
    for name in DOCS:
        assert (ROOT / "docs" / name).is_file(), name
        assert f"(docs/{name})" in text, f"README does not link docs/{name}"


def test_every_relative_link_and_image_exists():
    files = [README, *sorted((ROOT / "docs").glob("*.md"))]
    assert len(files) > len(DOCS)
    missing = [m for md in files for m in missing_targets(md)]
    assert not missing, missing


def test_the_link_check_sees_a_missing_file(tmp_path):
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "here.png").write_bytes(b"")
    md = tmp_path / "page.md"
    md.write_text("![ok](img/here.png) [web](https://example.org) [top](#top)\n"
                  "[gone](nowhere.md#part) <img src=\"img/gone.png\" alt=\"\">\n"
                  "```\n[in code](not/checked.md)\n```\n", encoding="utf-8")
    assert missing_targets(md) == ["page.md: nowhere.md#part", "page.md: img/gone.png"]


def test_the_command_check_sees_a_changed_command():
    text = "# x\n\n```bash\npip install -r requirements.txt && streamlit run streamlit_app.py\n```\n"
    assert code_blocks(text + "```bash\nbash scripts/test.sh\n```\n")[:2] != COMMANDS


def test_readme_counts_the_glossary_terms():
    from depthkit.presentation.text import glossary
    assert f"The {len(glossary.TERMS)} terms the pages use" in README.read_text(encoding="utf-8")
