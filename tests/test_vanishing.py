"""The vanishing-gradients experiment, charts and page: settings, budget, text, divergence, AppTest."""

import pickle
import re

import numpy as np
import pytest

from depthkit.core import fmt
from depthkit.core.spec import field_spec
from depthkit.engine.budget import BudgetError
from depthkit.experiments import vanishing as exp
from depthkit.presentation import tables
from depthkit.presentation.charts import vanishing as charts
from depthkit.presentation.charts.common import NEUTRAL, plain
from depthkit.presentation.text import glossary
from depthkit.presentation.text import vanishing as page_text
from tests import plain_util as pu
from tests.apptest_util import open_page, plotly_specs

N_CHARTS = 11  # built from a Result
PAGE_CHARTS = N_CHARTS + 1  # and the static activations figure
COMPUTER_NOTATION = re.compile(r"\d[eE][+-]?\d|\bnan\b|\binf\b", re.IGNORECASE)
SHORT = exp.VanishingSettings(steps=20, n_samples=200, depth=8)


@pytest.fixture(scope="module")
def short():
    return exp.run(SHORT)


def test_result_carries_its_settings_and_copies_none_of_them(short):
    from dataclasses import fields

    from depthkit.core.spec import specs
    from depthkit.experiments.record import Network
    from depthkit.experiments.result import Result as BaseResult
    assert isinstance(short, BaseResult) and short.settings == SHORT
    names = {f.name for f in fields(short)} - {"settings", "fingerprint"}
    assert not names & set(specs(exp.VanishingSettings)), names & set(specs(exp.VanishingSettings))
    assert isinstance(short.problem, Network) and isinstance(short.fix, Network)
    assert short.problem.model == SHORT.model("problem") and short.fix.model == SHORT.model("fix")


def test_settings_derive_the_models_training_and_data():
    s = exp.VanishingSettings(**exp.PRESETS["Sigmoid + batch norm"])
    fix = s.model("fix")
    assert (fix.activation, fix.norm, fix.depth, fix.width) == ("sigmoid", "batch", s.depth, s.width)
    assert s.model("problem").norm == "none" and not s.model("problem").residual
    assert s.training("problem") == s.training("fix")
    assert (s.training("fix").lr, s.training("fix").steps) == (1.0, 200)
    assert (s.data().name, s.data().n_samples, s.data().seed) == (s.dataset, s.n_samples, s.seed)
    with pytest.raises(ValueError, match="role"):
        s.model("remedy")


def test_settings_are_validated():
    for bad in ({"depth": 1}, {"depth": 51}, {"width": 2}, {"activation": "swish"}, {"lr": 0.0}):
        with pytest.raises(ValueError):
            exp.VanishingSettings(**bad)
    with pytest.raises(ValueError, match="unknown"):
        exp.VanishingSettings.from_dict({"depht": 3})
    settings, notices = exp.VanishingSettings.from_strings({"depth": "500", "activation": "x"})
    assert settings.depth == 50 and settings.activation == "sigmoid" and len(notices) == 2


def test_presets_are_valid_settings():
    for overrides in exp.PRESETS.values():
        exp.VanishingSettings(**overrides)


def test_budget_refuses_big_runs_before_training():
    big = exp.VanishingSettings(depth=50, width=128, steps=2000, n_samples=2000)
    assert exp.cost(big) > 4e11
    with pytest.raises(BudgetError):
        exp.run(big)


def test_same_settings_same_result(short):
    again = exp.run(SHORT)
    np.testing.assert_array_equal(short.problem.training.loss, again.problem.training.loss)
    np.testing.assert_array_equal(short.fix.training.layer_grad_norms, again.fix.training.layer_grad_norms)
    np.testing.assert_array_equal(short.sweep.signal_ratio, again.sweep.signal_ratio)
    other = exp.run(SHORT.replace(seed=1))
    assert not np.array_equal(short.fix.training.loss, other.fix.training.loss)


def test_result_shapes_and_plain_types(short):
    d, t = SHORT.depth, SHORT.steps
    for net in (short.problem, short.fix):
        assert net.at_init.weight_grad_norms.shape == net.at_end.weight_grad_norms.shape == (d,)
        assert net.training.weight_change.shape == (d,)
        assert net.training.layer_grad_norms.shape == (t, d)
        assert net.boundary.shape == (exp.GRID, exp.GRID)
        assert np.all((net.boundary >= 0) & (net.boundary <= 1))
    assert short.sweep.grad_ratio.shape == (len(exp.SWEEP), len(short.sweep.depths))
    assert SHORT.depth in short.sweep.depths
    back = pickle.loads(pickle.dumps(short))
    np.testing.assert_array_equal(back.fix.at_init.weight_grad_norms, short.fix.at_init.weight_grad_norms)


