"""The vanishing-gradients page's claims, on the real experiment at the page's own settings.

Defaults and every preset, seeds 0-9, at most one miss each, with a margin
beyond what the summary's wording needs. Each preset's ten seeds train in one
batched call (module-scoped, shared by the tests).
"""

import re

import numpy as np
import pytest

from depthkit.core import fmt
from depthkit.engine.optim import ADAM_EPS
from depthkit.experiments import vanishing as exp
from depthkit.presentation.charts import vanishing as charts
from depthkit.presentation.charts.common import plain
from depthkit.presentation.text import plain as plain_words
from depthkit.presentation.text import vanishing as page_text
from tests.plain_util import SYMBOLS
from tests.runs import shared
from tests.seeds import SEEDS

MAX_MISSES = 1
DEFAULTS = "Sigmoid, 20 layers"
SIGMOID_PROBLEM = ("Sigmoid, 20 layers", "Sigmoid + batch norm", "Residual")
# the presets on standardized inputs; "Raw-scale inputs" has its own claims (tests/test_vanishing_inputs.py)
STANDARDIZED = [p for p in exp.PRESETS if exp.PRESETS[p].get("inputs", "standardized") == "standardized"]
PLAIN_LINES = (page_text.plain_flow, page_text.plain_heatmaps, page_text.plain_change,
               page_text.plain_training, page_text.plain_boundary, page_text.plain_sweep)
COMPUTER_NOTATION = re.compile(r"\d[eE][+-]?\d|\bnan\b|\binf\b", re.IGNORECASE)


def _misses(flags) -> int:
    return sum(not bool(f) for f in flags)


def _settings(preset: str, **extra) -> list[exp.VanishingSettings]:
    return [exp.VanishingSettings(**{**exp.PRESETS[preset], **extra}, seed=s) for s in SEEDS]


@pytest.fixture(scope="module")
def runs():
    """Every preset (the first is the defaults) at its own settings, seeds 0-9."""
    return {preset: shared(exp.run_many, tuple(_settings(preset))) for preset in exp.PRESETS}


@pytest.fixture(scope="module")
def adam():
    """The defaults with Adam, the optimizer the settings offer."""
    return exp.run_many(_settings(DEFAULTS, optimizer="adam"))


def test_defaults_are_the_networks_the_claims_name():
    s = exp.VanishingSettings()
    assert exp.PRESETS[DEFAULTS] == {}
    assert (s.activation, s.init, s.depth, s.optimizer) == ("sigmoid", "default", 20, "sgd")
    assert (s.fix_activation, s.fix_init, s.norm, s.residual) == ("relu", "he", "none", False)
    assert s.inputs == "standardized"


def test_sigmoid_first_layer_gradient_at_least_100x_smaller_at_init(runs):
    ratios = [exp.grad_ratio(r.problem) for r in runs[DEFAULTS]]
    # margin: 1e-4 is 100x beyond the claim's 1/100
    assert _misses(r <= 1e-4 for r in ratios) <= MAX_MISSES, ratios


def test_sigmoid_first_layer_moves_at_least_10x_less_than_the_last(runs):
    defaults = runs[DEFAULTS]
    assert all(r.problem.training.weight_change[-1] > 0 for r in defaults), "the last layer must move at all"
    ratios = [exp.change_ratio(r.problem) for r in defaults]
    # margin: 1/100 is 10x beyond the claim's 1/10
    assert _misses(r <= 1e-2 for r in ratios) <= MAX_MISSES, ratios


def test_relu_he_gradient_ratio_within_100x(runs):
    """The fix network's first/last weight-gradient ratio is "within a factor of 100" (the Mission's
    key; the page prints the run's own ratio), against the sigmoid's 10^14-10^17. Finite width
    scatters it (Hanin 2018): measured 0.055-5.9 over seeds 0-19, 100-109 and 1000-1009, so the
    earlier "within 8x" missed on 2 of 10 seeds from 1000. Margin: within 30x, 3x inside 100x."""
    ratios = [exp.grad_ratio(r.fix) for r in runs[DEFAULTS]]
    assert _misses(1 / 30 <= r <= 30 for r in ratios) <= MAX_MISSES, ratios


