"""Test-wide setup: depthkit first (CPU settings), one torch thread for determinism."""

import atexit
import os
import shutil
import tempfile

import pytest

from tests import kernels

kernels.select()  # before torch loads its kernels (tests/kernels.py)

import torch  # noqa: E402

import depthkit  # noqa: E402, F401

torch.set_num_threads(1)
# Pages run by AppTest keep their results on disk (depthkit.serving.store): in a throwaway folder,
# never the repository's data/results.
# Made once, by the process that starts the run (xdist's workers inherit it), and removed when it ends.
if "DEPTHKIT_RESULTS" not in os.environ:
    os.environ["DEPTHKIT_RESULTS"] = tempfile.mkdtemp(prefix="depthkit-results-")
    atexit.register(shutil.rmtree, os.environ["DEPTHKIT_RESULTS"], ignore_errors=True)
# No background warm-up while tests run (it would compete with them for the cores); tests that
# need it start it themselves.
os.environ.setdefault("DEPTHKIT_WARMUP", "off")
# Pages compute what they show, not read the results shipped with the app (depthkit.serving.ship);
# tests of the shipped set point DEPTHKIT_SHIPPED at their own folder.
os.environ.setdefault("DEPTHKIT_SHIPPED", "off")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items):
    """Each browser test file is one xdist group: its tests share the file's streamlit server and
    chromium (module-scoped fixtures) on one worker, while the files spread over the workers;
    one group for all of them made its worker the suite's critical path (10 of 10.5 minutes)."""
    for item in items:
        if item.get_closest_marker("browser") and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group("browser-" + item.path.stem))


def pytest_report_header(config):
    return kernels.describe()


@pytest.fixture(scope="session")
def moons():
    from depthkit import DataSettings, make_dataset
    return make_dataset(DataSettings(name="moons", n_samples=400, noise=0.2, seed=0))


# Browser tests of the workshop poll (tests/test_poll_browser.py, tests/test_chart_layout_browser.py):
# a chromium and a `streamlit run` server whose poll database is a throwaway file the test can read.
@pytest.fixture(scope="module")
def browser():
    from tests.browser_util import chromium
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def poll_db(tmp_path_factory):
    return tmp_path_factory.mktemp("poll") / "poll.sqlite3"


@pytest.fixture(scope="module")
def poll_app_url(poll_db):
    """The app's base URL; no public URL set, so join links point at this loopback server."""
    from depthkit.workshop import poll
    from tests.browser_util import streamlit_server
    with streamlit_server(env_vars={poll.ENV_VAR: str(poll_db), "DEPTHKIT_PUBLIC_URL": None}) as url:
        yield url