def test_summary_numbers_come_from_the_result(short):
    text = page_text.summary(short)
    p = short.problem
    grads = p.at_init.weight_grad_norms
    assert f"({fmt.num(grads[0])} vs {fmt.num(grads[-1])};" in text
    assert page_text.ratio_words(exp.grad_ratio(p)) in text
    assert fmt.percent(short.fix.training.final_val_acc) in text
    i = list(short.sweep.depths).index(8)
    assert fmt.num(short.sweep.signal_ratio[exp.SUBTLE][i]) in text
    assert fmt.num(short.sweep.sigmoid_bound[i]) in text
    assert f"(the line labelled '{page_text.BOUND_NAME}';" in text  # named as the legend names it
    assert fmt.num(exp.update_max(p)[0]) in text and fmt.num(exp.half_spacing(p)[0]) in text
    assert COMPUTER_NOTATION.search(text) is None, text


def test_number_words():
    assert page_text.ratio_words(1 / 4300) == "4,300 times smaller"
    assert page_text.ratio_words(0.0).startswith("infinitely smaller: it underflowed")
    assert page_text.ratio_words(1.0) == "about the same"
    assert page_text.ratio_words(float("nan")).startswith("not measurable")
    assert page_text.moved(0.0).startswith("exactly 0") and page_text.moved(0.31) == "31%"
    assert page_text.share(np.array([0.001, 0.002])) == "under 1%"
    assert page_text.divergence_words("gradient norm became inf") == "gradient norm became infinite"
    assert page_text.divergence_words("loss became nan") == "loss became not a number"


def test_sigmoid_bound_is_the_product_of_quarter_spectral_norms():
    m = exp.ModelSettings(depth=6, width=8, activation="sigmoid", init="default")
    norms = exp.spectral_norms(m, seed=3)
    assert norms.shape == (5,) and np.all(norms > 0)
    assert exp.sigmoid_bound(norms) == pytest.approx(np.prod(0.25 * norms))
    assert exp.per_layer(0.25 ** 5, 6) == pytest.approx(0.25)
    assert np.isnan(exp.per_layer(0.0, 6))


def test_update_sizes_and_float32_spacing(short):
    for net in (short.problem, short.fix):
        sizes = [f(net) for f in (exp.update_max, exp.half_spacing, exp.weight_typical, exp.update_ratio_max)]
        assert all(a.shape == (SHORT.depth,) for a in sizes)
        # half a float32 step at |w| lies between 2^-25 and 2^-24 of |w|
        rel = exp.half_spacing(net) / exp.weight_typical(net)
        assert np.all((rel > 2.0 ** -25 * 0.999) & (rel <= 2.0 ** -24 * 1.001)), rel
        assert np.all(exp.update_ratio_max(net) >= 0)


def test_tables_have_equal_columns(short):
    for table in tables.vanishing_tables(short).values():
        lengths = {len(np.asarray(col)) for col in table.values()}
        assert len(lengths) == 1
        assert all("," not in name for name in table)


def test_every_chart_builds_with_titles(short):
    figs = [charts.gradient_flow(short), charts.grad_heatmap(short, "problem"),
            charts.grad_heatmap(short, "fix"),
            charts.weight_change(short), charts.saturation(short), charts.loss_curves(short),
            charts.accuracy_curves(short), charts.boundary(short, "problem"), charts.boundary(short, "fix"),
            charts.depth_sweep(short, "grad"), charts.depth_sweep(short, "signal")]
    assert len(figs) == N_CHARTS
    for fig in figs:
        assert fig.layout.title.text and fig.data


def _trace(fig, name):
    found = [t for t in fig.data if t.name == name]
    assert len(found) == 1, [t.name for t in fig.data]
    return found[0]


def _same(plotted, values):
    """Plotted y values equal the Result's array (a gap where a value cannot be drawn on a log axis)."""
    values = np.asarray(values, dtype=float)
    drawn = np.array([np.nan if v is None else v for v in plotted], dtype=float)
    ok = np.isfinite(values) & (values > 0)
    np.testing.assert_allclose(drawn[ok], values[ok], rtol=1e-6)
    assert np.all(np.isnan(drawn[~ok]))


