"""The app server as `make run` starts it: `streamlit run serve.py` serves app.py — the same entry point,
pages and settings as `streamlit run app.py` — and warms the server process up (ui/warmup.py: imports,
translations, Babel and hyphenation data, the follow-up store and the login's role lookup, the warehouse and
the start page's queries, all through the app's own functions and caches). It uses Streamlit's st.App with a
lifespan hook (Streamlit ≥ 1.53).

The warm-up runs in a background thread and the server listens at once: while the server imports and
queries, the browser loads the frontend (the HTML page, ~60 script files, fonts) and opens its websocket.
The first script run waits for the warm-up (app.py, ui.warmup.wait) and then finds everything done. The
warm-up's time per step is printed when it ends.

Python's cyclic garbage collector is off from here until the warm-up ends: the start-up imports some 1 700
modules whose objects live as long as the process, and collecting them again and again while they are
created cost ~0.2 s of the ~1.2 s of imports (measured, docs/benchmark.md). At the end the start-up's
objects are moved to the permanent generation (gc.freeze), so later collections do not walk them again,
and the collector is switched back on (also after ui.warmup.WAIT_LIMIT_S if the warm-up hangs); at
shutdown they are handed back (gc.unfreeze). `make run` starts this file through launch.py, which switches the
collector off already before Streamlit's own import.

Two more start-up costs are cut here: Streamlit's scan of the installed packages for custom components is
answered from the start-up cache when nothing was installed since (ui/startcache.py), and Streamlit's frontend
bundles are answered from memory on a browser's first visit, with Streamlit's own headers and bytes
(ui/frontend_files.py)."""
from __future__ import annotations

import gc
import threading
from contextlib import asynccontextmanager

gc.disable()

import streamlit as st  # noqa: E402


_gc_lock = threading.Lock()


def _gc_back_on() -> None:
    """Freeze the start-up's objects and switch the collector back on (once)."""
    with _gc_lock:
        if not gc.isenabled():
            gc.freeze()
            gc.enable()


def _warm(timings: dict[str, float]) -> None:
    from ui.warmup import summary

    _gc_back_on()
    print(f"  Stadens it-styrkort: {summary(timings)}", flush=True)


@asynccontextmanager
async def lifespan(_app):
    from ui import warmup

    warmup.start(_warm)
    # a warm-up that hangs (a follow-up store that does not answer) must not leave the collector off for good
    limit = threading.Timer(warmup.WAIT_LIMIT_S, _gc_back_on)
    limit.daemon = True
    limit.start()
    yield
    limit.cancel()
    gc.unfreeze()  # at shutdown: let the interpreter's last collection free them (DuckDB's bindings report leaks otherwise)


def _skip_repeated_component_scan() -> None:
    """Streamlit's runtime scans every installed distribution's metadata for custom components when it is
    created, before the server answers (0.13 s of CPU; this product installs none). ui/startcache.py keeps
    the answer "none" keyed by the installed distributions, so a start with the same environment skips
    the scan; any install or upgrade scans again. Streamlit's component manager imports the scan function
    from its module when it runs, so replacing the module's attribute is enough
    (tests/app/test_startcache.py fails should a Streamlit upgrade change that)."""
    from streamlit.components.v2 import manifest_scanner

    from ui.startcache import scan_without_repeat

    if not hasattr(manifest_scanner.scan_component_manifests, "__wrapped__"):
        manifest_scanner.scan_component_manifests = scan_without_repeat(manifest_scanner.scan_component_manifests)


def _middleware() -> list:
    """Streamlit's frontend bundles from memory for a browser's first visit (ui/frontend_files.py), in front of
    Streamlit's own middleware; any other request goes through Streamlit unchanged."""
    from starlette.middleware import Middleware

    from ui.frontend_files import FrontendFiles

    return [Middleware(FrontendFiles)]


_skip_repeated_component_scan()
app = st.App("app.py", lifespan=lifespan, middleware=_middleware())
