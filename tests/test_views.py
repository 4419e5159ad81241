"""depthkit.views declares what each page draws: after the declared figures are prepared (as the
warm-up does), opening the page's default view, in either mode, builds no figure of its own."""

from __future__ import annotations

import pytest
import streamlit as st

from depthkit import figures, views
from depthkit.charts import speed as speed_charts
from depthkit.experiments import exploding, vanishing
from depthkit.ui.run import figure_cache, stored_result
from depthkit.warmup import job_name
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


@pytest.mark.parametrize("page", ["pages/home.py", *views.PAGES])
def test_a_prepared_default_view_builds_no_figure(page, built):
    query = CHEAP_TIMING if page == "pages/speed.py" else {}
    if page == "pages/home.py":  # Home draws only what the pages computed
        for p in views.PAGES:
            open_page(p, query=CHEAP_TIMING if p == "pages/speed.py" else {})
        declared = views.home(_get)
        assert len(declared) == len(views.HOME)
    else:
        assert open_page(page, query=query).get("plotly_chart")  # computes the results onto disk
        cls = views.PAGES[page][0]
        declared = views.charts(page, cls(), _get)
        assert declared, "the view's results are stored, so it declares charts"
    st.cache_resource.clear()  # a new process: no figure in memory
    for build, result, args in declared:
        for presenter in (False, True):
            figure_cache().prepare(build, result, args, presenter)
    built.clear()
    for mode in ({}, {"presenter": "1"}):
        at = open_page(page, query={**query, **mode})
        assert not at.exception and at.get("plotly_chart")
    assert set(built) <= LIVE, f"{page} drew figures depthkit.views does not declare: {set(built) - LIVE}"


class _Stub:
    fingerprint = "stub"


def test_every_preset_declares_its_charts_once():
    stub = _Stub()
    have = (vanishing.run, exploding.run)  # a stored result for these; none for the others
    charts = views.all_views(lambda fn, s: stub if fn in have else None)
    keys = [(b, r.fingerprint, a) for b, r, a in charts]
    assert len(keys) == len(set(keys))  # the same stub for every preset: each chart once
    names = {figures.builder_name(b) for b, _, _ in charts}
    assert {n.split(".")[2] for n in names} == {"home", "vanishing", "exploding"}
    for page in ("pages/vanishing.py", "pages/exploding.py"):
        cls, presets, _ = views.PAGES[page]
        counts = {len(views.charts(page, cls(**o), lambda fn, s: stub)) for o in presets.values()}
        assert counts == {len(views.charts(page, cls(), lambda fn, s: stub))}, page
