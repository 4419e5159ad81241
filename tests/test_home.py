"""The Home page: one thumbnail per problem from results already computed, never a computation.

`ui.computed` is checked on its own (disk store, and the memory cache when the
store is off); Home runs through AppTest on a cold server (an empty store:
placeholders, and the four run functions, swapped for ones that fail when
called, are never called) and on a warm one (a store holding the four default
results, computed once for this module: four charts, each caption's numbers
read from that result).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import streamlit as st

from depthkit import ui
from depthkit.core import fmt
from depthkit.experiments import exploding, overfitting, speed, vanishing
from depthkit.presentation.text import glossary
from depthkit.presentation.text import home as text
from depthkit.presentation.text.plain import times
from depthkit.serving.store import ResultStore
from depthkit.serving.warmup import job_name
from depthkit.ui import peek
from tests import ui_demo
from tests.apptest_util import open_page, plotly_specs
from tests.plain_util import expander_texts, visible_texts
from tests.runs import shared

DEFAULTS = {"vanishing": (vanishing, vanishing.VanishingSettings),
            "exploding": (exploding, exploding.ExplodingSettings),
            "overfitting": (overfitting, overfitting.OverfittingSettings),
            "speed": (speed, speed.SpeedSettings)}


def _forget_caches() -> None:
    """What a restart forgets: the store handle, peeked results, memory caches, figures."""
    ui.result_store.clear()
    peek._from_store.clear()
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def no_training(monkeypatch):
    """Swap each page's run for one that records the call and fails; same name, so the caches
    and the store still look the results up under the real function's name."""
    calls = []
    for mod, _ in DEFAULTS.values():
        @functools.wraps(mod.run)
        def refuse(settings, _name=mod.__name__):
            calls.append(_name)
            raise AssertionError(f"Home trained {_name}")
        monkeypatch.setattr(mod, "run", refuse)
    return calls


@pytest.fixture(scope="module")
def filled_store(tmp_path_factory):
    """A store holding the four pages' default results (computed once for this module)."""
    folder = tmp_path_factory.mktemp("home-store")
    store = ResultStore(folder)
    results = {}
    for key, (mod, cls) in DEFAULTS.items():
        results[key] = shared(mod.run, cls())
        store.put(job_name(mod.run), cls(), results[key])
    return folder, results


def test_computed_reads_the_store_and_never_computes(monkeypatch, tmp_path):
    monkeypatch.setenv("DEPTHKIT_RESULTS", str(tmp_path))
    _forget_caches()
    settings = ui_demo.DemoSettings(depth=17, seed=31)
    before = len(ui_demo.CALLS)
    assert ui.computed(ui_demo.run, settings) is None
    ui.result_store().put(job_name(ui_demo.run), settings, ui_demo.run(settings))
    assert ui.computed(ui_demo.run, settings).final_std == ui_demo.run(settings).final_std
    assert len(ui_demo.CALLS) == before + 2  # the two calls above, none by computed()
    _forget_caches()


def test_computed_reads_the_results_shipped_with_the_app(monkeypatch, tmp_path):
    """A freshly rebooted Cloud app has an empty disk store and the shipped set: Home draws from it."""
    monkeypatch.setenv("DEPTHKIT_RESULTS", str(tmp_path / "store"))
    monkeypatch.setenv("DEPTHKIT_SHIPPED", str(tmp_path / "shipped"))
    _forget_caches()
    settings = ui_demo.DemoSettings(depth=13, seed=33)
    assert ui.computed(ui_demo.run, settings) is None
    ResultStore(tmp_path / "shipped").put(job_name(ui_demo.run), settings, ui_demo.run(settings))
    before = len(ui_demo.CALLS)
    assert ui.computed(ui_demo.run, settings).final_std == ui_demo.run(settings).final_std
    assert len(ui_demo.CALLS) == before + 1  # the call above, none by computed()
    _forget_caches()


def test_without_a_store_computed_reads_the_memory_cache_and_never_computes(monkeypatch):
    monkeypatch.setenv("DEPTHKIT_RESULTS", "off")
    _forget_caches()
    settings = ui_demo.DemoSettings(depth=19, seed=32)
    before = len(ui_demo.CALLS)
    assert ui.computed(ui_demo.run, settings) is None  # a miss is not cached either
    assert ui.computed(ui_demo.run, settings) is None
    assert len(ui_demo.CALLS) == before
    value = ui._cached_call(job_name(ui_demo.run), ui_demo.run, settings)  # what run_cached does
    assert ui.computed(ui_demo.run, settings).final_std == value.final_std
    assert len(ui_demo.CALLS) == before + 1
    _forget_caches()


def test_a_cold_home_shows_placeholders_and_trains_nothing(monkeypatch, tmp_path, no_training):
    monkeypatch.setenv("DEPTHKIT_RESULTS", str(tmp_path))
    _forget_caches()
    at = open_page("pages/home.py")
    assert not at.exception, [e.message for e in at.exception]
    assert not no_training and not at.get("plotly_chart")
    shown = [m.value for m in at.markdown]
    assert shown.count(text.NOT_YET) == 4  # warm-up off in tests: nothing is being prepared
    assert not list(tmp_path.rglob("*.pkl"))
    links = {el.proto.page for el in at.get("page_link")}
    assert {"vanishing", "exploding", "overfitting", "speed", "mission"} <= links
    _forget_caches()


