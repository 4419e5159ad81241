"""Progress reports: fractions that rise to 1 with a line a person can read, only to a listener."""

import threading

import pytest

from depthkit import DataSettings, ModelSettings, TrainSettings, make_dataset, train_many
from depthkit.engine import progress


@pytest.fixture
def data():
    return make_dataset(DataSettings(n_samples=200, seed=0))


def test_train_many_reports_every_group_up_to_done(monkeypatch, data):
    monkeypatch.setattr(progress, "MIN_INTERVAL", 0.0)
    seen = []
    runs = [(ModelSettings(depth=3), TrainSettings(steps=50, seed=s), data) for s in range(3)]
    runs.append((ModelSettings(depth=5), TrainSettings(steps=30), data))  # a second group
    with progress.reporting(lambda f, line: seen.append((f, line))):
        train_many(runs)
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(seen) == 80
    assert seen[-1][1] == "Training 4 networks: step 80 of 80"
    assert "left" in seen[10][1] and "e-" not in seen[10][1]


def test_early_stopping_still_ends_at_done(monkeypatch, data):
    monkeypatch.setattr(progress, "MIN_INTERVAL", 0.0)
    seen = []
    with progress.reporting(lambda f, line: seen.append(f)):
        res = train_many([(ModelSettings(depth=3), TrainSettings(steps=2000, patience=3, lr=0.05), data)])
    assert res[0].stopped_step is not None and res[0].stopped_step < 1999
    assert seen[-1] == 1.0


def test_nobody_listening_costs_nothing_and_threads_keep_their_own(data):
    train_many([(ModelSettings(depth=2), TrainSettings(steps=5), data)])  # no listener: no error
    got: dict[str, list] = {"a": [], "b": []}

    def work(name, steps):
        with progress.reporting(lambda f, line: got[name].append(line)):
            train_many([(ModelSettings(depth=2), TrainSettings(steps=steps), data)])

    threads = [threading.Thread(target=work, args=("a", 7)), threading.Thread(target=work, args=("b", 9))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got["a"][-1].endswith("of 7") and got["b"][-1].endswith("of 9")
