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
URL) hides `explain` text (the plain layer: a page's point and a line per chart), the expert
layer `numbers_behind` (the exact text, in an expander) and `words_on_this_page` (the page's
glossary entries), restyles `chart`s for a projector (larger type, taller) and
stacks the `columns` of a page one under the other. Export: `download_tables`
(CSV per table, NaN/inf kept), plotly's own PNG button on every chart, and
`pytorch_code` (a runnable plain-PyTorch snippet of the model).
"""

from depthkit.ui import poll  # noqa: E402,F401  the workshop poll's views (Mission page)
from depthkit.ui.peek import computed  # noqa: F401  (Home: results already computed, never computes)
from depthkit.ui.run import (  # noqa: F401
    _WARMUPS,
    APP_ROOT,
    CACHE_ENTRIES,
    INFLIGHT,
    LIVE_ENTRIES,
    LIVE_TTL,
    _cached_call,
    _live_call,
    figure_cache,
    result_store,
    run_cached,
    run_live,
    start_warmup,
    warmup_status,
)
from depthkit.ui.shell import (  # noqa: F401
    _PRESENTER_STATE,
    ensure_app_shell,
    page_header,
    presenter_mode,
    presenter_toggle,
)
from depthkit.ui.show import (  # noqa: F401
    PRESENTER_FONT,
    PRESENTER_SCALE,
    _cell,
    _csv,
    chart,
    columns,
    download_tables,
    explain,
    numbers_behind,
    pytorch_code,
    show,
    sources,
    words_on_this_page,
)
from depthkit.ui.url import (  # noqa: F401
    _WRITTEN,
    COPY_LINK_LABEL,
    PRESENTER_KEY,
    _apply,
    _clean,
    _forget_other_pages,
    _key,
    _load_from_url,
    _page,
    _set_param,
    _store,
    _widget,
    controls,
    link_notice,
    share_link,
    share_query,
    share_url,
    url_settings,
    write_url,
)
