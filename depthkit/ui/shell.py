"""The app shell and presenter mode: every page starts here (see depthkit.ui)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from depthkit.core.spec import parse_bool
from depthkit.ui.url import PRESENTER_KEY, _forget_other_pages, _set_param

_PRESENTER_STATE = "_presenter"  # the toggle's session-state key


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
