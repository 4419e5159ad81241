"""Overfitting page claims (the real experiment at the page's settings, seeds 0-9 and 10-19) and contracts."""

import dataclasses
import functools
import hashlib
import re

import numpy as np
import pytest

from depthkit import BudgetError, DataSettings, ModelSettings, TrainSettings, make_dataset, train
from depthkit.core import fmt
from depthkit.engine.data import flip_labels
from depthkit.engine.models import init_params, params_to_numpy
from depthkit.engine.reference import build_module, load_params, train_plain
from depthkit.experiments import overfitting as exp
from depthkit.experiments import result as base
from depthkit.experiments.record import Network
from depthkit.presentation import tables
from depthkit.presentation.charts import overfitting as charts
from depthkit.presentation.charts.common import plain
from depthkit.presentation.text import overfitting as text
from tests.runs import shared
from tests.seeds import MISSES, SEEDS

SEED_SETS = (SEEDS.start, SEEDS.start + 10)  # 10 seeds each: 0-9 (the page's default) and 10-19
REMEDY_PRESETS = [label for label, o in exp.PRESETS.items() if "remedy" in o]


@functools.cache
def result_of(**overrides) -> exp.Result:
    """The real experiment, computed once per settings in this test session (tests/runs.py)."""
    return shared(exp.run, exp.OverfittingSettings(**overrides))


def sweep_of(**overrides) -> exp.SweepResult:
    """The capacity sweep; settings that differ only in the remedy share one."""
    return _sweep(exp.sweep_settings(exp.OverfittingSettings(**overrides)))


@functools.cache
def _sweep(settings: exp.OverfittingSettings) -> exp.SweepResult:
    return shared(exp.run_sweep, settings)


def preset_result(label: str, seed: int = 0) -> exp.Result:
    return result_of(**exp.PRESETS[label], seed=seed)


# ---- the claims (every sentence of the summary that gives a direction) ---

def _p(r: exp.Result, name: str) -> np.ndarray:
    return r.stack("problem", name)


def _r(r: exp.Result, name: str) -> np.ndarray:
    return r.stack("remedy", name)


@pytest.mark.parametrize("seed", SEED_SETS)
def test_unregularized_default_memorizes_the_flipped_labels_and_does_worse_on_test(seed):
    r = result_of(seed=seed)
    assert len(r.seeds) == 10 and r.settings.label_flip == exp.OverfittingSettings().label_flip > 0
    assert _p(r, "final_train_acc").mean() >= 0.90
    assert r.gap("problem").mean() >= 0.10  # train minus test
    # "it has memorized most of them": the mean share, with a margin over one half
    assert _p(r, "memorized").mean() >= 0.7, _p(r, "memorized")
    assert "it has memorized most of them" in text.summary(r)


def test_memorize_the_noise_preset_memorizes_and_scores_lower_on_test():
    r, default = preset_result("Memorize the noise"), result_of()
    assert _p(r, "final_train_acc").mean() >= 0.95
    assert _p(r, "memorized").mean() >= 0.8
    assert _p(r, "test_acc").mean() <= _p(default, "test_acc").mean() - 0.03
    gap = sweep_of(**exp.PRESETS["Memorize the noise"]).gap.mean(axis=1)
    assert gap[-1] > gap[0] + 0.05, gap  # the summary's "the mean train−test gap grows"


@pytest.mark.parametrize("seed", SEED_SETS)
@pytest.mark.parametrize("label", REMEDY_PRESETS)
def test_each_remedy_preset_raises_test_accuracy_on_8_of_10_seeds(label, seed):
    r = preset_result(label, seed)
    base_r = result_of(seed=seed)
    remedy = text.remedy_label(r.settings)
    # the problem side does not depend on the remedy: same data, same seeds, same weights
    np.testing.assert_array_equal(_p(r, "test_acc"), _p(base_r, "test_acc"))
    gain = r.test_gain
    assert gain.mean() >= 0.02, (remedy, gain)
    assert np.sum(gain >= 0) >= 8, (remedy, gain)
    assert f"**Here {remedy} helped:**" in text.summary(r)
    # it also fits fewer flipped labels and narrows the train-test gap (not the verdict, but true)
    assert _r(r, "memorized").mean() < _p(r, "memorized").mean() - 0.2
    assert r.gap("remedy").mean() <= (2 / 3) * r.gap("problem").mean(), (remedy, r.gap("remedy"))


@pytest.mark.parametrize("seed", SEED_SETS)
def test_early_stopping_restores_best_weights_and_stops_when_patience_runs_out(seed):
    r = preset_result("Early stopping", seed)
    patience = exp.OverfittingSettings().patience
    for net in r.remedy:
        run = net.training
        best, stopped = run.best_step, run.stopped_step
        assert stopped is not None, "patience ran out within the default steps"
        assert stopped - best == patience
        # the recorded curve ends at the stop step
        assert np.isfinite(run.val_loss[:stopped + 1]).all() and np.isnan(run.val_loss[stopped + 1:]).all()
        # best is the lowest validation loss seen, and no later step beat it
        assert best == int(np.argmin(run.val_loss[:stopped + 1]))
        # the final weights are those of the best step
        np.testing.assert_allclose(run.final_val_loss, run.val_loss[best], rtol=1e-6)
        np.testing.assert_allclose(run.final_train_acc, run.train_acc[best], rtol=1e-9)
    bias = np.mean(_r(r, "final_val_acc") - _r(r, "test_acc"))
    word = "higher" if bias > 0 else "lower"
    assert f"validation accuracy was {text.size(bias)} {word} than test accuracy" in text.summary(r)


