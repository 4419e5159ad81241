"""What a visitor reads before opening anything: the plain layer's words, walked out of an AppTest page.

Counted: markdown, captions, titles, headers, subheaders and alerts (info, warning, success, error)
in the main area, outside expanders and popovers. Not counted: chart labels, widget labels, code,
link labels (st.page_link), the sidebar.
"""

from __future__ import annotations

import re

TEXT_TYPES = {"markdown", "caption", "title", "header", "subheader", "info", "warning", "success", "error"}
HIDDEN_TYPES = {"expander", "popover"}
# Symbols a beginner should not meet before opening "The numbers behind it"
SYMBOLS = ("‖", "∏", "σ′", "ᵀ", "·", "∂")
MAX_WORDS = 350
MAX_SENTENCE_WORDS = 22  # on average
WORD = re.compile(r"[A-Za-z0-9][\w'’.,%×⁻⁰¹²³⁴⁵⁶⁷⁸⁹-]*")


def _strip_markdown(text: str) -> str:
    """The words as read: no emphasis marks, link targets or material icons."""
    text = re.sub(r":material/[a-z_]+:", " ", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[*_`#>]", " ", text)


def visible_texts(node) -> list[str]:
    """The texts shown in `node`'s tree, outside expanders and popovers, in page order."""
    kind = getattr(node, "type", None)
    if kind in HIDDEN_TYPES:
        return []
    out = []
    if kind in TEXT_TYPES and isinstance(getattr(node, "value", None), str):
        out.append(_strip_markdown(node.value))
    for child in getattr(node, "children", {}).values():
        out += visible_texts(child)
    return out


def expander_texts(node, label: str) -> list[str]:
    """The markdown shown inside every expander labelled `label` in `node`'s tree."""
    out = []
    if getattr(node, "type", None) == "expander" and getattr(node, "label", None) == label:
        return [c.value for c in _descendants(node) if getattr(c, "type", None) == "markdown"]
    for child in getattr(node, "children", {}).values():
        out += expander_texts(child, label)
    return out


def _descendants(node):
    for child in getattr(node, "children", {}).values():
        yield child
        yield from _descendants(child)


def words(texts: list[str]) -> int:
    return sum(len(WORD.findall(t)) for t in texts)


def sentences(texts: list[str]) -> list[str]:
    """The sentences of `texts` (a title or heading counts as one)."""
    out = []
    for t in texts:
        for part in re.split(r"(?<=[.!?:])\s+(?=[A-Z0-9\"“(])|\n+", t):
            if WORD.search(part):
                out.append(part.strip())
    return out


def mean_sentence_words(texts: list[str]) -> float:
    found = sentences(texts)
    return sum(len(WORD.findall(s)) for s in found) / max(len(found), 1)
