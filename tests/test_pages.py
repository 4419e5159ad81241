"""Every registered page opens through AppTest without an exception."""

import pytest

from tests.apptest_util import PAGES, ROOT, open_page


def test_registry_lists_every_page_file():
    files = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py"))
    assert sorted(PAGES) == files


@pytest.mark.parametrize("page", PAGES)
def test_page_opens_without_exception(page):
    at = open_page(page)
    assert not at.exception, [e.message for e in at.exception]
    assert at.title, "every page has a title"


def test_home_links_to_every_problem_and_the_mission():
    at = open_page("pages/home.py")
    assert not at.exception
    assert "deeper networks" in at.title[0].value
    # a page link's proto names the page by its URL path
    links = {el.proto.page for el in at.get("page_link")}
    assert {"vanishing", "exploding", "overfitting", "speed", "mission"} <= links
