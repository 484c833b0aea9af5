"""Page state in the URL (ui/state.py) through AppTest: a link's state is what the page shows and
what it writes back; a period is always of the chosen grain; links carry the shared state."""
from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from ui import state

ROOT = Path(__file__).resolve().parents[2]


def run(page: str, **qp) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=60)
    for k, v in qp.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _qp(at: AppTest) -> dict:
    return {k: (v[0] if isinstance(v, list) else v) for k, v in dict(at.query_params).items()}


def sidebar_select(at: AppTest, label: str):
    hits = [s for s in at.sidebar.selectbox if s.label == label]
    assert len(hits) == 1, [s.label for s in at.sidebar.selectbox]
    return hits[0]


def test_link_state_is_shown_and_kept(app_env, wh):
    from metrics import query

    code = query.committees(wh)["committee_code"].iloc[4]
    year = query.periods(wh, "year")[1]
    at = run("committee_scorecard", lang="en", grain="year", period=year, committee=code, perspective="quality")
    assert at.title[0].value == "Committee scorecard"
    assert sidebar_select(at, "Period type").value == "year"
    assert sidebar_select(at, "Period").value == year
    assert at.selectbox(key="scorecard_committee_en").value == code
    assert at.radio(key="scorecard_perspective_en").value == "quality"
    assert _qp(at) == {"lang": "en", "grain": "year", "period": year, "committee": code, "perspective": "quality"}


def test_period_follows_the_grain(app_env, wh):
    from metrics import query

    t2 = query.latest_complete_period(wh, "tertial")
    # a tertial period with grain=year is not kept: the page shows (and writes) a year
    at = run("city_overview", grain="year", period=t2)
    assert re.fullmatch(r"\d{4}", _qp(at)["period"])
    assert sidebar_select(at, "Period").value == _qp(at)["period"]
    # switching the grain in the sidebar moves to the period of that grain holding the old one
    at = run("city_overview", grain="tertial", period=t2)
    sidebar_select(at, "Periodtyp").set_value("year").run()
    assert not at.exception
    assert _qp(at)["grain"] == "year" and _qp(at)["period"] == t2[:4]
    assert sidebar_select(at, "Period").value == t2[:4]
    # and the page says so (never "T2 2026" with yearly data)
    assert f"Period: {t2[:4]}" in " ".join(m.value for m in at.markdown)


def test_measure_change_updates_the_url(app_env):
    at = run("measure_explorer", measure="Q2")
    assert at.selectbox(key="explorer_measure_sv").value == "Q2"
    at.selectbox(key="explorer_measure_sv").set_value("C2").run()
    assert not at.exception and _qp(at)["measure"] == "C2"


def test_links_carry_language_grain_and_period():
    class Ctx:
        lang, grain, period = "sv", "tertial", "2026-T2"

    assert state.link("committee_scorecard", Ctx, committee="SKARHOLMEN", perspective="cost") == \
        "committee_scorecard?lang=sv&grain=tertial&period=2026-T2&committee=SKARHOLMEN&perspective=cost"
    assert state.link("city_overview", Ctx) == "./?lang=sv&grain=tertial&period=2026-T2"
    assert state.query_string(measure="E1", lang="en", project=None) == "lang=en&measure=E1"
    assert state.query_string(committee="Å B") == "committee=%C3%85%20B"
