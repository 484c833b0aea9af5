"""The first page after a start, as `make run` starts the app: `streamlit run serve.py` (the st.App launcher
with the warm-up, ui/warmup.py) with the Makefile's own flags, then real Chromium opens the start page once.
It must load completely — heading, the status table with one row per committee, the city row, the trend
chart drawn — with no exception. No timing assertions here: the cold-start time is measured by the
benchmark (benchmarks/). Screenshots at 1440 and 390 px → test-artifacts/."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from e2e_helpers import ROOT, Server, wait_for_app
from ui.i18n import translate


def make_run_command() -> list[str]:
    """The command line of the Makefile's run recipe after `$(PY)` (so this test starts the server exactly
    the way `make run` does; only the port is the test's own)."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", text, re.M)
    assert recipe, "no run target in the Makefile"
    line = next(l for l in recipe.group(1).splitlines() if "streamlit run" in l)
    args = shlex.split(line.strip())
    assert args[0] == "$(PY)", line
    return args[1:]


def make_run_args() -> list[str]:
    """The arguments `make run` gives streamlit."""
    args = make_run_command()
    return args[args.index("streamlit"):]


def test_make_run_starts_the_warm_launcher():
    assert make_run_command()[:3] == ["-m", "launch", "streamlit"]  # launch.py: Streamlit's command line
    args = make_run_args()
    assert args[:3] == ["streamlit", "run", "serve.py"]
    assert args[args.index("--server.address") + 1] == "127.0.0.1"
    assert args[args.index("--server.port") + 1] == "$(PORT)"
    assert re.search(r"^PORT \?= 8501$", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M)


@pytest.fixture(scope="module")
def make_run_server(demo_warehouse, artifacts):
    log_path = artifacts / "cold_start_server.log"
    # the Makefile's own command line; the server answers before its warm-up is done (serve.py)
    server = Server(demo_warehouse, log_path, command=make_run_command(), timeout=180)
    try:
        yield server.url, log_path
    finally:
        server.stop()


def test_first_overview_after_start_loads_completely(make_run_server, browser, demo_warehouse, artifacts):
    url, log_path = make_run_server
    import duckdb

    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        n_committees = con.execute("SELECT count(*) FROM dim_committees").fetchone()[0]

    for width, height in ((1440, 900), (390, 844)):
        ctx = browser.new_context(viewport={"width": width, "height": height}, locale="sv-SE")
        page = ctx.new_page()
        page.goto(url + "/")  # the first page a visitor opens: Stadsöversikt
        wait_for_app(page, 120_000)
        page.wait_for_function("""(heading) => {
            const app = document.querySelector("[data-testid='stApp']");
            const h1 = document.querySelector("[data-testid='stMain'] h1");
            return app && app.getAttribute('data-test-script-state') === 'notRunning' && h1 && h1.innerText.trim() === heading
                && document.querySelector("table[data-key='overview_table']") !== null;
        }""", arg=translate("nav.city_overview", "sv"), timeout=120_000)
        exc = page.locator("[data-testid='stException']")
        assert exc.count() == 0, exc.first.inner_text()
        # the status table: one row per committee, every row with a status word; the city row above it
        rows = page.locator("table[data-key='overview_table'] tbody tr")
        assert rows.count() == n_committees
        assert page.locator("table[data-key='overview_city'] tbody tr").count() == 1
        words = [translate(f"status.{s}", "sv") for s in ("green", "yellow", "red", "grey")]
        first_row = rows.first.inner_text()
        assert any(w in first_row for w in words), first_row
        assert page.get_by_text(translate("overview.n_committees", "sv", n=n_committees)).count() >= 1
        # the city's trend is drawn
        page.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg.marks").first.wait_for(
            state="attached", timeout=60_000)
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts / f"cold_start_overview_{width}.png"))
        chart = page.locator("[data-testid='stVegaLiteChart']").first
        chart.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        page.screenshot(path=str(artifacts / f"cold_start_overview_{width}_trend.png"))
        ctx.close()
        if width == 1440:
            # the warm-up (a background thread; the server answered at once) ran with the warehouse, every step
            # worked (a failed step is logged as a warning), and it was over before the first page finished:
            # the first script run waits for it
            log = log_path.read_text()
            assert "warm-up" in log and "start page data" in log and "login" in log, log
            assert "warm-up step" not in log, log
