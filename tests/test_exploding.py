"""The exploding-gradients experiment: settings, budget, determinism, tables, and charts
that stay readable when a run diverges."""

import dataclasses
import json
import pickle
import re

import numpy as np
import plotly.graph_objects as go
import pytest

from depthkit import MAX_FLOPS, BudgetError
from depthkit.core import fmt
from depthkit.experiments import exploding as exp
from depthkit.presentation import tables
from depthkit.presentation.charts import exploding as charts
from depthkit.presentation.charts.common import BLUE, VERMILLION, plain
from depthkit.presentation.text import exploding as text

CHARTS = (charts.grad_norms, charts.losses, charts.signal_per_layer, charts.weight_grad_per_layer,
          charts.weight_norms, charts.repeated_product, charts.gain_depth_map, charts.batch_norm_depth)
CAUSES = ("loss became inf", "loss became nan", "gradient norm became inf", "gradient norm became nan")
COMPUTER_NOTATION = re.compile(r"\d[eE][+-]?\d|nan|\binf\b")
SMALL = dict(depth=12, steps=20)


@pytest.fixture(scope="module")
def both_diverge():
    # gain 2 at depth 20: the problem (lr 0.05) and the lr/10 "fix" both blow up
    return exp.run(exp.ExplodingSettings(fix="smaller lr", depth=20, steps=SMALL["steps"]))


@pytest.fixture(scope="module")
def calm():
    return exp.run(exp.ExplodingSettings(activation="tanh", init_gain=1.0, fix="He init", **SMALL))


def _net(net, at_init=None, **training):
    """A copy of a Network with some TrainResult fields (and the probe at init) replaced."""
    return dataclasses.replace(net, training=dataclasses.replace(net.training, **training),
                               at_init=at_init or net.at_init)


def _texts(fig: go.Figure) -> str:
    """The title (with its notes), annotations and trace names, as words (wrapping undone)."""
    notes = [plain(fig.layout.title.text)] + [plain(a.text) for a in fig.layout.annotations]
    names = [plain(t.name) for t in fig.data]
    return " | ".join(notes + names)


def test_diverged_step_is_the_first_non_finite_step(both_diverge):
    for run in (both_diverge.problem, both_diverge.fix):
        assert run.diverged_step is not None
        t = run.training
        bad = ~(np.isfinite(t.loss) & np.isfinite(t.grad_norm))
        assert run.diverged_step == int(np.argmax(bad))
        assert np.all(np.isfinite(t.loss[:run.diverged_step]))
        assert "became" in run.divergence


def test_every_chart_renders_and_marks_divergence(both_diverge):
    for build in CHARTS:
        fig = build(both_diverge)
        assert isinstance(fig, go.Figure) and fig.data, build.__name__
        fig.to_json()
    for build in (charts.grad_norms, charts.losses, charts.weight_norms):
        texts = _texts(build(both_diverge))
        for role, run in (("problem", both_diverge.problem), ("compared", both_diverge.fix)):
            assert f"{role} diverged at step {run.diverged_step}: {text.divergence_cause(run)}" in texts
        crosses = [t for t in build(both_diverge).data if t.marker.symbol == "x"]
        assert len(crosses) == 2 and all(np.isfinite(c.y[0]) for c in crosses)


def test_a_run_non_finite_from_the_start_still_renders(both_diverge):
    p = both_diverge.problem
    nan = np.full(exp.steps(p), np.nan)
    dead = _net(p, loss=nan, grad_norm=nan, weight_norms=np.full_like(p.training.weight_norms, np.nan),
                diverged_step=0, divergence="loss became inf")
    r = dataclasses.replace(both_diverge, problem=dead, fix=dataclasses.replace(dead, label="fix"))
    for build in CHARTS:
        build(r).to_json()
    texts = _texts(charts.losses(r))
    assert "nothing finite to plot" in texts and "diverged at step 0: loss became infinite" in texts


