"""Toy datasets: shapes, labels, standardization, determinism."""

import numpy as np
import pytest

from depthkit import DATASETS, DataSettings, make_dataset


@pytest.mark.parametrize("name", DATASETS)
def test_shapes_labels_and_standardization(name):
    ds = make_dataset(DataSettings(name=name, n_samples=500, val_fraction=0.2, seed=3))
    assert ds.X_train.shape == (400, 2) and ds.X_val.shape == (100, 2)
    assert ds.X_train.dtype == np.float32
    assert set(np.unique(ds.y_train)) == {0.0, 1.0}
    np.testing.assert_allclose(ds.X_train.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(ds.X_train.std(0), 1, atol=1e-4)
    # both classes are reasonably balanced
    assert 0.3 < ds.y_train.mean() < 0.7


def test_same_seed_same_data_other_seed_other_data():
    a = make_dataset(DataSettings(name="spirals", seed=1))
    b = make_dataset(DataSettings(name="spirals", seed=1))
    c = make_dataset(DataSettings(name="spirals", seed=2))
    np.testing.assert_array_equal(a.X_train, b.X_train)
    assert not np.array_equal(a.X_train, c.X_train)


def test_noise_spreads_points():
    clean = make_dataset(DataSettings(name="circles", noise=0.0, seed=0))
    radius = np.linalg.norm(clean.X_train * clean.std + clean.mean, axis=1)
    # noise-free circles: every point on radius 1 or 0.5
    assert np.all(np.isclose(radius, 1.0, atol=1e-4) | np.isclose(radius, 0.5, atol=1e-4))


@pytest.mark.parametrize("name", DATASETS)
def test_noise_jitters_every_point_more_as_it_grows_and_flips_no_label(name):
    """The Overfitting page's help: 'Gaussian jitter of each point that grows with this value (on
    moons, its standard deviation); it flips no label'. Same seed: the same points and labels, each
    point moved further from its noise-free place as the noise grows."""
    def raw(noise):
        ds = make_dataset(DataSettings(name=name, noise=noise, n_samples=2000, seed=4))
        return ds.X_train * ds.std + ds.mean, ds.y_train
    base, y0 = raw(0.0)
    spreads = []
    for noise in (0.1, 0.3, 0.6):
        X, y = raw(noise)
        np.testing.assert_array_equal(y, y0)  # no label flipped or reordered
        spreads.append(float(np.std(X - base)))
        if name == "moons":  # its standard deviation is the value itself
            assert spreads[-1] == pytest.approx(noise, rel=0.05)
    assert spreads[0] < spreads[1] < spreads[2], spreads


def test_wrong_argument_type():
    with pytest.raises(ValueError, match="DataSettings"):
        make_dataset({"name": "moons"})


# ---- input scale: standardized (default) or raw, to show what standardization is for

def _generated(name: str, seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """The generator's own training and validation points, before any scaling (the 'raw' option)."""
    raw = make_dataset(DataSettings(name=name, seed=seed, inputs="raw"))
    return raw.X_train.astype(np.float64), raw.X_val.astype(np.float64)


@pytest.mark.parametrize("name", DATASETS)
def test_standardized_is_the_default_and_maps_the_raw_points(name):
    from depthkit.engine.data import INPUTS, STANDARDIZED
    assert DataSettings().inputs == STANDARDIZED == INPUTS[0]
    std = make_dataset(DataSettings(name=name, seed=5))
    same = make_dataset(DataSettings(name=name, seed=5, inputs=STANDARDIZED))
    for field in ("X_train", "X_val", "y_train", "y_val", "mean", "std"):
        np.testing.assert_array_equal(getattr(std, field), getattr(same, field))
    # the default arrays are the raw points standardized with the training set's mean and std
    X_train, X_val = _generated(name)
    np.testing.assert_allclose(std.X_train, (X_train - std.mean) / std.std, atol=1e-5)
    np.testing.assert_allclose(std.X_val, (X_val - std.mean) / std.std, atol=1e-5)
    np.testing.assert_allclose(std.mean, X_train.mean(0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", DATASETS)
def test_raw_scales_are_what_they_say(name):
    X_train, X_val = _generated(name)
    std = make_dataset(DataSettings(name=name, seed=5))
    assert not np.allclose(X_train, std.X_train, atol=1e-2), "raw is not standardized"
    big = make_dataset(DataSettings(name=name, seed=5, inputs="x1 ×100"))
    np.testing.assert_allclose(big.X_train[:, 0], 100 * X_train[:, 0], rtol=1e-6)
    np.testing.assert_array_equal(big.X_train[:, 1], X_train[:, 1].astype(np.float32))
    np.testing.assert_allclose(big.X_val[:, 0], 100 * X_val[:, 0], rtol=1e-6)
    far = make_dataset(DataSettings(name=name, seed=5, inputs="offset +10"))
    np.testing.assert_allclose(far.X_train, X_train + 10, rtol=1e-6)
    np.testing.assert_allclose(far.X_val, X_val + 10, rtol=1e-6)
    for ds in (big, far):  # labels and split untouched; (X_generated - mean) / std holds for every scale
        np.testing.assert_array_equal(ds.y_train, std.y_train)
        np.testing.assert_allclose(ds.X_train, (X_train - ds.mean) / ds.std, rtol=1e-5, atol=1e-5)


def test_bad_input_scales_get_a_clear_message():
    with pytest.raises(ValueError,
                       match=r"DataSettings.inputs='x100': expected one of 'standardized', 'raw'"):
        DataSettings(inputs="x100")
    with pytest.raises(ValueError, match="inputs"):
        DataSettings(inputs=True)
    settings, notices = DataSettings.from_strings({"inputs": "x1 *100"})
    assert settings.inputs == "standardized"
    assert notices == ["`inputs=x1 *100`: unknown choice; using the default."]
    settings, notices = DataSettings.from_strings({"inputs": "offset +10"})
    assert settings.inputs == "offset +10" and notices == []
