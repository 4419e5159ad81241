"""The background warm-up: fills the disk store, skips what is there, yields to visitors, shares work."""

import threading
import time

from depthkit.engine import progress
from depthkit.serving.store import ResultStore
from depthkit.serving.warmup import InFlight, Warmup, job_key


def _slow_square(x):
    tracker = progress.Tracker(5, "Squaring")
    for _ in range(5):
        time.sleep(0.01)
        tracker.advance()
    return x * x


def test_fills_the_store_and_skips_what_is_there(tmp_path):
    store = ResultStore(tmp_path, version="v")
    store.put("square", 3, 9)
    calls = []

    def square(x):
        calls.append(x)
        return x * x

    warm = Warmup([("square", square, x) for x in (1, 2, 3)], store, InFlight()).start()
    assert warm.finished.wait(10)
    assert calls == [1, 2] and [store.get("square", x) for x in (1, 2, 3)] == [1, 4, 9]
    assert warm.ready == 3 and "All 3" in warm.status()


def test_a_failing_job_does_not_stop_the_others(tmp_path):
    store = ResultStore(tmp_path, version="v")

    def picky(x):
        if x == 2:
            raise ValueError("no twos")
        return x

    warm = Warmup([("picky", picky, x) for x in (1, 2, 3)], store, InFlight()).start()
    assert warm.finished.wait(10)
    assert store.get("picky", 3) == 3 and store.get("picky", 2) is None
    assert len(warm.errors) == 1 and "no twos" in warm.errors[0]


def test_waits_while_a_visitor_computes(tmp_path):
    inflight = InFlight()
    store = ResultStore(tmp_path, version="v")
    with inflight.visiting():
        warm = Warmup([("square", _slow_square, 4)], store, inflight).start()
        time.sleep(0.5)
        assert warm.ready == 0 and store.get("square", 4) is None
    assert warm.finished.wait(10) and store.get("square", 4) == 16


def test_a_visitor_waits_for_the_result_in_flight_and_sees_its_progress(tmp_path):
    inflight = InFlight()
    store = ResultStore(tmp_path, version="v")
    release = threading.Event()

    def blocked(x):
        tracker = progress.Tracker(2, "Blocked")
        tracker.advance()
        release.wait(10)
        tracker.advance()
        return x + 1

    warm = Warmup([("blocked", blocked, 1)], store, inflight).start()
    time.sleep(0.3)
    seen = []
    threading.Timer(0.6, release.set).start()
    assert inflight.wait(job_key("blocked", 1), lambda f, line: seen.append(line))
    assert store.get("blocked", 1) == 2 and warm.finished.wait(10)
    assert seen and seen[0].startswith("Prepared in the background")
    assert not inflight.wait(job_key("blocked", 1), lambda f, line: None)  # nothing in flight now


def test_pauses_within_a_job_while_a_visitor_computes(monkeypatch, tmp_path):
    monkeypatch.setattr(progress, "MIN_INTERVAL", 0.0)
    inflight = InFlight()
    store = ResultStore(tmp_path, version="v")
    steps = []
    visitor_in, visitor_done = threading.Event(), threading.Event()

    def long_job(x):
        tracker = progress.Tracker(4, "Long")
        for i in range(4):
            steps.append((i, visitor_in.is_set() and not visitor_done.is_set()))
            if i == 1:
                visitor_in.wait(5)
            tracker.advance()
        return x

    def visitor():
        with inflight.visiting():
            visitor_in.set()
            time.sleep(0.5)
            visitor_done.set()

    warm = Warmup([("long", long_job, 1)], store, inflight).start()
    time.sleep(0.1)
    threading.Thread(target=visitor).start()
    assert warm.finished.wait(10)
    # after the visitor arrived, the job's next steps ran only once the visitor was done
    assert [busy for i, busy in steps if i >= 2] == [False, False]


def test_then_draws_the_views_charts_onto_disk_and_settles_the_heap(tmp_path):
    """After the results, the charts the views declare (depthkit.presentation.views), in both modes: a
    restarted server reads them from disk instead of building them."""
    import gc

    from depthkit.serving.figures import Figures
    from tests.test_figures import _result, line_chart

    store = ResultStore(tmp_path, version="v")
    line = _result()

    def views(get):
        assert get(lambda s: s, 0) is None  # what is neither stored nor shipped is left out
        return [(line_chart, line, ()), (line_chart, line, (2.0,))]

    gc.unfreeze()
    warm = Warmup([("square", lambda x: x * x, 2)], store, InFlight(), figures=Figures(store), views=views)
    warm.run()
    assert warm.figures_ready == warm.figures_total == 4 and not warm.errors
    assert gc.get_freeze_count() > 0  # the heap alive at the end of the warm-up is left out of full GCs
    gc.unfreeze()
    restarted = Figures(ResultStore(tmp_path, version="v"))
    for args in ((), (2.0,)):
        for presenter in (False, True):
            restarted.figure(line_chart, line, args, presenter)
    assert restarted.built == 0


def test_says_when_it_draws_charts(tmp_path):
    warm = Warmup([("one", lambda x: x, 1)], ResultStore(tmp_path, version="v"), InFlight())
    warm.ready, warm.figures_total, warm.figures_ready = 1, 10, 4
    assert warm.status() == "Drawing the charts of the default views and presets: 4 of 10…"