def test_calm_runs_have_no_divergence_marks(calm):
    assert calm.problem.diverged_step is None and calm.fix.diverged_step is None
    assert "diverged" not in _texts(charts.losses(calm))
    assert calm.settings.changes_init
    assert len(charts.signal_per_layer(calm).data) == 2  # He init differs at step 0: both drawn


def test_clipping_marks_and_threshold(both_diverge):
    r = exp.run(exp.ExplodingSettings(**SMALL))
    clipped = r.fix.training.clipped.astype(bool)
    assert clipped.any()
    texts = _texts(charts.grad_norms(r))
    assert f"clipping acted ({int(clipped.sum())} of {exp.steps(r.fix)} steps)" in texts
    assert f"clip threshold {fmt.num(r.settings.clip_norm)}" in texts
    per_layer = charts.signal_per_layer(r)
    assert ("clipping changes only training: at step 0 the clipped network is this same network, so one "
            "line is drawn") in _texts(per_layer)
    assert len(per_layer.data) == 1 and r.fix.model == r.problem.model  # one line: one network at step 0
    np.testing.assert_array_equal(r.fix.at_init.signal_grad_norms, r.problem.at_init.signal_grad_norms)
    slower = exp.ExplodingSettings(**SMALL, fix="smaller lr")
    assert not slower.changes_init and slower.model("fix") == slower.model("problem")
    assert text.same_start(slower) == ("a smaller learning rate changes only training: at step 0 the "
                                       "network with lr 0.0025 is this same network, so one line is drawn")


def test_summary_numbers_come_from_the_result(both_diverge, calm):
    summary = text.summary(both_diverge)
    p = both_diverge.problem
    signal = p.at_init.signal_grad_norms
    assert f"at step {p.diverged_step} {text.divergence_story(p)}" in summary
    assert fmt.num(p.training.grad_norm[0]) in summary and fmt.num(signal[0] / signal[-1]) in summary
    assert f"g ≈ {fmt.num(both_diverge.crossing_gain)}" in summary
    assert "Gain × depth map of the backward-signal ratio" in summary
    assert "phase diagram" not in summary.lower()
    calm_text = text.summary(calm)
    assert f"ends at a loss of {fmt.num(calm.fix.training.final_train_loss)}" in calm_text
    assert "tanh" in calm_text and "edge of chaos" in calm_text
    assert "edge of chaos" not in summary and "no chaotic phase" in summary  # relu


def _with_cause(net, divergence: str):
    return _net(net, divergence=divergence, diverged_step=2)


@pytest.mark.parametrize("cause", CAUSES)
def test_divergence_wording_follows_the_recorded_cause(both_diverge, cause):
    run = _with_cause(both_diverge.problem, cause)
    story, short = text.divergence_story(run), text.divergence_cause(run)
    what, kind = cause.split(" became ")
    assert short == f"{what} became " + ("infinite" if kind == "inf" else "not a number (NaN)")
    if what == "loss":
        assert story.startswith("its loss became") and "loss was still finite" not in story
    else:  # a gradient that overflowed is not "outputs overflow": the loss was still finite
        assert story.startswith("its gradient became") and "loss was still finite" in story
        assert "output" not in story
    assert ("infinite" in story) == (kind == "inf") and ("not a number" in story) == (kind == "nan")
    r = dataclasses.replace(both_diverge, problem=run)
    assert story in text.summary(r) and short in text.headline(r)
    assert short in _texts(charts.losses(r))
    assert not COMPUTER_NOTATION.search(text.summary(r) + text.headline(r) + _texts(charts.losses(r)))


