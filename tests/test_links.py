"""Hostile links on every registered page, through AppTest.

Values in a link are untrusted: for every page, malformed query strings
(huge, negative, NaN, inf, empty, wrong type, unknown choices, very long,
HTML/script text, unknown keys) must render without an exception, fall back
to allowed values with a notice, and never start work above the budget.
Generic over each page's Settings classes, so pages added later are covered.
"""

import pytest

from depthkit.core.spec import FieldSpec, specs
from depthkit.engine.budget import MAX_FLOPS
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


# One URL module for every page: short keys shared by several pages must not leak between them
def _warnings(at):
    return [w.value for w in at.warning]


def test_vanishing_depth_in_the_url_leaves_overfitting_depth_at_its_own_value():
    from depthkit.experiments import overfitting, vanishing
    at = open_page("pages/vanishing.py", query={"depth": "30"})
    assert not at.exception
    assert at.session_state["VanishingSettings.depth"] == 30 and at.query_params["depth"] == "30"
    at.switch_page("pages/overfitting.py").run()  # Streamlit keeps the query on a page change
    assert not at.exception
    own = overfitting.OverfittingSettings().depth
    assert at.session_state["OverfittingSettings.depth"] == own != 30
    assert not any("not usable" in w for w in _warnings(at)), "no notice about another page's value"
    assert "depth" not in at.query_params  # nor in the copied link
    assert "depth=" not in at.sidebar.code[0].value
    # and back: Vanishing keeps its own value, written to the URL again
    at.switch_page("pages/vanishing.py").run()
    assert at.session_state["VanishingSettings.depth"] == 30 and at.query_params["depth"] == "30"
    assert vanishing.VanishingSettings().depth != 30


def test_the_missions_seed_and_a_pages_seed_stay_apart(tmp_path, monkeypatch):
    from depthkit.experiments import vanishing
    from depthkit.workshop import poll
    monkeypatch.setenv(poll.ENV_VAR, str(tmp_path / "poll.sqlite3"))
    at = open_page("pages/mission.py", query={"seed": "123456"})
    assert not at.exception and at.session_state["mission.seed"] == 123456
    at.switch_page("pages/vanishing.py").run()
    assert not at.exception and not any("not usable" in w for w in _warnings(at))
    assert at.session_state["VanishingSettings.seed"] == vanishing.VanishingSettings().seed
    assert "seed" not in at.query_params
    at.sidebar.number_input(key="VanishingSettings.seed").set_value(77).run()
    assert at.query_params["seed"] == "77"
    at.switch_page("pages/mission.py").run()
    assert not at.exception and not at.warning
    assert at.session_state["mission.seed"] == 123456 and at.query_params["seed"] == "123456"
    at.switch_page("pages/vanishing.py").run()
    assert at.session_state["VanishingSettings.seed"] == 77 and at.query_params["seed"] == "77"


def test_a_pages_seed_in_the_url_is_not_the_missions_option_order(tmp_path, monkeypatch):
    from depthkit.workshop import poll
    monkeypatch.setenv(poll.ENV_VAR, str(tmp_path / "poll.sqlite3"))
    at = open_page("pages/vanishing.py", query={"seed": "9999"})
    assert at.session_state["VanishingSettings.seed"] == 9999
    at.switch_page("pages/mission.py").run()
    assert not at.exception and not at.warning
    assert at.session_state["mission.seed"] != 9999  # a fresh random order (1 in a million to clash)
    assert at.query_params["seed"] == str(at.session_state["mission.seed"])


@pytest.mark.parametrize("case", CASES[:-1])
def test_hostile_mission_link_falls_back_with_a_one_line_notice(case, tmp_path, monkeypatch):
    """The Mission's link is a Settings class too (depthkit.workshop.mission): the same lenient parsing."""
    from depthkit.workshop import poll
    from depthkit.workshop.mission import MissionSettings
    monkeypatch.setenv(poll.ENV_VAR, str(tmp_path / "poll.sqlite3"))
    query = {name: hostile_value(case, spec) for name, spec in specs(MissionSettings).items()}
    at = open_page("pages/mission.py", query=query)
    assert not at.exception, [e.message for e in at.exception]
    expected, notices = MissionSettings.from_strings(query)
    assert at.session_state["mission.mode"] == expected.mode
    assert at.session_state["mission.problem"] == expected.problem
    warnings = [w.value for w in at.warning]
    if notices:
        assert len(warnings) == 1 and "not usable" in warnings[0] and "\n" not in warnings[0]
    else:
        assert not warnings
