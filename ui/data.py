"""Cached calls into the query layer, keyed on the warehouse version that is actually read.

`cached(wh, fn, *args, **kwargs)` runs `fn(wh, *args, **kwargs)` through st.cache_data with
the warehouse path and `wh.version()` in the key. A page run reads through one
`metrics.warehouse.Snapshot` (ui/page.py pins it at the start of the run): its version() is the
version its queries read, not whatever file is at the path by now, so a publish during the run
can never store the old version's data under the new version's key. A new publish (copy + rename
→ new inode and mtime) is picked up by the next run without a restart. Results are copies (pickled)."""
from __future__ import annotations

import importlib
from typing import Any, Callable

import streamlit as st


@st.cache_data(show_spinner=False, max_entries=2000, ttl=6 * 3600)
def _cached_call(module: str, func: str, path: str, version: str, args: tuple, kwargs: dict, _wh: Any = None):
    fn = getattr(importlib.import_module(module), func)
    return fn(_wh, *args, **kwargs)


def cached(wh: Any, fn: Callable, *args: Any, **kwargs: Any) -> Any:
    path = str(getattr(wh, "path", "") or "")
    return _cached_call(fn.__module__, fn.__name__, path, wh.version(), tuple(args), dict(kwargs), _wh=wh)


def clear() -> None:
    _cached_call.clear()


@st.cache_resource(max_entries=400, show_spinner=False)
def _cached_figure(module: str, func: str, args: tuple, kwargs: dict):
    fn = getattr(importlib.import_module(module), func)
    return fn(*args, **kwargs)


def cached_figure(builder: Callable, *args: Any, **kwargs: Any) -> Any:
    """Build a plotly figure once per distinct input (frames are hashed by value) and reuse the
    same object: building and validating plotly figures costs 0.1–0.5 s, too much for the 1 s
    page budget. st.plotly_chart only reads the figure."""
    return _cached_figure(builder.__module__, builder.__name__, tuple(args), dict(kwargs))


def trends(wh: Any, committee_code: str, measure_ids: list, grain: str, n_periods: int) -> dict:
    """{measure_id: [values oldest first]} for the scorecard's sparklines (one cache entry)."""
    from metrics import query

    out = {}
    for m in measure_ids:
        tr = query.trend(wh, committee_code, m, grain, n_periods)
        out[m] = tr["value"].tolist() if tr is not None and len(tr) else []
    return out
