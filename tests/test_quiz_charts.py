"""The chart-reading questions' answers, recomputed by running the experiments.

Each question with `reads_chart=True` names a setting of a challenge page; here
that setting runs through depthkit (probe_at_init / train_many) over 10 seeds
(data seed = model seed), and the option marked correct must be what happens
on at least 9 of them, with a margin, while the wrong options must not.
Settings follow the pages' defaults and presets as described in issues 3-6.
"""

import math

import numpy as np
import pytest

from depthkit import (
    DataSettings,
    ModelSettings,
    TrainSettings,
    budget,
    make_dataset,
    probe_at_init,
    quiz,
    train_many,
)

SEEDS = range(10)
MISSES = 1


def _mostly(flags, what):
    flags = list(flags)
    misses = flags.count(False)
    assert misses <= MISSES, f"{what}: {misses} of {len(flags)} seeds miss"


def _answer(qid):
    q = quiz.BY_ID[qid]
    return q, {q.option_text(o) for o in q.correct}


@pytest.fixture(scope="module")
def moons1000():
    return {s: make_dataset(DataSettings(name="moons", n_samples=1000, seed=s)) for s in SEEDS}


def test_every_chart_question_is_checked_here():
    checked = {"vanishing-sigmoid-ratio", "vanishing-relu-he", "exploding-reference-loss",
               "exploding-clipped-multi", "exploding-phase-gain", "overfitting-memorize",
               "speed-plain-deep"}
    assert {q.id for q in quiz.BANK if q.reads_chart} == checked


# Vanishing page: depth 20, width 32, moons, at initialization -------------
@pytest.fixture(scope="module")
def vanishing_probes(moons1000):
    sig = ModelSettings(depth=20, width=32, activation="sigmoid")
    he = ModelSettings(depth=20, width=32, activation="relu", init="he")
    return {s: probe_at_init([sig, he], [s, s], moons1000[s]) for s in SEEDS}


def test_sigmoid_first_layer_gradient_is_over_100x_smaller(vanishing_probes):
    q, right = _answer("vanishing-sigmoid-ratio")
    assert right == {"More than 100 times smaller."}
    ratios = [vanishing_probes[s][0].weight_grad_ratio for s in SEEDS]
    _mostly((r < 1e-2 / 10 for r in ratios), "ratio < 1e-3 (10x margin on 1e-2)")
    # not "exactly zero in every layer": the last layer's gradient is a normal number
    assert all(vanishing_probes[s][0].weight_grad_norms[-1] > 1e-6 for s in SEEDS)


def test_relu_he_keeps_the_ratio_within_100x(vanishing_probes):
    # measured over data/model seeds 0-19: 0.075-0.75, so "within 10x" would miss
    # some seeds; the question says 100x and the test keeps a 2x margin on it
    q, right = _answer("vanishing-relu-he")
    assert right == {"within a factor of 100 of the last hidden layer's."}
    ratios = [vanishing_probes[s][1].weight_grad_ratio for s in SEEDS]
    _mostly((0.01 * 2 < r < 100 / 2 for r in ratios), "ratio within 50x (2x margin on 100x)")
    sigmoid = [vanishing_probes[s][0].weight_grad_ratio for s in SEEDS]
    assert all(h > 1e6 * g for h, g in zip(ratios, sigmoid))
    assert all(math.isfinite(r) and r > 0 for r in ratios)


# Exploding page: ReLU depth 20 width 32, N(0, 2^2/fan_in), SGD lr 0.05, full batch
EXPLODING = ModelSettings(depth=20, width=32, activation="relu", init="normal", init_gain=2.0)


def test_unclipped_reference_loss_becomes_non_finite_within_a_few_steps(moons1000):
    q, right = _answer("exploding-reference-loss")
    assert right == {"It becomes non-finite (inf or NaN) within the first few steps."}
    runs = [(EXPLODING, TrainSettings(optimizer="sgd", lr=0.05, steps=10, seed=s), moons1000[s])
            for s in SEEDS]
    results = train_many(runs)
    _mostly((r.diverged_step is not None and r.diverged_step <= 3 for r in results), "diverged by step 3")
    for r in results:
        if r.diverged_step is not None:
            assert not np.isfinite(r.loss[r.diverged_step]) or not np.isfinite(r.grad_norm[r.diverged_step])