@pytest.mark.parametrize("seed", SEED_SETS)
def test_capacity_sweep_gap_grows_from_smallest_to_largest(seed):
    r, sweep = result_of(seed=seed), sweep_of(seed=seed)
    assert list(sweep.depths) == [1, 2, 4]
    gap = sweep.gap.mean(axis=1)
    assert gap[-1] > gap[0] + 0.05, gap
    assert "train−test gap grows from depth 1" in text.summary(r, sweep)
    # the largest point of the sweep is the problem network itself, trained again bit for bit
    np.testing.assert_array_equal(sweep.seeds, r.seeds)
    np.testing.assert_array_equal(sweep.acc("train")[-1], _p(r, "final_train_acc"))
    np.testing.assert_array_equal(sweep.acc("val")[-1], _p(r, "final_val_acc"))
    np.testing.assert_array_equal(sweep.acc("test")[-1], _p(r, "test_acc"))


COMPUTER_NOTATION = re.compile(r"\d[eE][+-]?\d|\bnan\b|\binf\b", re.IGNORECASE)


@pytest.mark.parametrize("label", ["defaults", *exp.PRESETS])
def test_summary_has_no_computer_notation(label):
    overrides = {} if label == "defaults" else exp.PRESETS[label]
    summary = text.summary(result_of(**overrides), sweep_of(**overrides))
    assert not COMPUTER_NOTATION.search(summary), COMPUTER_NOTATION.search(summary)
    assert "label-blurring" not in summary


@pytest.mark.parametrize("label", ["defaults", *exp.PRESETS])
def test_first_seed_sentences_say_what_the_first_seed_shows(label):
    # the curves and boundaries are seed 0's: "it has fitted their noise" only where seed 0 memorized
    # most flipped labels and scored higher on train than on test (the "Memorize the noise" preset's
    # seed 0 did not: 50% memorized, train below test)
    r = result_of(**({} if label == "defaults" else exp.PRESETS[label]))
    summary, mem, gap = text.summary(r), _p(r, "memorized")[0], r.gap("problem")[0]
    fitted = mem > 0.5 and gap > 0
    assert ("it has fitted their noise" in summary) == fitted, (mem, gap)
    assert ("did not memorize the flipped labels" in summary) == (mem <= 0.5), mem
    assert f"predicts the flipped label for {'only ' if mem <= 0.5 else ''}{fmt.percent(mem)}" in summary
    if mem <= 0.5:
        assert f"over the seeds, {fmt.percent(_p(r, 'memorized').mean())} on average" in summary


def test_sweep_does_not_depend_on_the_remedy():
    s = exp.OverfittingSettings(remedy="smaller network", small_depth=2, small_width=8, l2=0.1)
    assert exp.sweep_settings(s) == exp.OverfittingSettings()
    assert exp.sweep_settings(s.replace(depth=6)) == exp.OverfittingSettings(depth=6)


# ---- the test set and the label noise ------------------------------------

def test_test_set_is_large_fresh_and_never_flipped():
    assert exp.N_TEST >= 1000
    s = exp.OverfittingSettings()
    pool = exp.make_pool(s, 3)
    clean = exp.make_pool(s.replace(label_flip=0.0), 3)
    assert len(pool.y_test) == exp.N_TEST and len(pool.data.y_val) == exp.N_VAL
    # test points are none of the training or validation points
    seen = {tuple(x) for x in np.r_[pool.data.X_train, pool.data.X_val]}
    assert not any(tuple(x) in seen for x in pool.X_test)
    # flipping touches the training labels only, exactly the asked share of the problem's points
    np.testing.assert_array_equal(pool.y_test, clean.y_test)
    np.testing.assert_array_equal(pool.data.y_val, clean.data.y_val)
    np.testing.assert_array_equal(pool.data.X_train, clean.data.X_train)
    changed = pool.data.y_train != clean.data.y_train
    np.testing.assert_array_equal(changed, pool.flipped)
    assert pool.flipped[:s.n_train].sum() == round(s.label_flip * s.n_train)
    assert not clean.flipped.any()


def test_flip_labels_flips_exactly_the_share_and_is_deterministic():
    y = np.r_[np.zeros(50), np.ones(50)].astype(np.float32)
    flipped, mask = flip_labels(y, 0.2, seed=5)
    assert mask.sum() == 20 and flipped.dtype == y.dtype
    np.testing.assert_array_equal(flipped[mask], 1 - y[mask])
    np.testing.assert_array_equal(flipped[~mask], y[~mask])
    np.testing.assert_array_equal(flip_labels(y, 0.2, seed=5)[0], flipped)
    assert not np.array_equal(flip_labels(y, 0.2, seed=6)[1], mask)
    same, none = flip_labels(y, 0.0, seed=5)
    np.testing.assert_array_equal(same, y)
    assert not none.any()
    with pytest.raises(ValueError):
        flip_labels(y, 0.6, seed=0)