def test_per_layer_charts_plot_the_results_arrays(short):
    layers = list(range(1, SHORT.depth + 1))
    flow = charts.gradient_flow(short)
    assert len(flow.data) == 4 and flow.layout.yaxis.type == "log"
    for name, net in (("Problem", short.problem), ("Fix", short.fix)):
        assert list(_trace(flow, f"{name} at init").x) == layers
        _same(_trace(flow, f"{name} at init").y, net.at_init.weight_grad_norms)
        _same(_trace(flow, f"{name} after training").y, net.at_end.weight_grad_norms)
    change = charts.weight_change(short)
    assert change.layout.yaxis.type == "log"
    for name, net in (("Problem", short.problem), ("Fix", short.fix)):
        _same(_trace(change, f"{name}: total change").y, net.training.weight_change)
        _same(_trace(change, f"{name}: largest single step").y, exp.update_ratio_max(net))
    sat = charts.saturation(short)
    for name, net in (("Problem", short.problem), ("Fix", short.fix)):
        np.testing.assert_allclose(_trace(sat, f"{name} at init").y, net.at_init.saturated)
        np.testing.assert_allclose(_trace(sat, f"{name} after training").y, net.at_end.saturated)


def test_step_charts_plot_the_training_curves(short):
    loss, acc = charts.loss_curves(short), charts.accuracy_curves(short)
    assert len(loss.data) == len(acc.data) == 2 and loss.layout.yaxis.type == "log"
    for trace_loss, trace_acc, net in zip(loss.data, acc.data, (short.problem, short.fix)):
        assert net.label in trace_loss.name
        _same(trace_loss.y, net.training.loss)
        np.testing.assert_allclose(trace_acc.y, net.training.val_acc)
    for which, net in (("problem", short.problem), ("fix", short.fix)):
        heat = charts.grad_heatmap(short, which).data[0]
        z = np.array([[np.nan if v is None else v for v in row] for row in heat.z], dtype=float)
        assert z.shape == (SHORT.depth, SHORT.steps)
        np.testing.assert_allclose(10 ** z, net.training.layer_grad_norms.T, rtol=1e-6)


def test_boundary_chart_draws_the_networks_probabilities_and_the_points(short):
    for which, net in (("problem", short.problem), ("fix", short.fix)):
        fig = charts.boundary(short, which)
        contour = fig.data[0]
        np.testing.assert_allclose(np.asarray(contour.z), net.boundary)
        np.testing.assert_allclose(contour.x, short.grid.x)
        np.testing.assert_allclose(contour.y, short.grid.y)
        points = [t for t in fig.data if t.type == "scatter"]
        assert sum(len(t.x) for t in points) == len(short.y_train)
        assert fmt.percent(net.training.final_val_acc) in fig.layout.title.text


def test_sweep_charts_plot_the_sweep(short):
    sw = short.sweep
    for kind, values in (("grad", sw.grad_ratio), ("signal", sw.signal_ratio)):
        fig = charts.depth_sweep(short, kind)
        assert fig.layout.yaxis.type == "log"
        for k, label in enumerate(sw.labels):
            trace = _trace(fig, label)
            assert list(trace.x) == sw.depths.tolist()
            _same(trace.y, values[k])


def test_sweep_bound_only_on_the_signal_chart_and_from_the_weights(short):
    grad, signal = charts.depth_sweep(short, "grad"), charts.depth_sweep(short, "signal")
    assert not any("bound" in (t.name or "") or "0.25 per layer" in (t.name or "") for t in grad.data)
    bounds = [t for t in signal.data if "upper bound" in (t.name or "")]
    assert len(bounds) == 1
    # the page's words name the bound by its legend label, and the line at 1 by its colour
    name = plain(bounds[0].name)  # the legend wraps long names
    assert name == page_text.BOUND_NAME and name.startswith(short.sweep.labels[0] + ":")
    assert f"the line labelled '{page_text.BOUND_NAME}'" in page_text.SWEEP_NOTE
    assert "grey line at 1" in page_text.SWEEP_NOTE
    ones = [s for s in signal.layout.shapes if s.y0 == s.y1 == 1.0]
    assert len(ones) == 1 and ones[0].line.color == NEUTRAL
    np.testing.assert_allclose(bounds[0].y, short.sweep.sigmoid_bound)
    assert not np.allclose(short.sweep.sigmoid_bound, 0.25 ** (short.sweep.depths - 1))