@pytest.mark.parametrize("preset", STANDARDIZED)
def test_the_fix_reaches_higher_validation_accuracy(runs, preset):
    # "Result: the fix network reaches the higher validation accuracy"
    results = runs[preset]
    pairs = [(r.fix.training.final_val_acc, r.problem.training.final_val_acc) for r in results]
    # margin: at least 10 points higher, where the sentence needs half a point
    assert _misses(fix >= problem + 0.10 for fix, problem in pairs) <= MAX_MISSES, pairs
    texts = [page_text.summary(r) for r in results]
    assert _misses("the fix network reaches the higher validation accuracy" in t for t in texts) <= MAX_MISSES


def test_probe_at_init_matches_the_trainers_first_step(runs):
    # the probe and the trainer's step 0 see the same weights and the same full batch
    for r in runs[DEFAULTS][:2]:
        for net in (r.problem, r.fix):
            assert net.training.layer_grad_norms[0] == pytest.approx(net.at_init.weight_grad_norms, rel=1e-4)


@pytest.mark.parametrize("preset", ["Sigmoid + batch norm", "Residual"])
def test_batch_norm_and_residual_shrink_the_ratio_at_least_10x(runs, preset):
    results = runs[preset]
    assert all(r.fix.label.startswith("sigmoid") and r.problem.label.startswith("sigmoid") for r in results)
    shrink = [exp.grad_ratio(r.fix) / exp.grad_ratio(r.problem) for r in results]
    # margin: 1000x, 100x beyond the claim's 10x
    assert _misses(x >= 1000 for x in shrink) <= MAX_MISSES, shrink


@pytest.mark.parametrize("preset", list(exp.PRESETS))
def test_the_problem_first_layer_step_rounds_away_in_float32(runs, preset):
    # "its gradient is not zero ... an update under half that step rounds away: w + dW gives back w.
    # Indeed not one first-layer weight changed."
    results = runs[preset]
    nets = [r.problem for r in results]
    assert all(n.at_init.weight_grad_norms[0] > 0 for n in nets), "the gradient is not zero"
    margins = [exp.half_spacing(n)[0] / exp.update_max(n)[0] for n in nets]
    # margin: the step is at least 10x under half a float32 step, not just under it
    assert _misses(m >= 10 for m in margins) <= MAX_MISSES, margins
    moved = [n.training.weight_change[0] for n in nets]
    assert _misses(m == 0 for m in moved) <= MAX_MISSES, moved
    texts = [page_text.summary(r) for r in results]
    assert _misses("rounds away" in t and "Indeed not one first-layer weight changed" in t
                   for t in texts) <= MAX_MISSES
    # "Float64 would round it away too ... even exact arithmetic would need at least N steps this size
    # to move a typical weight by 1%" (sigmoid problems: the step is at least 3x under half a float64
    # spacing; measured 4-100x on seeds 0-9 and 100-109), or "Float64 ... would register it, but would
    # need at least N steps" (ReLU, default init: measured 10^7 times over it). Either way N is far
    # beyond the page's few hundred steps (over 10^5 here; measured 7 x 10^6 and up).
    w = [float(exp.weight_typical(n)[0]) for n in nets]
    under64 = [np.spacing(x) / 2 / exp.update_max(n)[0] for x, n in zip(w, nets)]
    sigmoid = exp.PRESETS[preset].get("activation", "sigmoid") == "sigmoid"
    if sigmoid:
        assert _misses(m >= 3 for m in under64) <= MAX_MISSES, under64
    else:
        assert _misses(m <= 1 / 3 for m in under64) <= MAX_MISSES, under64
    needed = [0.01 * x / exp.update_max(n)[0] for x, n in zip(w, nets)]
    assert _misses(k > 1e5 for k in needed) <= MAX_MISSES, needed
    said = "Float64 would round it away too" if sigmoid else "would register it, but would need at least"
    assert _misses(said in t and "the tiny gradient is why the layer cannot learn" in t
                   for t in texts) <= MAX_MISSES
    # the weight-change chart's note says the same
    notes = [plain(charts.weight_change(r).layout.title.text) for r in results]
    assert _misses("a weight of typical size rounds back, w + Δw = w" in t for t in notes) <= MAX_MISSES


