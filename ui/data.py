"""Cached calls into the query layer, keyed on the warehouse version.

`cached(wh, fn, *args, **kwargs)` runs `fn(wh, *args, **kwargs)` through st.cache_data with
the warehouse path and `wh.version()` in the key, so a new publish (copy + rename → new inode
and mtime) is picked up on the next rerun without a restart. Results are copies (pickled)."""
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
