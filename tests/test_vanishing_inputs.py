"""The Vanishing page's input-scale claims, on the real experiment at the page's settings.

The "Raw-scale inputs" preset (x1 ×100) and the offset +10 choice, each at
the page's other defaults, over tests/seeds.py's ten seeds, at most one miss,
with margins well beyond what each sentence needs. Each run also trains the
same two networks on the standardized points, which the sentences compare with.
"""

import numpy as np
import pytest

from depthkit.core import fmt
from depthkit.engine.data import STANDARDIZED
from depthkit.experiments import vanishing as exp
from depthkit.presentation.text import vanishing as page_text
from tests.runs import shared
from tests.seeds import MISSES, SEEDS

RAW = "Raw-scale inputs"


def _misses(flags) -> int:
    return sum(not bool(f) for f in flags)


@pytest.fixture(scope="module")
def big():
    """The preset: the defaults with x1 multiplied by 100."""
    assert exp.PRESETS[RAW] == {"inputs": "x1 ×100"}
    # the same runs as the claims' Raw-scale preset (tests/test_vanishing_claims.py): trained once
    return shared(exp.run_many, tuple(exp.VanishingSettings(**exp.PRESETS[RAW], seed=s) for s in SEEDS))


@pytest.fixture(scope="module")
def far():
    """The defaults with both features offset by +10."""
    return exp.run_many([exp.VanishingSettings(inputs="offset +10", seed=s) for s in SEEDS])


def _first(net, ref) -> tuple[float, float]:
    return float(net.at_init.saturated[0]), float(ref.saturated[0])


def test_x1_in_the_hundreds_saturates_the_sigmoids_first_layer(big):
    pairs = [_first(r.problem, r.standardized["problem"]) for r in big]
    # "the problem network's first layer has N% saturated units ..., against M% with standardized
    # inputs": the text needs N ≥ M + 10 points; margin: at least half saturated, at most 2% standardized
    assert _misses(raw >= 0.5 and std <= 0.02 for raw, std in pairs) <= MISSES, pairs
    texts = [page_text.summary(r) for r in big]
    said = [f"the problem network's first layer has {fmt.percent(raw)} saturated units" in t
            and f"against {fmt.percent(std)} with standardized inputs" in t
            for t, (raw, std) in zip(texts, pairs)]
    assert _misses(said) <= MISSES


def test_x1_in_the_hundreds_scales_the_relu_networks_output(big):
    # "A ReLU layer is positively homogeneous ..., so the fix network's last hidden layer starts at
    # N times the scale": the text needs 3x; margin: at least 10x
    ratios = [float(exp.act_rms(r.fix.at_init)[-1] / r.standardized["fix"].act_rms[-1]) for r in big]
    assert _misses(x >= 10 for x in ratios) <= MISSES, ratios
    assert all(r.fix.model.activation == "relu" and r.fix.model.norm == "none" for r in big)
    texts = [page_text.summary(r) for r in big]
    assert _misses("positively homogeneous" in t for t in texts) <= MISSES


def test_standardizing_is_worth_at_least_ten_points_to_the_fix(big):
    gains = [r.standardized["fix"].final_val_acc - r.fix.training.final_val_acc for r in big]
    # "Standardizing the inputs is worth N points ... to the fix network": the text needs 5 points
    assert _misses(g >= 0.10 for g in gains) <= MISSES, gains
    texts = [page_text.summary(r) for r in big]
    assert _misses(f"is worth {fmt.points(g).lstrip('+')} of validation accuracy to the fix network" in t
                   for t, g in zip(texts, gains)) <= MISSES


def test_inputs_far_from_zero_saturate_the_sigmoid_and_kill_relus(far):
    sig = [_first(r.problem, r.standardized["problem"]) for r in far]
    relu = [_first(r.fix, r.standardized["fix"]) for r in far]
    # the text needs 10 points over standardized; margins: a quarter saturated, a fifth dead, against ≤ 2%
    assert _misses(raw >= 0.25 and std <= 0.02 for raw, std in sig) <= MISSES, sig
    assert _misses(raw >= 0.2 and std <= 0.02 for raw, std in relu) <= MISSES, relu
    texts = [page_text.summary(r) for r in far]
    assert _misses("the problem network's first layer has" in t and "saturated units" in t
                   and "the fix network's first layer has" in t
                   and "dead units (inactive on every point)" in t
                   for t in texts) <= MISSES


def test_the_comparison_is_the_same_networks_on_standardized_points():
    s = exp.VanishingSettings(inputs="x1 ×100", depth=6, steps=20, n_samples=200, seed=3)
    raw, std = exp.run(s), exp.run(s.replace(inputs=STANDARDIZED))
    assert std.standardized is None and raw.standardized is not None
    for role in exp.ROLES:
        ref, net = raw.standardized[role], getattr(std, role)
        # same initial weights, same points: the probe is the same; the training agrees to float
        # rounding (it was batched with the raw-scale networks)
        np.testing.assert_array_equal(ref.saturated, net.at_init.saturated)
        np.testing.assert_allclose(ref.act_rms, exp.act_rms(net.at_init), rtol=1e-6)
        np.testing.assert_allclose(ref.loss[:5], net.training.loss[:5], rtol=1e-4)
    assert raw.X_train[:, 0].std() > 50 and std.X_train[:, 0].std() == pytest.approx(1, abs=1e-4)
    # the boundary grid covers the raw-scale points with a margin in their own units
    assert raw.grid.x[0] < raw.X_train[:, 0].min() - 10 and raw.grid.x[-1] > raw.X_train[:, 0].max() + 10


def test_plain_a_saturated_first_layer_passes_back_almost_no_signal(big):
    # the plain line under the saturation chart: "at the start N% of its first layer's units are saturated,
    # so they pass back almost no signal": said from 30%; margin: at least half (the test above)
    shares = [float(r.problem.at_init.saturated[0]) for r in big]
    assert _misses(x >= 0.5 for x in shares) <= MISSES, shares
    said = [f"at the start {fmt.percent(x)} of the problem network's first-layer units are saturated, so "
            "they pass back almost no signal" in page_text.plain_change(r) for r, x in zip(big, shares)]
    assert _misses(said) <= MISSES
    # the other branch, with standardized inputs (test_vanishing_claims.py): "almost none … saturated"
    assert _misses("saturated, so that is not why" not in page_text.plain_change(r) for r in big) <= MISSES
