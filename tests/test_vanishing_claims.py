"""The vanishing-gradients page's claims, on the real experiment, seeds 0-9 (at most 1 miss each)."""

import pytest

from depthkit.experiments import vanishing as exp

SEEDS = range(10)
MAX_MISSES = 1


def _misses(flags) -> int:
    return sum(not bool(f) for f in flags)


@pytest.fixture(scope="module")
def defaults():
    # all 20 networks (10 sigmoid, 10 ReLU + He) train in one batched call
    return exp.run_many([exp.VanishingSettings(seed=s) for s in SEEDS])


def test_defaults_are_the_networks_the_claims_name():
    s = exp.VanishingSettings()
    assert (s.activation, s.init, s.depth, s.optimizer) == ("sigmoid", "default", 20, "sgd")
    assert (s.fix_activation, s.fix_init, s.batch_norm, s.residual) == ("relu", "he", False, False)


def test_sigmoid_first_layer_gradient_at_least_100x_smaller_at_init(defaults):
    ratios = [r.problem.grad_ratio for r in defaults]
    # margin: 1e-4 is 100x beyond the claim's 1/100
    assert _misses(r <= 1e-4 for r in ratios) <= MAX_MISSES, ratios


def test_sigmoid_first_layer_moves_at_least_10x_less_than_the_last(defaults):
    assert all(r.problem.weight_change[-1] > 0 for r in defaults), "the last layer must move at all"
    ratios = [r.problem.change_ratio for r in defaults]
    # margin: 1/100 is 10x beyond the claim's 1/10
    assert _misses(r <= 1e-2 for r in ratios) <= MAX_MISSES, ratios


def test_relu_he_gradient_ratio_within_10x(defaults):
    ratios = [r.fix.grad_ratio for r in defaults]
    # margin: within 8x, inside the claim's 10x
    assert _misses(1 / 8 <= r <= 8 for r in ratios) <= MAX_MISSES, ratios


def test_relu_he_reaches_higher_validation_accuracy_than_sigmoid(defaults):
    pairs = [(r.fix.final_val_acc, r.problem.final_val_acc) for r in defaults]
    # margin: at least 10 points of accuracy higher
    assert _misses(fix >= problem + 0.10 for fix, problem in pairs) <= MAX_MISSES, pairs


def test_probe_at_init_matches_the_trainers_first_step(defaults):
    # the probe and the trainer's step 0 see the same weights and the same full batch
    for r in defaults[:2]:
        for net in (r.problem, r.fix):
            assert net.layer_grad_norms[0] == pytest.approx(net.grad_init, rel=1e-4)


@pytest.mark.parametrize("preset", ["Sigmoid + batch norm", "Residual"])
def test_batch_norm_and_residual_shrink_the_ratio_at_least_10x(preset):
    # the ratio is measured at initialization, so a short run of the preset is the same test
    short = {**exp.PRESETS[preset], "steps": 10}
    runs = exp.run_many([exp.VanishingSettings(**short, seed=s) for s in SEEDS])
    assert all(r.fix.label.startswith("sigmoid") and r.problem.label.startswith("sigmoid") for r in runs)
    shrink = [r.fix.grad_ratio / r.problem.grad_ratio for r in runs]
    # margin: 1000x, 100x beyond the claim's 10x
    assert _misses(x >= 1000 for x in shrink) <= MAX_MISSES, shrink
