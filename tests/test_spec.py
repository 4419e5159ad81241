"""Settings declaration, strict validation and lenient URL parsing."""

import math
from dataclasses import dataclass

import pytest

from depthkit import DataSettings, ModelSettings, TrainSettings
from depthkit.core.spec import Settings, param


@dataclass(frozen=True)
class Demo(Settings):
    depth: int = param(4, lo=1, hi=64)
    lr: float = param(0.1, lo=1e-4, hi=1.0)
    act: str = param("relu", choices=("relu", "tanh"))
    flag: bool = param(False)


@pytest.mark.parametrize("kwargs, fragment", [
    ({"depth": 0}, "depth=0"), ({"depth": 65}, "allowed int in [1, 64]"),
    ({"depth": 2.5}, "whole number"), ({"depth": True}, "expected a number"),
    ({"lr": math.nan}, "finite"), ({"lr": "0.1"}, "expected a number"),
    ({"act": "selu"}, "one of 'relu', 'tanh'"), ({"flag": 1}, "True or False"),
])
def test_bad_values_name_field_value_and_range(kwargs, fragment):
    with pytest.raises(ValueError) as err:
        Demo(**kwargs)
    assert fragment in str(err.value)
    assert "Demo." in str(err.value)


def test_library_settings_validate():
    with pytest.raises(ValueError, match="depth=100"):
        ModelSettings(depth=100)
    with pytest.raises(ValueError, match="width"):
        ModelSettings(width=1)
    with pytest.raises(ValueError, match="lr"):
        TrainSettings(lr=-1.0)
    with pytest.raises(ValueError, match="training and"):
        DataSettings(n_samples=20, val_fraction=0.9)


def test_from_dict_rejects_unknown_keys():
    with pytest.raises(ValueError, match="unknown setting"):
        Demo.from_dict({"depht": 3})
    assert Demo.from_dict({"depth": 3}).depth == 3


@pytest.mark.parametrize("raw, expected, noted", [
    ({"depth": "10"}, {"depth": 10}, False),
    ({"depth": "1e9"}, {"depth": 64}, True),
    ({"depth": "-5"}, {"depth": 1}, True),
    ({"depth": "nan"}, {"depth": 4}, True),
    ({"depth": "inf"}, {"depth": 4}, True),
    ({"depth": ""}, {"depth": 4}, True),
    ({"depth": "abc"}, {"depth": 4}, True),
    ({"depth": "3.7"}, {"depth": 4}, True),
    ({"lr": "0.5"}, {"lr": 0.5}, False),
    ({"act": "<script>alert(1)</script>"}, {"act": "relu"}, True),
    ({"act": "tanh"}, {"act": "tanh"}, False),
    ({"flag": "yes"}, {"flag": True}, False),
    ({"flag": "maybe"}, {"flag": False}, True),
    ({"depth": "9" * 500}, {"depth": 4}, True),
    ({"unknown": "1"}, {}, False),
])
def test_from_strings_is_lenient_and_says_what_changed(raw, expected, noted):
    settings, notices = Demo.from_strings(raw)
    for k, v in expected.items():
        assert getattr(settings, k) == v
    assert bool(notices) == noted


def test_round_trip_through_strings():
    s = Demo(depth=7, lr=0.0123456789, act="tanh", flag=True)
    back, notices = Demo.from_strings(s.to_strings())
    assert back == s and not notices


def test_cross_field_failure_falls_back_to_defaults():
    s, notices = DataSettings.from_strings({"n_samples": "20", "val_fraction": "0.9"})
    assert s == DataSettings() and notices
