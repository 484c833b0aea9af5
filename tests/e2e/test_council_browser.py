"""Council pages in real Chromium (issues 13 and 14): every council page at 1440 and 390 px wide (no
exception, no sideways overflow of the page at phone width; screenshots → test-artifacts/council_*.png),
and the click-throughs double-counting pair → both projects and project → its portfolio."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from e2e_helpers import ROOT, wait_for_app
from ui.i18n import translate

COUNCIL_PAGES = ["portfolios", "project", "benefit_realisation", "double_counting", "application_portfolio"]


@pytest.fixture(scope="module")
def server(server_factory):
    return server_factory("e2e_council_server")


def ready(page, heading: str) -> None:
    wait_for_app(page, 120_000)
    page.wait_for_function(
        """(heading) => {
            const app = document.querySelector("[data-testid='stApp']");
            const h1 = document.querySelector("[data-testid='stMain'] h1");
            return app && app.getAttribute('data-test-script-state') === 'notRunning'
                && h1 && h1.innerText.trim() === heading;
        }""", arg=heading, timeout=120_000)
    exc = page.locator("[data-testid='stException']")
    assert exc.count() == 0, exc.first.inner_text()
    page.wait_for_function("() => document.querySelectorAll(\"[data-testid='stSkeleton'], "
                           "[data-testid='stSkeletonElement']\").length === 0", timeout=30_000)
    page.wait_for_timeout(700)


def follow(page, link):
    """Click a link the way a user does; a link that opens a new tab is followed there."""
    if link.get_attribute("target") == "_blank":
        with page.context.expect_page() as info:
            link.click()
        new = info.value
        new.wait_for_load_state()
        return new
    link.click()
    return page


@pytest.mark.parametrize("width", [1440, 390])
@pytest.mark.parametrize("path", COUNCIL_PAGES)
def test_council_page_renders_at_width(server, browser, artifacts, path, width):
    assert (ROOT / "pages" / f"{path}.py").exists()
    ctx = browser.new_context(viewport={"width": width, "height": 3200}, locale="sv-SE")
    page = ctx.new_page()
    try:
        page.goto(f"{server.url}/{path}")
        ready(page, translate(f"nav.{path}", "sv"))
        if path in ("portfolios", "project", "benefit_realisation", "application_portfolio"):
            page.locator(".js-plotly-plot .main-svg:visible").first.wait_for(timeout=30_000)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{path} is {overflow} px wider than the {width} px window"
        # the heading breaks between words only ("Applikationsportfölj" broke as "Applikationsportf/ölj" at 390 px)
        broken = page.evaluate("""() => {
            const h1 = document.querySelector("[data-testid='stMain'] h1");
            const out = [];
            const walk = document.createTreeWalker(h1, NodeFilter.SHOW_TEXT);
            for (let n = walk.nextNode(); n; n = walk.nextNode()) {
                for (const m of n.data.matchAll(/\\S+/g)) {
                    const r = document.createRange();
                    r.setStart(n, m.index);
                    r.setEnd(n, m.index + m[0].length);
                    const tops = new Set([...r.getClientRects()].filter(c => c.width > 0).map(c => Math.round(c.top)));
                    if (tops.size > 1) out.push(m[0]);
                }
            }
            return out;
        }""")
        assert broken == [], f"{path} at {width} px breaks its heading inside {broken}"
        body = page.locator("[data-testid='stMain']").inner_text()
        for raw in ("nan", "None", "KF1;", "docs/portfolio.md"):
            assert raw not in body.split(), raw
        page.screenshot(path=str(artifacts / f"council_{path}_{width}.png"), full_page=True)
    finally:
        ctx.close()


def test_double_counting_pair_opens_both_projects(server, page, demo_warehouse):
    from metrics import portfolio_query as pq
    from metrics.warehouse import Warehouse

    pairs = pq.double_counting(Warehouse(demo_warehouse))
    first = pairs.iloc[0]
    page.goto(f"{server.url}/double_counting")
    ready(page, "Dubbelräkning av nytta")
    for side in ("a", "b"):
        pid = first[f"project_id_{side}"]
        link = page.locator(f"[data-testid='stMain'] a[href*='project?project={pid}']").first
        expect(link).to_be_visible()
        opened = follow(page, link)
        ready(opened, "Projekt")
        assert f"project={pid}" in opened.url
        expect(opened.locator("[data-testid='stMain'] h2").first).to_contain_text(pid)
        if opened is not page:
            opened.close()
        else:
            page.goto(f"{server.url}/double_counting")
            ready(page, "Dubbelräkning av nytta")


def test_project_opens_its_portfolio(server, page, demo_warehouse):
    from metrics import portfolio_query as pq
    from metrics.warehouse import Warehouse

    p = pq.projects(Warehouse(demo_warehouse)).iloc[-1]
    page.goto(f"{server.url}/project?project={p.project_id}")
    ready(page, "Projekt")
    link = page.locator(f"[data-testid='stMain'] a[href*='portfolios?portfolio={int(p.portfolio_id)}']").first
    expect(link).to_be_visible()
    opened = follow(page, link)
    ready(opened, "Portföljer")
    box = opened.get_by_role("combobox", name="Portfölj")
    expect(box).to_have_value(f"{int(p.portfolio_id)}. {p.portfolio_sv}", timeout=30_000)


@pytest.mark.parametrize("width", [390, 1440])
def test_portfolios_lists_fold_into_a_section_per_portfolio_on_a_phone(server, browser, demo_warehouse, width):
    """At 390 px the project list was 80 cards (24 000 px) after 70 frame-table cards (18 000 px). On a phone
    each list is five collapsed section heads, and a tap on one shows that portfolio's rows, with their links;
    at 1440 px the one table each is shown as before, and no section."""
    from metrics import portfolio_query as pq
    from metrics.warehouse import Warehouse

    projects = pq.projects(Warehouse(demo_warehouse))
    ctx = browser.new_context(viewport={"width": width, "height": 1000}, locale="sv-SE")
    page = ctx.new_page()
    try:
        page.goto(f"{server.url}/portfolios")
        ready(page, "Portföljer")
        wide = page.locator("table[data-key='portfolios_projects']")
        heads = page.locator("[class*='st-key-narrow_only_portfolios_projects'] [data-testid='stExpander'] summary")
        frame_heads = page.locator("[class*='st-key-narrow_only_portfolios_frames'] [data-testid='stExpander'] summary")
        if width == 1440:
            expect(wide).to_be_visible()
            assert wide.locator("tbody tr").count() == len(projects)
            assert heads.count() == 5 and not any(heads.nth(i).is_visible() for i in range(5))
            expect(page.locator("table[data-key='portfolios_frames']")).to_be_visible()
            return
        expect(wide).to_be_hidden()
        expect(page.locator("table[data-key='portfolios_frames']")).to_be_hidden()
        assert [frame_heads.nth(i).is_visible() for i in range(frame_heads.count())] == [True] * 5
        shown = [heads.nth(i).locator("[data-testid='stMarkdownContainer']").inner_text().strip()
                 for i in range(heads.count())]
        first = projects[projects.portfolio_id == 1]
        assert len(shown) == 5 and shown[0].startswith("1. ") and shown[0].endswith(f"– {len(first)} projekt")
        # the five heads of the project list take less than a screen, all rows folded away
        box = page.locator("[class*='st-key-narrow_only_portfolios_projects']").bounding_box()
        assert box["height"] < 700, box
        assert not page.locator("table[data-key='portfolios_projects_1']").is_visible()
        heads.nth(0).click()
        section = page.locator("table[data-key='portfolios_projects_1']")
        expect(section).to_be_visible()
        assert section.locator("tbody tr").count() == len(first)
        link = section.locator(f"a[href*='project='][href$='project={first.project_id.iloc[0]}']").first
        expect(link).to_be_visible()
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1
    finally:
        ctx.close()
