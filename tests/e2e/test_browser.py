"""End-to-end in real Chromium: every page (including the council pages when their files exist),
a deep link right after a fresh start, a CSV download, navigation into a scorecard, language
switch, the missing-warehouse message, and warm page timings. Screenshots → test-artifacts/."""
from __future__ import annotations

import csv
import io
import json
import statistics
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from e2e_helpers import ROOT, Server, wait_for_app
from ui.formatting import format_period
from ui.i18n import translate

# url path, nav key — same order as app.py
PAGES = [
    ("city_overview", "nav.city_overview"),
    ("committee_scorecard", "nav.committee_scorecard"),
    ("reporting_status", "nav.reporting_status"),
    ("measure_explorer", "nav.measure_explorer"),
    ("data_quality", "nav.data_quality"),
    ("portfolios", "nav.portfolios"),
    ("project", "nav.project"),
    ("benefit_realisation", "nav.benefit_realisation"),
    ("double_counting", "nav.double_counting"),
    ("application_portfolio", "nav.application_portfolio"),
    ("council_decisions", "nav.council_decisions"),
]
EXISTING = [(u, k) for u, k in PAGES if (ROOT / "pages" / f"{u}.py").exists()]


@pytest.fixture(scope="module")
def server(server_factory):
    return server_factory("e2e_server")


def assert_clean(page, heading: str, timeout: float = 90_000) -> None:
    """Wait until the page's heading is shown and the script has finished; no exception block."""
    page.wait_for_function(
        """(heading) => {
            const app = document.querySelector("[data-testid='stApp']");
            const h1 = document.querySelector("[data-testid='stMain'] h1");
            return app && app.getAttribute('data-test-script-state') === 'notRunning'
                && h1 && h1.innerText.trim() === heading;
        }""", arg=heading, timeout=timeout)
    exc = page.locator("[data-testid='stException']")
    assert exc.count() == 0, exc.first.inner_text()
    assert page.locator("[data-testid='stMain'] h1").first.inner_text().strip() == heading


def settle(page) -> None:
    """Before a screenshot: element placeholders (lazy-loaded components) have been replaced."""
    page.wait_for_function("() => document.querySelectorAll(\"[data-testid='stSkeleton'], [data-testid='stSkeletonElement']\").length === 0",
                           timeout=30_000)
    page.wait_for_timeout(700)


def url_of(server: Server, path: str, qs: str = "") -> str:
    base = server.url + ("/" if path == "city_overview" else f"/{path}")
    return base + (f"?{qs}" if qs else "")


def test_deep_link_right_after_fresh_start(server_factory, browser, demo_warehouse, artifacts):
    from metrics import query
    from metrics.warehouse import Warehouse

    wh = Warehouse(demo_warehouse)
    committees = query.committees(wh)
    code, name = committees["committee_code"].iloc[2], committees["name_sv"].iloc[2]
    fresh = server_factory("deep_link_server")  # nobody has opened app.py in this server yet
    ctx = browser.new_context(viewport={"width": 1600, "height": 1100})
    page = ctx.new_page()
    page.goto(url_of(fresh, "committee_scorecard", f"committee={code}"))
    wait_for_app(page, 60_000)
    assert_clean(page, "Nämndens styrkort")
    expect(page.get_by_role("combobox", name="Välj nämnd eller bolag")).to_have_value(name, timeout=30_000)
    # the sidebar shows the app's navigation (sections, Swedish titles), not the pages/ file names
    nav = page.locator("[data-testid='stSidebarNav']").inner_text()
    assert "Stadsöversikt" in nav and "Utvecklingsrådet" in nav and "city overview" not in nav
    settle(page)
    page.screenshot(path=str(artifacts / "deep_link_committee_scorecard.png"), full_page=True)
    ctx.close()


