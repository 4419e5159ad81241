"""The workshop poll's chart: how the room answered one question (pure plotly)."""

from __future__ import annotations

import plotly.graph_objects as go

from depthkit import fmt
from depthkit.charts.common import FIX, GREEN, NEUTRAL, layout
from depthkit.quiz import Question

RIGHT = GREEN  # a correct option, after the reveal


def answer_counts(q: Question, order: tuple[str, ...], per_option: dict[str, int], answered: int,
                  revealed: bool) -> go.Figure:
    """Horizontal bars: attendees per option, in the order the room sees them.

    Before the reveal every bar has one colour (so the chart does not give the
    answer away); after it the correct option(s) turn green.
    """
    letters = "ABCDEF"
    labels = [f"{letters[i]}. {_short(q.option_text(o))}" for i, o in enumerate(order)]
    counts = [int(per_option.get(o, 0)) for o in order]
    colors = [(RIGHT if o in q.correct else NEUTRAL) if revealed else FIX for o in order]
    shown = [fmt.integer(c) for c in counts]
    fig = go.Figure(go.Bar(x=counts, y=labels, orientation="h", marker_color=colors,
                           text=shown, textposition="auto", customdata=shown,
                           hovertemplate="%{y}: %{customdata} attendee(s)<extra></extra>"))
    noun = "attendee" if answered == 1 else "attendees"
    layout(fig, f"{fmt.integer(answered)} {noun} answered" + (" (answer revealed)" if revealed else ""),
           "attendees who chose the option", "", plot=45 * len(order))
    # after layout(), which sets numeric axes: options are categories, first on top
    fig.update_yaxes(type="category", autorange="reversed")
    top = max(counts + [1])
    fig.update_xaxes(range=[0, top * 1.1], dtick=max(1, -(-top // 5)))
    return fig


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