@pytest.mark.parametrize("preset", SIGMOID_PROBLEM)
def test_sigmoid_factor_is_bounded_by_a_quarter_of_the_spectral_norm(runs, preset):
    nets = [r.problem for r in runs[preset]]
    assert all(n.label.startswith("sigmoid") for n in nets)
    # "at most 0.25·‖W_l‖₂, here between ... : the signal must shrink at every one of the 19 layers"
    # the scores are the spectral norms of the network's own initial weights
    first = runs[preset][0]
    norms = exp.spectral_norms(first.problem.model, first.settings.seed)
    assert first.problem.scores["spectral_max"] == pytest.approx(norms.max())
    assert first.problem.scores["sigmoid_bound"] == pytest.approx(exp.sigmoid_bound(norms))
    largest = [float(exp.SIGMOID_SLOPE * n.scores["spectral_max"]) for n in nets]
    assert _misses(x <= 0.5 for x in largest) <= MAX_MISSES, largest  # margin: 2x under 1
    # the bound is a bound: the measured signal ratio lies under it (margin 10x), every seed
    assert all(exp.signal_ratio(n) <= n.scores["sigmoid_bound"] / 10 for n in nets)
    # "almost no unit is saturated": under 1% where the text needs under 5%
    assert _misses(float(np.mean(n.at_init.saturated)) < 0.01 for n in nets) <= MAX_MISSES
    texts = [page_text.summary(r) for r in runs[preset]]
    assert _misses("must shrink at every one of the 19 layers" in t and "typical, not a bound" in t
                   and "saturation is not the cause" in t for t in texts) <= MAX_MISSES


def test_the_presets_share_the_defaults_depth_sweep():
    # the sweep depends on width, depth, data and seed only: the presets on standardized inputs keep all
    # of them; the raw-scale preset changes only the inputs' scale
    keys = {"width", "depth", "dataset", "n_samples", "seed", "inputs"}
    assert all(not keys & set(exp.PRESETS[p]) for p in STANDARDIZED)
    assert [set(o) & keys for o in exp.PRESETS.values() if set(o) & keys] == [{"inputs"}]


def test_the_sigmoid_bound_holds_on_raw_scale_inputs_too(runs):
    for r in runs["Raw-scale inputs"]:  # a theorem: no miss, a little float room
        assert np.all(r.sweep.signal_ratio[0] <= r.sweep.sigmoid_bound * (1 + 1e-9)), r.sweep.signal_ratio[0]


@pytest.mark.parametrize("preset", list(exp.PRESETS))
def test_the_remedies_are_explained_exactly_when_they_are_on(runs, preset):
    # residual: the block's Jacobian I + ∂F/∂h and the caveat; batch norm: Santurkar et al.
    for r in runs[preset]:
        text = page_text.summary(r)
        assert ("Jacobian is ∂h_l/∂h_(l−1) = I + ∂F/∂h" in text) == r.settings.residual
        assert ("can explode with depth" in text) == r.settings.residual
        assert ("Santurkar et al. 2018" in text) == (r.settings.norm == "batch")
        raw = r.settings.inputs != "standardized"
        assert ("Inputs not standardized" in text and "standardized points instead" in text) == raw


def test_sigmoid_signal_ratio_lies_under_its_bound_at_every_depth(runs):
    for r in runs[DEFAULTS]:
        # a theorem, not a statistic: no miss allowed, a little float room
        assert np.all(r.sweep.signal_ratio[0] <= r.sweep.sigmoid_bound * (1 + 1e-9)), r.sweep.signal_ratio[0]
        # and the bound is not 0.25 per layer
        assert np.any(r.sweep.sigmoid_bound > 0.25 ** (r.sweep.depths - 1))


def test_the_weight_gradient_ratio_hides_a_vanishing_signal(runs):
    """"… as the signal shrinks toward the input, so the two largely cancel in each layer's weight
    gradient, whose first/last ratio is N times the signal's". Said when the signal ratio is 30x
    under the weight-gradient ratio and the outputs shrink 30x; margins 3x beyond both. The
    weight-gradient ratio itself is no claim: measured 0.06-19 over seeds 0-19, 100-109 and
    1000-1009 (it was once held within 1/30-30, which missed on 2 of 10 seeds from 1000)."""
    flags, values = [], []
    for r in runs[DEFAULTS]:
        i = list(r.sweep.depths).index(r.settings.depth)
        grad, signal = r.sweep.grad_ratio[exp.SUBTLE, i], r.sweep.signal_ratio[exp.SUBTLE, i]
        act = r.sweep.act_ratio[exp.SUBTLE, i]
        values.append((grad, signal, act))
        flags.append(signal < grad / 100 and act < 0.01)
    assert _misses(flags) <= MAX_MISSES, values
    texts = [page_text.summary(r) for r in runs[DEFAULTS]]
    assert _misses("the two largely cancel in each layer's weight gradient" in t for t in texts) <= MAX_MISSES

