"""Drawing results: charts (cached by result fingerprint), explanations, sources, CSV and code."""

from __future__ import annotations

import csv
import io
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from depthkit.engine.models import ModelSettings
from depthkit.presentation.charts.common import PRESENTER, for_presenter
from depthkit.presentation.codegen import pytorch_snippet
from depthkit.presentation.sources import cite
from depthkit.presentation.text import glossary
from depthkit.ui.run import figure_cache
from depthkit.ui.shell import presenter_mode

PRESENTER_SCALE = PRESENTER.scale  # chart plot-height factor for a projector
PRESENTER_FONT = min(PRESENTER.tick, PRESENTER.legend, PRESENTER.note, PRESENTER.hover)  # smallest text, px


def explain(markdown: str) -> None:
    """Explanatory text; hidden in presenter mode so the charts get the room."""
    if not presenter_mode():
        st.markdown(markdown)


def numbers_behind(*markdown: str, label: str = glossary.EXPERT_LABEL) -> None:
    """The expert layer: the exact text (norms, bounds, float32 spacing, sources) in an expander under
    the plain sentences, one click away; hidden in presenter mode with the rest of the text."""
    parts = [m for m in markdown if m]
    if presenter_mode() or not parts:
        return
    with st.expander(label):
        for part in parts:
            st.markdown(part)


def words_on_this_page(page: str) -> None:
    """The page's glossary entries (`text.glossary.PAGE_TERMS[page]`) in an expander near the top, and
    a link to the whole glossary. Hidden in presenter mode."""
    if presenter_mode():
        return
    with st.expander(glossary.WORDS_LABEL, icon=":material/menu_book:"):
        st.markdown(glossary.entries(glossary.PAGE_TERMS[page]))
        st.page_link("pages/glossary.py", label=glossary.GLOSSARY_LINK, icon=":material/menu_book:")


def sources(*keys: str) -> None:
    """The papers this page's claims rest on (keys of `presentation.sources.PAPERS`), in an expander."""
    refs = cite(*keys)
    with st.expander(f"Sources ({len(refs)})"):
        st.markdown("\n".join(f"- {ref}" for ref in refs))


def columns(n: int) -> list:
    """`n` columns side by side; in presenter mode `n` full-width blocks, one under the other.

    Two charts side by side are too small to read from the back of a room.
    """
    if presenter_mode():
        return [st.container() for _ in range(n)]
    return st.columns(n)


def show(fig: go.Figure, key: str | None = None) -> None:
    """A ready plotly figure at full width; in presenter mode restyled (`charts.common.for_presenter`:
    texts of 18 px and more, rewrapped, a taller plot), which changes `fig` itself.

    Plotly's own toolbar keeps its "Download plot as a PNG" button.
    """
    _plot(for_presenter(fig) if presenter_mode() else fig, key)


def _plot(fig: go.Figure, key: str | None) -> None:
    png = {"filename": f"depthkit_{key or 'chart'}".replace(".", "_"), "scale": 2}
    st.plotly_chart(fig, width="stretch", key=key,
                    config={"displaylogo": False, "toImageButtonOptions": png})


def _cell(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (numbers.Integral,)):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))  # shortest exact text; 'nan', 'inf', '-inf' read back by float()
    return str(value)


def chart(build: Callable[..., go.Figure], result: Any, *args: Any, key: str | None = None) -> None:
    """`show(build(result, *args))`, the figure's spec kept per (builder, result fingerprint, args,
    mode) for every session (depthkit.serving.figures: in memory, and on disk for the views the warm-up
    prepared), so a page's cached rerun builds no figure."""
    presenter = presenter_mode()
    _plot(figure_cache().figure(build, result, args, presenter), key)


def _csv(table: dict[str, np.ndarray]) -> str:
    """Columns as CSV text; NaN and inf written as nan/inf, shorter columns padded with blanks."""
    names = list(table)
    columns = [np.asarray(table[n]).reshape(-1) for n in names]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    for i in range(max((len(c) for c in columns), default=0)):
        writer.writerow([_cell(c[i].item()) if i < len(c) else "" for c in columns])
    return out.getvalue()


def download_tables(tables: dict[str, dict[str, np.ndarray]], stem: str) -> None:
    """One CSV download button per table (e.g. 'per_step', 'per_layer'); no rerun on click."""
    cols = st.columns(max(len(tables), 1))
    for col, (name, table) in zip(cols, tables.items()):
        col.download_button(f"Download {name.replace('_', ' ')} data (CSV)", _csv(table),
                            file_name=f"{stem}_{name}.csv", mime="text/csv", key=f"csv.{stem}.{name}",
                            on_click="ignore", icon=":material/download:")


def pytorch_code(settings: ModelSettings, label: str = "PyTorch code for this model") -> None:
    """An expander with a runnable plain-PyTorch snippet that builds `settings`' network."""
    with st.expander(label):
        st.code(pytorch_snippet(settings), language="python")
