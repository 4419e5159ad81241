"""Overfitting page claims (real experiment, 10 seeds, two seed sets) and the experiment's contracts."""

import functools

import numpy as np
import pytest

from depthkit import BudgetError, DataSettings, ModelSettings, TrainSettings, make_dataset, train
from depthkit.charts import overfitting as charts
from depthkit.experiments import overfitting as exp
from depthkit.models import init_params, params_to_numpy
from depthkit.reference import build_module, load_params, train_plain

SEED_SETS = (0, 10)  # seeds 0-9 (the page's default) and 10-19
REMEDY_PRESETS = [label for label, o in exp.PRESETS.items() if "remedy" in o]


@functools.cache
def result_of(**overrides) -> exp.Result:
    """The real experiment, computed once per settings in this test process."""
    return exp.run(exp.OverfittingSettings(**overrides))


def sweep_of(**overrides) -> exp.SweepResult:
    """The capacity sweep; settings that differ only in the remedy share one."""
    return _sweep(exp.sweep_settings(exp.OverfittingSettings(**overrides)))


@functools.cache
def _sweep(settings: exp.OverfittingSettings) -> exp.SweepResult:
    return exp.run_sweep(settings)


def preset_result(label: str, seed: int = 0) -> exp.Result:
    return result_of(**exp.PRESETS[label], seed=seed)


# ---- the claims -----------------------------------------------------------

@pytest.mark.parametrize("seed", SEED_SETS)
def test_unregularized_default_memorizes_and_generalizes_worse(seed):
    r = result_of(seed=seed)
    assert len(r.seeds) == 10
    assert r.problem_final_train_acc.mean() >= 0.95
    assert r.problem_gap.mean() >= 0.08


def test_memorize_the_noise_preset_memorizes_more():
    r, default = preset_result("Memorize the noise"), result_of()
    assert r.problem_final_train_acc.mean() >= 0.98
    assert r.problem_gap.mean() >= default.problem_gap.mean() + 0.03


@pytest.mark.parametrize("seed", SEED_SETS)
@pytest.mark.parametrize("label", REMEDY_PRESETS)
def test_each_remedy_narrows_the_gap_by_a_third_without_costing_validation(label, seed):
    r = preset_result(label, seed)
    base = result_of(seed=seed)
    # the problem side does not depend on the remedy: same data, same seeds, same weights
    np.testing.assert_array_equal(r.problem_final_val_acc, base.problem_final_val_acc)
    assert r.remedy_gap.mean() <= (2 / 3) * r.problem_gap.mean(), (r.remedy, r.remedy_gap, r.problem_gap)
    assert r.remedy_final_val_acc.mean() >= r.problem_final_val_acc.mean() - 0.02


@pytest.mark.parametrize("seed", SEED_SETS)
def test_early_stopping_restores_best_weights_and_stops_when_patience_runs_out(seed):
    r = preset_result("Early stopping", seed)
    patience = exp.OverfittingSettings().patience
    for j in range(len(r.seeds)):
        best, stopped = int(r.best_step[j]), int(r.stopped_step[j])
        val_loss = r.remedy_val_loss[j]
        assert stopped >= 0, "patience ran out within the default steps"
        assert stopped - best == patience
        # the recorded curve ends at the stop step
        assert np.isfinite(val_loss[:stopped + 1]).all() and np.isnan(val_loss[stopped + 1:]).all()
        # best is the lowest validation loss seen, and no later step beat it
        assert best == int(np.argmin(val_loss[:stopped + 1]))
        # the final weights are those of the best step
        np.testing.assert_allclose(r.remedy_final_val_loss[j], val_loss[best], rtol=1e-6)
        np.testing.assert_allclose(r.remedy_final_train_acc[j], r.remedy_train_acc[j, best], rtol=1e-9)


@pytest.mark.parametrize("seed", SEED_SETS)
def test_capacity_sweep_gap_grows_from_smallest_to_largest(seed):
    r = result_of(seed=seed)
    cap = exp.capacity(r, sweep_of(seed=seed))
    assert list(cap.depths) == [1, 2, 4]
    gap = cap.gap.mean(axis=1)
    assert gap[-1] > gap[0] + 0.03, gap
    # the largest point of the sweep is the problem network itself
    np.testing.assert_array_equal(cap.train_acc[-1], r.problem_final_train_acc)


