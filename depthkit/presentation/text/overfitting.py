"""The words of the Overfitting page: pure functions of its Result (and sweep); numbers through fmt.

Two layers (issue 23): the plain layer (`POINT` and the `plain_*` lines, one under each row of
charts, in everyday words) is shown by default; the expert layer (`INTRO` and `summary`) sits in
"The numbers behind it". Every sentence that states a direction is conditional on the numbers it
reports, so it stays true for any settings a visitor picks.
"""

from __future__ import annotations

import numpy as np

from depthkit.core import fmt
from depthkit.experiments.overfitting import (
    N_TEST,
    TUNING_SEEDS,
    OverfittingSettings,
    Result,
    SweepResult,
)

INTRO = ("A deep network can memorize the noise of a small training set, flipped labels included, "
         "and then does worse on new points. Dropout, weight decay, early stopping, augmentation, "
         "more data or a smaller network each try to prevent that; a test set that nothing was "
         "chosen on says whether they did.")
# The page's point in plain words (the header's claim); INTRO, today's claim, is in the expert layer.
POINT = ("A deep network can learn a small training set by heart, flipped labels included, and then do "
         "worse on new points. Each remedy below is judged by its score on new points it never saw.")
CODE_LABEL = "PyTorch code for the network without a remedy"
SWEEP_SPINNER = "Training the capacity sweep…"
HELPS_ON = 0.8  # "helped": higher mean test accuracy and at least as good on this share of seeds


def remedy_label(s: OverfittingSettings) -> str:
    """The remedy and its strength, in words."""
    return {
        "dropout": f"dropout {fmt.num(s.dropout)}",
        "weight decay": f"weight decay (L2 {fmt.num(s.l2)})",
        "early stopping": f"early stopping (patience {s.patience})",
        "augmentation": f"input jitter {fmt.num(s.jitter)}",
        "more data": f"{s.data_factor} times as much data ({fmt.integer(s.train_points('remedy'))} points)",
        "smaller network": f"a smaller network ({s.small_depth} × {s.small_width})",
    }[s.remedy]


def role_title(r: Result, role: str) -> str:
    """How a chart names the network of `role`."""
    return "No remedy" if role == "problem" else f"With {remedy_label(r.settings)}"


def size(diff: float) -> str:
    """The size of an accuracy difference, unsigned: '4.3 points' (the sentence gives the direction)."""
    return fmt.points(abs(diff)).lstrip("+")


def gap(diff: float) -> str:
    """A train-test gap: '9.1 points', '−8.4 points'."""
    return fmt.points(diff).lstrip("+")


def verdict(r: Result) -> str:
    """Did the remedy help, judged on test accuracy over the seeds (never on the gap)?"""
    n, gain, remedy = len(r.seeds), r.test_gain, remedy_label(r.settings)
    k = int(np.sum(gain >= 0))
    mean = float(gain.mean())
    if round(100 * mean, 1) <= 0:
        return (f"**Here {remedy} did not help:** mean test accuracy "
                + (f"fell by {size(mean)}" if round(100 * mean, 1) < 0 else "did not change")
                + f" (at least as good as no remedy on {k} of {n} seeds).")
    if k >= HELPS_ON * n:
        return (f"**Here {remedy} helped:** mean test accuracy rose by {size(mean)}, and it was "
                f"at least as good as no remedy on {k} of {n} seeds.")
    return (f"**Here {remedy} helped on average but not reliably:** mean test accuracy rose by "
            f"{size(mean)}, yet it was worse than no remedy on {n - k} of {n} seeds.")


def _flips(r: Result) -> int:
    """Flipped labels among the first seed's problem training points."""
    return int(r.first_points("problem")[2].sum())


def first_seed_fit(r: Result) -> str:
    """What the first seed (the curves and boundaries) shows about fitting the noise, from its numbers."""
    seed, first_gap = r.seeds[0], r.gap("problem")[0]
    fitted = "Where its boundary bends around single training points, it has fitted their noise."
    if not _flips(r):
        return fitted if first_gap > 0 else (f"On seed {seed} its train accuracy is not above its test "
                                             "accuracy: it has not fitted the noise of its points.")
    memorized = r.stack("problem", "memorized")
    mem, mean = memorized[0], float(memorized.mean())
    if mem <= 0.5:
        return (f"On seed {seed} it did not memorize the flipped labels: it predicts the flipped label for "
                f"only {fmt.percent(mem)} of them (over the seeds, {fmt.percent(mean)} on average)"
                + (": this seed is an exception." if mean > 0.5 else "."))
    if first_gap <= 0:
        return (f"On seed {seed} it predicts the flipped label for {fmt.percent(mem)} of those points, "
                "yet its train accuracy is not above its test accuracy.")
    return f"On seed {seed} it predicts the flipped label for {fmt.percent(mem)} of those points. " + fitted


