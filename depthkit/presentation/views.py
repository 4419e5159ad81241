"""What each page draws from its cached runs, declared once, so the warm-up can build those figures
before any visitor asks (depthkit.serving.figures).

A page's view is its settings; `charts(page, settings, get)` lists the figures
(builder, result, arguments) the page draws for them from stored results, where
`get(run, settings)` gives a stored result or None (a chart whose result is not
stored yet is left out). The pages draw these same builders from the same
lists (presentation/charts: `PAIRS`, `CHARTS`, `TRAINED_PAIRS`);
tests/test_views.py opens every page's default view after building its
declared figures and checks that the page built none of its own. The Training
speed page's live timing is not here: it is measured live, never ahead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from depthkit.experiments import exploding, overfitting, speed, vanishing
from depthkit.presentation.charts import exploding as exploding_charts
from depthkit.presentation.charts import home as home_charts
from depthkit.presentation.charts import overfitting as overfitting_charts
from depthkit.presentation.charts import speed as speed_charts
from depthkit.presentation.charts import vanishing as vanishing_charts

Get = Callable[[Callable, Any], Any]  # (run function, settings) -> the stored result, or None
Chart = tuple[Callable, Any, tuple]  # (builder, result, arguments)


def _vanishing(s: vanishing.VanishingSettings, get: Get) -> Iterator[Chart]:
    if (r := get(vanishing.run, s)) is not None:
        yield vanishing_charts.gradient_flow, r, ()
        for pair in vanishing_charts.PAIRS:
            for build, args, _key in pair:
                yield build, r, args
        for kind in vanishing_charts.SWEEP_KINDS:
            yield vanishing_charts.depth_sweep, r, (kind,)


def _exploding(s: exploding.ExplodingSettings, get: Get) -> Iterator[Chart]:
    if (r := get(exploding.run, s)) is not None:
        for build, _key in exploding_charts.CHARTS:
            yield build, r, ()


def _overfitting(s: overfitting.OverfittingSettings, get: Get) -> Iterator[Chart]:
    if (r := get(overfitting.run, s)) is None:
        return
    for role in overfitting.ROLES:
        yield overfitting_charts.curves, r, (role,)
        yield overfitting_charts.boundary, r, (role,)
    yield overfitting_charts.spread, r, ()
    if (smaller := get(overfitting.run_smaller, overfitting.sweep_settings(s))) is not None:
        yield overfitting_charts.capacity, overfitting.complete_sweep(smaller, r), ()


def _speed(s: speed.SpeedSettings, get: Get) -> Iterator[Chart]:
    if (r := get(speed.run, s)) is not None:
        for pair in speed_charts.TRAINED_PAIRS:
            for build in pair:
                yield build, r, ()
        yield speed_charts.degradation, r, ()


# page -> (its settings class, its presets, the charts of a view)
PAGES: dict[str, tuple[type, dict, Callable[[Any, Get], Iterator[Chart]]]] = {
    "pages/vanishing.py": (vanishing.VanishingSettings, vanishing.PRESETS, _vanishing),
    "pages/exploding.py": (exploding.ExplodingSettings, exploding.PRESETS, _exploding),
    "pages/overfitting.py": (overfitting.OverfittingSettings, overfitting.PRESETS, _overfitting),
    "pages/speed.py": (speed.SpeedSettings, speed.PRESETS, _speed),
}
HOME = ((vanishing.run, vanishing.VanishingSettings, home_charts.vanishing_thumb),
        (exploding.run, exploding.ExplodingSettings, home_charts.exploding_thumb),
        (overfitting.run, overfitting.OverfittingSettings, home_charts.overfitting_thumb),
        (speed.run, speed.SpeedSettings, home_charts.speed_thumb))


def charts(page: str, settings: Any, get: Get) -> list[Chart]:
    """The figures `page` draws for `settings` from the results `get` has."""
    return list(PAGES[page][2](settings, get))


def home(get: Get) -> list[Chart]:
    """Home's thumbnails of the pages' default runs that `get` has."""
    return [(thumb, r, ()) for run, cls, thumb in HOME if (r := get(run, cls())) is not None]


def all_views(get: Get) -> list[Chart]:
    """Home's thumbnails, then every page's default view and presets, without repeats."""
    out = home(get)
    for page, (cls, presets, _) in PAGES.items():
        for overrides in ({}, *presets.values()):
            out += charts(page, cls(**overrides), get)
    unique, seen = [], set()
    for build, result, args in out:
        key = (build, result.fingerprint, tuple(getattr(a, "fingerprint", a) for a in args))
        if key not in seen:
            seen.add(key)
            unique.append((build, result, args))
    return unique
