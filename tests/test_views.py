"""depthkit.presentation.views declares what each page draws: after the declared figures are prepared (as the
warm-up does), opening the page's default view, in either mode, builds no figure of its own."""

from __future__ import annotations

import pytest
import streamlit as st

from depthkit.experiments import exploding, vanishing
from depthkit.presentation import views
from depthkit.presentation.charts import speed as speed_charts
from depthkit.serving import figures
from depthkit.serving.warmup import job_name
from depthkit.ui.run import figure_cache, stored_result
from tests.apptest_util import open_page

CHEAP_TIMING = {"time_max_depth": "8", "time_width2": "0", "repeats": "2", "compare_threads": "0"}
LIVE = {figures.builder_name(b) for pair in speed_charts.TIMING_PAIRS for b in pair}  # measured live


def _get(fn, settings):
    return stored_result(job_name(fn), settings)


@pytest.fixture
def built(monkeypatch) -> list[str]:
    """The builders of every figure built from now on."""
    names: list[str] = []
    real = figures.build_spec

    def recording(build, *args):
        names.append(figures.builder_name(build))
        return real(build, *args)

    monkeypatch.setattr(figures, "build_spec", recording)
    return names


@pytest.fixture
def own_store(tmp_path, monkeypatch):
    """A disk store of this test's own (other test processes write the shared one: a Training speed
    result another process computed has other wall times, so other figures)."""
    monkeypatch.setenv("DEPTHKIT_RESULTS", str(tmp_path))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def _new_process() -> None:
    """Memory caches emptied: results are read from the disk store, figures are not in memory."""
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.mark.parametrize("page", ["pages/home.py", *views.PAGES])
def test_a_prepared_default_view_builds_no_figure(page, built, own_store):
    query = CHEAP_TIMING if page == "pages/speed.py" else {}
    pages = list(views.PAGES) if page == "pages/home.py" else [page]  # Home draws what the pages computed
    for p in pages:
        assert open_page(p, query=CHEAP_TIMING if p == "pages/speed.py" else {}).get("plotly_chart")
    _new_process()
    declared = views.home(_get)  # the app shell opens Home first, whatever page a link names
    assert len(declared) == len(pages)  # one thumbnail per page run
    if page != "pages/home.py":
        declared += views.charts(page, views.PAGES[page][0](), _get)
    for build, result, args in declared:
        for presenter in (False, True):
            figure_cache().prepare(build, result, args, presenter)
    built.clear()
    for mode in ({}, {"presenter": "1"}):
        at = open_page(page, query={**query, **mode})
        assert not at.exception and at.get("plotly_chart")
    assert set(built) <= LIVE, f"{page} drew figures presentation.views does not declare: {set(built) - LIVE}"


class _Stub:
    fingerprint = "stub"


def test_every_preset_declares_its_charts_once():
    stub = _Stub()
    have = (vanishing.run, exploding.run)  # a stored result for these; none for the others
    charts = views.all_views(lambda fn, s: stub if fn in have else None)
    keys = [(b, r.fingerprint, a) for b, r, a in charts]
    assert len(keys) == len(set(keys))  # the same stub for every preset: each chart once
    names = {figures.builder_name(b) for b, _, _ in charts}
    assert {n.removeprefix("depthkit.presentation.charts.").split(".")[0] for n in names} == {
        "home", "vanishing", "exploding"}
    for page in ("pages/vanishing.py", "pages/exploding.py"):
        cls, presets, _ = views.PAGES[page]
        counts = {len(views.charts(page, cls(**o), lambda fn, s: stub)) for o in presets.values()}
        assert counts == {len(views.charts(page, cls(), lambda fn, s: stub))}, page