def test_adam_cannot_rescue_gradients_far_below_epsilon(adam):
    nets = [r.problem for r in adam]
    lr = exp.VanishingSettings().lr
    g = [exp.first_grad_max(n) for n in nets]
    # "a gradient far below ε": at least 1000x below
    assert _misses(x < ADAM_EPS / 1000 for x in g) <= MAX_MISSES, g
    # "gets only about lr·g/ε": never more, and not less than a fifth of it
    rel = [exp.update_max(n)[0] / (lr * exp.first_grad_max(n) / ADAM_EPS) for n in nets]
    assert all(x <= 1.01 for x in rel), rel
    assert _misses(x >= 0.2 for x in rel) <= MAX_MISSES, rel
    # "still under half a float32 step, so even Adam does not move it": 10x under, and no weight moved
    assert _misses(exp.update_max(n)[0] * 10 < exp.half_spacing(n)[0] and n.training.weight_change[0] == 0
                   for n in nets) <= MAX_MISSES
    texts = [page_text.summary(r) for r in adam]
    assert _misses("so even Adam does not move it" in t for t in texts) <= MAX_MISSES
    # ε acts per entry; the text compares the norm with ε and says the entries are smaller still
    assert _misses("the entries are smaller still" in t for t in texts) <= MAX_MISSES


def test_readme_magnitudes_of_the_default_sigmoid(runs):
    # docs/science.md: "over seeds 0-9, between about 10^14 and 10^17 times" smaller; "largest update in one
    # step is about 10^-19"; "first-layer gradients (norm about 10^-18)". Each within its decade, with
    # rounding: the log10 lies within half a decade of the words' ends.
    nets = [r.problem for r in runs[DEFAULTS]]
    smaller = [-np.log10(exp.grad_ratio(n)) for n in nets]
    assert _misses(13.5 <= x <= 17.5 for x in smaller) <= MAX_MISSES, smaller
    step = [np.log10(exp.update_max(n)[0]) for n in nets]
    assert _misses(-20 <= x <= -18 for x in step) <= MAX_MISSES, step
    grad = [np.log10(exp.first_grad_max(n)) for n in nets]
    assert _misses(-19 <= x <= -17 for x in grad) <= MAX_MISSES, grad


def test_summaries_are_written_for_people(runs, adam):
    for results in list(runs.values()) + [adam]:
        for r in results:
            text = page_text.summary(r)
            assert COMPUTER_NOTATION.search(text) is None, text


# ------------------------------------------------------------------ the plain layer's sentences
# Each plain line picks its words from the run (presentation.text.vanishing: NO_SIGNAL, BARELY, COIN_FLIP,
# UNSURE, STEADY_LOSS); these tests hold the run to the words, with a margin beyond each switch.

def _said(results, fn, phrase) -> int:
    return _misses(phrase in fn(r) for r in results)


@pytest.mark.parametrize("preset", SIGMOID_PROBLEM)
def test_plain_the_sigmoid_first_layer_gets_almost_no_signal(runs, preset):
    # "the first layer of the problem network (sigmoid, …) gets a gradient about N times smaller than its
    # last layer's: it gets almost nothing to learn from": said under 1/1,000; margin: under 1/1,000,000
    results = runs[preset]
    ratios = [exp.grad_ratio(r.problem) for r in results]
    assert _misses(0 < x < page_text.NO_SIGNAL / 1000 for x in ratios) <= MAX_MISSES, ratios
    texts = [page_text.plain_flow(r) for r in results]
    said = [f"gets a gradient {plain_words.times(x)} than its last layer's: it gets almost nothing to "
            "learn from" in t
            for t, x in zip(texts, ratios)]
    assert _misses(said) <= MAX_MISSES


