"""The app server's warm-up at start (serve.py runs it before the server takes its first request).

Without it the first visitor after `make run` pays for everything a Python process does once: importing
pandas and the app's modules, parsing the translation tables, loading Babel's Swedish and English data,
reading the login's roles from the follow-up store (followup.storeread: with sqlite3 when the store is a
SQLite file at the migrations' head — SQLAlchemy and Alembic are then not imported for the first page —
else opening it through SQLAlchemy, migrating it), attaching the warehouse, the start page's queries,
and Streamlit's own first-element check (it would call inspect.stack(), which maps every loaded module to
its file once: marked done, see first_element_check_done). Measured on the shared 2-core machine that is
3–6 s of a 4–10 s first page.

The warm-up does that work once, in the server process, with the app's own functions: the page setup's
period choice (ui.page.period_choices), the start page's data (ui.overview.load) through the page's
cached query call (ui.data.cached, keyed on the warehouse version it reads). So the first real page run
finds the same modules loaded and the same cache entries filled; it still runs the whole page (login,
widgets, tables, chart) itself. Nothing is rendered or faked here. A failing step is logged and skipped:
the page then does that work itself, as it would without a warm-up.
"""
from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager
from functools import partial
from typing import Callable, Iterator

LOG = logging.getLogger("scorecard.warmup")


@contextmanager
def _step(timings: dict[str, float], name: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    except Exception as exc:  # noqa: BLE001 — a warm-up must never stop the server
        LOG.warning("warm-up step %s failed: %s", name, exc)
    finally:
        timings[name] = time.perf_counter() - start


def warm_up() -> dict[str, float]:
    """Do the start page's one-time work; returns seconds per step."""
    timings: dict[str, float] = {}
    with _step(timings, "imports"):
        import pandas  # noqa: F401
        import streamlit.elements.vega_charts  # noqa: F401

        import followup.storeread  # noqa: F401  (the login's role lookup; SQLAlchemy only if the store needs it)
        import metrics.query  # noqa: F401
        import reports.alerts  # noqa: F401
        import ui.alerts  # noqa: F401
        import ui.auth  # noqa: F401
        import ui.charts  # noqa: F401
        import ui.overview  # noqa: F401
        import ui.page  # noqa: F401
        import ui.tables  # noqa: F401
        import ui.views  # noqa: F401
        import streamlit.emojis  # noqa: F401  (st.set_page_config checks the page icon against it)
    with _step(timings, "translations"):
        from ui.formatting import Formatter
        from ui.i18n import LANGS, translation_table

        translation_table()
        import datetime as dt

        for lang in LANGS:  # Babel's locale data: numbers, dates, month names
            f = Formatter(lang)
            f.number(1234567.8, 1), f.period("2026-T2"), f.period("2026-05"), f.date(dt.datetime.now(), with_time=True)
        from ui.i18n import DEFAULT_LANG
        from ui.tables import hyphenate

        hyphenate("Nyttorealiseringsgrad", DEFAULT_LANG)  # the hyphenation dictionary of the start page's tables
    wh = None
    with _step(timings, "warehouse"):
        from metrics.warehouse import get_warehouse

        wh = get_warehouse().pin()
    if wh is None or not wh.version():
        LOG.info("warm-up: no warehouse yet, data not preloaded")
        return timings
    with _step(timings, "follow-up store"):
        from followup.storeread import held_grants
        from settings import followup_store_url

        url = followup_store_url(wh.path)  # the same store ui.auth reads the login's roles from
        if held_grants(url, []) is None:  # not a SQLite store at head: open it as the login will (create, migrate)
            from followup.store import get_store

            get_store(url)
    with _step(timings, "login"):
        from ui.auth import DEMO_DEFAULT, demo_identity

        # the login's role lookup, the same for every user (demo or OpenID Connect); only reads (followup.storeread:
        # sqlite3 for a SQLite store at head, else SQLAlchemy maps the store's tables and compiles the query once)
        demo_identity(DEMO_DEFAULT, wh)
    with _step(timings, "start page data"):
        from metrics import query
        from ui import overview
        from ui.data import cached
        from ui.page import DEFAULT_GRAIN, _meta, period_choices

        q = partial(cached, wh)
        q(_meta)
        q(query.committees)
        _, period = period_choices(q, DEFAULT_GRAIN)
        if period:
            overview.load(q, DEFAULT_GRAIN, period, None)
    with _step(timings, "inspect"):
        first_element_check_done()
    return timings


def first_element_check_done() -> None:
    """Streamlit's first element of a process asks once whether it runs in a Python REPL, to print a
    "use `streamlit run`" hint: `env_util.is_repl()` calls inspect.stack(), which maps every loaded module
    (~1 500 at this point) to its file — 0.15 s of CPU on the first page. In the server `streamlit run`
    started the answer can only be no (and the runtime exists, so no hint is printed either), so the
    check is marked done (Streamlit's own once-flag). Should a Streamlit version drop that flag, the stack
    is walked here instead, as before: the first page then finds inspect's module map filled."""
    from streamlit import delta_generator

    if hasattr(delta_generator, "_use_warning_has_been_displayed"):
        delta_generator._use_warning_has_been_displayed = True
    else:
        import inspect

        inspect.stack()


_started = threading.Event()
_done = threading.Event()


def start(on_done: Callable[[dict[str, float]], None] | None = None) -> threading.Thread:
    """Run the warm-up in a background thread while the server already answers: the browser loads the
    frontend meanwhile (the HTML, ~60 script files, fonts, the websocket). `on_done(timings)` is called at
    the end, also when the warm-up failed (then with the steps that ran)."""
    _started.set()

    def run() -> None:
        timings: dict[str, float] = {}
        try:
            timings = warm_up()
        finally:
            try:
                if on_done:
                    on_done(timings)
            finally:
                _done.set()

    thread = threading.Thread(target=run, name="scorecard-warmup", daemon=True)
    thread.start()
    return thread


WAIT_LIMIT_S = 120.0  # a script run waits at most this long for the warm-up (a store that does not answer, …)


def wait(timeout: float = WAIT_LIMIT_S) -> bool:
    """Hold a script run until the warm-up has finished (returns at once when none was started, e.g.
    under `streamlit run app.py` or in tests): the first page after `make run` then finds the modules
    imported and its cache entries filled instead of doing the same work beside the warm-up. True when the
    warm-up is done or was never started; False after `timeout` (the page then just runs)."""
    if not _started.is_set():
        return True
    return _done.wait(timeout)


def summary(timings: dict[str, float]) -> str:
    total = sum(timings.values())
    return f"warm-up {total:.2f} s (" + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items()) + ")"
