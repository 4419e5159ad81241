"""Find each registered page's Settings classes, for the link and browser tests.

A page pages/NAME.py keeps its experiment in depthkit/experiments/NAME.py;
its Settings classes are the classes defined there that derive
depthkit.core.spec.Settings.
"""

from __future__ import annotations

import importlib
import importlib.util
import pathlib

from depthkit.core.spec import Settings
from tests.apptest_util import PAGES

CHALLENGES = ["pages/vanishing.py", "pages/exploding.py", "pages/overfitting.py", "pages/speed.py"]


def stem(page: str) -> str:
    return pathlib.Path(page).stem


def experiment(page: str):
    """The page's depthkit.experiments module, or None."""
    name = f"depthkit.experiments.{stem(page)}"
    return importlib.import_module(name) if importlib.util.find_spec(name) else None


def settings_classes(page: str) -> list[type[Settings]]:
    mod = experiment(page)
    if mod is None:
        return []
    return [obj for obj in vars(mod).values()
            if isinstance(obj, type) and issubclass(obj, Settings) and obj is not Settings
            and obj.__module__ == mod.__name__]


__all__ = ["CHALLENGES", "PAGES", "experiment", "settings_classes", "stem"]
