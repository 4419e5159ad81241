"""The only Streamlit-facing module: page header, controls bound to the URL, caching.

Pages call, top to bottom:

    settings = ui.controls(MySettings, presets=PRESETS)   # widgets <-> URL
    result = ui.run_cached(run, settings)                  # cached, budgeted
    ui.chart(charts.figure, result, key="...")            # cached by the result

`controls` draws one widget per settings field from the field's declaration
(bounds, choices, label), starts from the values in the URL (untrusted:
parsed leniently, with a visible notice of what was changed), writes the
current values back to the URL so that a copied link restores the chart, and
ends with a "Copy link to this experiment" box. The values also live in the
session, so a visit to another page loses nothing.

One URL module for every page: a page that draws its own widgets (the
Mission) declares its link as a Settings class too, reads it with
`url_settings(cls)` (parsed settings and notices, once per session), shows
`link_notice(notices)` and writes with `write_url(settings)` (only values that
differ from the defaults). URL keys are the short field names (`?depth=30`)
and several pages share names (`depth`, `seed`); Streamlit keeps the query when
the visitor moves to another page, so the values this session wrote for one
page are dropped from the URL when another page runs (`_forget_other_pages`),
and never read by it. Streamlit's native `bind="query-params"` was not used:
its URL key is the widget key, shared across pages, it drops off-grid values
instead of snapping them, gives no notice, and the sidebar navigation drops
parameters that no widget binds.

Presenter mode (`presenter_toggle`, in the app's sidebar; ?presenter=1 in the
URL) hides `explain` text and enlarges `chart`s. Export: `download_tables`
(CSV per table, NaN/inf kept), plotly's own PNG button on every chart, and
`pytorch_code` (a runnable plain-PyTorch snippet of the model).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import numbers
import os
import pathlib
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

import numpy as np
import plotly.graph_objects as go
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from depthkit import progress
from depthkit.budget import BudgetError
from depthkit.codegen import pytorch_snippet
from depthkit.models import ModelSettings
from depthkit.sources import cite
from depthkit.spec import FieldSpec, Settings, parse_bool, specs
from depthkit.store import ResultStore
from depthkit.warmup import InFlight, Warmup, job_key, job_name, jobs_of

CACHE_ENTRIES = 64  # shared LRU over all pages; bounded so a busy server keeps its memory
PRESENTER_KEY = "presenter"  # ?presenter=1 in the URL
_PRESENTER_STATE = "_presenter"  # the toggle's session-state key
_WRITTEN = "_url_written"  # query parameter -> the page whose settings this session wrote it for
COPY_LINK_LABEL = "Copy link to this experiment"
PRESENTER_SCALE = 1.5  # chart height factor for a projector
PRESENTER_FONT = 20
APP_ROOT = pathlib.Path(__file__).resolve().parents[1]


def ensure_app_shell() -> None:
    """Make sure this run went through the app shell (streamlit_app.py), whatever the first URL.

    While a `pages/` folder sits beside the entry script, Streamlit 1.67 starts
    in its old multipage mode (`PagesManager.uses_pages_directory`, a private
    class flag) and runs a requested page file on its own until `st.navigation`
    has run once in the process: a fresh server whose first request is a page
    link would show file names, no shell and no presenter toggle to every
    visitor. Here the flag is turned off and the run restarts, same page and
    query, through the shell. The only place that touches the flag;
    tests/test_app_shell.py fails loudly if Streamlit renames it.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def page_header(title: str, claim: str) -> None:
    """Title, the page's claim in one sentence (after making sure the app shell ran)."""
    ensure_app_shell()
    _forget_other_pages()
    st.title(title)
    if not presenter_mode():
        st.markdown(f"**{claim}**")


def presenter_mode() -> bool:
    """True in the projector layout: the toggle's state, else the URL's ?presenter=1."""
    if _PRESENTER_STATE in st.session_state:
        return bool(st.session_state[_PRESENTER_STATE])
    return bool(parse_bool(st.query_params.get(PRESENTER_KEY, "0")))


def _set_param(key: str, value: str | None) -> None:
    """Set (or with None remove) one query parameter, touching the URL only on a change."""
    if value is None:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != value:
        st.query_params[key] = value


