"""The workshop poll's charts (pure plotly): one question's answers, and the session's summary.

Every chart marks the correct answer with a ✓ in its label as well as by
colour, so it reads without colour vision and on a washed-out projector.
Titles, axis titles and notes are laid out by `common.layout` (wrapped for a
390 px phone, restyled by `common.for_presenter` on a projector); the option
labels, tick labels plotly never wraps, are wrapped here at presenter type, so
they fit in both modes.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go

from depthkit.core import fmt
from depthkit.presentation.charts.common import (
    CHAR_EM,
    FIX,
    NARROWEST,
    NEUTRAL,
    NORMAL,
    PRESENTER,
    PROBLEM,
    empty_note,
    layout,
    update_axis,
    wrap,
)
from depthkit.workshop.poll import LETTERS, Summary
from depthkit.workshop.quiz import Question

CHECK = "✓"  # marks a correct option (not colour alone)
LABEL_ROOM = NARROWEST // 2  # px for the option labels left of the bars, at the narrowest width
LABEL_CHARS = int(LABEL_ROOM / (CHAR_EM * PRESENTER.tick))  # per line, at the larger (presenter) type


def option_label(q: Question, order: tuple[str, ...], o: str, revealed: bool, n: int = 60) -> str:
    """'B. text' as the room sees it, with a ✓ in front of a correct option once revealed."""
    text = q.option_text(o)
    text = text if len(text) <= n else text[: n - 1].rstrip() + "…"
    mark = f"{CHECK} " if revealed and o in q.correct else ""
    return f"{mark}{LETTERS[order.index(o)]}. {text}"


def answer_counts(q: Question, order: tuple[str, ...], per_option: dict[str, int], answered: int,
                  revealed: bool) -> go.Figure:
    """Horizontal bars: attendees per option, in the order the room sees them.

    Before the reveal every bar has one colour (so the chart does not give the
    answer away); after it the correct option(s) keep the colour and get a ✓,
    the others turn grey.
    """
    labels = [wrap(option_label(q, order, o, revealed), LABEL_CHARS) for o in order]
    counts = [int(per_option.get(o, 0)) for o in order]
    colors = [(FIX if o in q.correct else NEUTRAL) if revealed else FIX for o in order]
    shown = [fmt.integer(c) for c in counts]
    fig = go.Figure([dict(type="bar", x=counts, y=labels, orientation="h", marker=dict(color=colors),
                          text=shown, textposition="auto", customdata=shown,
                          hovertemplate="%{y}: %{customdata} attendee(s)<extra></extra>")])
    noun = "attendee" if answered == 1 else "attendees"
    # each bar as tall as its label's lines (plus a gap), at normal type; presenter mode scales both
    plot = sum(12 + (label.count("<br>") + 1) * NORMAL.tick * 1.3 for label in labels)
    layout(fig, f"{fmt.integer(answered)} {noun} answered" + (" (answer revealed)" if revealed else ""),
           "attendees", "", plot=int(max(120, plot)))
    # after layout(), which sets numeric axes: options are categories, first on top
    update_axis(fig, "yaxis", type="category", autorange="reversed", automargin=True)
    top = max(counts + [1])
    return update_axis(fig, "xaxis", range=[0, top * 1.1], dtick=max(1, -(-top // 5)))


def share_right(summary: Summary) -> go.Figure:
    """Per question, the share of those who answered it who got it fully right."""
    qs = summary.room.questions
    names = [f"Q{i}" for i in range(1, len(qs) + 1)]
    shares = [summary.share_right(q.id) for q in qs]
    texts = [f"{fmt.percent(s)} ({fmt.integer(summary.right[q.id])} of "
             f"{fmt.integer(summary.counts[q.id].answered)})" if s is not None else "nobody answered"
             for q, s in zip(qs, shares)]
    prompts = [q.prompt if len(q.prompt) <= 80 else q.prompt[:79] + "…" for q in qs]
    colors = [FIX if s is not None else NEUTRAL for s in shares]
    fig = go.Figure([dict(type="bar", x=names, y=[0 if s is None else s for s in shares], text=texts,
                          textposition="auto", marker=dict(color=colors),
                          customdata=list(zip(prompts, texts)),
                          hovertemplate="%{x}: %{customdata[0]}<br>%{customdata[1]} right<extra></extra>")])
    layout(fig, "Share fully right, of those who answered each question", "question",
           "share fully right", plot=260)
    update_axis(fig, "xaxis", type="category")
    return update_axis(fig, "yaxis", range=[0, 1.05], tickformat=".0%")


def score_spread(summary: Summary) -> go.Figure:
    """How many attendees scored each number of whole points (partial credit rounded down)."""
    total = len(summary.room.questions)
    fig = go.Figure()
    if not summary.scores:
        layout(fig, "Scores of the room", "points", "attendees", plot=200)
        return empty_note(fig, "Nobody has answered yet.")
    bins = [0] * (total + 1)
    for s in summary.scores:
        bins[min(total, math.floor(s + 1e-9))] += 1
    fig.add_trace(dict(type="bar", x=list(range(total + 1)), y=bins, marker=dict(color=PROBLEM),
                       text=[fmt.integer(b) if b else "" for b in bins], textposition="auto",
                       hovertemplate=f"%{{x}} of {total} points: %{{y}} attendee(s)<extra></extra>"))
    n = len(summary.scores)
    layout(fig, f"Scores of the {fmt.integer(n)} attendee{'s' if n != 1 else ''} who answered",
           f"points (of {total}; partial credit rounded down)", "attendees", plot=200)
    update_axis(fig, "xaxis", type="linear", dtick=1, range=[-0.6, total + 0.6])
    return update_axis(fig, "yaxis", rangemode="tozero", dtick=max(1, -(-max(bins) // 5)))
