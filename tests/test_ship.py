"""Results shipped with the app: read after the disk store, a stale or corrupt file is ignored and
recomputed, the warm-up skips what is shipped, one command regenerates the set."""

import pathlib

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from depthkit import ui
from depthkit.experiments.timing import cpu_name
from depthkit.serving import ship
from depthkit.serving.store import ResultStore, code_hash
from depthkit.serving.warmup import InFlight, Warmup, job_name, jobs_of
from depthkit.ui import run as ui_run
from tests import ui_demo

DEMO = str(pathlib.Path(__file__).with_name("ui_demo_app.py"))
NAME = job_name(ui_demo.run)
SENTINEL = 123.456  # a value the real computation never gives: seen on the page only if shipped


def _open(query: dict) -> AppTest:
    at = AppTest.from_file(DEMO, default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def _fake(settings):
    real = ui_demo.run(settings)
    ui_demo.CALLS.pop()
    return ui_demo.DemoResult(real.signal_std, SENTINEL)


def _fresh_server():
    st.cache_data.clear()
    ui.result_store.clear()
    ui_run.shipped_results.clear()


@pytest.fixture
def shipped_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("DEPTHKIT_RESULTS", str(tmp_path / "results"))
    monkeypatch.setenv("DEPTHKIT_SHIPPED", str(tmp_path / "shipped"))
    _fresh_server()
    yield tmp_path / "shipped"
    _fresh_server()


def _served(query: dict, folder: pathlib.Path, keep_disk: bool = False) -> tuple[float, bool]:
    """(the page's final spread, whether it was computed) on a freshly booted server (by default
    also without its disk store, as on Community Cloud)."""
    _fresh_server()
    for path in [] if keep_disk else (folder.parent / "results").glob("*/*.pkl"):
        path.unlink()
    before = len(ui_demo.CALLS)
    page = _open(query)
    assert not page.exception
    return float(page.get("metric")[0].value), len(ui_demo.CALLS) > before


def test_a_shipped_result_is_served_without_computing(shipped_folder):
    settings = ui_demo.DemoSettings(depth=17, seed=31)
    ResultStore(shipped_folder).put(NAME, settings, _fake(settings))
    value, computed = _served({"depth": "17", "seed": "31"}, shipped_folder)
    assert value == pytest.approx(SENTINEL) and not computed
    assert not list((shipped_folder.parent / "results").glob("*/*.pkl")), "nothing copied: read in place"


def test_a_shipped_file_of_other_code_is_ignored_and_recomputed(shipped_folder):
    settings = ui_demo.DemoSettings(depth=18, seed=32)
    ResultStore(shipped_folder, version="0123456789abcdef").put(NAME, settings, _fake(settings))
    value, computed = _served({"depth": "18", "seed": "32"}, shipped_folder)
    assert computed and value != pytest.approx(SENTINEL)
    status = ship.status(shipped_folder, jobs_of([(ui_demo.run, settings)]))
    assert not status.current and status.stale_versions == ["0123456789abcdef"]


def test_a_shipped_file_with_a_wrong_checksum_or_key_is_ignored_and_recomputed(shipped_folder):
    settings = ui_demo.DemoSettings(depth=19, seed=33)
    store = ResultStore(shipped_folder)
    store.put(NAME, settings, _fake(settings))
    path = store.path(NAME, settings)
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 0xFF  # one flipped byte in the payload
    path.write_bytes(bytes(blob))
    value, computed = _served({"depth": "19", "seed": "33"}, shipped_folder)
    assert computed and value != pytest.approx(SENTINEL)
    assert path.read_bytes() == bytes(blob), "a shipped file is never touched at run time"

    other = ui_demo.DemoSettings(depth=20, seed=33)
    store.put(NAME, other, _fake(other))
    path.write_bytes(store.path(NAME, other).read_bytes())  # another result's whole file, under this key
    value, computed = _served({"depth": "19", "seed": "33"}, shipped_folder)
    assert computed and value != pytest.approx(SENTINEL)


def test_the_disk_store_comes_before_the_shipped_set(shipped_folder):
    settings = ui_demo.DemoSettings(depth=21, seed=34)
    ResultStore(shipped_folder).put(NAME, settings, _fake(settings))
    ResultStore(shipped_folder.parent / "results").put(NAME, settings, ui_demo.run(settings))
    value, computed = _served({"depth": "21", "seed": "34"}, shipped_folder, keep_disk=True)
    assert not computed and value != pytest.approx(SENTINEL)


def test_the_warm_up_skips_shipped_results(tmp_path):
    calls = []

    def square(x):
        calls.append(x)
        return x * x

    shipped = ResultStore(tmp_path / "shipped", version="v")
    shipped.put("square", 2, 4)
    store = ResultStore(tmp_path / "results", version="v")
    warm = Warmup([("square", square, x) for x in (1, 2)], store, InFlight(),
                  shipped=ResultStore(tmp_path / "shipped", version="v", read_only=True)).start()
    assert warm.finished.wait(10) and calls == [1]


def test_regenerate_ships_exactly_the_jobs_and_drops_stale_files(tmp_path):
    folder = tmp_path / "shipped"
    old = ResultStore(folder, version="0123456789abcdef")
    old.put(NAME, ui_demo.DemoSettings(), "stale")
    keep = [ui_demo.DemoSettings(depth=d) for d in (3, 4)]
    gone = ui_demo.DemoSettings(depth=5)
    ResultStore(folder).put(NAME, gone, "a preset that no longer exists")
    jobs = jobs_of([(ui_demo.run, s) for s in keep])
    assert not ship.status(folder, jobs).current
    before = len(ui_demo.CALLS)
    now = ship.regenerate(folder, jobs, workers=1, say=lambda line: None)
    assert len(ui_demo.CALLS) == before + 2
    assert now.current and now.jobs == 2 and now.bytes > 0 and not now.stale_versions
    assert sorted(p.parent.name for p in ResultStore(folder).entries()) == [code_hash()] * 2
    assert ship.shipped(folder).get(NAME, gone) is None
    assert ship.shipped(folder).get(NAME, keep[1]).final_std == ui_demo.run(keep[1]).final_std
    # the machine that computed them is named beside them, once however often it regenerates
    assert now.machines == (ship.machine(),) and cpu_name() in now.machines[0]
    assert f"computed_on={ship.machine()!r}" in now.line()
    more = jobs_of([(ui_demo.run, s) for s in (*keep, ui_demo.DemoSettings(depth=7))])
    assert ship.regenerate(folder, more, workers=1, say=lambda line: None).machines == (ship.machine(),)
    before = len(ui_demo.CALLS)
    ship.regenerate(folder, jobs, workers=1, say=lambda line: None)
    assert len(ui_demo.CALLS) == before, "already shipped: nothing recomputed"
    path = ResultStore(folder).path(NAME, keep[0])
    path.write_bytes(path.read_bytes()[:-3])
    assert ship.status(folder, jobs).missing == [f"{NAME}({keep[0]!r})"]
    assert ship.main(["--check", "--folder", str(folder)]) == 1


def test_the_charts_of_the_shipped_views_are_shipped_too(tmp_path, monkeypatch):
    """The charts of each shipped view, both modes: a freshly booted app (no disk store) draws none
    of them; after a chart edit they are misses, --check says stale, regenerating replaces them."""
    from depthkit.experiments import exploding
    from depthkit.presentation import views
    from depthkit.serving import figures

    folder, settings = tmp_path / "shipped", exploding.ExplodingSettings()
    jobs = jobs_of([(exploding.run, settings)])
    now = ship.regenerate(folder, jobs, workers=1, say=lambda line: None)
    shipped = ship.shipped(folder)
    drawn = views.charts("pages/exploding.py", settings, lambda fn, s: shipped.get(job_name(fn), s))
    assert now.current and now.figures == 2 * (len(drawn) + 1)  # the page's charts and Home's thumbnail
    booted = figures.Figures(None, shipped=shipped)
    for build, result, args in drawn:
        booted.figure(build, result, args, presenter=True)
    assert booted.built == 0
    monkeypatch.setattr(figures, "_charts_hash", "edited-charts")
    stale = ship.status(folder, jobs)
    assert stale.missing_figures == now.figures and not stale.missing and not stale.current
    again = ship.regenerate(folder, jobs, workers=1, say=lambda line: None)
    assert again.current and len(ResultStore(folder).entries()) == 1 + now.figures  # old figures gone


def test_the_shipped_set_is_current():
    """Not a failure when stale (the code moved on; the app then computes as if nothing were
    shipped): skipped with the command that regenerates it. When current, every file reads back."""
    now = ship.status()
    if not now.current:
        pytest.skip(f"the shipped set is stale: {now.line()}")
    assert now.jobs == len(ship.default_jobs()) and not now.stale_versions


# the Exploding page's default result computed as a server with another CPU would (tests/kernels.py)
OTHER_CPU_RUN = """
import pickle, sys
from tests import kernels
kernels.select()
import torch
torch.set_num_threads(1)
from depthkit.experiments import exploding as exp
sys.stdout.buffer.write(pickle.dumps(exp.run(exp.ExplodingSettings())))
"""


def test_a_result_shipped_from_another_cpu_is_shown_with_its_own_words(shipped_folder):
    """The shipped set comes from one CPU and is served on any: the page's words beside a shipped
    result are computed from that result, not from what this machine would have computed."""
    import os
    import pickle
    import subprocess
    import sys

    from depthkit.experiments import exploding as exp
    from depthkit.presentation.text import exploding as words
    from tests import kernels
    from tests.apptest_util import ROOT, open_page
    env = {**os.environ, kernels.ENV_VAR: "other"}
    out = subprocess.run([sys.executable, "-c", OTHER_CPU_RUN], cwd=ROOT, env=env, capture_output=True,
                         check=True, timeout=300)
    other = pickle.loads(out.stdout)
    own = exp.run(exp.ExplodingSettings())
    assert words.summary(other) != words.summary(own), "the other kernels gave the same run: no test"
    ResultStore(shipped_folder).put(job_name(exp.run), exp.ExplodingSettings(), other)
    _fresh_server()
    page = open_page("pages/exploding.py")
    assert not page.exception
    shown = "\n".join(m.value for m in page.markdown) + "\n".join(i.value for i in page.info)
    assert words.summary(other) in shown and words.headline(other) in shown
    assert words.summary(own) not in shown
