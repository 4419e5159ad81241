"""Every sentence of the Home page: the claim, one card per problem, and each thumbnail's caption.

A caption (markdown; its first words, in bold, name the chart) says what its
thumbnail (depthkit.presentation.charts.home) draws, with the numbers of that same result
(the page's default run), taken from the same `*_series` functions the chart
draws, so a caption cannot disagree with its chart.

Two layers: the plain one (INTRO, SENTENCES, CAPTIONS, NOTE: everyday words, ratios through
`depthkit.presentation.text.plain.times`) and, under "The numbers behind it", the exact one (DETAIL_INTRO,
DETAILS, DETAIL_CAPTIONS, FOOTNOTE: the page's earlier text, numbers as measured).
"""

from __future__ import annotations

from depthkit.core import fmt
from depthkit.experiments import exploding, overfitting, speed, vanishing
from depthkit.presentation.charts import home as thumbs
from depthkit.presentation.text.exploding import divergence_cause
from depthkit.presentation.text.plain import times

TITLE = "Why are deeper networks harder to train?"
INTRO = ("A deeper neural network can learn more complex patterns, but it is harder to train. Each "
         "page below trains real networks on a small dataset and shows one problem next to its fix.")
DETAIL_INTRO = ("A deeper network can learn more complex patterns, but it is also harder to train. "
                "Each page below trains real PyTorch networks on a small 2-D dataset (or reuses an "
                "identical earlier run) and shows one problem next to its fix, on the same data and seed.")

# One or two plain sentences per problem, shown under its thumbnail (hidden in presenter mode).
SENTENCES = {
    "vanishing": ("The gradient shrinks layer by layer on its way back, so the layers near the input "
                  "barely learn. Fixes: ReLU with He initialization, batch norm, residual connections."),
    "exploding": ("The backward signal grows layer by layer, until a few steps can throw the weights far "
                  "off and training breaks down. Fixes: He initialization, or batch norm with residual "
                  "connections; clipping the gradient limits the damage."),
    "overfitting": ("A big network memorizes the noise of a small training set and does worse on new "
                    "data. Fixes: dropout, weight decay, early stopping, more data, a smaller network."),
    "speed": ("Every extra layer adds work to every training step, and a deep plain network may need far "
              "more steps. Fixes: residual connections and batch norm; faster hardware."),
}

# The earlier, fuller sentences: one click away under each card (where they say more)
DETAILS = {
    "vanishing": ("The gradient shrinks layer by layer on its way back, so the layers near the input "
                  "barely learn. Fixes: ReLU with He initialization, batch norm, residual connections."),
    "exploding": ("The backward signal grows layer by layer, and with it every layer's gradient; a few "
                  "updates can throw the weights far away, often until the loss is infinite or not a "
                  "number. Fixes: He initialization, or batch norm (with residual connections at great "
                  "depth); gradient clipping bounds each step, which usually keeps the run finite but "
                  "does not remove the cause. A too-large learning rate is another source of the same "
                  "blow-up: the layers need not amplify anything when each step alone is too long."),
    "overfitting": ("A big network memorizes the noise of a small training set and does worse on new "
                    "data. Fixes: dropout, weight decay, early stopping, augmentation, more data, a "
                    "smaller network."),
    "speed": ("Every extra layer costs compute on every step, and a deep plain network may need far "
              "more steps. Fixes: residual connections and normalization; better hardware."),
}

# In place of a thumbnail whose result nobody has computed yet (Home never trains).
PREPARING = ":material/hourglass_top: Preparing in the background: the chart appears here in a moment."
NOT_YET = ":material/play_circle: Open the page to run it: its chart then appears here too."

NOTE = ("Every number on the four problem pages comes from the run you are looking at. The charts "
        "above are each page's default run.")
MISSION_LINK = "Then take the Mission: scored questions on all four"
FOOTNOTE = ("Every number on the four problem pages comes from the run you are looking at; "
            "same settings and seed give the same result on the same server (measured times, such "
            "as the Training speed page's timings and wall times, vary). The charts above are each "
            "page's default run. The Mission's explanations quote numbers measured at each page's "
            "defaults or presets, over several seeds where said.")


def vanishing_detail(r: vanishing.Result) -> str:
    """Layer 1 against the last layer at initialization, within each network."""
    (p_name, layers, p), (f_name, _, f) = thumbs.vanishing_series(r)
    return (f"**Weight-gradient norm of each layer at initialization.** Layer 1 vs layer {int(layers[-1])}: "
            f"{fmt.num(p[0])} vs {fmt.num(p[-1])} ({p_name}); {fmt.num(f[0])} vs {fmt.num(f[-1])} "
            f"({f_name}).")


