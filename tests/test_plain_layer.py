"""Issue 23: every challenge page and Home open with the plain layer; the glossary is reachable.

At each page's defaults (AppTest, through the real entry point): at most 350 words before a visitor
opens anything (tests/plain_util.py says what counts), none of the expert symbols, sentences of at most
22 words on average, a "Words on this page" expander whose terms are all in the glossary and that links
to the Glossary page. The plain sentences' claims are tested with each page's other claims.
"""

from __future__ import annotations

import pytest

from depthkit.presentation.text import glossary
from tests import plain_util as pu
from tests.apptest_util import open_page

PLAIN_PAGES = {"pages/home.py": "home", "pages/vanishing.py": "vanishing", "pages/exploding.py": "exploding",
               "pages/overfitting.py": "overfitting", "pages/speed.py": "speed"}


@pytest.fixture(scope="module", params=list(PLAIN_PAGES))
def opened(request):
    at = open_page(request.param)
    assert not at.exception, at.exception
    return request.param, at


def test_a_visitor_reads_at_most_350_words_before_opening_anything(opened):
    page, at = opened
    n = pu.words(pu.visible_texts(at.main))
    assert 40 <= n <= pu.MAX_WORDS, f"{page}: {n} words shown outside expanders"


def test_the_plain_layer_uses_none_of_the_expert_symbols(opened):
    page, at = opened
    text = "\n".join(pu.visible_texts(at.main))
    assert not [s for s in pu.SYMBOLS if s in text], f"{page}: {[s for s in pu.SYMBOLS if s in text]}"


def test_plain_sentences_are_short_on_average(opened):
    page, at = opened
    mean = pu.mean_sentence_words(pu.visible_texts(at.main))
    assert mean <= pu.MAX_SENTENCE_WORDS, f"{page}: {mean:.1f} words per sentence"


def test_the_glossary_is_one_click_away(opened):
    page, at = opened
    shown = pu.expander_texts(at.main, glossary.WORDS_LABEL)
    assert shown == [glossary.entries(glossary.PAGE_TERMS[PLAIN_PAGES[page]])]
    links = [link for link in at.get("page_link") if link.proto.page.endswith("glossary.py")
             or "Glossary" in link.proto.label]
    assert links, f"{page}: no link to the Glossary page"


def test_the_words_of_each_page_are_in_the_glossary_and_used_there():
    for page, terms in glossary.PAGE_TERMS.items():
        assert len(set(terms)) == len(terms), page
        assert set(terms) <= set(glossary.TERMS), (page, set(terms) - set(glossary.TERMS))
    used = {t for terms in glossary.PAGE_TERMS.values() for t in terms}
    assert used == set(glossary.TERMS), f"defined but on no page: {set(glossary.TERMS) - used}"


def test_definitions_are_plain():
    for term, definition in glossary.TERMS.items():
        assert not [s for s in pu.SYMBOLS if s in definition], term
        n = len(pu.sentences([definition]))
        assert 1 <= n <= 2, (term, n)
        assert pu.mean_sentence_words([definition]) <= pu.MAX_SENTENCE_WORDS, term


def test_the_glossary_page_lists_every_term():
    at = open_page("pages/glossary.py")
    assert not at.exception, at.exception
    text = "\n".join(m.value for m in at.markdown)
    for term, definition in glossary.TERMS.items():
        assert f"**{term}**: {definition}" in text


def test_presenter_mode_shows_neither_the_words_nor_the_numbers_behind_it():
    at = open_page("pages/vanishing.py", {"presenter": "1"})
    labels = [e.label for e in at.expander]
    assert glossary.WORDS_LABEL not in labels and glossary.EXPERT_LABEL not in labels
