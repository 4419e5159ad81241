"""Training speed: FLOP counts by hand, the line fit, live timings, and the page's claims."""

import dataclasses
import re

import numpy as np
import pytest
import torch

from depthkit import BudgetError, make_dataset, train_many
from depthkit.core import fmt
from depthkit.engine import budget
from depthkit.engine.models import ModelSettings
from depthkit.engine.reference import build_module
from depthkit.engine.stacked import StackedRun
from depthkit.experiments import speed as exp
from depthkit.experiments import timing as step_timing
from depthkit.presentation import tables
from depthkit.presentation.charts import speed as charts
from depthkit.presentation.charts.common import plain
from depthkit.presentation.text import speed as words
from depthkit.presentation.text.plain import times


def test_flops_per_step_match_a_hand_count():
    # depth 3, width 4, 2 inputs, 5 points: layers 2x4, 4x4, 4x4, 4x1
    macs = 2 * 4 + 4 * 4 + 4 * 4 + 4 * 1  # = 44 multiply-adds per point
    assert budget.matmul_macs(2, 3, 4) == 44
    assert budget.forward_flops(5, 2, 3, 4) == 2 * 5 * macs == 440
    assert budget.train_step_flops(5, 2, 3, 4) == 6 * 5 * macs == 1320
    # and what the page shows uses the same count
    settings = step_timing.TimingSettings(time_max_depth=16, time_width=8, time_width2=0, time_points=50,
                                          repeats=3)
    flops = np.array([[budget.train_step_flops(50, 2, d, 8) for d in settings.time_depths]], dtype=float)
    timing = step_timing.Timing(
        settings=settings, seconds=np.ones((1, 5, 3)), cpu_seconds=np.ones((1, 5, 3)), flops_per_step=flops,
        params=np.zeros((1, 5)), threads=1, thread_counts=np.array([], dtype=int),
        thread_seconds=np.zeros((0, 3)), cuda_name="", cuda_seconds=np.zeros((0, 3)),
        cpu_name="x", measured_at="now", measure_seconds=0.0)
    assert list(timing.depths) == [2, 4, 8, 12, 16]
    assert timing.gflops()[0, 1] == pytest.approx(budget.train_step_flops(50, 2, 4, 8) / 1e9)


def test_flops_agree_with_torch_flop_counter():
    """torch counts the same matmuls, except the first layer's input gradient, which
    autograd never computes (the data needs no gradient); depthkit's 6*n*in*out counts it."""
    from torch.utils.flop_counter import FlopCounterMode
    n, depth, width = 7, 4, 8
    module = build_module(ModelSettings(depth=depth, width=width))
    x = torch.randn(n, 2)
    with FlopCounterMode(display=False) as counter:
        module(x).sum().backward()
    skipped = 2 * n * 2 * width
    assert counter.get_total_flops() == budget.train_step_flops(n, 2, depth, width) - skipped


def test_n_params_by_hand():
    # 2x4+4, 4x4+4, 4x4+4, 4x1+1 = 12 + 20 + 20 + 5
    assert ModelSettings(depth=3, width=4).n_params() == 57
    assert sum(p.numel() for p in build_module(ModelSettings(depth=3, width=4)).parameters()) == 57


def test_fit_line_exact_and_against_numpy():
    x = np.array([2, 16, 32, 48, 64])
    fit = step_timing.fit_line(x, 0.003 + 0.0004 * x)
    assert fit.slope == pytest.approx(0.0004) and fit.intercept == pytest.approx(0.003)
    assert fit.r2 == pytest.approx(1.0)
    y = np.array([1.0, 3.0, 2.0, 5.0, 4.0])
    fit = step_timing.fit_line(x, y)
    assert fit.r2 == pytest.approx(np.corrcoef(x, y)[0, 1] ** 2)
    assert fit.at(10) == pytest.approx(fit.intercept + 10 * fit.slope)
    with pytest.raises(ValueError):
        step_timing.fit_line([3, 3], [1, 2])


