"""Period close (bokslut) against a later data revision, end to end through the command lines and the
real ETL: the closed report's text is identical before and after the revision, the live figures change,
and the live scorecard page says what changed since the period was closed (old and new values)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from app_tables import table, tables  # noqa: F401

from cycle_helpers import ROOT, pdf_text


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{args}: {proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return proc


def test_closed_report_survives_a_revision_and_the_live_scorecard_shows_the_change(
        tmp_path, demo_warehouse, red_committee, period, monkeypatch):
    from followup import cycle as C
    from followup.identity import Grant, Identity
    from followup.store import Store, reset_stores
    from metrics import periods as P
    from metrics.warehouse import Warehouse
    from reports import cycle as RC

    code, red = red_committee
    wh_path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(demo_warehouse, wh_path)
    url = f"sqlite:///{tmp_path / 'followup.sqlite'}"
    env = dict(os.environ, SCORECARD_WAREHOUSE=str(wh_path), SCORECARD_FOLLOWUP_URL=url, GX_ANALYTICS_ENABLED="false")

    store = Store(url)
    anna = Identity("anna@stad.se", "Anna Berg", frozenset({Grant("reporter", code)}), "demo")
    chair = Identity("karl@stad.se", "Karl Ek", frozenset({Grant("chair", code)}), "demo")
    for m in red:
        C.write_analysis(anna, code, period, "measure", m, f"Analys av {m} före bokslutet.", "at_risk", store=store)
    RC.submit(anna, Warehouse(wh_path), code, period, store)
    C.approve(chair, code, period, store=store)
    store.dispose()
    reset_stores()

    out = run(["followup", "close", period], env)
    assert f"Closed {period}" in out.stdout
    run(["reports", "committee", code, "--period", period, "--out", str(tmp_path / "before.pdf")], env)
    before = pdf_text(tmp_path / "before.pdf")
    assert "Perioden stängd" in before and "PRELIMINÄR" not in before

    # a revision of the IT cost ledger for a month of the closed period: this committee's lines × 3
    month = P.months(period)[1]
    wh = Warehouse(wh_path)
    old_c2 = wh.df("SELECT value FROM measure_values WHERE committee_code = ? AND grain = 'tertial' AND period = ? "
                   "AND measure_id = 'C2'", [code, period])["value"].iloc[0]
    rows = wh.df("""SELECT line_id, strftime(month, '%Y-%m') AS month, committee_code, account, amount_sek, supplier_type,
                           cost_class, system_id, project_id FROM fact_it_costs WHERE month = ? ORDER BY line_id""", [month])
    assert (rows["committee_code"] == code).any()
    rows.loc[rows["committee_code"] == code, "amount_sek"] *= 3
    wh.close()
    revision = tmp_path / f"it_costs_{month:%Y-%m}_revision.csv"
    rows.to_csv(revision, index=False)
    run(["etl", "load", str(revision)], env)

    run(["reports", "committee", code, "--period", period, "--out", str(tmp_path / "after.pdf")], env)
    assert pdf_text(tmp_path / "after.pdf") == before  # the closed report does not change

    wh = Warehouse(wh_path)
    new_c2 = wh.df("SELECT value FROM measure_values WHERE committee_code = ? AND grain = 'tertial' AND period = ? "
                   "AND measure_id = 'C2'", [code, period])["value"].iloc[0]
    assert new_c2 > old_c2 * 1.2  # the live figure did change
    # the publish recorded its statuses for the alerts, under its version
    assert wh.meta()["version"] in wh.df("SELECT DISTINCT CAST(version AS VARCHAR) AS v FROM measure_status_history")["v"].tolist()
    # the --live report shows today's figure
    run(["reports", "committee", code, "--period", period, "--live", "--out", str(tmp_path / "live.pdf")], env)
    assert pdf_text(tmp_path / "live.pdf") != before

    store = Store(url)
    frozen = C.snapshot(code, period, store)
    live = RC.live_report(wh, code, period, store)
    changes = {c["measure_id"]: c for c in RC.changes_since_close(frozen, live)}
    assert "C2" in changes
    assert changes["C2"]["old_value"] == pytest.approx(old_c2) and changes["C2"]["new_value"] == pytest.approx(new_c2)
    unchanged = {"E1", "E2", "Q1", "Q2", "Q3"} - set(changes)
    assert unchanged == {"E1", "E2", "Q1", "Q2", "Q3"}  # measures that do not read the ledger are not flagged
    store.dispose()
    reset_stores()

    # the live scorecard page says so, with old and new values
    monkeypatch.setenv("SCORECARD_WAREHOUSE", str(wh_path))
    monkeypatch.setenv("SCORECARD_FOLLOWUP_URL", url)
    monkeypatch.setenv("SCORECARD_DEMO_LOGIN", "1")  # a reader (the demo login's default) looks at the page
    st.cache_data.clear()
    st.cache_resource.clear()
    import metrics.warehouse as mw

    mw._singleton = None
    at = AppTest.from_file(str(ROOT / "pages" / "committee_scorecard.py"), default_timeout=90)
    at.query_params["committee"] = code
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    warnings = " ".join(w.value for w in at.warning)
    assert "Ändrat sedan perioden stängdes" in warnings
    info = " ".join(i.value for i in at.info)
    assert "Perioden är stängd (bokslut)" in info
    table = next(d.value for d in tables(at) if "Vid stängning" in d.value.columns)
    row = table[table["Mätetal"].str.startswith("C2 ")].iloc[0]
    kr = lambda v: f"{v:,.0f}".replace(",", "\u00a0") + "\u00a0kr"  # noqa: E731
    assert kr(old_c2) in row["Vid stängning"] and kr(new_c2) in row["Nu"]
    mw._singleton = None
