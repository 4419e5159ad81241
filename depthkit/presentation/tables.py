"""Each page's CSV tables: columns of numbers from its Result, for the download buttons.

Pure functions of a Result (no training, no words): `vanishing_tables`,
`exploding_tables`, `overfitting_tables`, `speed_tables`, `timing_tables`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from depthkit.experiments import exploding, overfitting, speed, timing, vanishing
from depthkit.experiments.record import Network
from depthkit.presentation.probed import at_end, at_init


# ---------------------------------------------------------------- vanishing
def _slug(label: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in label.lower()).strip("_").replace("__", "_")


def vanishing_tables(result: vanishing.Result) -> dict[str, dict[str, np.ndarray]]:
    """CSV tables: per layer, per step, and the depth sweep."""
    per_layer: dict[str, np.ndarray] = {"layer": np.arange(1, result.settings.depth + 1)}
    per_step: dict[str, np.ndarray] = {"step": np.arange(len(result.problem.training.loss))}
    for name, net in (("problem", result.problem), ("fix", result.fix)):
        t, start, end = net.training, at_init(net), at_end(net)
        per_layer.update({
            f"{name}_grad_init": start.weight_grad_norms, f"{name}_grad_final": end.weight_grad_norms,
            f"{name}_signal_init": start.signal_grad_norms, f"{name}_signal_final": end.signal_grad_norms,
            f"{name}_weight_change": t.weight_change, f"{name}_update_max": vanishing.update_max(net),
            f"{name}_weight_typical": vanishing.weight_typical(net),
            f"{name}_half_spacing": vanishing.half_spacing(net),
            f"{name}_saturated_init": start.saturated, f"{name}_saturated_final": end.saturated})
        per_step.update({f"{name}_loss": t.loss, f"{name}_val_acc": t.val_acc,
                         f"{name}_grad_first_layer": t.layer_grad_norms[:, 0],
                         f"{name}_grad_last_layer": t.layer_grad_norms[:, -1]})
    sw = result.sweep
    sweep: dict[str, np.ndarray] = {"depth": sw.depths}
    for k, label in enumerate(sw.labels):
        sweep[f"{_slug(label)}_grad_ratio"] = sw.grad_ratio[k]
        sweep[f"{_slug(label)}_signal_ratio"] = sw.signal_ratio[k]
    sweep[f"{_slug(sw.labels[0])}_signal_bound"] = sw.sigmoid_bound
    return {"per_layer": per_layer, "per_step": per_step, "depth_sweep": sweep}


# ---------------------------------------------------------------- exploding
def exploding_tables(r: exploding.Result) -> dict[str, dict[str, np.ndarray]]:
    """CSV tables: per step, per layer, the gain × depth map, batch norm at depth, the repeated product."""
    nets = (("problem", r.problem), ("fix", r.fix))
    per_step = {"step": np.arange(exploding.steps(r.problem))}
    per_layer = {"layer": np.arange(1, r.settings.depth + 1)}
    for name, net in nets:
        per_step[f"{name}_loss"] = net.training.loss
        per_step[f"{name}_grad_norm"] = net.training.grad_norm
        per_step[f"{name}_clipped"] = net.training.clipped.astype(bool)
        per_step[f"{name}_weight_norm"] = exploding.total_weight_norm(net)
        per_layer[f"{name}_signal_grad_norm"] = at_init(net).signal_grad_norms
        per_layer[f"{name}_weight_grad_norm"] = at_init(net).weight_grad_norms
    depth, gain = np.meshgrid(r.phase_depths, r.phase_gains, indexing="ij")
    phase = {"depth": depth.ravel(), "gain": gain.ravel(),
             "log10_signal_ratio": r.phase_log_ratio.ravel()}
    n = r.bn_ratio.shape[1]
    bn = {"depth": np.tile(r.bn_depths, n), "initialization": np.repeat(np.arange(n), len(r.bn_depths)),
          "ratio_no_skips": r.bn_ratio[0].ravel(), "ratio_residual": r.bn_ratio[1].ravel()}
    product = {"matrices": np.arange(r.product_norms.shape[1])}
    for i, g in enumerate(r.product_gains):
        product[f"norm_gain_{g:g}"] = r.product_norms[i]
    return {"per_step": per_step, "per_layer": per_layer, "gain_depth_map": phase,
            "batch_norm_depth": bn, "product": product}


# ---------------------------------------------------------------- overfitting
def _overfitting_steps(networks: Iterable[Network], name: str) -> np.ndarray:
    """A step of every network's training (e.g. "stopped_step"), -1 where there is none."""
    steps = [getattr(n.training, name) for n in networks]
    return np.array([-1 if step is None else int(step) for step in steps])