def presenter_toggle(container: Any = None) -> bool:
    """The "Presenter mode" toggle (app chrome), started from and kept in the URL.

    Its state lives in the session, so it survives moving between pages (which
    clears the URL's query) and is written back as ?presenter=1 on every run.
    """
    container = container or st.sidebar
    if _PRESENTER_STATE not in st.session_state:
        st.session_state[_PRESENTER_STATE] = bool(parse_bool(st.query_params.get(PRESENTER_KEY, "0")))
    on = container.toggle("Presenter mode", key=_PRESENTER_STATE,
                          help="For a projector: hides the explanations, enlarges the charts. "
                               "Kept in the link as ?presenter=1.")
    _set_param(PRESENTER_KEY, "1" if on else None)
    return bool(on)


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
    if spec.kind == "text":
        return container.text_input(label, **kwargs)
    if spec.options:  # numbers with suggested steps: a discrete slider
        options = sorted(set(spec.options) | {st.session_state[key]})
        return container.select_slider(label, options=options, **kwargs)
    if spec.kind == "int":
        if spec.hi - spec.lo <= 1000:
            return container.slider(label, int(spec.lo), int(spec.hi), step=1, **kwargs)
        return container.number_input(label, int(spec.lo), int(spec.hi), step=1, **kwargs)
    step = (spec.hi - spec.lo) / 100
    return container.slider(label, float(spec.lo), float(spec.hi), step=step, **kwargs)


def _store(cls: type) -> str:
    return f"_values.{cls.__name__}"


def _apply(cls: type, values: dict[str, Any]) -> None:
    """Set the widgets of `cls` (and the session's copy of their values)."""
    for name, value in values.items():
        st.session_state[_key(cls, name)] = value
    st.session_state[_store(cls)] = dict(values)


def _clean(text: Any) -> str:
    """An untrusted URL value made harmless to echo inside a markdown code span (no tags either)."""
    return "".join(c if c.isprintable() and c not in "`\\<>" else "?" for c in str(text))


def _page() -> str | None:
    """The page this run draws (its script hash); None outside a Streamlit run."""
    ctx = get_script_run_ctx()
    return ctx.page_script_hash if ctx is not None else None


def _forget_other_pages() -> None:
    """Remove from the URL the values this session wrote there for another page.

    Streamlit keeps the query when the visitor moves to another page, and pages
    share short parameter names: without this, Overfitting would read
    Vanishing's `?depth=30` (outside its range) and the Mission a page's `?seed`,
    and their copied links would carry them. Values this session did not write
    came with a link and are kept.
    """
    page = _page()
    written = st.session_state.setdefault(_WRITTEN, {})
    for name, owner in list(written.items()):
        if owner != page:
            _set_param(name, None)
            del written[name]


def url_settings(cls: type[Settings]) -> tuple[Settings, list[str]]:
    """The settings this page's link asks for, and a notice for each value that was changed.

    The URL is untrusted: parsed leniently by `Settings.from_strings`, never
    raising. Read once per session and class (later calls return the first
    reading), after dropping what this session wrote for other pages.
    """
    key = f"_link.{cls.__name__}"
    if key not in st.session_state:
        _forget_other_pages()
        raw = {name: _clean(st.query_params.get(name)) for name in specs(cls) if name in st.query_params}
        st.session_state[key] = cls.from_strings(raw)
    return st.session_state[key]


def link_notice(notices: list[str]) -> None:
    """The one-line warning that says which values of the link were changed (nothing if none)."""
    if notices:
        st.warning("Some values in the link were not usable and were changed: " + " ".join(notices),
                   icon=":material/link_off:")


def _load_from_url(cls: type[Settings]) -> None:
    """Once per session and class: the widgets' start values from the (untrusted) URL."""
    start, notices = url_settings(cls)
    _apply(cls, dataclasses.asdict(start))
    st.session_state[f"_start.{cls.__name__}"] = dataclasses.asdict(start)
    st.session_state[f"_notices.{cls.__name__}"] = notices