def test_saturation_title_names_the_bands_the_probe_counts(short):
    from depthkit.engine.probes import SIGMOID_BAND, TANH_BAND
    title = plain(charts.saturation(short).layout.title.text)  # the notes under the title
    # one rule for both activations: the derivative is under a tenth of its peak at the band's edge
    assert SIGMOID_BAND * (1 - SIGMOID_BAND) == pytest.approx(0.25 / 10)
    assert 1 - TANH_BAND ** 2 == pytest.approx(1 / 10)
    assert ("derivative under 10% of its peak (sigmoid within 0.026 of 0 or 1, tanh beyond ±0.95)"
            in title), title
    assert "saturation as in Glorot & Bengio 2010" in title


def test_weight_change_chart_shows_the_step_next_to_float32s(short):
    fig = charts.weight_change(short)
    names = [t.name for t in fig.data]
    assert any("largest single step" in n for n in names)
    line = [t for t in fig.data if (t.name or "").startswith("float32")]
    assert line and line[0].y[0] == exp.FLOAT32_ROUNDS_AWAY
    title = plain(fig.layout.title.text)
    p = short.problem
    assert f"no weight moved more than {fmt.num(exp.update_max(p)[0])} in one update" in title
    assert f"half the gap between float32 numbers is {fmt.num(exp.half_spacing(p)[0])}" in title
    assert f"near a typical |w| ≈ {fmt.num(exp.weight_typical(p)[0])}" in title


def test_hover_labels_and_titles_are_written_for_people(short):
    figs = [charts.gradient_flow(short), charts.grad_heatmap(short, "problem"), charts.weight_change(short),
            charts.saturation(short), charts.loss_curves(short), charts.accuracy_curves(short),
            charts.boundary(short, "fix"), charts.depth_sweep(short, "grad"),
            charts.depth_sweep(short, "signal")]
    for fig in figs:
        spec = fig.to_plotly_json()
        words = [fig.layout.title.text] + [a.text for a in fig.layout.annotations]
        for trace in spec["data"]:
            template = trace.get("hovertemplate") or ""
            # values come preformatted (customdata); a layer or step number may be shown as is
            assert "%{y:" not in template and "%{z" not in template, template
            custom = trace.get("customdata")
            if custom is not None:
                words += [str(c) for c in np.asarray(custom, dtype=object).ravel()]
            words.append(trace.get("name") or "")
        for w in words:
            assert COMPUTER_NOTATION.search(w) is None, w
        if spec["layout"].get("yaxis", {}).get("type") == "log":
            assert spec["layout"]["yaxis"]["exponentformat"] == "power"


def test_a_diverging_run_renders_with_a_marker_and_a_note():
    s = exp.VanishingSettings(depth=30, width=64, activation="relu", init="he", lr=1.0, steps=10,
                              n_samples=200)
    r = exp.run(s)
    assert r.fix.diverged_step is not None
    assert f"diverged at step {r.fix.diverged_step}" in page_text.summary(r)
    # the plain layer says so too, visibly: a warning the visitor must see
    warning = f"the fix's broke down (diverged) at step {r.fix.diverged_step}"
    assert warning in page_text.plain_training(r)
    for line in (page_text.plain_flow, page_text.plain_heatmaps, page_text.plain_change,
                 page_text.plain_boundary, page_text.plain_sweep):
        assert COMPUTER_NOTATION.search(line(r)) is None, line(r)
    heat = charts.grad_heatmap(r, "fix")
    assert any(a.text.startswith("diverged") for a in heat.layout.annotations)
    assert any("diverged" in a.text for a in charts.loss_curves(r).layout.annotations)
    for fig in (charts.gradient_flow(r), charts.weight_change(r), charts.boundary(r, "fix")):
        fig.to_json()  # no exception on NaN/inf


def test_gradients_below_float32_range_are_named_not_plotted():
    r = exp.run(exp.VanishingSettings(depth=50, steps=10, n_samples=200))
    assert np.sum(r.problem.at_init.weight_grad_norms == 0) > 0  # float32 underflow, as the design notes
    assert "exactly 0 in float32" in plain(charts.gradient_flow(r).layout.title.text)
    assert np.all(r.sweep.signal_ratio[0] > 0)  # the float64 sweep still has numbers


# ------------------------------------------------------------------ the page