@pytest.mark.parametrize("path,nav_key", EXISTING, ids=[u for u, _ in EXISTING])
def test_every_page_renders(server, page, artifacts, path, nav_key):
    page.set_viewport_size({"width": 1600, "height": 3000})  # the main area scrolls inside the page
    page.goto(url_of(server, path))
    wait_for_app(page, 90_000)
    assert_clean(page, translate(nav_key, "sv"))
    # charts rendered (plotly draws an svg) on the chart pages; the start page's trend is Vega-Lite (ui/charts.py)
    if path == "city_overview":
        page.locator("[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg.marks").first.wait_for(
            timeout=30_000)
        assert page.locator("[data-testid='stVegaLiteChart']").count() >= 1
    elif path in ("committee_scorecard", "measure_explorer"):
        page.locator(".js-plotly-plot .main-svg:visible").first.wait_for(timeout=30_000)
        assert page.locator(".js-plotly-plot").count() >= 1
    settle(page)
    page.screenshot(path=str(artifacts / f"page_{path}.png"), full_page=True)


def test_sidebar_navigation_between_all_pages(server, page, artifacts):
    """Navigate between all pages through the sidebar, several rounds: every page finishes with its heading
    and no exception. Timings are recorded in test-artifacts/page_timings.json, not asserted: speed is
    shown by `python -m benchmarks.pages`, not by a timed test."""
    page.goto(url_of(server, "city_overview"))
    wait_for_app(page, 60_000)
    titles = [(u, translate(k, "sv")) for u, k in EXISTING]
    timings: dict[str, list[float]] = {u: [] for u, _ in titles}
    for rnd in range(2):  # round 0 warms the caches
        for u, title in titles:
            link = page.locator("[data-testid='stSidebarNav'] a", has_text=title).first
            t0 = time.perf_counter()
            link.click()
            page.wait_for_function(
                """(title) => {
                    const app = document.querySelector("[data-testid='stApp']");
                    const h1 = document.querySelector("[data-testid='stMain'] h1");
                    return app && app.getAttribute('data-test-script-state') === 'notRunning'
                        && h1 && h1.innerText.trim() === title;
                }""", arg=title, timeout=30_000)
            dt = time.perf_counter() - t0
            if rnd:
                timings[u].append(dt)
            assert page.locator("[data-testid='stException']").count() == 0, u
    summary = {u: {"median_s": round(statistics.median(v), 3), "max_s": round(max(v), 3)} for u, v in timings.items()}
    (artifacts / "page_timings.json").write_text(json.dumps(summary, indent=2))
    assert set(summary) == {u for u, _ in titles}


def test_csv_download_of_ranking(server, page, demo_warehouse, artifacts):
    from metrics import query
    from metrics.warehouse import Warehouse

    wh = Warehouse(demo_warehouse)
    period = query.latest_complete_period(wh, "tertial")
    page.goto(url_of(server, "measure_explorer"))
    wait_for_app(page, 60_000)
    assert_clean(page, "Mätetal")
    with page.expect_download(timeout=30_000) as dl:
        page.locator("[data-testid='stDownloadButton'] button:visible", has_text="Ladda ner CSV").first.click()
    d = dl.value
    assert d.suggested_filename == f"rangordning_{query.measure_catalog(wh)['measure_id'].iloc[0]}_{period}.csv"
    text = Path(d.path()).read_bytes().decode("utf-8-sig")
    (artifacts / d.suggested_filename).write_text(text, encoding="utf-8")
    # an export for people: a header block (what, period, grain, data version, filters), an empty line,
    # then the table with Swedish headings, one name column, statuses in words, decimal comma
    head, _, body = text.partition("\n\n")
    meta = dict(line.split(";", 1) for line in head.splitlines())
    assert meta["Period"] == format_period(period) and meta["Periodtyp"] == "Tertial"
    assert meta["Dataversion"] and meta["Urval"] == "Inget"
    rows = list(csv.DictReader(io.StringIO(body), delimiter=";"))
    m0 = query.measure_catalog(wh)["measure_id"].iloc[0]
    rk = query.measure_ranking(wh, m0, "tertial", period)
    assert [r["Nämnd/bolag"] for r in rows] == list(rk["name_sv"])
    assert "committee_code" not in rows[0] and "name_en" not in rows[0]
    first = rk.iloc[0]
    assert float(rows[0]["Värde"].replace(",", ".")) == pytest.approx(round(float(first["value"]), 2))
    assert rows[0]["Status"] == translate(f"status.{first['status']}", "sv")