@pytest.mark.parametrize("settings, digest", [
    (DataSettings(), "47134ddf7560315d"),
    (DataSettings(name="spirals", n_samples=300, noise=0.3, seed=7), "f28e6dbbcecae5b1"),
    (DataSettings(name="xor", seed=3), "1f99d4f9bfc471ac"),
    (DataSettings(name="circles", seed=2, val_fraction=0.5), "9a76fff41649c014"),
])
def test_make_dataset_is_bit_for_bit_what_it_was_before_label_flipping(settings, digest):
    # other pages share make_dataset: label noise is opt-in and must not change their data
    d = make_dataset(settings)
    h = hashlib.sha256()
    for a in (d.X_train, d.y_train, d.X_val, d.y_val):
        h.update(np.ascontiguousarray(a).tobytes())
    assert h.hexdigest()[:16] == digest


# ---- the experiment's contracts -----------------------------------------

SMALL = dict(n_seeds=3, steps=40)


def test_result_is_a_result_of_networks_with_its_settings():
    s = exp.OverfittingSettings(**SMALL)
    r, sweep = result_of(**SMALL), sweep_of(**SMALL)
    assert isinstance(r, base.Result) and isinstance(sweep, base.Result)
    assert r.settings == s and sweep.settings == exp.sweep_settings(s) and r.fingerprint and sweep.fingerprint
    for role in exp.ROLES:
        nets = getattr(r, role)
        assert len(nets) == 3 and all(isinstance(n, Network) for n in nets)
        assert [n.model for n in nets] == [s.model(role)] * 3
        assert set(nets[0].scores) == {"test_acc", "memorized"}
        # a boundary on the first seed only, on the Result's grid
        assert nets[0].boundary.shape == (exp.GRID, exp.GRID) and all(n.boundary is None for n in nets[1:])
    assert len(r.grid.x) == len(r.grid.y) == exp.GRID
    assert [len(nets) for nets in sweep.networks] == [3, 3, 3]
    # no settings copied into the Result, no flattened per-role fields
    names = {f.name for f in dataclasses.fields(r)}  # a ClassVar (shows_wall_clock) is no field
    assert names == {"settings", "fingerprint", "problem", "remedy", "grid", "points", "flipped"}


def test_settings_methods_derive_every_network():
    s = exp.OverfittingSettings()
    assert s.model("problem") == ModelSettings(depth=4, width=32, activation="relu")
    assert s.model("remedy") == s.model("problem").replace(dropout=0.3)
    assert s.replace(remedy="smaller network").model("remedy") == ModelSettings(depth=2, width=16,
                                                                                 activation="relu")
    assert s.training("problem", seed=7) == TrainSettings(optimizer="adam", lr=0.01, steps=150, seed=7)
    assert s.replace(remedy="weight decay").training("remedy").l2 == s.l2
    stop = s.replace(remedy="early stopping").training("remedy")
    assert stop.patience == s.patience and stop.restore_best
    assert s.replace(remedy="augmentation").training("remedy").input_noise == s.jitter
    assert s.training("remedy") == s.training("problem")  # dropout lives in the model
    assert s.replace(remedy="more data").train_points("remedy") == 600 and s.train_points("remedy") == 60
    assert s.data(5).seed == 5 and s.data().n_samples == exp.N_VAL + exp.N_TEST + 600
    with pytest.raises(ValueError, match="role"):
        s.model("fix")


def test_same_settings_same_result():
    s = exp.OverfittingSettings(**SMALL, remedy="augmentation")
    a, b = exp.run(s), exp.run(s)
    np.testing.assert_array_equal(a.stack("remedy", "train_loss"), b.stack("remedy", "train_loss"))
    np.testing.assert_array_equal(a.problem[0].boundary, b.problem[0].boundary)
    assert text.summary(a) == text.summary(b)  # (fingerprints differ: TrainResult records wall time)
    c = exp.run(s.replace(seed=5))
    assert not np.array_equal(a.stack("problem", "train_loss"), c.stack("problem", "train_loss"))
    assert c.fingerprint != a.fingerprint


@pytest.mark.parametrize("remedy", ["dropout", "augmentation", "weight decay"])
def test_seeds_train_together_in_one_batch_per_role(remedy):
    # every seed of a role in one batch; the problem's batch never includes remedy networks, so its
    # float rounding (and so its numbers) cannot depend on the remedy chosen
    r = result_of(**SMALL, remedy=remedy)
    assert r.problem[0].training.batch_size_models == r.remedy[0].training.batch_size_models == 3
    np.testing.assert_array_equal(_p(r, "test_acc"), _p(result_of(**SMALL), "test_acc"))


@pytest.mark.parametrize("dataset", ["circles", "spirals", "xor"])
def test_every_dataset_runs(dataset):
    r = exp.run(exp.OverfittingSettings(dataset=dataset, n_train=20, n_seeds=3, steps=20))
    assert np.isfinite(_p(r, "final_val_acc")).all() and r.first_points("problem")[0].shape == (20, 2)