def test_time_per_step_grows_linearly_with_depth():
    """The claim: measured medians over depths 2-64 give slope > 0 and R^2 >= 0.9.

    Enough work per measurement (widths 64 and 128, 2 steps per repeat, 7 repeats,
    medians) that other processes on the machine do not decide the fit."""
    settings = step_timing.TimingSettings(time_width=64, time_width2=128, time_points=250, repeats=7,
                                          steps_per_repeat=2, compare_threads=False)
    threads_before = torch.get_num_threads()
    timing = step_timing.measure(settings)
    assert torch.get_num_threads() == threads_before
    assert list(timing.depths) == [2, 16, 32, 48, 64]
    assert timing.seconds.shape == (2, 5, 7) and np.all(timing.seconds > 0)
    for w in range(2):
        fit = step_timing.fit_line(timing.depths, np.median(timing.seconds[w], axis=-1))
        assert fit.slope > 0
        assert fit == timing.fit(w)
        # R^2 on the CPU time of the measuring thread: the test suite runs beside
        # other busy workers, whose load scatters wall-clock medians (R^2 0.81 seen
        # in CI) but barely touches the time the step itself computed
        cpu_fit = step_timing.fit_line(timing.depths, np.median(timing.cpu_seconds[w], axis=-1))
        assert cpu_fit.slope > 0
        assert cpu_fit.r2 >= 0.9, (w, cpu_fit, timing.cpu_seconds)
    assert not step_timing._MEASURE_LOCK.locked()


def test_one_cpu_measures_no_thread_comparison(monkeypatch):
    """Pinned to one CPU there is nothing to compare: no thread series is timed, and the hardware
    chart's 1-thread bar is the depth series' own deepest timing."""
    monkeypatch.setattr(step_timing, "all_threads", lambda: 1)
    settings = step_timing.TimingSettings(time_max_depth=16, time_width=16, time_width2=0, time_points=50,
                                          repeats=3, compare_threads=True)
    timing = step_timing.measure(settings)
    assert len(timing.thread_counts) == 0 and timing.thread_seconds.size == 0
    bars = charts.hardware(timing).data[0]
    assert list(bars.x) == ["CPU, 1 thread"]
    assert bars.y[0] == pytest.approx(np.median(timing.seconds[0, -1]) * 1e3)
    assert "threads a depth" not in words.timing_summary(timing)  # no thread comparison told


def test_the_budget_counts_a_thread_series_only_where_one_is_timed(monkeypatch):
    settings = step_timing.TimingSettings(compare_threads=True)
    without = step_timing.measure_cost(settings.replace(compare_threads=False))
    monkeypatch.setattr(step_timing, "all_threads", lambda: 1)
    assert step_timing.measure_cost(settings) == without
    monkeypatch.setattr(step_timing, "all_threads", lambda: 2)
    assert step_timing.measure_cost(settings) > without


def test_measure_compares_threads_and_restores_them():
    settings = step_timing.TimingSettings(time_max_depth=16, time_width=16, time_width2=0, time_points=50,
                                          repeats=4, compare_threads=True)
    torch.set_num_threads(1)
    timing = step_timing.measure(settings)
    assert torch.get_num_threads() == 1
    n_all = step_timing.all_threads()
    assert list(timing.thread_counts) == ([1, n_all] if n_all > 1 else [])
    assert timing.thread_seconds.shape == (len(timing.thread_counts),
                                           step_timing.THREAD_REPEATS if n_all > 1 else 0)
    assert timing.seconds.shape == (1, 5, 4)
    assert np.all(np.isfinite(timing.thread_seconds))
    assert (timing.cuda_name != "") == torch.cuda.is_available()
    assert timing.cuda_seconds.shape == ((5, 4) if torch.cuda.is_available() else (0, 4))
    text = words.timing_summary(timing)
    assert f"R² = {timing.fit(0).r2:.3f}" in text
    assert fmt.seconds(timing.fit(0).slope) in text
    assert fmt.seconds(timing.extrapolate()) in text
    assert timing.extrapolate() == pytest.approx(timing.fit(0).at(100) * 10_000)
    for name, table in tables.timing_tables(timing).items():
        assert len({len(col) for col in table.values()}) == 1, name


