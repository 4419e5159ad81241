"""The only Streamlit-facing module: page header, controls bound to the URL, caching.

Pages call, top to bottom:

    settings = ui.controls(MySettings, presets=PRESETS)   # widgets <-> URL
    result = ui.run_cached(run, settings)                  # cached, budgeted
    st.plotly_chart(figure(result))

`controls` draws one widget per settings field from the field's declaration
(bounds, choices, label), starts from the values in the URL (untrusted:
parsed leniently, with a visible notice of what was changed), and writes the
current values back to the URL so that a copied link restores the chart.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from depthkit.budget import BudgetError
from depthkit.codegen import pytorch_snippet
from depthkit.models import ModelSettings
from depthkit.spec import FieldSpec, Settings, specs

CACHE_ENTRIES = 64  # shared LRU over all pages; bounded so a busy server keeps its memory
PRESENTER_KEY = "presenter"


def page_header(title: str, claim: str) -> None:
    """Title, the page's claim in one sentence."""
    st.title(title)
    if not presenter_mode():
        st.markdown(f"**{claim}**")


def presenter_mode() -> bool:
    """True when the URL asks for the projector layout (?presenter=1)."""
    return st.query_params.get(PRESENTER_KEY, "0") in ("1", "true", "True")


def _key(cls: type, name: str) -> str:
    return f"{cls.__name__}.{name}"


def _widget(cls: type, name: str, spec: FieldSpec, container: Any) -> Any:
    key = _key(cls, name)
    label = spec.label or name
    kwargs = {"key": key, "help": spec.help or None}
    if spec.kind == "bool":
        return container.toggle(label, **kwargs)
    if spec.kind == "choice":
        return container.selectbox(label, spec.options, **kwargs)
    if spec.options:  # numbers with suggested steps: a discrete slider
        options = sorted(set(spec.options) | {st.session_state[key]})
        return container.select_slider(label, options=options, **kwargs)
    if spec.kind == "int":
        if spec.hi - spec.lo <= 1000:
            return container.slider(label, int(spec.lo), int(spec.hi), step=1, **kwargs)
        return container.number_input(label, int(spec.lo), int(spec.hi), step=1, **kwargs)
    step = (spec.hi - spec.lo) / 100
    return container.slider(label, float(spec.lo), float(spec.hi), step=step, **kwargs)


def _apply(cls: type, values: dict[str, Any]) -> None:
    for name, value in values.items():
        st.session_state[_key(cls, name)] = value


def controls(cls: type[Settings], *, presets: dict[str, dict[str, Any]] | None = None,
             groups: dict[str, list[str]] | None = None, container: Any = None) -> Settings | None:
    """Widgets for every field of `cls`, synced with the URL; returns the settings.

    `presets` maps a button label to field overrides (applied over the
    defaults). `groups` maps a heading to field names; fields not in any group
    go under "More". Returns None (after showing why) if the values do not
    work together.
    """
    container = container or st.sidebar
    field_specs = specs(cls)
    loaded = f"_url_loaded.{cls.__name__}"
    if loaded not in st.session_state:
        raw = {k: st.query_params.get(k) for k in st.query_params.keys()}
        start, notices = cls.from_strings(raw)
        _apply(cls, dataclasses.asdict(start))
        st.session_state[loaded] = True
        st.session_state[f"_notices.{cls.__name__}"] = notices
    notices = st.session_state.get(f"_notices.{cls.__name__}", [])
    if notices:
        st.warning("Some values in the link were not usable and were changed:\n\n" +
                   "\n".join(f"- {n}" for n in notices))

    if presets:
        container.markdown("**Try this**")
        cols = container.columns(2)
        for i, (label, overrides) in enumerate(presets.items()):
            values = {**dataclasses.asdict(cls()), **overrides}
            cols[i % 2].button(label, key=f"preset.{cls.__name__}.{label}",
                               on_click=_apply, args=(cls, values), use_container_width=True)

    groups = groups or {}
    grouped = [n for names in groups.values() for n in names]
    rest = [n for n in field_specs if n not in grouped]
    values: dict[str, Any] = {}
    for heading, names in list(groups.items()) + ([("More", rest)] if rest else []):
        box = container.expander(heading, expanded=heading != "More")
        for name in names:
            values[name] = _widget(cls, name, field_specs[name], box)
    try:
        settings = cls(**values)
    except ValueError as err:
        st.error(f"These settings do not work together: {err}")
        return None
    _write_url(settings)
    return settings