def _assert_page_shows(at, settings):
    assert not at.exception, [e.message for e in at.exception]
    specs = plotly_specs(at)
    assert len(specs) == PAGE_CHARTS
    result = exp.run(settings)
    # the expert layer ("The numbers behind it") holds today's text, every line of it
    expert = "\n".join(pu.expander_texts(at.main, glossary.EXPERT_LABEL))
    for part in (page_text.INTRO, page_text.summary(result), page_text.HISTORY, page_text.SWEEP_NOTE):
        assert part in pu.expander_texts(at.main, glossary.EXPERT_LABEL)
        assert all(line in expert for line in part.splitlines() if line.strip())
    # the plain layer, one line under the flow chart, each row of two and the sweep, shown outside it
    shown = pu.visible_texts(at.main)
    assert f"**{page_text.POINT}**" in [m.value for m in at.markdown]
    for line in (page_text.plain_flow, page_text.plain_heatmaps, page_text.plain_change,
                 page_text.plain_training, page_text.plain_boundary, page_text.plain_sweep):
        assert line(result) in shown, line.__name__
    assert any(s["layout"]["title"]["text"].startswith("Activations f(z)") for s in specs)
    return specs


def test_page_defaults():
    at = open_page("pages/vanishing.py")
    _assert_page_shows(at, exp.VanishingSettings())
    assert at.title[0].value == "Vanishing gradients"
    sources = [e for e in at.expander if e.label.startswith("Sources")]
    assert sources and "Glorot & Bengio (2010)" in sources[0].markdown[0].value
    assert "Goldberg (1991)" in sources[0].markdown[0].value


@pytest.mark.parametrize("label", list(exp.PRESETS))
def test_page_presets(label):
    at = open_page("pages/vanishing.py")
    at.button(key=f"preset.VanishingSettings.{label}").click()
    at.run()
    _assert_page_shows(at, exp.VanishingSettings(**exp.PRESETS[label]))


def test_page_changing_depth_and_activation_reruns():
    at = open_page("pages/vanishing.py", query={"steps": "50"})
    at.slider(key="VanishingSettings.depth").set_value(8)
    at.selectbox(key="VanishingSettings.activation").set_value("tanh")
    at.run()
    _assert_page_shows(at, exp.VanishingSettings(depth=8, activation="tanh", steps=50))
    assert at.query_params["depth"] == ["8"] or at.query_params["depth"] == "8"


def test_page_raw_scale_inputs_from_a_link():
    at = open_page("pages/vanishing.py", query={"inputs": "offset +10", "steps": "50"})
    settings = exp.VanishingSettings(inputs="offset +10", steps=50)
    specs = _assert_page_shows(at, settings)
    assert at.selectbox(key="VanishingSettings.inputs").value == "offset +10"
    boundaries = [s for s in specs if "decision boundary" in s["layout"]["title"]["text"]]
    assert len(boundaries) == 2
    assert all(s["layout"]["xaxis"]["title"]["text"] == "x1 (raw + 10)" for s in boundaries)
    names = [t.get("name") for s in specs for t in s["data"]]
    assert "Fix, standardized inputs" in names and "Problem at init, standardized inputs" in names


def test_page_input_scale_control_reruns_and_writes_the_link():
    at = open_page("pages/vanishing.py", query={"steps": "50"})
    at.selectbox(key="VanishingSettings.inputs").set_value("x1 ×100")
    at.run()
    _assert_page_shows(at, exp.VanishingSettings(inputs="x1 ×100", steps=50))
    assert at.query_params["inputs"] in ("x1 ×100", ["x1 ×100"])


def test_page_layer_norm_runs():
    at = open_page("pages/vanishing.py", query={"steps": "50"})
    at.selectbox(key="VanishingSettings.norm").set_value("layer")
    at.run()
    settings = exp.VanishingSettings(norm="layer", steps=50)
    _assert_page_shows(at, settings)
    assert "Layer norm" in page_text.summary(exp.run(settings))
    assert any("ReLU, He init + layer norm" in s["layout"]["title"]["text"] for s in plotly_specs(at))


def test_page_link_with_a_bad_input_scale_shows_a_notice():
    at = open_page("pages/vanishing.py", query={"inputs": "x1*100", "steps": "50"})
    assert not at.exception
    assert any("`inputs=x1*100`: unknown choice" in w.value for w in at.warning)
    assert at.selectbox(key="VanishingSettings.inputs").value == "standardized"


