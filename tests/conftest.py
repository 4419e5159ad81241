"""Test-wide setup: depthkit first (CPU settings), one torch thread for determinism."""

import os
import tempfile

import pytest
import torch

import depthkit  # noqa: F401

torch.set_num_threads(1)
# Pages run by AppTest keep their results on disk (depthkit.store): in a throwaway folder,
# never the repository's data/results.
os.environ.setdefault("DEPTHKIT_RESULTS", tempfile.mkdtemp(prefix="depthkit-results-"))
# No background warm-up while tests run (it would compete with them for the cores); tests that
# need it start it themselves.
os.environ.setdefault("DEPTHKIT_WARMUP", "off")
# Pages compute what they show, not read the results shipped with the app (depthkit.ship);
# tests of the shipped set point DEPTHKIT_SHIPPED at their own folder.
os.environ.setdefault("DEPTHKIT_SHIPPED", "off")


@pytest.fixture(scope="session")
def moons():
    from depthkit import DataSettings, make_dataset
    return make_dataset(DataSettings(name="moons", n_samples=400, noise=0.2, seed=0))
