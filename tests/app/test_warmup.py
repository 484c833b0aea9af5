"""The server's warm-up at start (ui/warmup.py, run by serve.py): every step works on the demo warehouse,
and afterwards the start page's own cached calls are cache hits — the page's query functions are not run
again — returning what the query layer returns."""
from __future__ import annotations

import logging

import pytest

WARMUP_STEPS = ["imports", "translations", "warehouse", "follow-up store", "login", "start page data", "inspect"]


def test_warm_up_fills_the_start_pages_cache(app_env, monkeypatch, caplog):
    from metrics import query
    from metrics.warehouse import get_warehouse
    from ui import overview, warmup
    from ui.data import cached
    from ui.page import DEFAULT_GRAIN, period_choices

    monkeypatch.delenv("SCORECARD_FOLLOWUP_URL", raising=False)
    caplog.set_level(logging.INFO, logger="scorecard.warmup")
    timings = warmup.warm_up()
    assert list(timings) == WARMUP_STEPS
    assert [r.getMessage() for r in caplog.records if r.name == "scorecard.warmup" and r.levelno >= logging.WARNING] == []
    assert warmup.summary(timings).startswith("warm-up ")
    from ui import tables

    assert "sv" in tables._HYPHENATORS  # the start page's tables hyphenate Swedish headers with it

    wh = get_warehouse().pin()
    expected_periods = query.periods(wh, DEFAULT_GRAIN)
    expected_period = query.latest_complete_period(wh, DEFAULT_GRAIN)
    expected_table = query.city_overview(wh, DEFAULT_GRAIN, expected_period, peer_group=None)
    expected_trend = query.city_trend(wh, DEFAULT_GRAIN, expected_period, 8)
    assert len(expected_table) > 0 and len(expected_trend) > 0

    def not_again(name):
        def fail(*args, **kwargs):
            raise AssertionError(f"query.{name} ran again: the warm-up should have filled this cache entry")

        fail.__module__, fail.__name__ = "metrics.query", name  # the cache key names the function
        return fail

    # the page's calls are cache hits now: the query functions would fail if they ran
    for name in ("periods", "latest_complete_period", "committees", "city_overview", "city_row", "city_trend",
                 "movers", "measure_catalog"):
        monkeypatch.setattr(query, name, not_again(name))
    q = lambda fn, *a, **kw: cached(wh, fn, *a, **kw)  # noqa: E731 — what PageContext.q does
    periods, period = period_choices(q, DEFAULT_GRAIN)
    assert periods == expected_periods and period == expected_period
    data = overview.load(q, DEFAULT_GRAIN, period, None)
    assert data.table.equals(expected_table)
    assert data.trend.equals(expected_trend)
    assert len(data.table) == len(data.committees)


def test_warm_up_without_a_warehouse_skips_the_data(tmp_path, monkeypatch, caplog):
    import metrics.warehouse as w
    from ui import warmup

    monkeypatch.setenv("SCORECARD_WAREHOUSE", str(tmp_path / "missing.duckdb"))
    monkeypatch.setattr(w, "_singleton", None)
    caplog.set_level(logging.INFO, logger="scorecard.warmup")
    timings = warmup.warm_up()
    assert list(timings) == ["imports", "translations", "warehouse"]
    assert "no warehouse yet" in caplog.text
    assert not (tmp_path / "missing.followup.sqlite").exists()  # no store created beside a missing warehouse


def test_the_first_run_waits_for_the_background_warm_up(monkeypatch):
    """serve.py starts the warm-up in a thread and the server answers at once; a script run calls wait()
    first: it returns only when the warm-up has finished (and at once when no warm-up was started)."""
    import threading

    from ui import warmup

    monkeypatch.setattr(warmup, "_started", threading.Event())
    monkeypatch.setattr(warmup, "_done", threading.Event())
    assert warmup.wait(timeout=0) is True  # `streamlit run app.py`, tests: no warm-up, no waiting

    release = threading.Event()
    steps = []

    def slow_warm_up():
        release.wait(30)
        steps.append("warmed")
        return {"imports": 0.5}

    monkeypatch.setattr(warmup, "warm_up", slow_warm_up)
    reported = []
    thread = warmup.start(reported.append)
    assert warmup.wait(timeout=0.2) is False and steps == [] and reported == []  # still warming: the run waits
    release.set()
    assert warmup.wait(timeout=30) is True
    assert steps == ["warmed"] and reported == [{"imports": 0.5}]
    thread.join(5)
    assert not thread.is_alive()


def test_a_failing_warm_up_still_releases_the_first_run(monkeypatch):
    import threading

    from ui import warmup

    monkeypatch.setattr(warmup, "_started", threading.Event())
    monkeypatch.setattr(warmup, "_done", threading.Event())

    def broken():
        raise RuntimeError("disk gone")

    monkeypatch.setattr(warmup, "warm_up", broken)
    monkeypatch.setattr(threading, "excepthook", lambda args: None)  # the thread's traceback is expected here
    reported = []
    warmup.start(reported.append).join(10)
    assert warmup.wait(timeout=5) is True and reported == [{}]


def test_serve_pauses_the_collector_until_the_warm_up_ends():
    """serve.py switches Python's cyclic GC off for the start-up and, when the warm-up reports back, freezes
    the start-up's objects and switches it on again (once). Run in a fresh interpreter: importing serve.py
    changes the process's collector."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = """
import gc, serve
assert not gc.isenabled(), "collector on during the start-up"
serve._warm({"imports": 1.0})
assert gc.isenabled() and gc.get_freeze_count() > 1000, (gc.isenabled(), gc.get_freeze_count())
frozen = gc.get_freeze_count()
serve._gc_back_on()  # the time limit firing after the warm-up: nothing more
assert gc.isenabled() and gc.get_freeze_count() == frozen
print("ok")
"""
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "warm-up 1.00 s (imports 1.00 s)" in proc.stdout


def test_the_warm_up_marks_streamlits_repl_check_done_instead_of_walking_the_stack():
    """Streamlit's first element asks once whether it runs in a REPL (inspect.stack() over every loaded
    module, 0.15 s CPU on the first page). The warm-up marks that check done with Streamlit's own once-flag;
    after it, the first element never calls the REPL check. Fails when a Streamlit upgrade drops the flag
    (the warm-up then walks the stack as before; this test says to look again). Fresh interpreter: the
    flag is process-wide."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = """
from streamlit import delta_generator, env_util
assert delta_generator._use_warning_has_been_displayed is False
from ui.warmup import first_element_check_done
first_element_check_done()
assert delta_generator._use_warning_has_been_displayed is True
def no_repl_check():
    raise AssertionError("the REPL check ran (inspect.stack())")
env_util.is_repl = no_repl_check
delta_generator._maybe_print_use_warning()
print("ok")
"""
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stdout[-2000:] + proc.stderr[-2000:]
