"""Pages keep their results on disk: after a restart (memory cache gone) a page is served from disk."""

import pathlib

import streamlit as st
from streamlit.testing.v1 import AppTest

from depthkit import ui
from tests import ui_demo

DEMO = str(pathlib.Path(__file__).with_name("ui_demo_app.py"))


def _open(query: dict) -> AppTest:
    at = AppTest.from_file(DEMO, default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def test_a_restarted_server_serves_results_from_disk_and_recomputes_a_corrupt_one(monkeypatch, tmp_path):
    monkeypatch.setenv("DEPTHKIT_RESULTS", str(tmp_path))
    ui.result_store.clear()
    st.cache_data.clear()
    query = {"depth": "13", "seed": "4242"}
    before = len(ui_demo.CALLS)
    first = _open(query)
    assert not first.exception and len(ui_demo.CALLS) == before + 1
    assert not first.get("progress")  # the progress bar of a computation is gone once it is done
    (entry,) = list(tmp_path.glob("*/*.pkl"))
    st.cache_data.clear()  # a restart: the memory cache is gone, the disk is not
    second = _open(query)
    assert len(ui_demo.CALLS) == before + 1, "served from disk, not recomputed"
    assert second.get("metric")[0].value == first.get("metric")[0].value
    entry.write_bytes(entry.read_bytes()[:-5])  # truncated on disk
    st.cache_data.clear()
    third = _open(query)
    assert len(ui_demo.CALLS) == before + 2 and third.get("metric")[0].value == first.get("metric")[0].value
    ui.result_store.clear()


def test_the_store_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("DEPTHKIT_RESULTS", "off")
    ui.result_store.clear()
    assert ui.result_store() is None
    ui.result_store.clear()


def test_the_warm_up_fills_the_store_that_pages_then_read(monkeypatch, tmp_path):
    monkeypatch.setenv("DEPTHKIT_RESULTS", str(tmp_path))
    monkeypatch.setenv("DEPTHKIT_WARMUP", "on")
    ui.result_store.clear()
    ui.start_warmup.clear()
    st.cache_data.clear()
    settings = ui_demo.DemoSettings(depth=21, seed=777)
    warm = ui.start_warmup(lambda: [(ui_demo.run, settings)])
    assert warm is not None and warm.finished.wait(30) and not warm.errors
    assert ui.start_warmup(lambda: []) is warm  # once per process
    before = len(ui_demo.CALLS)
    page = _open({"depth": "21", "seed": "777"})
    assert not page.exception and len(ui_demo.CALLS) == before  # read from disk, not recomputed
    ui.start_warmup.clear()
    ui.result_store.clear()


def test_no_warm_up_when_switched_off(monkeypatch, tmp_path):
    monkeypatch.setenv("DEPTHKIT_RESULTS", str(tmp_path))
    monkeypatch.setenv("DEPTHKIT_WARMUP", "off")
    ui.start_warmup.clear()
    assert ui.start_warmup(lambda: [(ui_demo.run, ui_demo.DemoSettings())]) is None
    ui.start_warmup.clear()
