"""A Result's fingerprint: computed once, follows its content, not only its settings."""

from dataclasses import dataclass

import numpy as np

from depthkit.engine.models import ModelSettings
from depthkit.experiments.result import Result, digest


@dataclass
class Toy(Result):
    losses: np.ndarray
    labels: list[str]


def test_fingerprint_follows_content_and_settings():
    a = Toy(ModelSettings(depth=3), np.array([0.5, 0.25]), ["a"])
    same = Toy(ModelSettings(depth=3), np.array([0.5, 0.25]), ["a"])
    other_values = Toy(ModelSettings(depth=3), np.array([0.5, 0.26]), ["a"])
    other_settings = Toy(ModelSettings(depth=4), np.array([0.5, 0.25]), ["a"])
    other_label = Toy(ModelSettings(depth=3), np.array([0.5, 0.25]), ["b"])
    assert a.fingerprint == same.fingerprint and len(a.fingerprint) == 24
    assert len({a.fingerprint, other_values.fingerprint, other_settings.fingerprint,
                other_label.fingerprint}) == 4


def test_digest_reads_dtype_shape_nan_and_nesting():
    assert digest(np.zeros(4)) != digest(np.zeros((2, 2)))
    assert digest(np.zeros(4)) != digest(np.zeros(4, dtype=np.float32))
    assert digest({"x": [np.array([np.nan])]}) == digest({"x": [np.array([np.nan])]})
    assert digest({"x": 1, "y": 2}) == digest({"y": 2, "x": 1})
    assert digest(np.array(["a", "b"], dtype=object)) != digest(np.array(["a", "c"], dtype=object))


def test_wall_clock_fields_are_left_out_of_the_fingerprint():
    """Same settings and seed, trained twice: the step times differ, the fingerprint does not."""
    from depthkit.experiments import vanishing

    settings = vanishing.VanishingSettings(depth=4, steps=10, n_samples=100)
    first, second = vanishing.run(settings), vanishing.run(settings)
    times = [n.training.elapsed for n in (first.problem, second.problem)]
    assert not np.array_equal(*times), "two runs' step times should differ (wall clock)"
    assert first.fingerprint == second.fingerprint


def test_only_wall_clock_fields_are_left_out():
    @dataclass
    class Timed(Result):
        losses: np.ndarray
        elapsed: np.ndarray
        batch_seconds: float
        seconds: np.ndarray  # a live timing's measurement is content

    base = Timed(ModelSettings(depth=3), np.zeros(2), np.array([0.1, 0.2]), 0.3, np.array([1.0]))
    slower = Timed(ModelSettings(depth=3), np.zeros(2), np.array([0.2, 0.4]), 0.6, np.array([1.0]))
    other_seconds = Timed(ModelSettings(depth=3), np.zeros(2), np.array([0.1, 0.2]), 0.3, np.array([2.0]))
    assert base.fingerprint == slower.fingerprint != other_seconds.fingerprint


def test_a_derived_result_is_fingerprinted_by_its_parts():
    from depthkit.experiments.result import derived

    a = Toy(ModelSettings(depth=3), np.array([0.5]), ["a"])
    b = Toy(ModelSettings(depth=3), np.array([0.7]), ["b"])
    both = derived(Toy, (a, b), settings=a.settings, losses=np.array([0.5, 0.7]), labels=["a", "b"])
    again = derived(Toy, (a, b), settings=a.settings, losses=np.array([0.5, 0.7]), labels=["a", "b"])
    swapped = derived(Toy, (b, a), settings=a.settings, losses=np.array([0.5, 0.7]), labels=["a", "b"])
    assert both.fingerprint == again.fingerprint != swapped.fingerprint
    assert both.fingerprint not in (a.fingerprint, b.fingerprint)
    assert Toy(a.settings, np.array([0.5]), ["a"]).fingerprint == a.fingerprint  # back to content