def test_page_link_with_bad_values_shows_a_notice():
    at = open_page("pages/vanishing.py", query={"depth": "999", "steps": "50"})
    assert not at.exception
    assert any("not usable" in w.value for w in at.warning)


def test_presenter_mode_restyles_a_copy_not_the_shared_figure():
    big = plotly_specs(open_page("pages/vanishing.py", query={"presenter": "1"}))
    normal = plotly_specs(open_page("pages/vanishing.py"))
    assert len(big) == len(normal) == PAGE_CHARTS
    assert big[0]["layout"]["height"] > normal[0]["layout"]["height"]


def test_the_optimizer_help_states_when_an_adam_step_of_a_tiny_gradient_moves_a_weight():
    """'for g = 10⁻¹⁵ that is lr × 10⁻⁷, too small to change a weight near 0.3 in float32 unless lr
    is above about 0.15': float32 arithmetic, checked on either side of 0.15."""
    help_text = field_spec(exp.VanishingSettings, "optimizer").help
    assert "lr × 10⁻⁷, too small to change a weight near 0.3 in float32 unless lr is above about 0.15" \
        in help_text
    w = np.float32(0.3)
    for lr in (0.05, 0.1, 0.14):
        assert w - np.float32(lr * 1e-15 / 1e-8) == w  # Adam's step lr·g/ε rounds away
    for lr in (0.16, 0.3, 1.0):
        assert w - np.float32(lr * 1e-15 / 1e-8) != w


def test_a_batch_norm_fix_says_evaluation_uses_running_statistics(short):
    """Accuracy is measured in eval mode (train.py): with batch norm, on running statistics that lag in
    a short run; the sentence names the trainer's momentum, and appears only when batch norm is on."""
    import dataclasses

    from depthkit.engine.models import BN_MOMENTUM
    caveat = "**Batch norm in evaluation:**"
    assert short.settings.norm == "none" and caveat not in page_text.summary(short)
    with_bn = dataclasses.replace(short, settings=short.settings.replace(norm="batch"))
    summary = page_text.summary(with_bn)
    assert caveat in summary and f"moves them {fmt.percent(BN_MOMENTUM)} of the way" in summary


def test_normalization_choice_offers_layer_norm_with_help():
    spec = field_spec(exp.VanishingSettings, "norm")
    assert spec.options == ("none", "batch", "layer")
    for words in ("no dependence on the other examples", "no running statistics", "Transformers"):
        assert words in spec.help
    fix = exp.VanishingSettings(norm="layer").model("fix")
    assert fix.norm == "layer" and exp.label(fix) == "ReLU, He init + layer norm"
    assert exp.VanishingSettings(norm="layer").model("problem").norm == "none"
    with pytest.raises(ValueError, match="norm"):
        exp.VanishingSettings(norm="group")


def test_standardized_runs_carry_no_comparison_and_raw_runs_say_so(short):
    assert short.standardized is None and page_text.inputs_text(short) == ""
    names = [t.name for t in charts.loss_curves(short).data]
    assert not any("standardized" in (n or "") for n in names)
    assert charts.boundary(short, "fix").layout.xaxis.title.text == "x1 (standardized)"


def test_plain_words_follow_the_numbers():
    # the plain layer's judging words switch where depthkit.presentation.text.vanishing says, on any run
    assert page_text._reaches(1e-9) == "it gets almost nothing to learn from"
    assert page_text._reaches(0.0) == "it gets nothing at all to learn from"
    assert page_text._reaches(0.5) == page_text._reaches(40.0) == "it still gets a gradient to learn from"
    assert page_text._than(1.2, "its last layer's") == "about the same as its last layer's"
    assert page_text._than(0.0) == "of exactly zero"
    assert (page_text._than(1 / 6.1e15, "its last layer's")
            == "about 6 quadrillion times smaller than its last layer's")
    assert page_text._percent(3e-6) == "less than 0.01%" and page_text._percent(0.0064) == "0.64%"


def test_plain_lines_of_a_short_run_are_plain(short):
    for line in (page_text.plain_flow, page_text.plain_heatmaps, page_text.plain_change,
                 page_text.plain_training, page_text.plain_boundary, page_text.plain_sweep):
        text = line(short)
        assert COMPUTER_NOTATION.search(text) is None and not [s for s in pu.SYMBOLS if s in text], text
        assert pu.mean_sentence_words([text]) <= pu.MAX_SENTENCE_WORDS + 6, text