def test_page_losses_are_the_trainers_losses():
    """The page trains with train_many(record="loss"): its loss after t updates equals the full
    recorder's training-batch loss before update t, for every variant; the last point is the
    loss after the last update (one extra step is trained for it)."""
    settings = exp.SpeedSettings(max_depth=8, steps=25, seeds=2)
    result = exp.run(settings)
    data = make_dataset(settings.data())
    for v in range(len(exp.VARIANTS)):
        ref = train_many([(settings.model(v, 8), settings.training(v, 8, k), data) for k in (0, 1)])
        losses = result.losses[v, -1]
        assert losses.shape == (2, 26)
        np.testing.assert_allclose(losses, np.stack([r.loss[:26] for r in ref]), rtol=1e-6, atol=1e-7)
        assert all(n.training.steps_run == settings.training(v, 8, 0).steps for n in result.networks[v][-1])
    assert np.all(np.diff([exp.seconds_after(result.networks[0][-1][0].training, t) for t in range(26)]) > 0)


def test_step_timer_times_the_trainers_step_and_nothing_else(monkeypatch):
    """The live timer's timed region calls StackedRun.step (forward + backward + update) n times."""
    settings = step_timing.TimingSettings(time_max_depth=16, time_points=50)
    timer = step_timing._StepTimer(settings, 4, 8, make_dataset(settings.data()), "cpu")
    assert timer.run.n_train == 50 and timer.run.model == ModelSettings(depth=4, width=8)
    calls = []
    monkeypatch.setattr(StackedRun, "step", lambda self: calls.append(self))
    wall, cpu = timer.seconds_per_step(7)
    assert calls == [timer.run] * 7 and wall >= 0 and cpu >= 0


def test_divergence_is_recorded_as_nan_from_then_on():
    settings = exp.SpeedSettings(max_depth=8, steps=10, seeds=2)
    data = make_dataset(settings.data())
    model = ModelSettings(depth=30, init="normal", init_gain=4.0, activation="linear")
    runs = train_many([(model, settings.training(0, 2, k).replace(lr=10.0), data) for k in (0, 1)],
                      record="loss")
    losses = np.stack([exp.loss_curve(r, 11) for r in runs])
    assert np.isnan(losses[:, -1]).all()
    first = np.argmax(np.isnan(losses), axis=1)
    for row, f in zip(losses, first):
        assert np.isfinite(row[:f]).all() and np.isnan(row[f:]).all()


