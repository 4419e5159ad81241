"""bench/oneknob.py: its one-control changes are what a visitor could do, and its three times are ordered."""

import dataclasses

import pytest

from bench.oneknob import PAGES, draws, time_page
from depthkit.experiments import vanishing


@pytest.mark.parametrize("page", list(PAGES))
def test_each_draw_changes_exactly_one_control_to_an_allowed_value(page):
    cls, _ = PAGES[page]
    default, changed = cls(), set()
    for name, value, settings in draws(cls, 40, seed=3):
        if settings is None:  # refused by the page's own cross-field check
            with pytest.raises(ValueError):
                dataclasses.replace(default, **{name: value})
            continue
        diff = [f.name for f in dataclasses.fields(cls)
                if getattr(settings, f.name) != getattr(default, f.name)]
        assert diff == [name] and getattr(settings, name) == value
        changed.add(name)
    assert len(changed) >= 4  # the draws spread over the page's controls


def test_draws_follow_their_seed():
    cls = vanishing.VanishingSettings
    assert draws(cls, 10, seed=1) == draws(cls, 10, seed=1) != draws(cls, 10, seed=2)


def test_first_progress_comes_before_the_first_result_before_everything():
    s = vanishing.VanishingSettings(depth=4, width=8, steps=10, n_samples=100)
    first_progress, first_chart, everything = time_page([lambda: vanishing.run(s), lambda: vanishing.run(s)])
    assert 0 < first_progress <= first_chart < everything