def exploding_detail(r: exploding.Result) -> str:
    """What happened to each run's gradient, from the runs' own records."""
    p, f = r.problem, r.fix
    if p.diverged:
        first = (f"The problem network's {divergence_cause(p)} at step {p.diverged_step} "
                 f"(its gradient had reached {fmt.num(thumbs.exploding_series(r)[0][2][-1])})")
    else:
        first = f"The problem network stayed finite (final loss {fmt.num(p.training.final_train_loss)})"
    if f.diverged:
        second = f"{f.label}, it diverged too, at step {f.diverged_step}"
    else:
        second = (f"{f.label}, it stayed finite for all {exploding.steps(f)} steps "
                  f"(final loss {fmt.num(f.training.final_train_loss)})")
    return f"**Gradient norm per step.** {first}; {second}."


def overfitting_detail(r: overfitting.Result) -> str:
    """Mean train and test accuracy without and with the remedy."""
    (_, _, none), (remedy, _, fixed) = thumbs.overfitting_series(r)
    flip = r.settings.label_flip
    flipped = f"{fmt.percent(flip)} of its labels flipped" if flip else "no label flipped"
    return (f"**Accuracy, mean of {len(r.seeds)} seeds.** No remedy: {fmt.percent(none[0])} on the "
            f"training set ({flipped}), {fmt.percent(none[1])} on new data; with {remedy}: "
            f"{fmt.percent(fixed[0])} and {fmt.percent(fixed[1])}.")


def speed_detail(r: speed.Result) -> str:
    """Median final loss at the deepest depth, plain against residual + batch norm."""
    (p_name, depths, p), (f_name, _, f) = thumbs.speed_series(r)
    deep = int(depths[-1])
    return (f"**Training loss after {fmt.integer(r.settings.steps)} steps against depth** (median of "
            f"{len(r.seeds)} seeds; dotted: a coin flip's {fmt.num(speed.LN2)}). At depth {deep}: "
            f"{p_name} {fmt.num(p[-1])}, {f_name} {fmt.num(f[-1])}.")


DETAIL_CAPTIONS = {"vanishing": vanishing_detail, "exploding": exploding_detail,
                   "overfitting": overfitting_detail, "speed": speed_detail}


# ---------------------------------------------------------------- the plain captions
def vanishing_caption(r: vanishing.Result) -> str:
    """How much smaller layer 1's gradient is than the last layer's, within each network."""
    (p_name, layers, p), (f_name, _, f) = thumbs.vanishing_series(r)
    return (f"**Gradient of each layer at the start.** Layer 1 against layer {int(layers[-1])}: "
            f"{times(p[-1] / p[0], 'smaller', 'larger')} ({p_name}); "
            f"{times(f[-1] / f[0], 'smaller', 'larger')} ({f_name}).")


def exploding_caption(r: exploding.Result) -> str:
    """Whether each run broke down, and at which step, from the runs' own records."""
    p, f = r.problem, r.fix
    if p.diverged:
        first = f"The problem network diverged at step {p.diverged_step}: training broke down."
    else:
        first = "The problem network did not break down."
    if f.diverged:
        second = f"{f.label.capitalize()}, it broke down too, at step {f.diverged_step}."
    else:
        second = f"{f.label.capitalize()}, it ran all {exploding.steps(f)} steps without breaking down."
    return f"**Gradient size at each step.** {first} {second}"


def overfitting_caption(r: overfitting.Result) -> str:
    """Average train and new-data accuracy without and with the remedy."""
    (_, _, none), (remedy, _, fixed) = thumbs.overfitting_series(r)
    return (f"**Accuracy, average of {len(r.seeds)} seeds.** No remedy: {fmt.percent(none[0])} on the "
            f"training set, {fmt.percent(none[1])} on new data. With {remedy}: {fmt.percent(fixed[0])} "
            f"and {fmt.percent(fixed[1])}.")


def speed_caption(r: speed.Result) -> str:
    """The deepest networks' median final loss, plain against residual + batch norm."""
    (p_name, depths, p), (f_name, _, f) = thumbs.speed_series(r)
    coin = " (a coin flip)" if abs(p[-1] - speed.LN2) < 0.01 else ""
    return (f"**Training loss after {fmt.integer(r.settings.steps)} steps, by depth.** At depth "
            f"{int(depths[-1])}: {p_name} {fmt.num(p[-1])}{coin}, {f_name} {fmt.num(f[-1])}.")


CAPTIONS = {"vanishing": vanishing_caption, "exploding": exploding_caption,
            "overfitting": overfitting_caption, "speed": speed_caption}