def test_set_text(r: Result) -> str:
    """Where the test set comes from and what it was (not) used for, honest about the tuning seeds."""
    text = (f"Test accuracy is measured on {fmt.integer(N_TEST)} fresh points from the same distribution, "
            "scored once at the end and never used to choose a step")
    tuned = [int(s) for s in r.seeds if int(s) in TUNING_SEEDS]
    if tuned:
        return (text + f". But the page's defaults and presets were chosen on seeds "
                f"{TUNING_SEEDS[0]}–{TUNING_SEEDS[-1]}, {len(tuned)} of which are in this run: on those "
                "seeds the test set did help choose the settings, so it flatters them.")
    return (text + " or a setting (the defaults and presets were chosen on seeds "
            f"{TUNING_SEEDS[0]}–{TUNING_SEEDS[-1]}, none of them in this run).")


def _what_you_see(r: Result) -> str:
    pct, flips = fmt.percent, _flips(r)
    return ("**What you are seeing.** "
            f"Without a remedy, the network ({fmt.integer(r.settings.model('problem').n_params())} "
            f"parameters for {r.settings.n_train} training points"
            + (f", {flips} of them with a flipped label" if flips else "")
            + f") reaches train accuracy {pct(r.stack('problem', 'final_train_acc')[0])} and test accuracy "
            f"{pct(r.stack('problem', 'test_acc')[0])} on seed {r.seeds[0]}. " + first_seed_fit(r)
            + f" With {remedy_label(r.settings)}: train {pct(r.stack('remedy', 'final_train_acc')[0])}, "
            f"test {pct(r.stack('remedy', 'test_acc')[0])}. " + test_set_text(r))


def _over_seeds(r: Result) -> str:
    s, pct = r.seeds, fmt.percent
    return (f"**Over {len(s)} seeds** (seeds {s[0]}–{s[-1]}, each with its own data and initialization): "
            f"mean test accuracy {pct(r.stack('problem', 'test_acc').mean())} without a remedy, "
            f"{pct(r.stack('remedy', 'test_acc').mean())} with {remedy_label(r.settings)}. " + verdict(r))


def _gaps(r: Result) -> str:
    pg, rg = r.gap("problem"), r.gap("remedy")
    train_drop = r.stack("problem", "final_train_acc").mean() - r.stack("remedy", "final_train_acc").mean()
    underfit = rg.mean() < pg.mean() and r.test_gain.mean() <= 0 and train_drop > 0
    return (f"The mean gap between train and test accuracy went from {gap(pg.mean())} to {gap(rg.mean())}"
            + (" (with flipped training labels, a network that does not memorize them scores lower on the "
               "training set than on the test set, so the gap can be negative)" if _flips(r) else "")
            + ". A narrower gap alone does not show that a remedy helped: a network "
            "that underfits has a small gap too, so the verdict above is read from test accuracy."
            + (f" Here train accuracy fell by {size(train_drop)} while test accuracy did not rise: the "
               "gap narrowed because the network underfit." if underfit else ""))


def _label_noise(r: Result) -> str:
    mem = float(r.stack("problem", "memorized").mean())
    return (f"**Label noise.** {fmt.percent(r.settings.label_flip)} of the training labels were flipped to "
            "the other class (validation and test labels were not; the dataset's point noise only moves the "
            f"points). Without a remedy the network predicts the flipped label for {fmt.percent(mem)} of "
            "those points on average over the seeds"
            + (": it has memorized most of them, as deep networks memorize even random labels "
               "(Zhang et al. 2017)" if mem > 0.5 else ": it has memorized only some of them")
            + f". With {remedy_label(r.settings)}: {fmt.percent(r.stack('remedy', 'memorized').mean())}.")