def test_headline_says_when_the_change_did_not_rescue_the_network(both_diverge):
    fix = both_diverge.fix
    finite = _net(fix, diverged_step=None, divergence="", final_train_loss=3.0e6, final_val_acc=0.8)
    r = dataclasses.replace(both_diverge, fix=finite, settings=both_diverge.settings.replace(fix="clipping"))
    headline = text.headline(r)
    assert "alone did not rescue it" in headline and "3 × 10⁶" in headline and "learned" not in headline
    good = _net(finite, final_train_loss=0.2, final_val_acc=0.9)
    headline = text.headline(dataclasses.replace(r, fix=good))
    assert "learned" in headline and "did not rescue" not in headline and "90%" in headline
    headline = text.headline(both_diverge)  # both diverged
    assert "did not rescue it: the compared network diverged too" in headline


def test_no_chart_text_uses_computer_notation(both_diverge, calm):
    for r in (both_diverge, calm):
        for build in CHARTS:
            spec = json.loads(build(r).to_json())
            texts = [spec["layout"]["title"]["text"]] + [a.get("text", "") for a in
                                                         spec["layout"].get("annotations", [])]
            for trace in spec["data"]:
                texts += [trace.get("name") or "", json.dumps(trace.get("customdata", "")),
                          json.dumps(trace.get("hovertext", "")), trace.get("hovertemplate") or ""]
            assert not COMPUTER_NOTATION.search(" ".join(texts)), build.__name__


def test_tables_have_equal_columns(both_diverge):
    for name, table in tables.exploding_tables(both_diverge).items():
        lengths = {len(np.asarray(v)) for v in table.values()}
        assert len(lengths) == 1, name
    out = tables.exploding_tables(both_diverge)
    assert len(out["per_step"]["step"]) == SMALL["steps"]
    np.testing.assert_array_equal(out["per_step"]["problem_loss"], both_diverge.problem.training.loss)
    np.testing.assert_array_equal(out["per_layer"]["fix_signal_grad_norm"],
                                  both_diverge.fix.at_init.signal_grad_norms)


def test_same_settings_same_result(calm):
    again = exp.run(calm.settings)
    np.testing.assert_array_equal(again.fix.training.loss, calm.fix.training.loss)
    np.testing.assert_array_equal(again.phase_log_ratio, calm.phase_log_ratio)
    np.testing.assert_array_equal(again.product_norms, calm.product_norms)
    np.testing.assert_array_equal(again.bn_ratio, calm.bn_ratio)
    pickle.loads(pickle.dumps(calm))


def test_budget_refuses_the_largest_settings():
    big = exp.ExplodingSettings(depth=50, width=128, steps=2000)
    assert exp.cost(big) > MAX_FLOPS
    with pytest.raises(BudgetError):
        exp.run(big)
    for label, overrides in exp.PRESETS.items():
        assert exp.cost(exp.ExplodingSettings(**overrides)) < MAX_FLOPS, label


@pytest.mark.parametrize("bad", [dict(depth=1), dict(depth=51), dict(fix="dropout"), dict(lr=0.0),
                                 dict(init_gain=float("nan")), dict(width=2.5)])
def test_bad_settings_are_refused(bad):
    with pytest.raises(ValueError):
        exp.ExplodingSettings(**bad)


def test_url_values_are_parsed_leniently():
    s, notices = exp.ExplodingSettings.from_strings({"depth": "999", "fix": "magic", "lr": "abc"})
    assert s.depth == 50 and s.fix == "clipping" and s.lr == 0.05 and len(notices) == 3


@pytest.mark.parametrize("fix, changed", [
    ("clipping", {"clip_norm": 0.3}), ("smaller lr", {"lr": 0.05 / exp.LR_FACTOR}),
    ("He init", {"init": "he"}),
    ("Xavier init", {"init": "xavier"}), ("batch norm", {"norm": "batch"})])
def test_each_fix_changes_exactly_one_thing(fix, changed):
    s = exp.ExplodingSettings(fix=fix, clip_norm=0.3)
    model, ts = s.model("fix"), s.training("fix")
    base_model, base_ts = s.model("problem"), s.training("problem")
    assert base_ts.clip_norm == 0.0
    diff = {k: v for k, v in {**vars(model), **vars(ts)}.items()
            if v != {**vars(base_model), **vars(base_ts)}[k]}
    assert diff.keys() == changed.keys()
    for k, v in changed.items():
        assert diff[k] == pytest.approx(v) if isinstance(v, float) else diff[k] == v