def test_same_settings_same_result():
    settings = exp.SpeedSettings(max_depth=8, steps=20, seeds=2)
    a, b = exp.run(settings), exp.run(settings)
    assert a.settings is settings  # (fingerprints differ: each carries its own wall times)
    for field in ("losses", "steps_to_target", "final_loss", "params", "flops_per_step"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    c = exp.run(settings.replace(seed=5))
    assert not np.array_equal(a.losses, c.losses) and a.fingerprint != c.fingerprint
    assert a.flops_per_step[0] == budget.train_step_flops(settings.data().n_train, 2, 2, settings.width)
    assert a.params[3, 0] == settings.model(3, 2).n_params()
    table = tables.speed_tables(a)["steps_to_target"]
    assert {len(col) for col in table.values()} == {4 * 3 * 2}
    long = tables.speed_tables(a)["degradation"]
    assert {len(col) for col in long.values()} == {2 * 2 * 2}
    # the long runs continue the grid's runs: their first `steps` losses are the grid's
    assert list(a.long_depths) == [4, 8] and a.long_steps == settings.long_steps == 60
    for k, v in enumerate(exp.LONG_VARIANTS):
        for i, d in enumerate(a.long_depths):
            np.testing.assert_array_equal(a.long_losses[k, i, :, :21], a.losses[v, list(a.depths).index(d)])
    assert np.all(np.isfinite(a.long_losses))
    # the input's reach is measured on the deepest plain network at initialization
    assert a.input_reach.shape == (2,) and np.all((a.input_reach >= 0) & (a.input_reach < 1))


def test_bad_settings_and_budget():
    with pytest.raises(ValueError, match="max_depth"):
        exp.SpeedSettings(max_depth=12)
    with pytest.raises(ValueError, match="repeats"):
        step_timing.TimingSettings(repeats=100)
    settings, notices = exp.SpeedSettings.from_strings({"steps": "1e9", "lr": "abc"})
    assert settings.steps == 1000 and settings.lr == 0.03 and len(notices) == 2
    timed, notices = step_timing.TimingSettings.from_strings({"time_width2": "-3"})
    assert timed.time_width2 == 0 and len(notices) == 1
    # the two halves' URL keys never collide
    assert not set(exp.SpeedSettings().to_strings()) & set(step_timing.TimingSettings().to_strings())
    big = exp.SpeedSettings(max_depth=64, steps=1000, seeds=10, n_samples=2000, width=128)
    with pytest.raises(BudgetError):
        exp.run(big)
    huge = step_timing.TimingSettings(time_width=256, time_width2=256, time_points=5000, repeats=15,
                             steps_per_repeat=20)
    with pytest.raises(BudgetError):
        step_timing.measure(huge)
    assert exp.train_cost(big) > budget.MAX_FLOPS and step_timing.measure_cost(huge) > budget.MAX_FLOPS


def test_presets_are_valid_and_within_budget():
    for label, overrides in exp.PRESETS.items():
        assert exp.train_cost(exp.SpeedSettings(**overrides)) <= budget.MAX_FLOPS, label
    for label, overrides in step_timing.PRESETS.items():
        assert step_timing.measure_cost(step_timing.TimingSettings(**overrides)) <= budget.MAX_FLOPS, label


COMPUTER_NOTATION = re.compile(r"\d[eE][+-]?\d|nan|\binf\b")


def test_faster_threads_are_said_plainly_and_an_unknown_load_is_left_out():
    timing = dataclasses.replace(_fake_timing(False), thread_seconds=np.array([[0.03] * 3, [0.01] * 3]),
                                 load_average=float("nan"))
    text = words.thread_text(timing)
    assert "3 times faster" in text
    assert "does not tell which" not in text and "load average" not in text


def _fake_timing(cuda: bool) -> step_timing.Timing:
    depths = np.array([2, 16, 32, 48, 64])
    seconds = (1e-3 + 4e-4 * depths)[None, :, None] * np.array([1.0, 1.1, 0.9])
    settings = step_timing.TimingSettings(time_width=32, time_width2=0, time_points=500, repeats=3)
    assert list(settings.time_depths) == list(depths)
    return step_timing.Timing(
        settings=settings, seconds=seconds, cpu_seconds=seconds * 0.8,
        flops_per_step=np.array([[budget.train_step_flops(500, 2, d, 32) for d in depths]], dtype=float),
        params=np.array([[ModelSettings(depth=d).n_params() for d in depths]]),
        threads=1, thread_counts=np.array([1, 2]),
        thread_seconds=np.array([[0.03, 0.031, 0.029], [0.05, 0.06, 0.055]]),
        cuda_name="Fake GPU" if cuda else "", cuda_seconds=seconds[0] / 10 if cuda else np.zeros((0, 3)),
        cpu_name="test CPU", measured_at="2026-01-01 00:00:00 UTC", measure_seconds=1.0,
        load_average=3.25)


@pytest.mark.parametrize("cuda", [False, True])
def test_timing_charts_and_text(cuda):
    timing = _fake_timing(cuda)
    fit = timing.fit(0)
    assert fit.slope == pytest.approx(4e-4) and fit.r2 == pytest.approx(1.0)
    text = words.timing_summary(timing)
    assert "each extra layer adds **400 µs per step**" in text
    # 2 threads lost here: the text says by how much, and names no cause it did not measure
    assert "With 2 threads a depth-64 step took 55 ms, against 30 ms on 1 thread: 1.83 times slower" in text
    assert "this measurement does not tell which" in text
    assert "waited" not in text and "busy" not in text
    assert "load average" in text
    assert not COMPUTER_NOTATION.search(text), text
    assert ("Fake GPU" in text) == cuda
    # what each chart shows is the timing's own numbers
    tps = charts.time_per_step(timing)
    np.testing.assert_allclose(tps.data[0].y, timing.median[0] * 1e3)
    np.testing.assert_allclose(tps.data[1].y, np.median(timing.cpu_seconds[0], axis=-1) * 1e3)
    assert list(tps.data[0].x) == list(timing.depths) and len(tps.data) == 3 + cuda
    np.testing.assert_allclose(charts.compute_per_step(timing).data[0].y, timing.flops_per_step[0] / 1e9)
    np.testing.assert_allclose(charts.compute_per_step(timing).data[1].y, timing.params[0])
    np.testing.assert_allclose(charts.achieved_speed(timing).data[0].y, timing.gflops()[0])
    bars = charts.hardware(timing).data[0]
    assert list(bars.x[:2]) == ["CPU, 1 thread", "CPU, 2 threads"] and len(bars.x) == 2 + cuda
    np.testing.assert_allclose(bars.y[:2], np.median(timing.thread_seconds, axis=1) * 1e3)
    names = [t.name for t in charts.time_per_step(timing).data]
    assert any("+400 µs per layer, R² = 1.000" in (n or "") for n in names)
    # the note takes the thread count from the measurement, and says it is the CPU series'
    assert "points; CPU series on 1 thread" in plain(tps.layout.title.text)
    threaded = dataclasses.replace(timing, threads=4)
    assert "points; CPU series on 4 threads" in plain(charts.time_per_step(threaded).layout.title.text)


def test_training_charts_survive_divergence_and_no_hits():
    result = exp.run(exp.SpeedSettings(max_depth=8, steps=20, seeds=2))
    bad = dataclasses.replace(result)
    bad.losses = result.losses.copy()  # final loss and divergence follow the losses
    bad.losses[1, -1, 0, 5:] = np.nan
    assert np.isnan(bad.final_loss[1, -1, 0]) and bad.diverged[1, -1, 0] and bad.diverged.sum() == 1
    bad.steps_to_target = np.full_like(result.steps_to_target, np.nan)
    bad.seconds_to_target = np.full_like(result.seconds_to_target, np.nan)
    for r in (result, bad):
        curves = charts.loss_curves(r)  # one line per variant and seed at the deepest depth
        assert len(curves.data) == 4 * 2 and curves.layout.yaxis.type == "log"
        for trace, expected in zip(curves.data, r.losses[:, -1].reshape(8, -1)):
            np.testing.assert_allclose(np.array(trace.y, dtype=float), expected)
        final = charts.final_loss(r)
        for v in range(4):
            np.testing.assert_allclose(np.array(final.data[v].y, dtype=float),
                                       [np.nanmedian(x) for x in r.final_loss[v]])
    steps = charts.steps_to_target(result)
    fixed = next(t for t in steps.data if t.name == "residual + batch norm")  # not reached: no point
    never = np.where(np.isnan(result.steps_to_target[3]), np.inf, result.steps_to_target[3])
    expected = np.median(never, axis=-1)
    np.testing.assert_allclose(np.array(fixed.y, dtype=float), np.where(np.isinf(expected), np.nan, expected))
    assert list(fixed.x) == list(result.depths) and steps.layout.xaxis.type == "log"
    for build in (charts.steps_to_target, charts.time_to_target):
        assert build(bad).layout.title.text and build(bad).data
    assert ("wall time recorded when this result was computed (each network's share of a batched run"
            in plain(charts.time_to_target(result).layout.title.text))
    notes = plain(charts.final_loss(bad).layout.title.text)  # the notes under the title
    assert "1 run(s) diverged" in notes
    assert "did not reach it in 20 steps on any of 2 seeds" in words.summary(bad)
    bad.long_losses = np.full_like(result.long_losses, np.nan)
    fig = charts.degradation(bad)
    assert fig.layout.title.text and any("diverged" in a.text for a in fig.layout.annotations)
    assert "diverged (not a number)" in words.degradation_summary(bad)
    fig = charts.degradation(result)
    assert len(fig.data) == 2 * 2 * 2 and fig.layout.yaxis.exponentformat == "power"
    assert all("%{customdata}" in t.hovertemplate for t in fig.data)


def test_the_coin_flip_verdict_says_the_gradient_grew_only_where_this_run_shows_it(monkeypatch):
    """'… barely learned at all': always said when most seeds end at ln 2; the gradient's growth
    with depth only when this run's first/last ratio is above GRAD_GROWTH, and never as the cause."""
    result = exp.run(exp.SpeedSettings(max_depth=8, steps=20, seeds=2))
    stalled = {"plain_deep": np.full(2, exp.LN2)}
    for ratio, said in ((30.0, True), (words.GRAD_GROWTH, False), (3.0, False), (0.5, False)):
        monkeypatch.setattr(exp.Result, "bn_grad_ratio", property(lambda self, r=ratio: np.full(2, r)))
        text = words._coin_flip_text(result, stalled)
        assert "it barely learned at all" in text
        assert ("grows with depth" in text) is said, (ratio, text)
        assert "smaller than its last" not in text and "explode" not in text
        if said:
            assert "not that the growth is why it stalled" in text



# ---------------------------------------------------------------- the plain layer's timing lines
def test_plain_cost_line_picks_its_words_from_the_timing_shown():
    """'One step of the 64-layer network took about N times longer …: every extra layer adds work to
    every step' only where the deepest median is at least 1.5 times the shallowest; where a busy
    machine hid the extra work, the line says so and asks for a new measurement. The times are the
    timing's own medians, in milliseconds."""
    timing = _fake_timing(False)
    text = words.plain_cost(timing)
    med = timing.median[0]
    assert f"took {times(med[-1] / med[0], 'longer', 'shorter')} than one of the 2-layer network" in text
    assert f"({fmt.num(med[-1] * 1e3)} against {fmt.num(med[0] * 1e3)} milliseconds)" in text
    assert "Every extra layer adds work to every step" in text
    assert times(timing.flops_per_step[0, -1] / timing.flops_per_step[0, 0], "more") in text
    flat = dataclasses.replace(timing, seconds=np.full_like(timing.seconds, 2e-3))
    text = words.plain_cost(flat)
    assert "took about as long as one of the 2-layer network" in text and "did not show clearly" in text
    assert "Every extra layer adds work" not in text


@pytest.mark.parametrize("one, many, said", [
    (0.03, 0.01, "with 2 threads a step ran about 3 times faster than on 1 thread"),
    (0.01, 0.03, "with 2 threads a step ran about 3 times slower than on 1 thread: more threads do not"),
    (0.01, 0.011, "2 threads made little difference against 1 thread"),
])
def test_plain_hardware_line_says_what_the_threads_did(one, many, said):
    timing = dataclasses.replace(_fake_timing(False), thread_seconds=np.array([[one] * 3, [many] * 3]))
    text = words.plain_hardware(timing)
    assert said in text, text
    assert "GPU" not in text
    g = timing.gflops()[0]
    assert f"did {fmt.num(g.min())} to {fmt.num(g.max())} billion operations a second" in text
    assert ("more for the deeper networks" in text) == (g[-1] >= 1.5 * g[0])


def test_plain_hardware_line_without_a_thread_comparison_and_with_a_gpu():
    timing = dataclasses.replace(_fake_timing(True), thread_counts=np.array([], dtype=int),
                                 thread_seconds=np.zeros((0, 3)))
    text = words.plain_hardware(timing)
    assert f"one step at depth 64 took {fmt.num(np.median(timing.seconds[0, -1]) * 1e3)} milliseconds" in text
    assert f"On the GPU it took {fmt.num(np.median(timing.cuda_seconds[-1]) * 1e3)} milliseconds" in text


def test_plain_timing_lines_of_a_real_measurement_follow_its_numbers():
    """On this machine, now: whatever it measured, the words are the ones its numbers call for."""
    settings = step_timing.TimingSettings(time_max_depth=16, time_width=16, time_width2=0, time_points=50,
                                          repeats=3, compare_threads=True)
    timing = step_timing.measure(settings)
    med = timing.median[0]
    cost = words.plain_cost(timing)
    assert ("Every extra layer adds work to every step" in cost) == (med[-1] >= 1.5 * med[0])
    hardware = words.plain_hardware(timing)
    if len(timing.thread_counts) > 1:
        one, many = np.median(timing.thread_seconds, axis=1)[[0, -1]]
        assert ("faster than on 1 thread" in hardware) == (one / many >= 1.5)
        assert ("slower than on 1 thread" in hardware) == (one / many <= 1 / 1.5)
    for line in (cost, hardware):
        assert not COMPUTER_NOTATION.search(line), line
        assert "µs" not in line and "×" not in line