def _weight_decay(r: Result) -> str:
    s = r.settings
    return ("**Weight decay here is an L2 penalty** added to the loss, so Adam divides it by √v̂ "
            "like the rest of the gradient: it pulls hardest on weights whose loss gradient is small "
            "(Loshchilov & Hutter 2019). Decoupled weight decay with the same λ would instead shrink "
            f"every weight by the same fraction per step whatever its size (PyTorch's AdamW: "
            f"learning rate × λ = {fmt.num(s.lr * s.l2)} per step; Loshchilov & Hutter scale λ by the "
            f"learning-rate schedule's multiplier instead): "
            f"{fmt.percent(1 - (1 - s.lr * s.l2) ** s.steps)} over these {s.steps} steps.")


def _early_stopping(r: Result) -> str:
    first = r.remedy[0].training
    best, stopped = first.best_step, first.stopped_step
    bias = float(np.mean(r.stack("remedy", "final_val_acc") - r.stack("remedy", "test_acc")))
    return (f"**Early stopping** on seed {r.seeds[0]}: validation loss was lowest at step {best}; "
            + (f"patience ran out at step {stopped}, " if stopped is not None else
               "patience never ran out before the last step; ")
            + f"the weights of step {best} were restored. That step was chosen on the "
            "validation set, so the validation accuracy of the restored weights is a biased score; "
            f"the test set gives the fair one. Over the seeds, validation accuracy was {size(bias)} "
            + ("higher" if bias > 0 else "lower") + " than test accuracy on average.")


def capacity_text(sweep: SweepResult) -> str:
    """The capacity sentence: does the gap grow with depth (no remedy)?"""
    d, p = sweep.depths, sweep.params
    g, t = sweep.gap.mean(axis=1), sweep.acc("test").mean(axis=1)
    trend = "grows" if g[-1] > g[0] else "does not grow"
    return (f"**Capacity** (no remedy): the mean train−test gap {trend} from depth {d[0]} "
            f"({fmt.integer(p[0])} parameters) to depth {d[-1]} ({fmt.integer(p[-1])} parameters): "
            f"{gap(g[0])}, then {gap(g[-1])}; mean test accuracy "
            f"{fmt.percent(t[0])}, then {fmt.percent(t[-1])}. Past the size at which a network can fit "
            "every training label, test error can fall again as the network grows or trains longer "
            "(double descent, Nakkiran et al. 2020), most visibly when labels are noisy; this sweep shows "
            "only the depths above.")


def _divergence(r: Result) -> str:
    div = [f"seed {s}{suffix}: step {n.diverged_step}"
           for role, suffix in (("problem", ""), ("remedy", " with the remedy"))
           for s, n in zip(r.seeds, getattr(r, role)) if n.diverged]
    if not div:
        return ""
    return ("Some runs diverged (loss or gradient became non-finite) and stopped: "
            + "; ".join(div) + ". Their accuracies are those of the last finite weights.")


def summary(r: Result, sweep: SweepResult | None = None) -> str:
    """The "What you are seeing" text; every number comes from `r` (and `sweep`)."""
    remedy = r.settings.remedy
    parts = [_what_you_see(r), _over_seeds(r), _gaps(r),
             _label_noise(r) if _flips(r) else "",
             _weight_decay(r) if remedy == "weight decay" else "",
             _early_stopping(r) if remedy == "early stopping" and r.remedy[0].training.best_step is not None
             else "",
             capacity_text(sweep) if sweep is not None and len(sweep.depths) > 1 else "",
             _divergence(r)]
    return "\n\n".join(p for p in parts if p)


# ---- the plain layer: one line under each row of charts, every word chosen from the run ----

CLEAR_GAP = 0.02  # train above test by more than this (2 points): "but only" (else "and")
SAME = 0.01  # accuracies closer than this are "about as well" in the capacity line


def plain_remedy(s: OverfittingSettings) -> str:
    """The remedy in a beginner's words (no symbols, the strength only where it is a count)."""
    return {
        "dropout": "dropout",
        "weight decay": "weight decay",
        "early stopping": "early stopping",
        "augmentation": "input jitter",
        "more data": f"{s.data_factor} times as much data",
        "smaller network": f"a smaller network ({s.small_depth} layers of {s.small_width} units)",
    }[s.remedy]