def test_more_data_keeps_the_validation_set_and_adds_training_points():
    r = exp.run(exp.OverfittingSettings(**SMALL, remedy="more data", data_factor=3))
    X, y, flipped = r.first_points("problem")
    X_more, y_more, flipped_more = r.first_points("remedy")
    assert r.settings.train_points("remedy") == 180 and len(y_more) == 180 and len(y) == 60
    np.testing.assert_array_equal(X_more[:60], X)
    np.testing.assert_array_equal(flipped_more[:60], flipped)
    assert flipped_more.sum() == 36  # the same 20% share of the added points too
    assert len(r.points.y_val) == exp.N_VAL


def test_smaller_network_must_be_smaller():
    with pytest.raises(ValueError, match="not smaller"):
        exp.OverfittingSettings(remedy="smaller network", small_depth=4, small_width=32)
    exp.OverfittingSettings(remedy="dropout", small_depth=4, small_width=32)  # unused: fine


@pytest.mark.parametrize("bad", [dict(n_train=5), dict(depth=0), dict(remedy="magic"), dict(lr=float("nan")),
                                 dict(n_seeds=2.5)])
def test_bad_settings_are_refused(bad):
    with pytest.raises(ValueError):
        exp.OverfittingSettings(**bad)


def test_too_big_a_run_is_refused_before_training():
    s = exp.OverfittingSettings(depth=12, width=128, steps=2000, n_train=500, n_seeds=20, remedy="more data")
    assert exp.cost(s) > 4e11
    with pytest.raises(BudgetError):
        exp.run(s)


def test_default_cost_is_small():
    assert exp.cost(exp.OverfittingSettings()) < 2e10
    assert exp.sweep_cost(exp.OverfittingSettings()) < 2e10


def test_sweep_depths():
    assert exp.sweep_depths(2) == [1, 2]
    assert exp.sweep_depths(3) == [1, 2, 3]
    assert exp.sweep_depths(12) == [1, 2, 6, 12]


def test_summary_numbers_come_from_the_result():
    r = result_of(**SMALL)
    sweep = sweep_of(**SMALL)
    summary = text.summary(r, sweep)
    k = int(np.sum(r.test_gain >= 0))
    assert text.verdict(r) in summary
    shaky = k < 0.8 * 3 and r.test_gain.mean() > 0  # then it counts the seeds where it was worse
    assert (f"on {3 - k} of 3 seeds" if shaky else f"on {k} of 3 seeds") in summary
    assert f"test accuracy {fmt.percent(_p(r, 'test_acc')[0])} on seed 0" in summary
    assert f"mean test accuracy {fmt.percent(_p(r, 'test_acc').mean())} without a remedy" in summary
    assert f"went from {text.gap(r.gap('problem').mean())} to {text.gap(r.gap('remedy').mean())}" in summary
    assert f"{int(r.first_points('problem')[2].sum())} of them with a flipped label" in summary
    gap = sweep.gap.mean(axis=1)
    assert f"{text.gap(gap[0])}, then {text.gap(gap[-1])}" in summary
    assert "Capacity" not in text.summary(r)  # no sweep, no capacity sentence
    clean = exp.run(exp.OverfittingSettings(**SMALL, label_flip=0.0))
    assert "flipped" not in text.summary(clean) and np.isnan(_p(clean, "memorized")).all()


def _with(r: exp.Result, changes: dict[tuple[str, str], list]) -> exp.Result:
    """`r` with some per-seed numbers replaced: {(role, score or TrainResult field): [S values]}."""
    roles = {}
    for role in exp.ROLES:
        nets = []
        for j, net in enumerate(getattr(r, role)):
            scores, training = dict(net.scores), net.training
            for (which, name), values in changes.items():
                if which != role:
                    continue
                if name in scores:
                    scores[name] = float(values[j])
                else:
                    training = dataclasses.replace(training, **{name: values[j]})
            nets.append(dataclasses.replace(net, scores=scores, training=training))
        roles[role] = tuple(nets)
    return dataclasses.replace(r, **roles)


def _with_test_accs(r: exp.Result, problem, remedy, remedy_train=None) -> exp.Result:
    changes = {("problem", "test_acc"): problem, ("remedy", "test_acc"): remedy}
    if remedy_train is not None:
        changes[("remedy", "final_train_acc")] = remedy_train
    return _with(r, changes)


def test_the_verdict_is_read_from_test_accuracy_not_from_the_gap():
    r = result_of(**SMALL)
    helped = _with_test_accs(r, [0.7, 0.7, 0.7], [0.8, 0.75, 0.7])
    assert "helped:** mean test accuracy rose by 5.0 points" in text.verdict(helped)
    assert "3 of 3 seeds" in text.verdict(helped)
    shaky = _with_test_accs(r, [0.7, 0.7, 0.7], [0.9, 0.75, 0.65])
    assert "helped on average but not reliably" in text.verdict(shaky)
    assert "worse than no remedy on 1 of 3 seeds" in text.verdict(shaky)
    # train falls to test level: the gap closes, yet test accuracy falls: an underfit, said as such
    under = _with_test_accs(r, [0.8, 0.8, 0.8], [0.7, 0.7, 0.72], remedy_train=[0.7, 0.7, 0.7])
    assert "did not help:** mean test accuracy fell by 9.3 points" in text.verdict(under)
    assert "the gap narrowed because the network underfit" in text.summary(under)
    flat = _with_test_accs(r, [0.8, 0.8, 0.8], [0.8, 0.8, 0.8])
    assert "did not help:** mean test accuracy did not change" in text.verdict(flat)