def test_a_warm_home_shows_a_chart_per_problem_with_true_captions(monkeypatch, filled_store, no_training):
    folder, results = filled_store
    monkeypatch.setenv("DEPTHKIT_RESULTS", str(folder))
    _forget_caches()
    at = open_page("pages/home.py")
    assert not at.exception, [e.message for e in at.exception]
    assert not no_training
    specs = plotly_specs(at)
    assert len(specs) == 4
    shown = " ".join(m.value for m in at.markdown)
    assert text.NOT_YET not in shown and text.PREPARING not in shown
    plain = "\n".join(visible_texts(at.main))
    expert = "\n".join(expander_texts(at.main, glossary.EXPERT_LABEL))
    for key, result in results.items():
        # the plain caption and sentence shown; the earlier exact ones one click away
        assert text.CAPTIONS[key](result).replace("*", " ") in plain
        assert text.SENTENCES[key] in plain
        assert text.DETAIL_CAPTIONS[key](result) in expert and text.DETAILS[key] in expert + plain
    assert text.DETAIL_INTRO in expert and text.FOOTNOTE in expert

    # each plain caption's words, read from the result itself rather than through the thumbnail's series
    v, e, o, s = (results[k] for k in DEFAULTS)
    caption = text.vanishing_caption(v)
    for net in (v.problem, v.fix):
        g = net.at_init.weight_grad_norms
        assert f"{times(g[-1] / g[0], 'smaller', 'larger')} ({net.label})" in caption
    assert "quadrillion times smaller (sigmoid" in caption  # the problem, in everyday words
    caption = text.exploding_caption(e)
    assert e.problem.diverged and f"diverged at step {e.problem.diverged_step}" in caption
    assert not e.fix.diverged and f"ran all {len(e.fix.training.loss)} steps without breaking down" in caption
    caption = text.overfitting_caption(o)
    for role in overfitting.ROLES:
        assert fmt.percent(np.mean([n.scores["test_acc"] for n in getattr(o, role)])) in caption
    caption = text.speed_caption(s)
    for variant in ("plain", "residual + batch norm"):
        deepest = s.final_loss[s.variants.index(variant), -1]
        assert f"{variant} {fmt.num(np.nanmedian(deepest))}" in caption
    plain_deep = np.nanmedian(s.final_loss[0, -1])
    assert ("(a coin flip)" in caption) == (abs(plain_deep - speed.LN2) < 0.01)

    # each exact caption's numbers, read from the result itself
    caption = text.vanishing_detail(v)
    depth = v.settings.depth
    assert f"Layer 1 vs layer {depth}:" in caption and len(v.problem.at_init.weight_grad_norms) == depth
    for net in (v.problem, v.fix):  # layer 1 vs the last layer, within each network
        g = net.at_init.weight_grad_norms
        assert f"{fmt.num(g[0])} vs {fmt.num(g[-1])} ({net.label})" in caption
    assert specs[0]["data"][0]["y"][0] == pytest.approx(v.problem.at_init.weight_grad_norms[0])
    caption = text.exploding_detail(e)
    assert e.problem.diverged and f"at step {e.problem.diverged_step}" in caption
    assert not e.fix.diverged and f"finite for all {len(e.fix.training.loss)} steps" in caption
    assert fmt.num(e.fix.training.final_train_loss) in caption
    caption = text.overfitting_detail(o)
    n = o.settings.n_train  # the problem network's training set: its first n_train points
    assert o.settings.label_flip > 0 and o.flipped[:n].mean() == pytest.approx(o.settings.label_flip)
    assert f"on the training set ({fmt.percent(o.settings.label_flip)} of its labels flipped)" in caption
    for role in overfitting.ROLES:
        assert fmt.percent(np.mean([n.scores["test_acc"] for n in getattr(o, role)])) in caption
    caption = text.speed_detail(s)
    for variant in ("plain", "residual + batch norm"):
        deepest = s.final_loss[s.variants.index(variant), -1]
        assert f"{variant} {fmt.num(np.nanmedian(deepest))}" in caption
    _forget_caches()


def test_presenter_mode_keeps_the_charts_and_hides_the_sentences(monkeypatch, filled_store, no_training):
    folder, results = filled_store
    monkeypatch.setenv("DEPTHKIT_RESULTS", str(folder))
    _forget_caches()
    at = open_page("pages/home.py", {"presenter": "1"})
    assert not at.exception and not no_training
    assert len(at.get("plotly_chart")) == 4
    shown = " ".join(m.value for m in at.markdown)
    assert all(text.SENTENCES[k] not in shown for k in results)
    assert all(text.DETAILS[k] not in shown for k in results)
    assert all(text.CAPTIONS[k](r) in shown for k, r in results.items())
    assert glossary.EXPERT_LABEL not in [x.label for x in at.expander]
    _forget_caches()
