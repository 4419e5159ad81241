"""The trainer: determinism, batched == single == plain PyTorch, recording, NaN stop, budget."""

import pickle

import numpy as np
import pytest
import torch

from depthkit import BudgetError, DataSettings, ModelSettings, TrainSettings, make_dataset, train, train_many
from depthkit.engine.models import init_params, params_to_numpy
from depthkit.engine.reference import build_module, load_params, train_plain


def test_same_settings_same_result(moons):
    m = ModelSettings(depth=3, dropout=0.2)
    t = TrainSettings(steps=30, batch_size=64, input_noise=0.1, seed=4)
    a, b = train(m, t, moons), train(m, t, moons)
    np.testing.assert_array_equal(a.loss, b.loss)
    np.testing.assert_array_equal(a.val_acc, b.val_acc)
    c = train(m, t.replace(seed=5), moons)
    assert not np.array_equal(a.loss, c.loss)


def test_batched_equals_one_at_a_time(moons):
    m = ModelSettings(depth=4, width=16, activation="tanh", norm="batch", residual=True, dropout=0.1)
    runs = [(m, TrainSettings(steps=40, lr=lr, seed=s, batch_size=100, clip_norm=1.0), moons)
            for s, lr in [(0, 0.01), (1, 0.003), (2, 0.03)]]
    together = train_many(runs)
    for run, res in zip(runs, together):
        alone = train(*run)
        np.testing.assert_allclose(res.loss, alone.loss, rtol=1e-5)
        np.testing.assert_allclose(res.layer_grad_norms, alone.layer_grad_norms, rtol=1e-5)
        assert res.batch_size_models == 3


def _against_plain(model, ts, data, rtol):
    """Equal within rtol, relative to each series' own scale (a gradient norm that
    passes close to 0 has no meaningful relative error at that step)."""
    res = train(model, ts, data)
    module = build_module(model)
    load_params(module, params_to_numpy(init_params([model], [ts.seed], 2), 0))
    ref = train_plain(module, ts, data)
    for name in ("loss", "val_loss", "grad_norm", "layer_grad_norms"):
        ours, theirs = getattr(res, name), ref[name]
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * np.abs(theirs).max(), err_msg=name)


@pytest.mark.parametrize("model, ts", [
    (ModelSettings(depth=6, activation="relu", norm="batch", residual=True),
     TrainSettings(optimizer="sgd", lr=0.1, momentum=0.9, steps=60, clip_norm=0.5, weight_decay=1e-3,
                   dtype="float64")),
    (ModelSettings(depth=5, width=16, activation="gelu", norm="layer", init="he"),
     TrainSettings(optimizer="adam", lr=1e-2, weight_decay=0.1, steps=60, seed=2, dtype="float64")),
    (ModelSettings(depth=8, activation="sigmoid", init="xavier"),
     TrainSettings(optimizer="sgd", lr=0.5, steps=60, seed=1, dtype="float64")),
])
def test_agrees_with_plain_pytorch_float64(moons, model, ts):
    _against_plain(model, ts, moons, rtol=1e-9)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_agrees_with_plain_pytorch_float32_to_1e_5(moons, activation):
    # short runs: float32 training of deep nets is chaotic over hundreds of steps
    # (differences in summation order grow), so equality is checked where it is stable
    model = ModelSettings(depth=20, activation=activation)
    _against_plain(model, TrainSettings(optimizer="adam", lr=1e-3, steps=15), moons, rtol=1e-5)


def test_gradient_norm_matches_hand_computed_autograd():
    data = make_dataset(DataSettings(n_samples=40, val_fraction=0.25, seed=0))
    m = ModelSettings(depth=2, width=3, activation="tanh", init="he")
    res = train(m, TrainSettings(steps=1, dtype="float64"), data)
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
         for k, v in params_to_numpy(init_params([m], [0], 2, torch.float64), 0).items()}
    x, y = torch.tensor(data.X_train, dtype=torch.float64), torch.tensor(data.y_train, dtype=torch.float64)
    h1 = torch.tanh(x @ p["W_in"] + p["b_in"])
    h2 = torch.tanh(h1 @ p["W_hid"][0] + p["b_hid"][0])
    logit = (h2 @ p["W_out"] + p["b_out"]).squeeze(-1)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logit, y)
    loss.backward()
    assert res.loss[0] == pytest.approx(float(loss.detach()), rel=1e-12)
    assert res.layer_grad_norms[0, 0] == pytest.approx(float(p["W_in"].grad.norm()), rel=1e-10)
    assert res.layer_grad_norms[0, 1] == pytest.approx(float(p["W_hid"].grad.norm()), rel=1e-10)
    total = torch.sqrt(sum(t.grad.norm() ** 2 for t in p.values()))
    assert res.grad_norm[0] == pytest.approx(float(total), rel=1e-10)


def test_divergence_stops_cleanly_and_says_where(moons):
    m = ModelSettings(depth=20, activation="relu", init="normal", init_gain=2.0)
    res = train(m, TrainSettings(optimizer="sgd", lr=0.05, steps=50), moons)
    assert res.diverged_step is not None and res.diverged_step < 10
    t = res.diverged_step
    assert not np.isfinite(res.loss[t]) or not np.isfinite(res.grad_norm[t])
    assert np.all(np.isfinite(res.loss[:t]))
    assert np.all(np.isnan(res.loss[t + 1:]))
    assert res.steps_run == t + 1
    assert "became" in res.divergence
    assert all(np.all(np.isfinite(v)) for v in res.params.values())