def test_first_seed_sentences_follow_the_numbers():
    r = result_of(**SMALL)
    kept = _with(r, {("problem", "memorized"): [0.4, 0.9, 1.0]})
    said = text.first_seed_fit(kept)
    assert "did not memorize" in said and "only 40%" in said and "this seed is an exception" in said
    assert "fitted their noise" not in said
    odd = _with(r, {("problem", "memorized"): [0.9, 0.9, 0.9], ("problem", "final_train_acc"): [0.8, 1, 1],
                    ("problem", "test_acc"): [0.85, 0.7, 0.7]})
    assert "not above its test accuracy" in text.first_seed_fit(odd)
    assert "fitted their noise" not in text.first_seed_fit(odd)
    fit = _with(r, {("problem", "memorized"): [0.9, 0.9, 0.9], ("problem", "final_train_acc"): [1, 1, 1],
                    ("problem", "test_acc"): [0.7, 0.7, 0.7]})
    assert "predicts the flipped label for 90%" in text.first_seed_fit(fit)
    assert "it has fitted their noise" in text.first_seed_fit(fit)


def test_test_set_text_owns_up_to_the_tuning_seeds():
    assert list(exp.TUNING_SEEDS) == list(range(100, 120))
    fresh = text.test_set_text(result_of(**SMALL))
    assert "never used to choose a step or a setting" in fresh and "none of them in this run" in fresh
    tuned = text.summary(exp.run(exp.OverfittingSettings(**SMALL, seed=118)))  # seeds 118, 119, 120
    assert "chosen on seeds 100–119, 2 of which are in this run" in tuned
    assert "did help choose the settings" in tuned and "or a setting" not in tuned


def test_noise_setting_says_it_moves_points_and_flips_no_label():
    noise_help = exp.OverfittingSettings.__dataclass_fields__["noise"].metadata["depthkit_spec"].help
    assert noise_help == ("Gaussian jitter of each point that grows with this value (on moons, its standard "
                          "deviation); it flips no label.")


def test_weight_decay_text_says_coupled_l2_and_the_decoupled_shrink():
    r = exp.run(exp.OverfittingSettings(**SMALL, remedy="weight decay", l2=0.02))
    summary = text.summary(r)
    assert "divides it by √v̂" in summary
    shrink = 1 - (1 - 0.01 * 0.02) ** SMALL["steps"]
    assert f"learning rate × λ = {fmt.num(0.01 * 0.02)}" in summary and fmt.percent(shrink) in summary
    l2_help = exp.OverfittingSettings.__dataclass_fields__["l2"].metadata["depthkit_spec"].help
    assert "Coupled L2" in l2_help and "√v̂" in l2_help and "lr · λ" in l2_help


def test_tables_have_equal_length_columns():
    r, sweep = result_of(**SMALL), sweep_of(**SMALL)
    tabs = tables.overfitting_tables(r, sweep)
    assert set(tabs) == {"per_step", "per_seed", "capacity"}
    for name, table in tabs.items():
        lengths = {len(np.asarray(v)) for v in table.values()}
        assert len(lengths) == 1, name
    np.testing.assert_array_equal(tabs["per_seed"]["remedy_test_acc"], _r(r, "test_acc"))
    np.testing.assert_array_equal(tabs["per_step"]["problem_val_loss"], r.problem[0].training.val_loss)
    np.testing.assert_array_equal(tabs["capacity"]["test_acc"], sweep.acc("test").ravel())
    assert (tabs["per_seed"]["best_step"] == -1).all()  # no early stopping: no best step


# ---- the charts show what the Result holds ------------------------------

def test_curves_plot_the_first_seeds_curves_with_a_log_loss_axis():
    r = result_of(**SMALL)
    fig = charts.curves(r, "problem")
    run = r.problem[0].training
    assert [t.name for t in fig.data] == ["validation", "train (gap shaded)"] * 2
    np.testing.assert_allclose(np.array(fig.data[0].y, dtype=float), run.val_acc)
    np.testing.assert_allclose(np.array(fig.data[1].y, dtype=float), run.train_acc)
    np.testing.assert_allclose(np.array(fig.data[3].y, dtype=float), run.train_loss)
    assert fig.data[3].yaxis == "y2" and fig.layout.yaxis2.type == "log"
    assert fig.data[3].fill == "tonexty"  # the gap is shaded between train and validation
    assert "seed 0" in fig.layout.title.text and not fig.layout.shapes  # nothing to mark here