def test_clipped_reference_stays_finite_and_falls(moons1000):
    q, right = _answer("exploding-clipped-multi")
    assert right == {"The clipped run's loss stays finite at every step.",
                     "The clipped run ends with a lower loss than it started with."}
    steps = 60
    runs = [(EXPLODING, TrainSettings(optimizer="sgd", lr=0.05, steps=steps, clip_norm=c, seed=s),
             moons1000[s]) for s in SEEDS for c in (1.0, 0.0)]
    results = train_many(runs)
    clipped, unclipped = results[0::2], results[1::2]
    for c, u in zip(clipped, unclipped):
        assert c.diverged_step is None and c.steps_run == steps  # never diverges, not even later
        assert np.all(np.isfinite(c.loss))
        assert c.loss[0] == u.loss[0]  # same start: clipping does not change the first loss
    _mostly((c.final_train_loss < 0.5 * c.loss[0] for c in clipped), "loss at least halves")


def test_phase_diagram_gain_2_explodes_toward_the_input(moons1000):
    q, right = _answer("exploding-phase-gain")
    assert right == {"More than 100 times larger: the signal explodes toward the input."}
    models = [ModelSettings(depth=30, width=32, activation="relu", init="normal", init_gain=g)
              for g in (1.0, 2.0)]
    for s in SEEDS:
        low, high = probe_at_init(models, [s, s], moons1000[s])
        assert high.signal_ratio > 1e2 * 10, s  # a 10x margin over "more than 100 times"
        assert low.signal_ratio < 1e-2, s  # gain 1 is on the vanishing side, for contrast


# Overfitting page: 60 noisy training points, 4 x 64 ReLU, Adam ------------
def test_small_noisy_training_set_is_memorized():
    q, right = _answer("overfitting-memorize")
    assert right == {"Training accuracy is near 100% while validation accuracy is clearly lower."}
    runs = [(ModelSettings(depth=4, width=64, activation="relu"), TrainSettings(lr=1e-2, steps=300, seed=s),
             make_dataset(DataSettings(name="moons", n_samples=200, val_fraction=0.7, noise=0.35, seed=s)))
            for s in SEEDS]
    assert len(runs[0][2].y_train) == 60
    results = train_many(runs)
    _mostly((r.final_train_acc >= 0.97 and r.final_train_acc - r.final_val_acc >= 0.08 for r in results),
            "train accuracy >= 0.97 with a gap >= 0.08")
    assert all(r.final_val_acc < r.final_train_acc for r in results)  # never the other way round
    assert all(r.final_val_acc > 0.6 for r in results)  # it did learn something


# Speed page ----------------------------------------------------------------
def test_compute_per_step_doubles_with_depth():
    q, right = _answer("speed-flops-depth")
    assert right == {"about twice as large."}
    ratio = budget.train_step_flops(1000, 2, 32, 32) / budget.train_step_flops(1000, 2, 16, 32)
    assert 1.8 < ratio < 2.1


def test_plain_deep_network_stays_at_chance_while_shallow_learns():
    q, right = _answer("speed-plain-deep")
    assert right == {"It stays near 0.69 (chance level) while the 4-layer network's falls well below."}
    ts = [TrainSettings(lr=1e-3, steps=150, seed=s) for s in SEEDS]
    data = [make_dataset(DataSettings(name="moons", n_samples=300, seed=s)) for s in SEEDS]
    results = train_many([(ModelSettings(depth=d), ts[s], data[s]) for d in (4, 32) for s in SEEDS])
    shallow, deep = results[:10], results[10:]
    _mostly((abs(d.final_train_loss - math.log(2)) < 0.02 for d in deep), "deep loss within 0.02 of ln 2")
    _mostly((s.final_train_loss < math.log(2) - 0.2 for s in shallow), "shallow loss at least 0.2 below ln 2")
    assert all(d.diverged_step is None for d in deep)  # not NaN