def controls(cls: type[Settings], *, presets: dict[str, dict[str, Any]] | None = None,
             groups: dict[str, list[str]] | None = None, container: Any = None,
             share: bool = True) -> Settings | None:
    """Widgets for every field of `cls`, synced with the URL; returns the settings.

    `presets` maps a button label to field overrides (applied over the
    defaults). `groups` maps a heading to field names; fields not in any group
    go under "More". With `share`, a "Copy link to this experiment" box ends
    the controls. Returns None (after showing why) if the values do not work
    together.
    """
    container = container or st.sidebar
    field_specs = specs(cls)
    if _store(cls) not in st.session_state:
        _load_from_url(cls)
    # Streamlit forgets a widget's state on runs that do not draw it (another
    # page was open); the session's copy of the values brings it back.
    for name, value in st.session_state[_store(cls)].items():
        st.session_state.setdefault(_key(cls, name), value)

    if presets:
        container.markdown("**Try this**")
        cols = container.columns(2)
        for i, (label, overrides) in enumerate(presets.items()):
            values = {**dataclasses.asdict(cls()), **overrides}
            cols[i % 2].button(label, key=f"preset.{cls.__name__}.{label}",
                               on_click=_apply, args=(cls, values), width="stretch")

    groups = groups or {}
    grouped = [n for names in groups.values() for n in names]
    rest = [n for n in field_specs if n not in grouped]
    values: dict[str, Any] = {}
    for heading, names in list(groups.items()) + ([("More", rest)] if rest else []):
        box = container.expander(heading, expanded=heading != "More")
        for name in names:
            values[name] = _widget(cls, name, field_specs[name], box)
    st.session_state[_store(cls)] = dict(values)

    notices = st.session_state.get(f"_notices.{cls.__name__}", [])
    if values == st.session_state.get(f"_start.{cls.__name__}"):
        link_notice(notices)  # shown until the viewer changes a control
    try:
        settings = cls(**values)
    except ValueError as err:
        st.error(f"These settings do not work together: {err}")
        return None
    write_url(settings)
    if share:
        share_link(container)
    return settings


def write_url(settings: Settings) -> None:
    """Put this class's settings that differ from the defaults into the URL.

    Only this class's keys are touched (a page may draw several classes), after
    dropping what this session wrote for other pages; unknown keys in the URL
    are ignored, and left out of the copied link.
    """
    _forget_other_pages()
    cls = type(settings)
    defaults = cls().to_strings()
    page, written = _page(), st.session_state.setdefault(_WRITTEN, {})
    for name, text in settings.to_strings().items():
        value = text if text != defaults[name] else None
        _set_param(name, value)
        if value is None:
            written.pop(name, None)
        else:
            written[name] = page
    seen = st.session_state.setdefault("_url_fields", set())
    seen.update(specs(cls))


def share_query() -> dict[str, str]:
    """The query that restores this page: known settings fields and presenter mode only."""
    known = st.session_state.get("_url_fields", set()) | {PRESENTER_KEY}
    return {k: st.query_params.get(k) for k in st.query_params.keys() if k in known}


def share_url() -> str:
    """The full link to this page with its current settings (relative if the host is unknown)."""
    base = st.context.url or ""
    if base and not urlsplit(base).path:
        base += "/"
    query = urlencode(share_query())
    return base + ("?" + query if query else "")


def share_link(container: Any = None) -> None:
    """A code box with the current link; Streamlit's code box has a copy button."""
    container = container or st.sidebar
    container.markdown(f"**{COPY_LINK_LABEL}**",
                       help="Opening this link shows the same settings, seed and numbers.")
    container.code(share_url() or "(this page, default settings)", language=None, wrap_lines=True)


@st.cache_resource(show_spinner=False)
def result_store() -> ResultStore | None:
    """The process's on-disk result store (see depthkit.store), or None when switched off.

    `DEPTHKIT_RESULTS` names its folder (default data/results beside the app);
    "off" disables it.
    """
    folder = os.environ.get("DEPTHKIT_RESULTS", str(APP_ROOT / "data" / "results"))
    return None if folder == "off" else ResultStore(folder)


INFLIGHT = InFlight()  # what the warm-up computes right now, and visitors' own runs


@st.cache_resource(show_spinner=False)
def start_warmup(_jobs: Callable[[], list]) -> Warmup | None:
    """Start the background warm-up once per process (see depthkit.warmup).

    `_jobs()` gives (run function, settings) pairs; None (nothing started) without a
    disk store or with DEPTHKIT_WARMUP=off.
    """
    store = result_store()
    if store is None or os.environ.get("DEPTHKIT_WARMUP", "on") == "off":
        return None
    warm = Warmup(jobs_of(_jobs()), store, INFLIGHT).start()
    _WARMUPS.append(warm)
    return warm


_WARMUPS: list[Warmup] = []  # the process's warm-up, once started


