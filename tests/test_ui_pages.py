"""Every challenge page offers what issue 8 asks of it, through AppTest.

A copy-link box, CSV downloads, a runnable "PyTorch code for this model"
snippet, and a presenter mode that hides the explanation and enlarges the
charts.
"""

import contextlib
import io
import json

import pytest

from depthkit import ui
from tests.apptest_util import open_page
from tests.links_util import CHALLENGES


def heights(at) -> list[float]:
    return [json.loads(c.proto.spec)["layout"].get("height") or 450 for c in at.get("plotly_chart")]


@pytest.mark.parametrize("page", CHALLENGES)
def test_challenge_page_offers_link_csv_code_and_presenter_mode(page):
    at = open_page(page)
    assert not at.exception, [e.message for e in at.exception]
    sidebar_md = [m.value for m in at.sidebar.markdown]
    assert f"**{ui.COPY_LINK_LABEL}**" in sidebar_md
    assert at.sidebar.code, "the link box"
    assert any("CSV" in b.proto.label for b in at.get("download_button"))

    snippets = [c.value for c in at.code if "nn.Sequential" in c.value]
    assert snippets, "a 'PyTorch code for this model' snippet"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(snippets[0], "<snippet>", "exec"), {})  # noqa: S102
    assert out.getvalue().strip().endswith("parameters")

    shown = open_page(page, query={"presenter": "1"})
    assert not shown.exception
    assert len(shown.markdown) < len(at.markdown), "explanations hidden"
    assert heights(shown) and min(heights(shown)) > min(heights(at)), "charts enlarged"
