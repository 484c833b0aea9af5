"""AppTest of every app page against the session demo warehouse (values from the marts)."""
from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from ui.i18n import translate
from ui.formatting import NBSP, format_number, format_value, format_value_vs
from ui.tables import PAGE_SIZE

from app_tables import all_pages, tables

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60


def run_page(name: str, query_params: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=TIMEOUT)
    for k, v in (query_params or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# AppTest does not expose a dataframe's key: tables are found by columns only they have.
TABLE_COLUMNS = {
    "overview_table": {"sv": ["Antal röda mätetal", "Totalindex"], "en": ["Red measures", "Overall index"]},
    "overview_movers": {"sv": ["Förändring"], "en": ["Change"]},
    "scorecard_table": {"sv": ["Anmärkning", "Trend"], "en": ["Notes", "Trend"]},
    "explorer_ranking_table": {"sv": ["Antal observationer", "Mål"], "en": ["Observations", "Target"]},
    "explorer_series_table": {"sv": ["Period", "Poäng"], "en": ["Period", "Score"]},
    "quality_latest": {"sv": ["Meddelande", "Lästa rader"], "en": ["Message", "Rows read"]},
    "quality_freshness": {"sv": ["Lucka", "Månader efter"], "en": ["Gap", "Months behind"]},
    "quality_quarantine": {"sv": ["Orsak", "Regel"], "en": ["Reason", "Rule"]},
    "quality_history": {"sv": ["Första period", "Meddelande"], "en": ["First period", "Message"]},
}
EXCLUDE = {"quality_latest": "Första period", "explorer_series_table": "Antal observationer",
           "quality_history": "Saknade månader"}


def html_tables(at: AppTest) -> dict:
    """{data-key: DataFrame of the cell texts} of the page's HTML tables (tests/helpers/app_tables.py)."""
    return {t.key: t.value for t in tables(at)}


def df_by_key(at: AppTest, key: str, lang: str = "sv"):
    shown = html_tables(at)  # tables shown as HTML (ui.tables.html_table) carry their key
    if key in shown:
        return shown[key]
    if key not in TABLE_COLUMNS:  # drill-down: the dataframe after the ranking and series tables
        return at.dataframe[-1].value
    cols = TABLE_COLUMNS[key][lang]
    hits = [d.value for d in at.dataframe if all(c in d.value.columns for c in cols)
            and EXCLUDE.get(key) not in d.value.columns]
    assert len(hits) == 1, f"{len(hits)} tables match {key}: {[list(d.value.columns) for d in at.dataframe]}"
    return hits[0]


@pytest.fixture
def q(wh):
    from metrics import query

    class Q:
        grain = "tertial"
        period = query.latest_complete_period(wh, "tertial")
    Q.query = query
    Q.wh = wh
    return Q


# ------------------------------------------------------------------ city overview

def test_city_overview_one_row_per_committee(app_env, q):
    at = run_page("city_overview")
    assert at.title[0].value == "Stadsöversikt"
    expected = q.query.city_overview(q.wh, q.grain, q.period)
    committees = q.query.committees(q.wh)
    assert len(expected) == len(committees) > 0
    table = df_by_key(at, "overview_table")
    assert len(table) == len(expected)
    assert list(table["Nämnd/bolag"]) == list(expected["name_sv"])
    # red-measure counts come from the mart as they are
    assert list(table["Antal röda mätetal"]) == [format_number(int(x)) for x in expected["n_red_measures"].fillna(0)]
    # cell = score + icon + word, in Swedish
    row0 = expected.iloc[0]
    cell = table.iloc[0]["It-kvalitet"]
    if row0["score_quality"] == row0["score_quality"]:
        assert cell.startswith(format_number(row0["score_quality"], 0))
    assert any(w in cell for w in ("Grön", "Gul", "Röd", "Grå"))


def test_city_overview_peer_group_filter(app_env, q):
    at = run_page("city_overview")
    at.selectbox(key="overview_peer_sv").set_value("district_councils").run()
    assert not at.exception
    table = df_by_key(at, "overview_table")
    expected = q.query.city_overview(q.wh, q.grain, q.period, peer_group="district_councils")
    assert 0 < len(table) == len(expected) < len(q.query.committees(q.wh))
    assert set(table["Jämförelsegrupp"]) == {"Stadsdelsnämnder"}


def test_language_switch_changes_labels(app_env, q):
    at = run_page("city_overview")
    assert "Nämnd/bolag" in df_by_key(at, "overview_table").columns
    at.radio(key="w_city_overview__lang").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == "City overview"
    table = df_by_key(at, "overview_table", "en")
    assert "Committee/company" in table.columns and "Nämnd/bolag" not in table.columns
    expected = q.query.city_overview(q.wh, q.grain, q.period)
    assert list(table["Committee/company"]) == list(expected["name_en"])


# ------------------------------------------------------------------ committee scorecard

def test_committee_scorecard_15_measures_with_swedish_values(app_env, q):
    code = q.query.committees(q.wh)["committee_code"].iloc[0]
    at = run_page("committee_scorecard", {"committee": code})
    assert at.title[0].value == "Nämndens styrkort"
    assert at.selectbox(key="scorecard_committee_sv").value == code
    table = df_by_key(at, "scorecard_table")
    sc = q.query.scorecard(q.wh, code, q.grain, q.period)
    assert len(table) == 15 == len(sc)
    assert list(table["Id"]) == list(sc["measure_id"])
    with_value = sc[sc["value"].notna()]
    assert len(with_value) > 0
    for _, r in with_value.iterrows():
        shown = table.loc[table["Id"] == r["measure_id"], "Värde"].iloc[0]
        # the display rule: as format_value, with more decimals only where the value would look equal to its target
        assert shown == format_value_vs(r["value"], r["unit"], [r["target"], r["red_threshold"], r["band_low"], r["band_high"]], "sv")
        if not any(abs(r["value"] - x) > 1e-9 and round(r["value"], 1) == round(x, 1) for x in (r["target"], r["red_threshold"]) if x == x):
            assert shown == format_value(r["value"], r["unit"], "sv")
    # one percent measure in Swedish format: decimal comma and "\u00a0%"
    q1 = sc.set_index("measure_id").loc["Q1"]
    if q1["value"] == q1["value"]:
        shown = table.loc[table["Id"] == "Q1", "Värde"].iloc[0]
        assert shown.endswith(f"{NBSP}%") and "," in shown
    # status is icon + word
    assert all(s.split(" ", 1)[1] in ("Grön", "Gul", "Röd", "Grå") for s in table["Status"])


def test_committee_scorecard_flags_and_perspective_cards(app_env, q):
    code = q.query.committees(q.wh)["committee_code"].iloc[0]
    at = run_page("committee_scorecard", {"committee": code})
    sc = q.query.scorecard(q.wh, code, q.grain, q.period)
    table = df_by_key(at, "scorecard_table")
    for _, r in sc[sc["insufficient_data"].fillna(False).astype(bool)].iterrows():
        assert "otillräckligt underlag" in table.loc[table["Id"] == r["measure_id"], "Anmärkning"].iloc[0]
    for _, r in sc[sc["carried_forward"].fillna(False).astype(bool)].iterrows():
        assert "Framfört värde" in table.loc[table["Id"] == r["measure_id"], "Anmärkning"].iloc[0]
    md = " ".join(m.value for m in at.markdown)
    for p in ("Externt nyttoperspektiv", "Internt nyttoperspektiv", "It-mognadsperspektiv", "It-kostnadsperspektiv",
              "It-kvalitetsperspektiv"):
        assert p in md
    ps = q.query.perspective_scores(q.wh, code, q.grain, q.period)
    for s in ps["score"].dropna():
        assert format_number(s, 0) in md


def test_committee_scorecard_in_english(app_env, q):
    code = q.query.committees(q.wh)["committee_code"].iloc[1]
    at = run_page("committee_scorecard", {"committee": code})
    at.radio(key="w_committee_scorecard__lang").set_value("en").run()
    assert not at.exception
    assert at.title[0].value == "Committee scorecard"
    # a new widget per language (the browser keeps labels of an unchanged widget); the choice is kept
    sb = at.selectbox(key="scorecard_committee_en")
    assert sb.value == code and sb.format_func(code) == q.query.committees(q.wh).set_index("committee_code").loc[code, "name_en"]
    table = df_by_key(at, "scorecard_table", "en")
    assert "Value" in table.columns and "Värde" not in table.columns
    sc = q.query.scorecard(q.wh, code, q.grain, q.period)
    r = sc[sc["value"].notna()].iloc[0]
    assert table.loc[table["Id"] == r["measure_id"], "Value"].iloc[0] == format_value_vs(r["value"], r["unit"], [r["target"], r["red_threshold"], r["band_low"], r["band_high"]], "en")


# ------------------------------------------------------------------ measure explorer

def test_measure_explorer_ranking_definition_drilldown(app_env, q):
    at = run_page("measure_explorer")
    assert at.title[0].value == "Mätetal"
    at.selectbox(key="explorer_measure_sv").set_value("Q2").run()
    assert not at.exception
    rk = q.query.measure_ranking(q.wh, "Q2", q.grain, q.period)
    table = df_by_key(at, "explorer_ranking_table")
    assert len(table) == len(rk) > 0
    r0 = rk.iloc[0]
    assert table.iloc[0]["Värde"] == format_value_vs(r0["value"], "%", [r0["target"], r0["red_threshold"]], "sv")
    # the tabs are lazy: only the open one is rendered
    assert len(at.table) == 0
    # definition panel shows the formula and production cost from the catalogue
    at.session_state["explorer_tab_sv"] = "Definition"
    at.run()
    assert not at.exception
    cat = q.query.measure_catalog(q.wh).set_index("measure_id").loc["Q2"]
    tbl = at.table[0].value
    assert cat["formula_sv"] in list(tbl.iloc[:, 0])
    assert "Låg" in list(tbl.iloc[:, 0])  # production cost L in words
    # drilldown: rows behind the first committee's value
    at.session_state["explorer_tab_sv"] = "Underlag bakom ett värde"
    at.run()
    assert not at.exception
    code = at.selectbox(key="explorer_drill_committee_sv").value
    period = at.selectbox(key="explorer_drill_period_sv").value
    dd = q.query.drilldown(q.wh, "Q2", code, q.grain, period)
    # a page of records at a time: the first PAGE_SIZE, the count names them all, the rest a page away
    assert len(df_by_key(at, "explorer_drill_table")) == min(len(dd), PAGE_SIZE) and len(dd) > 0
    assert any(f"{format_number(len(dd))} rader" in m.value for m in at.markdown)
    if len(dd) > PAGE_SIZE:
        assert any(f"Rad 1–{PAGE_SIZE} av {format_number(len(dd))}" in m.value for m in at.markdown)
    # time series: all committees → the city and the peer-group lines from the marts
    at.session_state["explorer_tab_sv"] = "Tidsserie"
    at.run()
    assert not at.exception
    ser = df_by_key(at, "explorer_series_table")
    assert "Staden totalt" in set(ser["Nämnd/bolag"])
    city = q.query.measure_series(q.wh, "Q2", q.grain, at.selectbox(key="explorer_from_sv").value, q.period, ["CITY"])
    assert (ser["Nämnd/bolag"] == "Staden totalt").sum() == len(city) > 0


# ------------------------------------------------------------------ data quality

def test_data_quality_tables(app_env, wh):
    from metrics import quality_query as qq

    at = run_page("data_quality")
    assert at.title[0].value == "Datakvalitet"
    latest = qq.latest_batches(wh)
    assert len(latest) > 5
    assert len(df_by_key(at, "quality_latest")) == len(latest)
    # sources by their names, never the raw id (it_costs → "It-kostnader (huvudbok)")
    assert set(df_by_key(at, "quality_latest")["Källa"]) == {translate(f"source.{s}", "sv") for s in latest["source"]}
    assert not set(df_by_key(at, "quality_latest")["Källa"]) & set(latest["source"])
    fresh = qq.freshness(wh)
    ftable = df_by_key(at, "quality_freshness")  # the first page of the list …
    assert len(ftable) == min(len(fresh), PAGE_SIZE) > 0
    ftable = all_pages(at, "quality_freshness")  # … and every page after it
    assert len(ftable) == len(fresh) > 0
    assert list(ftable.columns) == ["Källa", "Nämndkod", "Senaste period", "Förväntad period", "Månader efter", "Lucka",
                                    "Första period", "Saknade månader"]
    assert (ftable["Lucka"] == "⚠ Ja").sum() == int(fresh["gap"].sum())
    hist = qq.batch_history(wh)
    assert len(df_by_key(at, "quality_history")) == len(hist)
    quar = qq.quarantine(wh)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rader i karantän"] == format_number(len(quar))
    assert metrics["Källor"] == format_number(len(latest))


def test_quality_query_freshness_consistent(wh):
    from metrics import quality_query as qq

    f = qq.freshness(wh)
    assert list(f.columns)[:6] == ["source", "committee_code", "latest_period", "expected_period", "months_behind", "gap"]
    assert (f["months_behind"] >= 0).all()
    assert (f["gap"] == ((f["months_behind"] > 0) | (f["missing_months"] > 0))).all()
    assert (f["latest_period"] <= f["expected_period"]).all()
    lb = qq.latest_batches(wh)
    assert lb["source"].is_unique
    hist = qq.batch_history(wh)
    for _, r in lb.iterrows():
        assert r["batch_id"] == hist.loc[hist["source"] == r["source"], "batch_id"].max()


# ------------------------------------------------------------------ architecture rules

def test_pages_do_not_import_great_expectations(app_env):
    """Run every page in a fresh interpreter; great_expectations must not be loaded."""
    script = f"""
import sys
from streamlit.testing.v1 import AppTest
for p in {[p.name for p in sorted((ROOT / 'pages').glob('*.py'))]!r} + ['../app.py']:
    at = AppTest.from_file({str(ROOT / 'pages')!r} + '/' + p, default_timeout=120)
    at.run()
    assert not at.exception, (p, [e.value for e in at.exception])
print('GE_LOADED' if 'great_expectations' in sys.modules else 'GE_ABSENT')
"""
    import os

    env = dict(os.environ, SCORECARD_WAREHOUSE=str(app_env))
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "GE_ABSENT"


def test_pages_hold_no_sql_and_call_setup_page():
    for p in sorted((ROOT / "pages").glob("*.py")):
        src = p.read_text(encoding="utf-8")
        assert "import duckdb" not in src and "great_expectations" not in src and "etl.validate" not in src, p.name
        assert "setup_page(" in src, f"{p.name} must call ui.page.setup_page itself (deep links skip app.py)"
        for word in ("SELECT ", "select ", " FROM wh"):
            assert word not in src, f"{p.name} holds SQL"


def test_new_publish_shows_without_restart(demo_warehouse, tmp_path, monkeypatch):
    """Publish = copy + rename: the running app (same process, warm caches) shows the new data."""
    import shutil

    import streamlit as st
    from etl_helpers import republish

    wh_path = tmp_path / "w.duckdb"
    shutil.copy(demo_warehouse, wh_path)
    monkeypatch.setenv("SCORECARD_WAREHOUSE", str(wh_path))
    monkeypatch.setenv("SCORECARD_DEMO_LOGIN", "1")  # also for a SCORECARD_TEST_WAREHOUSE built before origin=demo
    st.cache_data.clear()
    at = run_page("data_quality")
    before = " ".join(c.value for c in at.sidebar.caption)
    assert "Data publicerad" in before and "2030-01-02 03:04" not in before
    republish(wh_path, "UPDATE warehouse_meta SET value = '2030-01-02T03:04:00Z' WHERE key = 'published_at'")
    at.run()
    assert not at.exception
    after = " ".join(c.value for c in at.sidebar.caption)
    assert "Data publicerad 2030-01-02 03:04" in after


# ------------------------------------------------------------------ council: Portföljer at phone width

@pytest.mark.parametrize("lang", ["sv", "en"])
def test_portfolios_lists_come_in_a_section_per_portfolio_on_a_phone(app_env, wh, lang):
    """At 390 px the project list (80 cards, 24 000 px) and the frames table (year × portfolio cards,
    18 000 px) filled the page. On a phone each comes as collapsed sections, one per portfolio in portfolio
    order, headed by the portfolio and its count (projects: and how many are over the grant); on a wide screen
    the one table each, as before. Every row is in exactly one section."""
    from metrics import portfolio_query as pq

    projects = pq.projects(wh)
    ports = pq.portfolios(wh)
    name = {int(r.portfolio_id): f"{int(r.portfolio_id)}\\. {r['name_en' if lang == 'en' else 'name_sv']}"
            for _, r in ports.iterrows()}
    at = run_page("portfolios", {"lang": lang} if lang == "en" else None)
    shown = html_tables(at)
    wide = shown["portfolios_projects"]
    assert list(wide.iloc[:, 0]) == list(projects.project_id)                        # the one table, as before
    words = {"sv": ("projekt", "projekt", "varav {} över beviljade medel"),
             "en": ("projects", "project", "{} of them over the grant")}[lang]
    expected = []
    for p in sorted(projects.portfolio_id.unique()):
        mine = projects[projects.portfolio_id == p]
        label = f"{name[int(p)]} – {len(mine)} {words[0] if len(mine) != 1 else words[1]}"
        over = int(mine.over_budget.sum())
        expected.append(label + (", " + words[2].format(over) if over else ""))
    heads = [e.label for e in at.expander]
    assert heads[len(heads) - len(expected):] == expected
    assert any("över beviljade medel" in h or "over the grant" in h for h in expected)  # the demo has some
    sections = [shown[k] for k in shown if k.startswith("portfolios_projects_")]
    assert len(sections) == projects.portfolio_id.nunique()
    for s, p in zip(sections, sorted(projects.portfolio_id.unique())):
        assert list(s.iloc[:, 0]) == list(projects[projects.portfolio_id == p].project_id)   # order kept
        assert ("Portfölj" if lang == "sv" else "Portfolio") not in s.columns
    # the frames table: a section per portfolio too, each with its years
    years = pq.portfolio_years(wh)
    frames = [shown[k] for k in shown if k.startswith("portfolios_frames_")]
    assert [len(f) for f in frames] == [int((years.portfolio_id == p).sum()) for p in sorted(years.portfolio_id.unique())]
    assert len(shown["portfolios_frames"]) == len(years)
    unit = "år" if lang == "sv" else "years"
    assert heads[:len(frames)] == [f"{name[int(p)]} – {years[years.portfolio_id == p].year.nunique()} {unit}"
                                   for p in sorted(years.portfolio_id.unique())]
    assert all(not e.proto.expanded for e in at.expander)