def test_step_size_paragraph_only_where_it_applies(calm, both_diverge):
    """The step-size paragraph needs a diverged (or rising) problem run whose layers do not amplify
    (ratio at most 10); a ratio below 0.1 is called vanishing, and a calm run gets no step-size story."""
    step = "Another source of the same blow-up: the step is too large"
    vanish = "this network is vanishing, not exploding"

    def with_ratio(r, ratio, **training):
        p = r.problem
        signal = np.r_[ratio, np.ones(len(p.at_init.signal_grad_norms) - 1)]
        probe = dataclasses.replace(p.at_init, signal_grad_norms=signal)
        return dataclasses.replace(r, problem=_net(p, at_init=probe, **training))
    summary = text.summary(with_ratio(both_diverge, 1.0))
    assert step in summary and vanish not in summary
    summary = text.summary(with_ratio(both_diverge, 0.01))  # shrinking layers, yet it diverged
    assert step in summary and vanish in summary and "ratio 0.01" in summary and "(they shrink it)" in summary
    assert "Vanishing gradients page" in summary
    calm_low = with_ratio(calm, 0.01, loss=np.linspace(0.7, 0.69, exp.steps(calm.problem)))
    assert step not in text.summary(calm_low) and vanish in text.summary(calm_low)
    assert step not in text.summary(with_ratio(both_diverge, 50.0))
    # finite, loss fell: trained fine, no step-size story
    n = exp.steps(calm.problem)
    fell = with_ratio(calm, 1.0, loss=np.linspace(0.7, 0.2, n))
    assert step not in text.summary(fell) and vanish not in text.summary(fell)
    rose = with_ratio(calm, 1.0, loss=np.linspace(0.7, 0.9, n))
    assert step in text.summary(rose)


def test_a_loss_at_ln2_learned_nothing():
    assert text.where(0.693) == "at a coin flip's 0.69: it learned nothing"
    assert text.where(0.8).startswith("above") and text.where(0.6).startswith("not far below")
    assert text.where(float("nan")).startswith("above")


def test_tanh_map_words_follow_the_crossings(calm):
    """Deeper crossing closer to 1: "moves toward g = 1"; farther: no such words (text and chart)."""
    def with_crossings(here, deep):
        c = np.array(calm.phase_crossing, dtype=float)
        c[list(calm.phase_depths).index(calm.settings.depth)], c[-1] = here, deep
        return dataclasses.replace(calm, phase_crossing=c)
    toward = with_crossings(1.37, 1.13)
    assert "deeper, the crossing moves toward g = 1 (1.13 at depth 50)" in text.summary(toward)
    assert "1.37 at depth 12, 1.13 at depth 50: deeper, toward g = 1" in _texts(charts.gain_depth_map(toward))
    away = with_crossings(1.16, 1.18)
    assert "moves toward" not in text.summary(away) and "at depth 50 it is 1.18" in text.summary(away)
    assert "toward" not in _texts(charts.gain_depth_map(away))


def test_the_whole_grid_is_named_as_such(calm):
    assert "the whole grid (g from 0.5 to 3) at depth 2" in text.band_line(
        dataclasses.replace(calm, phase_log_ratio=np.zeros_like(calm.phase_log_ratio)))


def _y(trace) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in trace.y], dtype=float)


