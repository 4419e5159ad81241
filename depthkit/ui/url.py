"""Settings <-> widgets <-> URL: one URL module for every page (see depthkit.ui)."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlencode, urlsplit

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from depthkit.core.spec import FieldSpec, Settings, specs

PRESENTER_KEY = "presenter"  # ?presenter=1 in the URL


_WRITTEN = "_url_written"  # query parameter -> the page whose settings this session wrote it for


COPY_LINK_LABEL = "Copy link to this experiment"


def _set_param(key: str, value: str | None) -> None:
    """Set (or with None remove) one query parameter, touching the URL only on a change."""
    if value is None:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != value:
        st.query_params[key] = value


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
    assert spec.lo is not None and spec.hi is not None  # numeric fields have both bounds (spec.param)
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
            values: dict[str, Any] = {**dataclasses.asdict(cls()), **overrides}
            cols[i % 2].button(label, key=f"preset.{cls.__name__}.{label}",
                               on_click=_apply, args=(cls, values), width="stretch")

    groups = groups or {}
    grouped = [n for names in groups.values() for n in names]
    rest = [n for n in field_specs if n not in grouped]
    values = {}
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
    return {k: st.query_params[k] for k in st.query_params.keys() if k in known}


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