def test_open_scorecard_from_overview(server, page, demo_warehouse):
    from metrics import query
    from metrics.warehouse import Warehouse

    wh = Warehouse(demo_warehouse)
    c = query.committees(wh)
    code, name = c["committee_code"].iloc[-1], c["name_sv"].iloc[-1]
    page.goto(url_of(server, "city_overview"))
    wait_for_app(page, 60_000)
    box = page.get_by_role("combobox", name="Nämnd/bolag")
    box.click()
    box.press_sequentially(name[:12])  # the option list is virtualised: filter it first
    page.get_by_role("option", name=name, exact=True).click()
    expect(box).to_have_value(name, timeout=30_000)
    wait_for_app(page)
    page.get_by_role("button", name="Öppna styrkortet").click()
    page.wait_for_url(f"**/committee_scorecard?*committee={code}*", timeout=30_000)
    wait_for_app(page)
    assert_clean(page, "Nämndens styrkort")
    expect(page.get_by_role("combobox", name="Välj nämnd eller bolag")).to_have_value(name, timeout=30_000)


def test_language_switch_in_browser(server, page, artifacts):
    page.goto(url_of(server, "committee_scorecard"))
    wait_for_app(page, 60_000)
    assert_clean(page, "Nämndens styrkort")
    page.locator("[data-testid='stSidebar'] label", has_text="English").first.click()
    assert_clean(page, "Committee scorecard")
    nav = page.locator("[data-testid='stSidebarNav']").inner_text()
    assert "City overview" in nav and "Stadsöversikt" not in nav
    settle(page)
    page.screenshot(path=str(artifacts / "page_committee_scorecard_en.png"), full_page=True)


FIRST_FAMILY_JS = "(f) => f.split(',')[0].trim().replace(/^[\"']|[\"']$/g, '')"


@pytest.mark.parametrize("path", ["city_overview", "committee_scorecard", "measure_explorer", "portfolios"])
def test_charts_are_drawn_in_the_apps_font(server, page, path):
    """The radar and the Mätetal charts were drawn in the browser's sans-serif (Arial-like), the council charts
    in Source Sans, the start page's chart title in sans-serif: every chart's text is now in the app's own font,
    the one the page's text has."""
    page.goto(url_of(server, path))
    wait_for_app(page, 90_000)
    charts = "[data-testid='stVegaLiteChart'] svg text" if path == "city_overview" else ".js-plotly-plot svg text"
    page.locator(charts).first.wait_for(state="attached", timeout=60_000)
    page.wait_for_timeout(500)
    first = f"const first = {FIRST_FAMILY_JS};"
    app_font = page.evaluate("() => {" + first + """
        return first(getComputedStyle(document.querySelector("[data-testid='stMain'] h1")).fontFamily); }""")
    chart_fonts = page.evaluate("(sel) => {" + first + """
        return [...new Set([...document.querySelectorAll(sel)].filter(e => e.textContent.trim())
                                 .map(e => first(getComputedStyle(e).fontFamily)))]; }""", charts)
    assert app_font == "Source Sans"
    assert chart_fonts == [app_font], path


def test_missing_warehouse_message(browser, tmp_path, artifacts):
    s = Server(tmp_path / "nothing_here.duckdb", artifacts / "missing_wh_server.log")
    try:
        ctx = browser.new_context()
        page = ctx.new_page()
        page.goto(s.url + "/data_quality")
        wait_for_app(page, 60_000)
        assert page.locator("[data-testid='stException']").count() == 0
        body = page.locator("[data-testid='stMain']").inner_text()
        assert "Det finns inget publicerat datalager" in body and "python -m etl demo" in body
        ctx.close()
    finally:
        s.stop()