def test_charts_plot_the_results_arrays(calm, both_diverge):
    """Each chart draws the Result's own numbers: the curves equal the recorded arrays (gaps where
    they are not finite), one line per network, log axes where the values span decades."""
    for r in (calm, both_diverge):
        for build, values in ((charts.losses, lambda n: n.training.loss),
                              (charts.grad_norms, lambda n: n.training.grad_norm),
                              (charts.weight_norms, exp.total_weight_norm)):
            fig = build(r)
            lines = [t for t in fig.data if t.mode == "lines"]
            assert [t.name for t in lines] == [r.problem.label, r.fix.label]
            for trace, net in zip(lines, (r.problem, r.fix)):
                want = np.asarray(values(net), dtype=float)
                want = np.where(np.isfinite(want) & (want > 0), want, np.nan)
                np.testing.assert_allclose(_y(trace), want, rtol=1e-6)
            assert fig.layout.yaxis.type == "log"
        fig = charts.signal_per_layer(r)
        nets = (r.problem, r.fix) if r.settings.changes_init else (r.problem,)
        assert len(fig.data) == len(nets)
        for trace, net in zip(fig.data, nets):
            np.testing.assert_allclose(_y(trace), net.at_init.signal_grad_norms, rtol=1e-6)
        heat = charts.gain_depth_map(r).data[0]
        np.testing.assert_allclose(np.array(heat.z, dtype=float), r.phase_log_ratio, rtol=1e-6)
        assert list(heat.x) == list(r.phase_gains) and list(heat.y) == list(r.phase_depths)
        bn = [t for t in charts.batch_norm_depth(r).data if t.mode == "lines+markers"]
        np.testing.assert_allclose([_y(t) for t in bn], exp.bn_medians(r), rtol=1e-6)
        product = charts.repeated_product(r)
        assert len(product.data) == len(r.product_gains) and product.layout.yaxis.type == "log"
        np.testing.assert_allclose([_y(t)[-1] for t in product.data], r.product_norms[:, -1], rtol=1e-6)


def test_gain_depth_map_names_its_colours_as_drawn(calm):
    fig = charts.gain_depth_map(calm)
    heat = fig.data[0]
    # log10 ratio: 0 (ratio 1) in the middle, red-orange (vermillion) above it, blue below
    assert heat.zmid == 0 and heat.zmin == -heat.zmax
    scale = [tuple(c) for c in heat.colorscale]
    assert scale[0][1] == BLUE and scale[-1][1] == VERMILLION
    assert ("red-orange: ratio above 1, the signal grows on its way back to the input (exploding); "
            "blue: below 1 (vanishing)") in _texts(fig)


# --- the plain layer's words follow the run: both branches of each qualitative word ------------------
def _plain(r) -> str:
    return " ".join([text.plain_headline(r)] + [line(r) for line in text.PLAIN_ROWS])


def test_plain_lines_are_plain_and_one_per_row_of_charts(both_diverge, calm):
    from tests import plain_util as pu
    assert len(text.PLAIN_ROWS) * 2 == len(charts.CHARTS)
    for r in (both_diverge, calm):
        said = [text.POINT, text.plain_headline(r)] + [line(r) for line in text.PLAIN_ROWS]
        assert not [s for s in pu.SYMBOLS if s in " ".join(said)]
        assert not COMPUTER_NOTATION.search(" ".join(said)) and "×" not in " ".join(said)
        assert pu.mean_sentence_words(said) <= pu.MAX_SENTENCE_WORDS
    assert len(pu.sentences([text.POINT])) <= 2 and pu.words([text.POINT]) <= 40


def test_plain_amounts_are_everyday_numbers():
    assert text.amount(4107.0) == "4,107" and text.amount(8.47e5) == "850 thousand"
    assert text.amount(2.42e6) == "2.4 million" and text.amount(2.65e13) == "26 trillion"
    assert text.amount(999_600) == "1 million" and text.amount(0.17) == "0.17"