def test_early_stopping_curves_mark_the_restored_and_the_stop_step():
    r = exp.run(exp.OverfittingSettings(**SMALL, remedy="early stopping", patience=5))
    run = r.remedy[0].training
    fig = charts.curves(r, "remedy")
    assert sorted(shape.x0 for shape in fig.layout.shapes) == sorted([run.best_step, run.stopped_step])
    notes = [plain(a.text) for a in fig.layout.annotations]
    assert f"best val. loss: step {run.best_step} (restored)" in notes
    assert f"stopped: step {run.stopped_step}" in notes
    assert f"the weights of step {run.best_step} were restored" in text.summary(r)


def test_boundary_draws_the_first_seeds_probabilities_and_marks_flipped_labels():
    r = result_of(**SMALL)
    fig = charts.boundary(r, "problem")
    contour = fig.data[0]
    np.testing.assert_array_equal(np.array(contour.z), r.problem[0].boundary)
    np.testing.assert_array_equal(np.array(contour.x), r.grid.x)
    X, y, flipped = r.first_points("problem")
    training = [t for t in fig.data if (t.name or "").startswith("training")]
    assert sum(len(t.x) for t in training) == len(y) == 60
    validation = [t for t in fig.data if (t.name or "").startswith("validation")]
    assert sum(len(t.x) for t in validation) == exp.N_VAL
    crosses = [t for t in fig.data if (t.name or "").startswith("flipped label")]
    assert len(crosses) == 1 and len(crosses[0].x) == int(flipped.sum()) > 0
    np.testing.assert_array_equal(np.array(crosses[0].x), X[flipped, 0])


def test_spread_bars_are_the_seed_means_and_the_dots_every_seed():
    r = result_of(**SMALL)
    fig = charts.spread(r)
    assert "test" in fig.layout.xaxis.ticktext[1]
    bars = [t for t in fig.data if t.type == "bar"]
    dots = [t for t in fig.data if t.type == "scatter"]
    assert len(bars) == len(dots) == 2
    for role, bar, dot in zip(exp.ROLES, bars, dots):
        values = charts.spread_values(r, role)
        np.testing.assert_allclose(bar.y, [v.mean() for v in values])
        np.testing.assert_allclose(bar.error_y.array, [v.max() - v.mean() for v in values])
        np.testing.assert_allclose(dot.y, np.concatenate(values))
    np.testing.assert_allclose(charts.spread_values(r, "remedy")[1], _r(r, "test_acc"))


def test_capacity_plots_mean_accuracy_against_depth_with_a_neutral_title():
    sweep = sweep_of(**SMALL)
    fig = charts.capacity(sweep)
    title = fig.layout.title.text
    assert "opens" not in title and "gap" not in title  # says what is plotted, not a result
    test, train = fig.data
    assert list(test.x) == list(train.x) == [1, 2, 4]
    np.testing.assert_allclose(test.y, sweep.acc("test").mean(axis=1))
    np.testing.assert_allclose(train.y, sweep.acc("train").mean(axis=1))
    np.testing.assert_allclose(train.error_y.arrayminus, train.y - sweep.acc("train").min(axis=1))


def test_charts_render_a_diverged_run_with_a_marker():
    r = result_of(**SMALL)
    net = r.remedy[0]
    loss = net.training.train_loss.copy()
    loss[10], loss[11:] = np.inf, np.nan
    training = dataclasses.replace(net.training, train_loss=loss, val_loss=loss.copy(), diverged_step=10)
    bad_net = dataclasses.replace(net, training=training, boundary=np.full_like(net.boundary, np.nan))
    bad = dataclasses.replace(r, remedy=(bad_net, *r.remedy[1:]))
    fig = charts.curves(bad, "remedy")
    assert any("non-finite at step 10" in plain(a.text) for a in fig.layout.annotations)
    assert [shape.x0 for shape in fig.layout.shapes] == [10]
    loss_train = [t for t in fig.data if t.name.startswith("train")][1]
    assert loss_train.y[10] is None and loss_train.y[5] is not None
    note = charts.boundary(bad, "remedy")
    assert any("not finite" in plain(a.text) for a in note.layout.annotations)
    for fig in (charts.curves(r, "problem"), charts.spread(r), charts.capacity(sweep_of(**SMALL))):
        assert fig.layout.title.text and len(fig.data) >= 2
        for trace in fig.data:  # hover labels are preformatted for people
            for label in trace.customdata if trace.customdata is not None else ():
                assert not COMPUTER_NOTATION.search(str(label)), label
    said = text.summary(bad)
    assert "Some runs diverged" in said and "seed 0 with the remedy: step 10" in said


# ---- the L2 penalty added to the shared trainer for this page ----------

@pytest.mark.parametrize("optimizer, lr", [("adam", 1e-2), ("sgd", 0.1)])
def test_l2_penalty_matches_torch_weight_decay(optimizer, lr):
    data = make_dataset(DataSettings(n_samples=120, noise=0.3, seed=1))
    model = ModelSettings(depth=3, width=16)
    ts = TrainSettings(optimizer=optimizer, lr=lr, l2=0.05, steps=40, dtype="float64", seed=3)
    ours = train(model, ts, data)
    module = build_module(model)
    load_params(module, params_to_numpy(init_params([model], [ts.seed], 2), 0))
    ref = train_plain(module, ts, data)  # torch.optim.Adam / SGD with weight_decay=l2
    np.testing.assert_allclose(ours.loss, ref["loss"], rtol=1e-9)
    plain = train(model, ts.replace(l2=0.0), data)
    assert not np.allclose(plain.loss[5:], ours.loss[5:])