def test_plain_the_fix_first_layer_still_gets_the_signal(runs):
    # "In the fix (ReLU, He init) it gets one about N times smaller than its last layer's: the signal still
    # reaches it": said from 1/1,000; margin: from 1/30 (measured 0.055-5.9, see above)
    results = runs[DEFAULTS]
    ratios = [exp.grad_ratio(r.fix) for r in results]
    assert _misses(x >= 30 * page_text.NO_SIGNAL for x in ratios) <= MAX_MISSES, ratios
    assert _said(results, page_text.plain_flow, "In the fix (ReLU, He init) it gets one") <= MAX_MISSES
    assert _said(results, page_text.plain_flow, ": it still gets a gradient to learn from.") <= MAX_MISSES


@pytest.mark.parametrize("preset", SIGMOID_PROBLEM)
def test_plain_in_every_step_the_sigmoid_first_layer_got_a_tiny_gradient(runs, preset):
    # "The problem network's first layer got, in every step, a gradient at least N times smaller": the
    # largest first/last ratio over all steps is under 1/1,000 (margin: under 1/1,000,000)
    results = runs[preset]
    largest = [float(page_text.step_ratios(r.problem).max()) for r in results]
    assert _misses(x < page_text.NO_SIGNAL / 1000 for x in largest) <= MAX_MISSES, largest
    # every step counts: none was left out as not finite
    assert all(len(page_text.step_ratios(r.problem)) == len(r.problem.training.layer_grad_norms)
               for r in results)
    assert _said(results, page_text.plain_heatmaps,
                 "The problem network's first layer got, in every step, a gradient at least") <= MAX_MISSES


def test_plain_the_fix_first_layer_typically_gets_a_comparable_gradient(runs):
    # "The fix's first layer typically got one about N times …": the median step ratio, said when some
    # step reached 1/1,000; margin: the median itself lies within 1/30 to 30
    results = runs[DEFAULTS]
    medians = [float(np.median(page_text.step_ratios(r.fix))) for r in results]
    assert _misses(1 / 30 <= x <= 30 for x in medians) <= MAX_MISSES, medians
    assert _said(results, page_text.plain_heatmaps, "The fix's first layer typically got one") <= MAX_MISSES


@pytest.mark.parametrize("preset", SIGMOID_PROBLEM)
def test_plain_the_sigmoid_first_layer_did_not_change_at_all(runs, preset):
    # "the problem network's first-layer weights did not change at all; its last layer's changed by N%"
    results = runs[preset]
    change = [(r.problem.training.weight_change[0], r.problem.training.weight_change[-1]) for r in results]
    assert _misses(first == 0 and last > 0 for first, last in change) <= MAX_MISSES, change
    assert _said(results, page_text.plain_change, "first-layer weights did not change at all; its last "
                 "layer's changed by") <= MAX_MISSES


def test_plain_the_fix_first_layer_changed(runs):
    # "The fix's first-layer weights changed by N%": said (not "changed by only") from a tenth of the last
    # layer's change; margin: at least a quarter of it
    results = runs[DEFAULTS]
    change = [r.fix.training.weight_change for r in results]
    assert _misses(c[0] >= 2.5 * page_text.BARELY * c[-1] for c in change) <= MAX_MISSES, change
    fix = "The fix's first-layer weights changed by"
    said = [fix in t and f"{fix} only" not in t for t in map(page_text.plain_change, results)]
    assert _misses(said) <= MAX_MISSES


@pytest.mark.parametrize("preset", SIGMOID_PROBLEM)
def test_plain_saturation_is_not_why_the_sigmoid_signal_fades(runs, preset):
    # "almost none of its units are saturated (N%), so that is not why its signal fades": said under 5%
    # (with almost no signal); margin: under 1%. The per-layer factor stays under 1 without saturation
    # (test_sigmoid_factor_is_bounded_by_a_quarter_of_the_spectral_norm).
    results = runs[preset]
    shares = [float(np.mean(r.problem.at_init.saturated)) for r in results]
    assert _misses(x < 0.01 for x in shares) <= MAX_MISSES, shares
    assert _said(results, page_text.plain_change, "of the problem network's units are saturated, so that is "
                 "not why its signal fades") <= MAX_MISSES