def test_plain_headline_and_training_follow_each_run(both_diverge):
    """Broke down / trained / stayed finite but not rescued, and falls / rises, from the run."""
    assert "broke down too, at step" in text.plain_headline(both_diverge)
    assert "training breaks down too" in text.plain_training(both_diverge)
    fix = both_diverge.fix
    n = exp.steps(fix)
    clipping = both_diverge.settings.replace(fix="clipping")
    good = _net(fix, diverged_step=None, divergence="", loss=np.linspace(0.7, 0.2, n), final_train_loss=0.2,
                final_val_acc=0.9, clipped=np.ones(n, bool))
    r = dataclasses.replace(both_diverge, fix=good, settings=clipping)
    assert "the same network trained: 90% of validation points right" in text.plain_headline(r)
    said = text.plain_training(r)
    assert f"(it acted on every one of the {n} steps) the loss falls from 0.7 to 0.2." in said
    bad = _net(good, loss=np.linspace(3e6, 5e6, n), final_train_loss=5e6, clipped=np.zeros(n, bool))
    r = dataclasses.replace(r, fix=bad)
    assert "it stayed finite, but after" in text.plain_headline(r) and "trained" not in text.plain_headline(r)
    said = text.plain_training(r)
    assert "the loss rises from 3 million to 5 million, still far above a coin flip's" in said
    flat = dataclasses.replace(r, fix=_net(bad, final_train_loss=0.6935))
    assert "at a coin flip's 0.69: it learned nothing" in text.plain_headline(flat)


def test_plain_layers_and_weights_follow_each_run(both_diverge, calm):
    """Bigger / shrink / neither, the step against the weights' size, grow / stay / barely change."""
    def with_ratio(r, ratio):
        p = r.problem
        probe = dataclasses.replace(p.at_init, signal_grad_norms=np.r_[ratio, np.ones(
            len(p.at_init.signal_grad_norms) - 1)])
        return dataclasses.replace(r, problem=_net(p, at_init=probe))
    assert "the layers make it bigger" in text.plain_layers(with_ratio(both_diverge, 50.0))
    assert "so this network's gradients vanish instead" in text.plain_layers(with_ratio(both_diverge, 0.01))
    assert "these layers do not blow it up" in text.plain_layers(with_ratio(both_diverge, 1.0))
    p = both_diverge.problem
    big = np.ones_like(p.training.update_ratio) * 7.24
    r = dataclasses.replace(both_diverge, problem=_net(p, update_ratio=big))
    assert "weights by about 7.2 times their own size" in text.plain_layers(r)
    small = dataclasses.replace(r, problem=_net(p, update_ratio=big / 1000))
    assert "weights by 0.72% of their size" in text.plain_layers(small)
    assert "grow from" in text.plain_weights(both_diverge)  # gain 2, diverged
    steady = np.ones_like(calm.problem.training.weight_norms)
    r = dataclasses.replace(calm, problem=_net(calm.problem, weight_norms=steady),
                            fix=_net(calm.fix, weight_norms=steady))
    assert "weights stay near their starting size" in text.plain_weights(r)
    assert "they barely change" in text.plain_weights(r)
    assert "they grow" in text.plain_weights(dataclasses.replace(r, fix=_net(
        calm.fix, weight_norms=steady * np.linspace(1, 2, len(steady))[:, None])))


def test_plain_depth_follows_the_map_and_batch_norm(calm):
    assert "keeps its size only near a gain of" in text.plain_depth(calm)
    none = dataclasses.replace(calm, phase_crossing=np.full_like(calm.phase_crossing, np.nan))
    assert "no gain on the map keeps" in text.plain_depth(none)
    flat = dataclasses.replace(calm, bn_ratio=np.ones_like(calm.bn_ratio))
    assert "Batch norm keeps the layers' gradients in balance here" in text.plain_depth(flat)
    said = text.plain_depth(flat)
    assert "the first layer's gradient is about the same as the last's" in said
    assert "With residual connections it is about the same as the last's" in said
    grows = flat.bn_ratio.copy()
    grows[0] = np.linspace(1, 1e4, grows.shape[2])
    said = text.plain_depth(dataclasses.replace(calm, bn_ratio=grows))
    assert "Batch norm alone does not fix depth" in said and "it is only about the same as" in said