def warmup_status() -> str:
    """A line on the warm-up while it runs ("" when done, off or not started)."""
    running = [w for w in _WARMUPS if not w.finished.is_set()]
    return running[-1].status() if running else ""


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def _cached_call(fn_name: str, _fn: Callable, settings: Settings) -> Any:
    """Memory cache (shared by every session) over the disk store over the computation."""
    store = result_store()
    if store is not None and (stored := store.get(fn_name, settings)) is not None:
        return stored
    # Created inside the cached function (elements made outside it break cache replay) and
    # emptied at the end, so a replayed cache hit shows nothing.
    bar = st.empty()

    def show_progress(fraction: float, line: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=line)

    if store is not None and INFLIGHT.wait(job_key(fn_name, settings), show_progress):
        if (stored := store.get(fn_name, settings)) is not None:  # the warm-up finished it
            bar.empty()
            return stored
    with INFLIGHT.visiting(), progress.reporting(show_progress):
        value = _fn(settings)
    bar.empty()
    if store is not None:
        try:
            store.put(fn_name, settings, value)
        except OSError:  # a full or read-only disk costs the restart speed-up, never the page
            pass
    return value


def run_cached(fn: Callable[[Settings], Any], settings: Settings,
               spinner: str = "Training the models…") -> Any | None:
    """fn(settings), cached by value; a refused or invalid run is shown, not raised."""
    name = job_name(fn)
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


def sources(*keys: str) -> None:
    """The papers this page's claims rest on (keys of `depthkit.sources.PAPERS`), in an expander."""
    refs = cite(*keys)
    with st.expander(f"Sources ({len(refs)})"):
        st.markdown("\n".join(f"- {ref}" for ref in refs))


def show(fig: go.Figure, key: str | None = None) -> None:
    """A ready plotly figure at full width; taller, with larger fonts, in presenter mode.

    Plotly's own toolbar keeps its "Download plot as a PNG" button.
    """
    if presenter_mode():
        fig.update_layout(height=int((fig.layout.height or 380) * PRESENTER_SCALE),
                          font=dict(size=PRESENTER_FONT))
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


FIGURE_CACHE_ENTRIES = 128  # shared figures; ~11 per page view


@st.cache_resource(max_entries=FIGURE_CACHE_ENTRIES, show_spinner=False)
def _cached_figure(name: str, fingerprint: str, args: tuple, _build: Callable, _result: Any) -> go.Figure:
    """`_build(_result)`, cached by (name, fingerprint, args): the underscored ones are not hashed."""
    return _build(_result)


def chart(build: Callable[..., go.Figure], result: Any, *args: Any, key: str | None = None) -> None:
    """`show(build(result, *args))`, the figure cached by (builder, result fingerprint, args).

    A chart builder is a pure function of its result, and a Result carries a
    fingerprint of its content (depthkit.result), so the figure is reused while
    the result is the same. Building a plotly figure costs 20-40 ms (mostly
    copying the template), which dominates a cached rerun of a page with many
    charts. The cached figure is shared by all sessions, so it is never changed:
    presenter mode restyles a copy.
    """
    name = f"{build.__module__}.{build.__qualname__}"
    # another Result among the args (e.g. a second cached run) is keyed by its fingerprint too
    arg_key = tuple(getattr(a, "fingerprint", a) for a in args)
    fig = _cached_figure(name, result.fingerprint, arg_key, lambda r: build(r, *args), result)
    show(go.Figure(fig) if presenter_mode() else fig, key=key)


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


LIVE_ENTRIES = 8  # live measurements kept (they are small, but each took seconds of the machine)
LIVE_TTL = 3600  # seconds a live measurement is shown before it is taken again


@st.cache_data(max_entries=LIVE_ENTRIES, ttl=LIVE_TTL, show_spinner=False)
def _live_call(fn_name: str, _fn: Callable, settings: Settings, measurement: int) -> Any:
    bar = st.progress(0.0, text="Measuring…")
    out = _fn(settings, lambda done, text: bar.progress(min(max(done, 0.0), 1.0), text=text))
    bar.empty()
    return out


def run_live(fn: Callable[[Settings, Callable[[float, str], None]], Any], settings: Settings, *,
             key: str, button: str = "Measure again") -> Any | None:
    """fn(settings, progress) for a live measurement (not a function of the settings alone).

    Cached per settings and measurement for at most an hour; the button (widget
    `key`) starts a new measurement. A refused or invalid one is shown, not raised.
    """
    state = f"{key}.measurement"
    st.button(button, key=key, icon=":material/timer:",
              on_click=lambda: st.session_state.__setitem__(state, time.time_ns()))
    try:
        return _live_call(job_name(fn), fn, settings,
                          st.session_state.setdefault(state, 0))
    except ValueError as err:  # BudgetError included: refused before any measurement
        st.error(f"Not measured: {err}")
    return None
