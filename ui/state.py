"""Page state in the URL: what a user sees can be bookmarked, mailed and reopened exactly.

Every page keeps its state in the query string — `lang`, `grain` (month|quarter|tertial|year),
`period` in the warehouse's own form (2026-05, 2026-Q3, 2026-T2, 2026), `committee`, `measure`,
`perspective`, `tab`, `project`, … — reads it on load and writes it back on every change.

Rules (one place for all pages):
- A value in the URL that differs from what this session last wrote there came from outside (a
  shared link, a click-through, the browser's back button): it wins over the session's choice.
- Otherwise the session's choice stands (st.navigation drops the query string on a page switch;
  the session then writes it back).
- `link(page, **params)` is an href to another page that carries the shared state (language,
  grain, period) plus the given parameters: click-throughs are plain links, so they can be opened
  in a new tab or copied as they are.
"""
from __future__ import annotations

from typing import Any, Iterable
from urllib.parse import quote, urlencode

import streamlit as st

SHARED = ("lang", "grain", "period")          # carried by every link and every page
ORDER = ("lang", "grain", "period", "committee", "perspective", "measure", "tab", "drill_committee",
         "drill_period", "peer", "project", "portfolio", "pair")
_WRITTEN = "_url_written"                    # {param: value this session last wrote to the URL}

# url path of each page (st.navigation derives it from the file name; the default page is "/")
PAGE_PATHS = {
    "city_overview": "./", "committee_scorecard": "committee_scorecard", "measure_explorer": "measure_explorer",
    "data_quality": "data_quality", "portfolios": "portfolios", "project": "project",
    "benefit_realisation": "benefit_realisation", "double_counting": "double_counting",
    "council_decisions": "council_decisions",
}


def _written() -> dict[str, str]:
    return st.session_state.setdefault(_WRITTEN, {})


def from_url(name: str) -> str | None:
    """The URL's value of `name` if it came from outside this session (a link, back/forward),
    else None."""
    v = st.query_params.get(name)
    if v is None or v == "":
        return None
    if _written().get(name) == v:
        return None
    return v


def resolve(name: str, options: Iterable[Any] | None, session_key: str, default: Any = None) -> Any:
    """The value of one piece of state: an outside URL value (when valid), else the session's
    value (when valid), else `default`. The result is stored in st.session_state[session_key]."""
    opts = None if options is None else [str(o) for o in options]
    original = None if options is None else list(options)

    def valid(v: Any) -> bool:
        return v is not None and (opts is None or str(v) in opts)

    def as_option(v: Any) -> Any:
        return v if original is None else original[opts.index(str(v))]

    v = from_url(name)
    if valid(v):
        value = as_option(v)
    else:
        cur = st.session_state.get(session_key)
        value = as_option(cur) if valid(cur) else default
    st.session_state[session_key] = value
    return value


def write(**params: Any) -> None:
    """Put the page's state into the URL (None removes a parameter). Only changed values are
    written, so a rerun does not add history entries."""
    w = _written()
    for name, value in params.items():
        if value is None or value == "":
            if name in st.query_params:
                del st.query_params[name]
            w.pop(name, None)
            continue
        value = str(value)
        if st.query_params.get(name) != value:
            st.query_params[name] = value
        w[name] = value


def query_string(**params: Any) -> str:
    items = [(k, str(params[k])) for k in ORDER if params.get(k) not in (None, "")]
    items += [(k, str(v)) for k, v in params.items() if k not in ORDER and v not in (None, "")]
    return urlencode(items, quote_via=quote)


def link(page: str, ctx: Any = None, **params: Any) -> str:
    """href of `page` with the shared state of `ctx` (lang, grain, period) and `params`."""
    base = {}
    if ctx is not None:
        base = {"lang": ctx.lang, "grain": getattr(ctx, "grain", None) if getattr(ctx, "period", "") else None,
                "period": getattr(ctx, "period", None) or None}
    base.update(params)
    qs = query_string(**base)
    path = PAGE_PATHS.get(page, page)
    return f"{path}?{qs}" if qs else path


def shared_params(ctx: Any) -> dict[str, str]:
    """lang/grain/period of the context, for st.switch_page(query_params=...)."""
    out = {"lang": ctx.lang}
    if getattr(ctx, "period", ""):
        out.update(grain=ctx.grain, period=ctx.period)
    return out