def _write_url(settings: Settings) -> None:
    """Put the settings that differ from the defaults into the URL."""
    defaults = type(settings)().to_strings()
    wanted = {k: v for k, v in settings.to_strings().items() if defaults[k] != v}
    if presenter_mode():
        wanted[PRESENTER_KEY] = "1"
    current = {k: st.query_params.get(k) for k in st.query_params.keys()}
    if current != wanted:
        st.query_params.from_dict(wanted)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def _cached_call(fn_name: str, _fn: Callable, settings: Settings) -> Any:
    return _fn(settings)


def run_cached(fn: Callable[[Settings], Any], settings: Settings,
               spinner: str = "Training the models…") -> Any | None:
    """fn(settings), cached by value; a refused or invalid run is shown, not raised."""
    name = f"{fn.__module__}.{fn.__qualname__}"
    try:
        with st.spinner(spinner):
            return _cached_call(name, fn, settings)
    except BudgetError as err:
        st.error(f"Not started: {err}")
    except ValueError as err:
        st.error(f"These settings cannot run: {err}")
    return None


def explain(markdown: str) -> None:
    """Explanatory text; hidden in presenter mode so the charts get the room."""
    if not presenter_mode():
        st.markdown(markdown)


def chart(fig: go.Figure, key: str | None = None) -> None:
    """A plotly chart at full width; taller, with larger fonts, in presenter mode."""
    if presenter_mode():
        fig.update_layout(height=int((fig.layout.height or 380) * 1.4), font=dict(size=18))
    st.plotly_chart(fig, use_container_width=True, key=key)


FIGURE_CACHE_ENTRIES = 128  # shared figures; ~11 per page view


@st.cache_resource(max_entries=FIGURE_CACHE_ENTRIES, show_spinner=False)
def _cached_figure(name: str, settings: Settings, args: tuple, _build: Callable, _result: Any) -> go.Figure:
    return _build(_result, *args)


def chart_cached(build: Callable[..., go.Figure], settings: Settings, result: Any, *args: Any,
                 key: str | None = None) -> None:
    """`chart(build(result, *args))` with the figure cached by (builder, settings, args).

    A figure is a pure function of the result, and the result of the settings, so
    the settings identify it. Building a plotly figure costs 20-40 ms (mostly
    copying the template), which dominates a cached rerun of a page with many
    charts. The cached figure is shared by all sessions, so it is never changed:
    presenter mode restyles a copy.
    """
    name = f"{build.__module__}.{build.__qualname__}"
    fig = _cached_figure(name, settings, tuple(args), build, result)
    chart(go.Figure(fig) if presenter_mode() else fig, key=key)


def _csv(table: dict[str, np.ndarray]) -> str:
    """Columns of equal length as CSV text (NaN and inf written as such)."""
    names = list(table)
    columns = [np.asarray(table[n]).reshape(-1) for n in names]
    rows = [",".join(names)]
    for i in range(len(columns[0]) if columns else 0):
        rows.append(",".join(repr(float(c[i])) if np.issubdtype(c.dtype, np.number) or c.dtype == bool
                             else str(c[i]) for c in columns))
    return "\n".join(rows) + "\n"


def download_tables(tables: dict[str, dict[str, np.ndarray]], stem: str) -> None:
    """One CSV download button per table (e.g. 'per_step', 'per_layer')."""
    cols = st.columns(max(len(tables), 1))
    for col, (name, table) in zip(cols, tables.items()):
        col.download_button(f"Download {name.replace('_', ' ')} data (CSV)", _csv(table),
                            file_name=f"{stem}_{name}.csv", mime="text/csv", key=f"csv.{stem}.{name}")


def pytorch_code(settings: ModelSettings, label: str = "PyTorch code for this model") -> None:
    """An expander with a runnable plain-PyTorch snippet that builds `settings`' network."""
    with st.expander(label):
        st.code(pytorch_snippet(settings), language="python")