def _wrapped(r: Result, role: str) -> tuple[int, int]:
    """(flipped training points whose wrong label the first seed's network of `role` predicts, all of
    them): the flipped points its decision boundary wraps around."""
    n = int(r.first_points(role)[2].sum())
    return (round(float(r.stack(role, "memorized")[0]) * n) if n else 0), n


def _of(k: int, n: int) -> str:
    """'all 12', 'none of its 12', '9 of its 18'."""
    return f"all {n}" if k == n else f"none of its {n}" if k == 0 else f"{k} of its {n}"


def plain_first_seed(r: Result) -> str:
    """Under the curves and boundaries (the first seed): right on training vs new points, and how many
    flipped points each boundary wraps around."""
    pct, seed = fmt.percent, r.seeds[0]
    train, test = (float(r.stack("problem", name)[0]) for name in ("final_train_acc", "test_acc"))
    link = " but only " if train - test > CLEAR_GAP else " and "
    text = (f"In the charts above (seed {seed}), the network without a remedy gets {pct(train)} of its "
            f"training points right{link}{pct(test)} of new points.")
    k, n = _wrapped(r, "problem")
    if n:
        text += (f" Its boundary wraps around {_of(k, n)} flipped points: it learned their wrong labels."
                 if k else f" Its boundary wraps around {_of(k, n)} flipped points: it ignored their wrong "
                 "labels.")
    text += (f" With {plain_remedy(r.settings)}: {pct(r.stack('remedy', 'final_train_acc')[0])} on training "
             f"points, {pct(r.stack('remedy', 'test_acc')[0])} on new points")
    k, n = _wrapped(r, "remedy")
    return text + (f", and its boundary wraps around {_of(k, n)} flipped points." if n else ".")


def plain_verdict(r: Result) -> str:
    """`verdict` in a few plain words: the same thresholds, so the two layers never disagree."""
    n, gain = len(r.seeds), r.test_gain
    if round(100 * float(gain.mean()), 1) <= 0:
        return "here it did not help"
    return "here it helped" if np.sum(gain >= 0) >= HELPS_ON * n else "it helped on average, not reliably"


def plain_seeds(r: Result) -> str:
    """Under the spread: on how many seeds the remedy scored higher on new points, and the verdict."""
    n, gain = len(r.seeds), r.test_gain
    higher, equal = int(np.sum(gain > 0)), int(np.sum(gain == 0))
    equal_on = f", equal on {equal}" if equal else ""
    verdict_words = plain_verdict(r)
    return (f"With {plain_remedy(r.settings)}, the score on new points is higher on {higher} of {n} "
            f"seeds{equal_on}: {fmt.percent(r.stack('remedy', 'test_acc').mean())} vs "
            f"{fmt.percent(r.stack('problem', 'test_acc').mean())} on average. "
            f"{verdict_words[0].upper()}{verdict_words[1:]}.")


def _how_well(change: float) -> str:
    return "better" if change >= SAME else "worse" if change <= -SAME else "about as well"


def plain_capacity(sweep: SweepResult) -> str:
    """Under the capacity sweep: the deepest against the shallowest network, on training and new points."""
    d, pct = sweep.depths, fmt.percent
    train, test = sweep.acc("train").mean(axis=1), sweep.acc("test").mean(axis=1)
    on_train, on_test = _how_well(train[-1] - train[0]), _how_well(test[-1] - test[0])
    overfits = on_train == "better" and on_test == "worse"
    return (f"Without a remedy, {d[-1]} layers instead of {d[0]} fit the training points {on_train} "
            f"({pct(train[-1])} vs {pct(train[0])}){' but' if overfits else ' and'} new points {on_test} "
            f"({pct(test[-1])} vs {pct(test[0])})"
            + (": more layers, more overfitting." if overfits else "."))


def plain_spread_row(r: Result, sweep: SweepResult | None) -> str:
    """The line under the spread and capacity charts (the capacity sentence only with a sweep)."""
    return plain_seeds(r) + (f" {plain_capacity(sweep)}" if sweep is not None and len(sweep.depths) > 1
                             else "")


def plain_divergence(r: Result) -> str:
    """A warning a visitor must see, in plain words; empty when every run stayed finite."""
    nets = r.problem + r.remedy
    broke = sum(n.diverged for n in nets)
    if not broke:
        return ""
    return (f"{broke} of the {len(nets)} networks broke down during training (their numbers became too "
            "large) and stopped early. Their scores are those of their last good weights.")
