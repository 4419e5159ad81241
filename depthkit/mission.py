"""The Mission page's link: which mode, room, questions and option order a URL asks for.

`MissionSettings` declares the page's URL parameters like every other page's
Settings, so `depthkit.ui` reads them (leniently, with a one-line notice for
what it changed) and writes them (only values that differ from the defaults)
with the same functions it uses for the challenge pages:

    ?mode=learn|present|join   ?room=K7QX2M   ?problem=vanishing   ?seed=123

A room code is accepted as `poll.normalize_code` accepts it (any case, with
spaces or dashes) and kept in its canonical form. `seed` -1, the default,
means "no seed in the link": each attempt draws a new option order.
"""

from __future__ import annotations

from dataclasses import dataclass

from depthkit import poll, quiz
from depthkit.spec import Settings, param

MODES = ("learn", "present", "join")
PROBLEM_CHOICES = ("all", *quiz.PROBLEMS)
NO_SEED = -1


@dataclass(frozen=True)
class MissionSettings(Settings):
    mode: str = param("learn", choices=MODES, label="Mode")
    # a room the link opens (attendee) or prefills (presenter); "" = none
    room: str = param("", parse=poll.normalize_code, label="Room code")
    problem: str = param("all", choices=PROBLEM_CHOICES, label="Questions about")
    seed: int = param(NO_SEED, lo=NO_SEED, hi=quiz.MAX_SEED, label="Option order seed",
                      help="The same seed shows the options in the same order; -1: a new order "
                           "for each attempt.")
