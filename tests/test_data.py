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