def overfitting_tables(r: overfitting.Result, sweep: overfitting.SweepResult | None = None,
                       ) -> dict[str, dict[str, np.ndarray]]:
    """CSV tables: first seed's curves, every seed's finals, the capacity sweep (if given)."""
    per_step = {"step": np.arange(len(r.problem[0].training.train_loss))}
    per_seed = {"seed": r.seeds}
    for role in overfitting.ROLES:
        first = getattr(r, role)[0].training
        for name in ("train_loss", "val_loss", "train_acc", "val_acc"):
            per_step[f"{role}_{name}"] = getattr(first, name)
        for name in ("train", "val"):
            per_seed[f"{role}_{name}_acc"] = r.stack(role, f"final_{name}_acc")
        per_seed[f"{role}_test_acc"] = r.stack(role, "test_acc")
        per_seed[f"{role}_gap_train_minus_test"] = r.gap(role)
        per_seed[f"{role}_memorized_flipped"] = r.stack(role, "memorized")
    per_seed.update({"test_gain": r.test_gain,  # a best step only with early stopping (patience)
                     "best_step": _overfitting_steps(r.remedy, "best_step"),
                     "stopped_step": _overfitting_steps(r.remedy, "stopped_step")})
    out = {"per_step": per_step, "per_seed": per_seed}
    if sweep is not None:
        n_d, n_s = len(sweep.depths), len(sweep.seeds)
        out["capacity"] = {"depth": np.repeat(sweep.depths, n_s), "parameters": np.repeat(sweep.params, n_s),
                           "seed": np.tile(sweep.seeds, n_d), "train_acc": sweep.acc("train").ravel(),
                           "val_acc": sweep.acc("val").ravel(), "test_acc": sweep.acc("test").ravel()}
    return out


# ---------------------------------------------------------------- speed
def speed_tables(result: speed.Result) -> dict[str, dict[str, np.ndarray]]:
    """Per variant x depth x seed rows for CSV download."""
    V, D, S = result.steps_to_target.shape
    v, i, j = np.meshgrid(np.arange(V), np.arange(D), np.arange(S), indexing="ij")
    v, i, j = v.ravel(), i.ravel(), j.ravel()  # type: ignore[assignment]  # [V, D, S] -> flat
    return {"steps_to_target": {
        "network": np.array(result.variants)[v], "depth": result.depths[i], "seed": result.seeds[j],
        "steps_to_target": result.steps_to_target[v, i, j],
        "seconds_to_target": result.seconds_to_target[v, i, j],
        "final_train_loss": result.final_loss[v, i, j], "diverged": result.diverged[v, i, j],
        "params": result.params[v, i], "flops_per_step": result.flops_per_step[i]},
        "degradation": _degradation_table(result)}


def _degradation_table(result: speed.Result) -> dict[str, np.ndarray]:
    """One row per long run: batch-norm network x depth x seed, final and lowest training loss."""
    L = result.long_losses
    V, D, S, _ = L.shape
    v, i, j = (a.ravel() for a in np.meshgrid(np.arange(V), np.arange(D), np.arange(S), indexing="ij"))
    with np.errstate(all="ignore"):
        lowest = np.array([np.nanmin(c) if np.isfinite(c).any() else np.nan for c in L[v, i, j]])
    return {"network": np.array(result.long_variants)[v], "depth": result.long_depths[i],
            "seed": result.seeds[j], "steps": np.full(len(v), result.long_steps),
            "final_train_loss": L[v, i, j, -1], "lowest_train_loss": lowest}


# ---------------------------------------------------------------- cost per step (live)
def timing_tables(timing: timing.Timing) -> dict[str, dict[str, np.ndarray]]:
    """One row per width x depth x repeat."""
    W, D, R = timing.seconds.shape
    w, d, r = (a.ravel() for a in np.meshgrid(np.arange(W), np.arange(D), np.arange(R), indexing="ij"))
    return {"time_per_step": {
        "width": timing.widths[w], "depth": timing.depths[d], "repeat": r,
        "seconds_per_step": timing.seconds[w, d, r], "flops_per_step": timing.flops_per_step[w, d],
        "params": timing.params[w, d]}}
