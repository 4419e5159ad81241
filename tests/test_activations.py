"""The activations figure: computed from the networks' own functions, and its caption's numbers."""

import numpy as np
import pytest
import torch

from depthkit.core import fmt
from depthkit.engine.models import ACTIVATIONS, LEAKY_SLOPE, activate
from depthkit.presentation.charts import activations as charts
from depthkit.presentation.text import vanishing as page_text


def test_it_shows_every_activation_the_app_offers_but_the_identity():
    assert set(charts.SHOWN) == set(ACTIVATIONS) - {"linear"}
    fig = charts.figure()
    assert len(fig.data) == 2 * len(charts.SHOWN)  # f and f' of each
    assert fig.layout.title.text and fig.layout.xaxis2.title.text == "pre-activation z"


@pytest.mark.parametrize("name", charts.SHOWN)
def test_curves_are_the_real_function_and_its_autograd_slope(name):
    x, y, slope = charts.curves(name)
    z = torch.tensor(x)
    np.testing.assert_allclose(y, activate(z.clone(), name).numpy(), rtol=1e-12, atol=1e-12)
    h = 1e-6  # central differences away from the kinks at 0
    away = np.abs(x) > 1e-3
    numeric = (activate(torch.tensor(x + h), name) - activate(torch.tensor(x - h), name)).numpy() / (2 * h)
    np.testing.assert_allclose(slope[away], numeric[away], atol=1e-6)
    fig = charts.figure()
    traces = [t for t in fig.data if t.legendgroup == name]
    np.testing.assert_array_equal(traces[0].y, y)
    np.testing.assert_array_equal(traces[1].y, slope)


def test_the_slopes_maxima_are_what_the_caption_says():
    note = page_text.ACTIVATIONS_NOTE
    slope = {name: charts.curves(name)[2] for name in charts.SHOWN}
    at0 = {name: float(charts.curves(name, np.array([0.0]))[2][0]) for name in charts.SHOWN}
    # σ' ≤ 1/4, reached at 0
    assert slope["sigmoid"].max() == pytest.approx(0.25, abs=1e-12) and at0["sigmoid"] == 0.25
    assert "the sigmoid's is at most 0.25 (at 0)" in note
    # tanh' ≤ 1, reached at 0
    assert slope["tanh"].max() == pytest.approx(1.0, abs=1e-12) and at0["tanh"] == pytest.approx(1.0)
    assert "tanh's at most 1 (at 0)" in note
    # ReLU' ∈ {0, 1}, leaky ReLU' ∈ {0.01, 1}
    assert set(np.unique(slope["relu"])) == {0.0, 1.0} and "ReLU's is 0 or 1" in note
    assert sorted(np.unique(slope["leaky_relu"])) == pytest.approx([LEAKY_SLOPE, 1.0])
    assert f"leaky ReLU's {fmt.num(LEAKY_SLOPE)} or 1" in note
    # GELU: from about −0.13 to 1.13, 0.5 at 0 (on [-5, 5], which holds both extremes)
    lo, hi = float(slope["gelu"].min()), float(slope["gelu"].max())
    assert f"GELU's runs from about {fmt.num(lo)} to {fmt.num(hi)} and is {fmt.num(at0['gelu'])} at 0" in note
    assert hi > 1 > 0.25 and lo < 0
