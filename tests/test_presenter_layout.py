"""Presenter mode stacks a page's side-by-side charts (ui.columns) and restyles them for a room."""

import json

from tests.apptest_util import open_page


def _main_charts_in_columns(at) -> int:
    return sum(len(col.get("plotly_chart")) for col in at.main.columns)


def test_presenter_mode_puts_side_by_side_charts_one_under_the_other():
    normal = open_page("pages/exploding.py")
    shown = open_page("pages/exploding.py", query={"presenter": "1"})
    assert not normal.exception and not shown.exception
    charts = len(normal.get("plotly_chart"))
    assert charts >= 4 and len(shown.get("plotly_chart")) == charts
    assert _main_charts_in_columns(normal) == charts  # two per row
    assert _main_charts_in_columns(shown) == 0  # full width, stacked
    layouts = [json.loads(c.proto.spec)["layout"] for c in shown.get("plotly_chart")]
    for lay in layouts:
        assert lay["title"]["font"]["size"] >= 18 and lay["legend"]["font"]["size"] >= 18
        assert lay["hoverlabel"]["font"]["size"] >= 18 and lay["font"]["size"] >= 18