def test_a_diverging_model_does_not_disturb_its_batch(moons):
    # float64 and few steps: this clipped run oscillates, and float32 rounding that
    # depends on the batch's size would grow; the point here is isolation, not chaos
    ok = (ModelSettings(depth=20, init="normal", init_gain=2.0),
          TrainSettings(optimizer="sgd", lr=0.05, steps=12, clip_norm=1.0, dtype="float64"))
    bad = (ok[0], ok[1].replace(clip_norm=0.0, seed=0))
    together = train_many([ok + (moons,), bad + (moons,)])
    alone = train(*ok, moons)
    assert together[1].diverged_step is not None and together[0].diverged_step is None
    np.testing.assert_allclose(together[0].loss, alone.loss, rtol=1e-6)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_a_group_where_models_stop_and_clip_trains_each_as_alone(moons, optimizer):
    """One batch: two models that stop at different steps (SGD: one diverges, one runs out of
    patience; Adam, whose steps stay finite here: both out of patience), one clipped that trains
    on; each the same as trained alone, its records NaN after it stopped. The trainer skips the
    masking while every model trains: this checks the steps where some no longer do."""
    m = ModelSettings(depth=20, init="normal", init_gain=2.0)
    base = TrainSettings(optimizer=optimizer, lr=0.05 if optimizer == "sgd" else 0.5, steps=25,
                         dtype="float64", patience=1000)
    first = base.replace(seed=0) if optimizer == "sgd" else base.replace(seed=0, lr=0.001, patience=5)
    second = base.replace(seed=1, lr=base.lr / 50, patience=5 if optimizer == "sgd" else 2)
    runs = [(m, first, moons), (m, second, moons),
            (m, base.replace(seed=2, clip_norm=1.0), moons)]
    together = train_many(runs)
    a, b, clipped = together
    ends = [a.diverged_step if optimizer == "sgd" else a.stopped_step, b.stopped_step]
    assert None not in ends and ends[0] != ends[1] and max(ends) < 20
    assert clipped.diverged_step is None and clipped.stopped_step is None and clipped.clipped.any()
    for run, res in zip(runs, together):
        alone = train(*run)
        for name in ("loss", "grad_norm", "val_loss", "layer_grad_norms", "update_ratio", "clipped"):
            np.testing.assert_allclose(getattr(res, name), getattr(alone, name), rtol=1e-9, err_msg=name)
        np.testing.assert_allclose(res.params["W_hid"], alone.params["W_hid"], rtol=1e-9)
    for res, end in zip((a, b), ends):
        assert np.all(np.isnan(res.loss[end + 1:])) and not res.clipped[end + 1:].any()


def test_clipping_bounds_the_update(moons):
    m = ModelSettings(depth=10, init="normal", init_gain=2.0)
    res = train(m, TrainSettings(optimizer="sgd", lr=0.05, steps=20, clip_norm=1.0), moons)
    assert res.clipped[0] and res.diverged_step is None
    assert res.clipped.sum() == np.sum(res.grad_norm > 1.0)


def test_early_stopping_restores_best_and_stops_at_patience(moons):
    m = ModelSettings(depth=4, width=64)
    res = train(m, TrainSettings(lr=0.03, steps=400, patience=20), moons)
    assert res.stopped_step is not None
    best = int(np.nanargmin(res.val_loss))
    assert res.best_step == best
    assert res.stopped_step - res.best_step == 20
    assert res.final_val_loss == pytest.approx(res.val_loss[best], rel=1e-5)


def test_update_ratio_and_weight_change_are_recorded(moons):
    res = train(ModelSettings(depth=3), TrainSettings(steps=10), moons)
    assert res.update_ratio.shape == (10, 3) and np.all(res.update_ratio > 0)
    assert res.weight_change.shape == (3,) and np.all(res.weight_change > 0)
    assert np.all(np.diff(res.elapsed) >= 0)


def test_result_is_plain_and_picklable(moons):
    res = train(ModelSettings(depth=2), TrainSettings(steps=5), moons)
    back = pickle.loads(pickle.dumps(res))
    np.testing.assert_array_equal(back.loss, res.loss)
    for value in vars(res).values():
        assert not isinstance(value, torch.Tensor)


def test_budget_refuses_huge_runs(moons):
    big = make_dataset(DataSettings(n_samples=20000, val_fraction=0.5))
    with pytest.raises(BudgetError, match="budget"):
        train(ModelSettings(depth=64, width=256), TrainSettings(steps=20000), big)


def test_bad_arguments_are_value_errors(moons):
    with pytest.raises(ValueError, match="ModelSettings"):
        train({"depth": 3}, TrainSettings(), moons)
    with pytest.raises(ValueError, match="Dataset"):
        train(ModelSettings(), TrainSettings(), "moons")


def test_record_loss_keeps_the_training_and_skips_the_evaluation(moons):
    m = ModelSettings(depth=5, width=16, norm="batch")
    runs = [(m, TrainSettings(steps=25, seed=s, clip_norm=0.5), moons) for s in range(2)]
    full, lean = train_many(runs), train_many(runs, record="loss")
    for a, b in zip(full, lean):
        np.testing.assert_array_equal(a.loss, b.loss)
        np.testing.assert_array_equal(a.grad_norm, b.grad_norm)
        np.testing.assert_array_equal(a.clipped, b.clipped)
        assert a.final_val_acc == b.final_val_acc and a.final_train_loss == b.final_train_loss
        for name in ("val_loss", "train_acc", "layer_grad_norms", "update_ratio", "weight_norms"):
            assert np.isnan(getattr(b, name)).all(), name
        assert b.flops < a.flops
    # early stopping still sees the validation loss it needs
    es = TrainSettings(steps=200, patience=5, seed=1)
    a, b = train(m, es, moons), train(m, es, moons, record="loss")
    assert a.stopped_step == b.stopped_step and a.best_step == b.best_step
    with pytest.raises(ValueError, match="record must be one of"):
        train_many(runs, record="everything")