def test_plain_the_sigmoid_loss_stalls_at_a_coin_flips_and_the_fix_loss_falls(runs):
    # "The problem network's loss stalled at 0.69, the loss of a 50/50 guess; the fix's fell to B": said
    # within 0.01 of ln 2 (from within 0.1); margins: within 0.002, from within 0.05.
    # The fix's loss fell by at least a tenth.
    results = runs[DEFAULTS]
    losses = [r.problem.training.loss[[0, -1]] for r in results]
    assert _misses(abs(end - page_text.COIN_LOSS) < page_text.STEADY_LOSS / 5
                   and abs(start - page_text.COIN_LOSS) < 0.05 for start, end in losses) <= MAX_MISSES, losses
    fell = [r.fix.training.loss[-1] / r.fix.training.loss[0] for r in results]
    assert _misses(x <= 0.9 for x in fell) <= MAX_MISSES, fell
    assert _said(results, page_text.plain_training, "The problem network's loss stalled at 0.69, the loss of "
                 "a 50/50 guess; the fix's fell to") <= MAX_MISSES


def test_plain_the_sigmoid_ends_at_a_coin_flip(runs):
    # "Validation accuracy: problem N%, near a coin flip; fix M%": said up to 55%; margin: the problem
    # at most 52%
    # (that the fix's is higher: test_the_fix_reaches_higher_validation_accuracy)
    results = runs[DEFAULTS]
    accs = [(r.problem.training.final_val_acc, r.fix.training.final_val_acc) for r in results]
    assert _misses(p <= page_text.COIN_FLIP - 0.03 for p, _ in accs) <= MAX_MISSES, accs
    said = [f"Validation accuracy: problem {fmt.percent(p)}, near a coin flip; fix {page_text._accuracy(f)}."
            in page_text.plain_training(r) for r, (p, f) in zip(results, accs)]
    assert _misses(said) <= MAX_MISSES


def test_plain_the_sigmoid_draws_no_boundary_and_the_fix_does(runs):
    # "The problem network's plane stays almost white: close to 50/50 everywhere": said when P(class 1)
    # stays within 10 points of 50% on the whole grid; margin: within 3 points. The fix's output reaches
    # at least 30 points away from 50/50 somewhere (its line splits the plane).
    results = runs[DEFAULTS]
    spread = [(float(np.max(np.abs(r.problem.boundary - 0.5))), float(np.max(np.abs(r.fix.boundary - 0.5))))
              for r in results]
    assert _misses(p < page_text.UNSURE * 0.3 and f > 0.3 for p, f in spread) <= MAX_MISSES, spread
    assert _said(results, page_text.plain_boundary, "plane stays almost white") <= MAX_MISSES
    assert _said(results, page_text.plain_boundary, "The fix's line splits the plane") <= MAX_MISSES


def test_plain_the_deeper_the_sigmoid_the_less_signal_its_first_layer_gets(runs):
    # "… at 5 layers, and … at 50 layers: the deeper, the less signal":
    # said when depth 50's ratio is 100x under depth 5's; margin: 10^6 times
    results = runs[DEFAULTS]
    sig = [r.sweep.grad_ratio[0] for r in results]
    depths = list(results[0].sweep.depths)
    assert exp.SWEEP[0][:2] == ("sigmoid", "default") and depths[1] == 5 and depths[-1] == 50
    assert _misses(x[-1] < x[1] / 1e6 for x in sig) <= MAX_MISSES, sig
    assert _said(results, page_text.plain_sweep, "at 50 layers: the deeper, the less signal") <= MAX_MISSES
    # "With ReLU and He starting weights the two stay within about N times of each other at every depth"
    he = [r.sweep.grad_ratio[4] for r in results]
    assert exp.SWEEP[4][:2] == ("relu", "he")
    spreads = [plain_words.times(float(np.max(np.maximum(x, 1 / x)))).removesuffix(" larger") for x in he]
    assert all(f"within {w} of each" in page_text.plain_sweep(r) for r, w in zip(results, spreads))


def test_plain_lines_are_written_for_people(runs, adam):
    for results in list(runs.values()) + [adam]:
        for r in results:
            for fn in PLAIN_LINES:
                text = fn(r)
                assert COMPUTER_NOTATION.search(text) is None, text
                assert not [s for s in SYMBOLS if s in text], text
                assert "×" not in text and "⁻" not in text, text  # everyday numbers, no powers of ten