def test_the_page_sweep_reuses_the_problem_networks_bit_for_bit():
    """The page trains only the smaller depths and completes the sweep with `run`'s problem
    networks: the same content as the sweep trained on its own (wall times aside)."""
    from depthkit.experiments.result import digest

    s = exp.OverfittingSettings(**SMALL, remedy="weight decay")
    smaller = exp.run_smaller(exp.sweep_settings(s))
    assert [nets[0].depth for nets in smaller.networks] == exp.sweep_depths(s.depth)[:-1]
    full = exp.complete_sweep(smaller, result_of(**SMALL, remedy="weight decay"))
    alone = sweep_of(**SMALL)
    assert digest(full) == digest(alone) and full.settings == alone.settings
    with pytest.raises(ValueError, match="different settings"):
        exp.complete_sweep(smaller, result_of(**{**SMALL, "steps": 41}))


# ---- the plain layer: every plain sentence's claim, with a margin over where its words switch ----

PLAIN_LABELS = ["defaults", *exp.PRESETS]


def _overrides(label: str) -> dict:
    return {} if label == "defaults" else exp.PRESETS[label]


def _mostly(flags) -> bool:
    """True on all seeds but at most tests.seeds.MISSES."""
    flags = np.asarray(flags, dtype=bool)
    return int(np.sum(~flags)) <= MISSES


@pytest.mark.parametrize("seed", SEED_SETS)
def test_plain_point_a_deep_network_learns_the_noise_and_does_worse_on_new_points(seed):
    # "can learn a small training set by heart, flipped labels included, and then do worse on new points"
    r = result_of(seed=seed)
    assert len(r.seeds) == len(SEEDS)
    assert _mostly(_p(r, "final_train_acc") >= 0.9), _p(r, "final_train_acc")
    assert _p(r, "memorized").mean() >= 0.7 and _mostly(_p(r, "memorized") > 0.5), _p(r, "memorized")
    # worse on new points than on its own, by 5 points or more (seeds 10 and 15: 6 and 9 points)
    assert _mostly(r.gap("problem") >= 0.05), r.gap("problem")
    words = text.POINT.split()
    assert len(words) <= 40 and not COMPUTER_NOTATION.search(text.POINT)


def _wrapped_now(net, r: exp.Result, role: str) -> tuple[int, int]:
    """The flipped first-seed training points whose wrong label `net` predicts, recomputed from its
    final weights (what the boundary chart shows: the point lies on its flipped label's side)."""
    from depthkit.engine.models import predict_proba

    X, y, flipped = r.first_points(role)
    proba = predict_proba(net.model, net.training.params, X[flipped], net.training.buffers)
    return int(np.sum((proba > 0.5) == (y[flipped] > 0.5))), int(flipped.sum())


@pytest.mark.parametrize("label", PLAIN_LABELS)
def test_plain_first_seed_line_says_what_the_first_seeds_charts_show(label):
    r = result_of(**_overrides(label))
    line, pct = text.plain_first_seed(r), fmt.percent
    train, test = _p(r, "final_train_acc")[0], _p(r, "test_acc")[0]
    assert f"gets {pct(train)} of its training points right" in line and f"{pct(test)} of new points" in line
    assert ("but only" in line) == (train - test > text.CLEAR_GAP), (train, test)
    for role, net in (("problem", r.problem[0]), ("remedy", r.remedy[0])):
        k, n = _wrapped_now(net, r, role)
        assert n > 0 and f"wraps around {text._of(k, n)} flipped points" in line, (role, k, n)
    assert f"{pct(_r(r, 'test_acc')[0])} on new points" in line


@pytest.mark.parametrize("seed", SEED_SETS)
def test_plain_first_seed_line_holds_on_each_default_seed(seed):
    # at the defaults, each seed's network (as if it were the first) scores "but only" lower on new
    # points, with a margin over CLEAR_GAP, and its boundary wraps around more flipped points than the
    # remedy's
    r = result_of(seed=seed)
    assert _mostly(r.gap("problem") > 2.5 * text.CLEAR_GAP), r.gap("problem")
    assert _mostly(_p(r, "memorized") > _r(r, "memorized")), (_p(r, "memorized"), _r(r, "memorized"))
    assert "but only" in text.plain_first_seed(r)


def test_plain_first_seed_line_says_and_where_train_is_not_clearly_above_test(monkeypatch):
    # the other branch: a real run whose gap is put under the threshold (which side of CLEAR_GAP the
    # "Memorize the noise" preset's seed 0 falls on depends on the CPU's rounding: 0.087 under other
    # kernels, below 0 here); the words follow the threshold, not the seed
    r = preset_result("Memorize the noise")
    monkeypatch.setattr(text, "CLEAR_GAP", max(float(r.gap("problem")[0]), 0.0) + 0.01)
    line = text.plain_first_seed(r)
    assert "but only" not in line and "training points right and " in line
    clean = text.plain_first_seed(exp.run(exp.OverfittingSettings(**SMALL, label_flip=0.0)))
    assert "flipped" not in clean


