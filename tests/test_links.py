"""Hostile links on every registered page, through AppTest.

Values in a link are untrusted: for every page, malformed query strings
(huge, negative, NaN, inf, empty, wrong type, unknown choices, very long,
HTML/script text, unknown keys) must render without an exception, fall back
to allowed values with a notice, and never start work above the budget.
Generic over each page's Settings classes, so pages added later are covered.
"""

import pytest

from depthkit.budget import MAX_FLOPS
from depthkit.spec import FieldSpec, specs
from tests.apptest_util import PAGES, open_page
from tests.links_util import experiment, settings_classes


def hostile_value(case: str, spec: FieldSpec) -> str:
    number = spec.kind in ("int", "float")
    return {
        "huge": "1e308" if number else ("99" if spec.kind == "bool" else "Z" * 40),
        "negative": "-1e9" if number else "-1",
        "nan": "nan" if number else "NaN",
        "inf": "inf" if number else "-inf",
        "empty": "",
        "wrong_type": "abc" if number else ("maybe" if spec.kind == "bool" else "3.5"),
        "long": "9" * 10_000,
        "html": '<script>alert("x")</script><img src=x onerror=alert(1)>',
    }[case]


CASES = ["huge", "negative", "nan", "inf", "empty", "wrong_type", "long", "html", "unknown_keys"]


def hostile_query(page: str, case: str) -> dict[str, str]:
    if case == "unknown_keys":
        return {"zzz": "1", "__class__": "x", "Settings.depth": "9999", "presenter": "<b>hi</b>"}
    query = {}
    for cls in settings_classes(page):
        for name, spec in specs(cls).items():
            query[name] = hostile_value(case, spec)
    return query or {"depth": hostile_value(case, FieldSpec("int", 1, 1, 2))}


# a page without Settings has nothing to parse: one hostile link is enough
PARAMS = [(page, case) for page in PAGES for case in (CASES if settings_classes(page) else CASES[-2:])]


@pytest.mark.parametrize("page,case", PARAMS)
def test_hostile_link_renders_within_the_budget(page, case):
    query = hostile_query(page, case)
    at = open_page(page, query=query)
    assert not at.exception, [e.message for e in at.exception]
    assert at.title
    mod = experiment(page)
    for cls in settings_classes(page):
        keys = {name: f"{cls.__name__}.{name}" for name in specs(cls)}
        if not all(k in at.session_state for k in keys.values()):
            continue  # this class is not drawn as controls on the page
        values = {name: at.session_state[k] for name, k in keys.items()}
        expected, notices = cls.from_strings({k: v for k, v in query.items() if k in keys})
        settings = cls(**values)  # every value the page holds is allowed
        assert settings == expected, "the page resolves the link as Settings.from_strings does"
        if notices:
            assert any("not usable" in w.value for w in at.warning), "a visible notice"
        if mod is not None and hasattr(mod, "cost"):
            refused = any("Not started" in e.value for e in at.error)
            assert refused or mod.cost(settings) <= MAX_FLOPS