def test_sweep_does_not_depend_on_the_remedy():
    s = exp.OverfittingSettings(remedy="smaller network", small_depth=2, small_width=8, l2=0.1)
    assert exp.sweep_settings(s) == exp.OverfittingSettings()
    assert exp.sweep_settings(s.replace(depth=6)) == exp.OverfittingSettings(depth=6)


# ---- the experiment's contracts -----------------------------------------

SMALL = dict(n_seeds=3, steps=40)


def test_same_settings_same_result():
    s = exp.OverfittingSettings(**SMALL, remedy="augmentation")
    a, b = exp.run(s), exp.run(s)
    np.testing.assert_array_equal(a.remedy_train_loss, b.remedy_train_loss)
    np.testing.assert_array_equal(a.problem_proba, b.problem_proba)
    assert exp.summary(a) == exp.summary(b)
    c = exp.run(s.replace(seed=5))
    assert not np.array_equal(a.problem_train_loss, c.problem_train_loss)


@pytest.mark.parametrize("remedy, batch", [("dropout", 3), ("augmentation", 6)])
def test_seeds_train_together_in_one_batch(remedy, batch):
    # dropout runs form their own batch; jitter runs share the problem's
    assert result_of(**SMALL, remedy=remedy).batch_models == batch


@pytest.mark.parametrize("dataset", ["circles", "spirals", "xor"])
def test_every_dataset_runs(dataset):
    r = exp.run(exp.OverfittingSettings(dataset=dataset, n_train=20, n_seeds=3, steps=20))
    assert np.isfinite(r.problem_final_val_acc).all() and r.X_train.shape == (20, 2)


def test_more_data_keeps_the_validation_set_and_adds_training_points():
    r = exp.run(exp.OverfittingSettings(**SMALL, remedy="more data", data_factor=3))
    assert r.remedy_n_train == 120 and len(r.y_train_remedy) == 120
    np.testing.assert_array_equal(r.X_train_remedy[:40], r.X_train)
    assert len(r.y_val) == exp.N_VAL


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


def test_sweep_depths():
    assert exp.sweep_depths(2) == [1, 2]
    assert exp.sweep_depths(3) == [1, 2, 3]
    assert exp.sweep_depths(12) == [1, 2, 6, 12]


def test_summary_numbers_come_from_the_result():
    r = result_of(**SMALL)
    text = exp.summary(r, sweep_of(**SMALL))
    narrowed = int(np.sum(r.remedy_gap < r.problem_gap))
    assert f"narrowed on {narrowed} of 3 seeds" in text
    assert f"{100 * r.problem_gap.mean():.1f} points without a remedy" in text
    assert f"validation accuracy {100 * r.problem_final_val_acc[0]:.1f}%" in text
    gap = exp.capacity(r, sweep_of(**SMALL)).gap.mean(axis=1)
    assert f"{100 * gap[0]:.1f} points at depth 1" in text and f"{100 * gap[-1]:.1f} at depth 4" in text
    assert "Capacity" not in exp.summary(r)  # no sweep, no capacity sentence


def test_tables_have_equal_length_columns():
    tabs = exp.tables(result_of(**SMALL), sweep_of(**SMALL))
    assert set(tabs) == {"per_step", "per_seed", "capacity"}
    for name, table in tabs.items():
        lengths = {len(np.asarray(v)) for v in table.values()}
        assert len(lengths) == 1, name


def test_charts_render_a_diverged_run_with_a_marker():
    r = result_of(**SMALL)
    bad = exp.Result(**{**r.__dict__})
    bad.remedy_train_loss = r.remedy_train_loss.copy()
    bad.remedy_train_loss[0, 10] = np.inf
    bad.remedy_train_loss[0, 11:] = np.nan
    bad.remedy_val_loss = bad.remedy_train_loss.copy()
    bad.remedy_diverged = np.array([10, -1, -1])
    bad.remedy_proba = np.full_like(r.remedy_proba, np.nan)
    fig = charts.curves(bad, "remedy")
    assert any("non-finite at step 10" in (a.text or "") for a in fig.layout.annotations)
    loss_train = [t for t in fig.data if t.name.startswith("train")][1]
    assert loss_train.y[10] is None and loss_train.y[5] is not None
    note = charts.boundary(bad, "remedy")
    assert any("not finite" in (a.text or "") for a in note.layout.annotations)
    for fig in (charts.curves(r, "problem"), charts.spread(r), charts.capacity(r, sweep_of(**SMALL))):
        assert fig.layout.title.text and len(fig.data) >= 2
    assert "Some runs diverged" in exp.summary(bad)


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
