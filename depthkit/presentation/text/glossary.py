"""The words a beginner meets on the pages, each in one or two plain sentences; the two layers' labels.

`TERMS` is the glossary (the Glossary page lists it all; each page's "Words on this page"
expander lists the terms in `PAGE_TERMS[page]`, in the order the page first uses them).
Definitions use no formulas: they are for a reader who has never trained a network.
"""

from __future__ import annotations

EXPERT_LABEL = "The numbers behind it"  # the expert layer: today's full text, one click away
WORDS_LABEL = "Words on this page"  # the page's glossary entries
GLOSSARY_LINK = "Glossary: every term, in plain words"
TITLE = "Glossary"
INTRO = ("The words the pages use, in plain terms. Each page also lists its own under "
         f"\"{WORDS_LABEL}\", near the top.")

TERMS: dict[str, str] = {
    "neural network": "A function built from many simple steps (layers). Training adjusts its numbers "
                      "until its outputs match the examples it is shown.",
    "layer": "One step of a network: it mixes its inputs with weights, then applies an activation. "
             "A deep network stacks many layers; depth is how many.",
    "depth": "How many layers a network has. Width is how many units each layer has.",
    "weight": "A number inside a layer that training adjusts. A network has thousands of them.",
    "activation": "The simple function each unit applies to its input, such as the sigmoid, tanh or "
                  "ReLU. Its slope decides how much of the backward signal passes back through it.",
    "sigmoid": "An activation that squashes any number into the range 0 to 1. Its slope is at most "
               "a quarter, so it cuts the signal passing back at least fourfold unless large weights "
               "make up for it.",
    "tanh": "An activation that squashes any number into the range -1 to 1. Its slope is at most 1, "
            "reached at 0.",
    "ReLU": "An activation that keeps positive numbers and turns negative ones into 0. Its slope is 1 "
            "where the unit is on and 0 where it is off, so starting weights sized for it (He) keep the "
            "signal's size.",
    "initialization": "How the weights are set before training starts: random numbers of a chosen "
                      "size. Too small and the signal fades layer by layer; too large and it grows.",
    "init gain": "How large the random starting weights are, against a standard size. Too small a gain "
                 "makes the backward signal shrink at every layer; too large makes it grow.",
    "He initialization": "Random starting weights sized for ReLU layers (He et al., 2015). They keep "
                         "the signal at about the same size from layer to layer.",
    "loss": "One number saying how wrong the network's answers are on the training examples. "
            "Training tries to make it small.",
    "gradient": "For each weight, how much the loss would change if that weight changed a little. "
                "Training moves every weight a small step against its gradient.",
    "backward signal": "The error information that training sends from the output back through the "
                       "layers (backpropagation). Each layer's gradient is made from it.",
    "vanishing gradient": "When the backward signal shrinks at every layer, so the layers near the "
                          "input get almost no gradient and barely learn.",
    "exploding gradient": "When the backward signal grows at every layer, so the gradient becomes "
                          "huge. The steps then throw the weights far off, and training breaks down.",
    "saturation": "A sigmoid or tanh unit whose input is far from 0 sits on a flat part of the curve. "
                  "Its slope is almost 0, so it passes back almost no signal.",
    "dead unit": "A ReLU unit that outputs 0 for every example. It passes back no signal at all.",
    "learning rate": "The number each gradient is multiplied by to make a step (with Adam, about the "
                     "step's size). Too small and learning is slow; too large and the steps overshoot.",
    "training step": "One update of every weight. Here each step uses the whole training set (full "
                     "batch).",
    "Adam": "A popular way of choosing each weight's step. It scales steps by the gradient's recent "
            "size, which can hide a vanishing gradient.",
    "batch norm": "A layer that rescales each unit's values to a standard size during training, so the "
                  "weights' scale no longer shrinks or inflates the signal. Very deep networks still need "
                  "residual connections with it.",
    "layer norm": "Like batch norm, but it rescales each example's values across the layer's units, "
                  "so it does not depend on the other examples.",
    "residual connection": "A shortcut that adds a layer's input to its output. The backward signal "
                           "can travel along the shortcuts, past the layers that would shrink it.",
    "gradient clipping": "Capping the size of the gradient before each step. It stops a single huge "
                         "step, but it does not remove the cause of the growth.",
    "diverged": "Training broke down: the numbers became too large for the computer to store "
                "(infinite or 'not a number').",
    "training set": "The examples the network learns from.",
    "validation set": "Examples kept aside to check how well the network does on data it has not "
                      "learned from.",
    "test set": "Examples kept for the final score only, never used to choose settings. Once they "
                "are used to choose, the score flatters those choices.",
    "accuracy": "The share of examples the network labels correctly. 50% is a coin flip on two "
                "classes.",
    "decision boundary": "The line the network draws between the two classes. Points on one side get "
                         "one label, points on the other side the other.",
    "overfitting": "When a network learns the training examples, noise included, so well that it does "
                   "worse on new examples.",
    "flipped label": "A training point whose label was switched to the other class on purpose, as noise. "
                     "A network that predicts that wrong label has learned the point by heart.",
    "dropout": "Switching off a random share of units at each training step, so the network cannot "
               "rely on any single one.",
    "weight decay": "A pull of every weight toward 0 at each step, which usually keeps the network's "
                    "function smoother.",
    "early stopping": "Stopping training when the validation score stops improving, and keeping the "
                      "weights from its best step.",
    "data augmentation": "Making more training examples from the ones there are, here by adding small "
                         "random jitter to the points.",
    "seed": "The number that fixes the random choices (data and starting weights). The same seed gives "
            "the same run.",
    "degradation": "A deeper network ending with a higher training loss than a shallower one, even "
                   "though it could copy the shallower one. Residual connections were made to fix it.",
    "time per step": "How long one training step takes on this computer. More layers mean more work "
                     "per step.",
}

# Each page's terms, in the order the page first uses them.
PAGE_TERMS: dict[str, tuple[str, ...]] = {
    "home": ("neural network", "layer", "gradient", "vanishing gradient", "ReLU", "He initialization",
             "batch norm", "residual connection", "exploding gradient", "diverged", "gradient clipping",
             "overfitting", "accuracy", "training set", "loss", "depth", "training step"),
    "vanishing": ("vanishing gradient", "layer", "backward signal", "gradient", "sigmoid", "initialization",
                  "ReLU", "He initialization", "training step", "weight", "saturation", "dead unit", "loss",
                  "validation set", "accuracy", "decision boundary", "diverged", "activation",
                  "learning rate", "Adam", "batch norm", "layer norm", "residual connection"),
    "exploding": ("exploding gradient", "layer", "backward signal", "gradient", "weight", "training step",
                  "gradient clipping", "validation set", "diverged", "loss", "learning rate",
                  "initialization", "He initialization", "init gain", "batch norm", "residual connection",
                  "ReLU", "tanh"),
    "overfitting": ("overfitting", "depth", "training set", "flipped label", "test set", "seed", "accuracy",
                    "decision boundary", "dropout", "layer", "validation set", "loss", "weight decay",
                    "early stopping", "data augmentation"),
    "speed": ("depth", "training step", "residual connection", "batch norm", "time per step", "loss",
              "seed", "degradation", "vanishing gradient", "ReLU", "tanh", "learning rate"),
}


def entries(terms: tuple[str, ...]) -> str:
    """Markdown: one '**term**: definition' line per term."""
    return "\n".join(f"- **{term}**: {TERMS[term]}" for term in terms)