@pytest.mark.parametrize("seed", SEED_SETS)
@pytest.mark.parametrize("label", ["defaults", *REMEDY_PRESETS])
def test_plain_seeds_line_counts_the_seeds_and_says_it_helped(label, seed):
    r = result_of(**_overrides(label), seed=seed)
    gain, n = r.test_gain, len(r.seeds)
    line = text.plain_seeds(r)
    assert f"higher on {int(np.sum(gain > 0))} of {n} seeds" in line
    assert (f"equal on {int(np.sum(gain == 0))}" in line) == bool(np.any(gain == 0))
    assert f"{fmt.percent(_r(r, 'test_acc').mean())} vs {fmt.percent(_p(r, 'test_acc').mean())}" in line
    # "Here it helped": mean gain well above 0, and at least as good on 8 of 10 seeds (HELPS_ON)
    assert gain.mean() >= 0.02 and np.sum(gain >= 0) >= text.HELPS_ON * n, gain
    assert line.endswith("Here it helped.") and "helped:**" in text.verdict(r)


def test_plain_verdict_follows_the_numbers_like_the_expert_verdict():
    r = result_of(**SMALL)
    cases = {"here it helped": ([0.7, 0.7, 0.7], [0.8, 0.75, 0.7]),
             "it helped on average, not reliably": ([0.7, 0.7, 0.7], [0.9, 0.75, 0.65]),
             "here it did not help": ([0.8, 0.8, 0.8], [0.7, 0.7, 0.72])}
    expert = {"here it helped": "helped:**", "it helped on average, not reliably": "not reliably:**",
              "here it did not help": "did not help:**"}
    for words, (problem, remedy) in cases.items():
        changed = _with_test_accs(r, problem, remedy)
        assert text.plain_verdict(changed) == words and expert[words] in text.verdict(changed)
        assert text.plain_seeds(changed).endswith(f"{words[0].upper()}{words[1:]}.")
    tied = text.plain_seeds(_with_test_accs(r, [0.7, 0.7, 0.7], [0.8, 0.7, 0.7]))
    assert "higher on 1 of 3 seeds, equal on 2:" in tied


@pytest.mark.parametrize("label, seed", [("defaults", SEED_SETS[0]), ("defaults", SEED_SETS[1]),
                                         ("Memorize the noise", SEED_SETS[0])])
def test_plain_capacity_line_more_layers_fit_training_better_and_new_points_worse(label, seed):
    sweep = sweep_of(**_overrides(label), seed=seed)
    train, test = sweep.acc("train").mean(axis=1), sweep.acc("test").mean(axis=1)
    # "better" and "worse" switch at SAME (1 point); the run clears it several times over
    assert train[-1] - train[0] >= 5 * text.SAME and test[-1] - test[0] <= -3 * text.SAME, (train, test)
    line = text.plain_capacity(sweep)
    assert line.startswith(f"Without a remedy, {sweep.depths[-1]} layers instead of {sweep.depths[0]} fit")
    assert "training points better" in line and "but new points worse" in line
    assert line.endswith("more layers, more overfitting.")
    assert f"({fmt.percent(test[-1])} vs {fmt.percent(test[0])})" in line
    r = result_of(**_overrides(label), seed=seed)
    assert text.plain_spread_row(r, sweep) == f"{text.plain_seeds(r)} {line}"
    assert text.plain_spread_row(r, None) == text.plain_seeds(r)


def _sweep_with(sweep: exp.SweepResult, train: list[float], test: list[float]) -> exp.SweepResult:
    """`sweep` with every seed's train and test accuracy at depth k set to train[k], test[k]."""
    nets = tuple(tuple(dataclasses.replace(n, scores={**n.scores, "test_acc": te},
                                           training=dataclasses.replace(n.training, final_train_acc=tr))
                       for n in depth) for depth, tr, te in zip(sweep.networks, train, test))
    return dataclasses.replace(sweep, networks=nets)


def test_plain_capacity_words_follow_the_numbers():
    sweep = sweep_of(**SMALL)
    same = text.plain_capacity(_sweep_with(sweep, [0.9, 0.9, 0.905], [0.8, 0.8, 0.85]))
    assert "training points about as well" in same and " and new points better" in same
    assert "overfitting" not in same
    worse = text.plain_capacity(_sweep_with(sweep, [0.9, 0.9, 0.8], [0.8, 0.8, 0.7]))
    assert "training points worse" in worse and " and new points worse" in worse


@pytest.mark.parametrize("label", PLAIN_LABELS)
def test_plain_divergence_is_empty_when_nothing_diverged_and_says_so_when_something_did(label):
    r = result_of(**_overrides(label))
    assert not any(n.diverged for n in r.problem + r.remedy) and text.plain_divergence(r) == ""
    broke = dataclasses.replace(r, remedy=(dataclasses.replace(
        r.remedy[0], training=dataclasses.replace(r.remedy[0].training, diverged_step=7)), *r.remedy[1:]))
    assert text.plain_divergence(broke).startswith(f"1 of the {2 * len(r.seeds)} networks broke down")
    assert f"seed {r.seeds[0]} with the remedy: step 7" in text.summary(broke)  # the expert layer says which
