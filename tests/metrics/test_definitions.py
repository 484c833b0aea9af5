"""Every declaration loads and its SQL compiles on an empty warehouse; a 16th measure needs only a file."""
from __future__ import annotations

import datetime as dt
import shutil

import duckdb

from metrics.models import build_models
import pytest
import yaml

from etl.schema import create_all
from metrics.build import build_marts, runnable
from metrics.query import bind_params
from metrics.catalog import DEFINITION_DIR, PERSPECTIVE_CODES, load_indicators, load_measures
from tests.metrics.conftest import COMMITTEES, insert

MEASURES = load_measures()


@pytest.fixture(scope="module")
def empty_con():
    con = duckdb.connect()
    create_all(con)
    build_models(con)  # measures read the declared models (metrics/models/)
    yield con
    con.close()


def test_fifteen_measures_three_per_perspective():
    assert [m.id for m in MEASURES] == ["E1", "E2", "E3", "I1", "I2", "I3", "M1", "M2", "M3",
                                        "C1", "C2", "C3", "Q1", "Q2", "Q3"]
    for code in PERSPECTIVE_CODES:
        assert sum(m.perspective == code for m in MEASURES) == 3


@pytest.mark.parametrize("m", MEASURES, ids=lambda m: m.id)
def test_measure_sql_runs_on_empty_warehouse(empty_con, m):
    cur = empty_con.execute(f"SELECT committee_code, month, numerator, denominator, n_obs FROM ({m.sql}) q")
    assert cur.fetchall() == []
    params = {"committees": ["AAA"], "from_month": dt.date(2025, 1, 1), "to_month": dt.date(2025, 12, 1)}
    cur = empty_con.execute(m.drilldown_sql, bind_params(m.drilldown_sql, params))
    assert cur.fetchall() == []
    assert runnable(empty_con, m.sql, m.id)
    assert m.name_sv and m.name_en and m.formula_sv and m.formula_en and m.source_sv


@pytest.mark.parametrize("ind", load_indicators(), ids=lambda i: i.id)
def test_indicator_sql_runs_on_empty_warehouse(empty_con, ind):
    cur = empty_con.execute(f"SELECT committee_code, month, variant, numerator, denominator FROM ({ind.sql}) q")
    assert cur.fetchall() == []
    assert runnable(empty_con, ind.sql, ind.id)


def test_build_on_empty_and_on_bare_database():
    con = duckdb.connect()
    build_marts(con)  # no tables at all: nothing to compute, must not fail
    assert con.execute("SELECT count(*) FROM measure_values").fetchone() == (0,)
    create_all(con)
    build_marts(con)
    assert con.execute("SELECT count(*) FROM measure_catalog").fetchone() == (15,)


def test_sixteenth_measure_needs_only_a_declaration(tmp_path):
    for path in DEFINITION_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    doc = yaml.safe_load((DEFINITION_DIR / "M3.yaml").read_text(encoding="utf-8"))
    doc.update(id="M4", order=10, name={"sv": "Betalda licenser", "en": "Paid licences"}, target=100, red_threshold=50,
               sql="SELECT committee_code, month, SUM(paid) AS numerator, SUM(paid) AS denominator, "
                   "COUNT(*) AS n_obs FROM fact_licences GROUP BY ALL")
    (tmp_path / "M4.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    measures = load_measures(tmp_path)
    assert [m.id for m in measures if m.perspective == "maturity"] == ["M1", "M2", "M3", "M4"]
    con = duckdb.connect()
    create_all(con)
    insert(con, "dim_committees", COMMITTEES[:1])
    insert(con, "fact_licences", [dict(month=dt.date(2025, 3, 1), committee_code="AAA", product="X", paid=10, used_90d=5)])
    build_marts(con, measures=measures)
    row = con.execute("SELECT value, score, status FROM measure_values WHERE measure_id = 'M4' AND committee_code = 'AAA' "
                      "AND grain = 'month' AND period = '2025-03'").fetchone()
    assert row == (100.0, 100.0, "green")
    # maturity now has 4 members, so 3 must be scored; only M3 (50 % → red) and M4 are → no perspective score
    ps = con.execute("SELECT score, n_members, n_measures FROM perspective_scores WHERE committee_code = 'AAA' "
                     "AND perspective = 'maturity' AND grain = 'month' AND period = '2025-03'").fetchone()
    assert ps == (None, 4, 2)


def test_broken_declaration_is_left_out_not_fatal(caplog):
    con = duckdb.connect()
    create_all(con)
    broken = MEASURES[0].__class__(**{**MEASURES[0].__dict__, "id": "X9", "sql": "SELECT nope FROM fact_licences"})
    build_marts(con, measures=(broken,) + MEASURES)
    assert "measure X9 left out" in caplog.text
    assert con.execute("SELECT count(*) FROM measure_catalog").fetchone() == (16,)


def test_invalid_declaration_is_rejected(tmp_path):
    doc = yaml.safe_load((DEFINITION_DIR / "E1.yaml").read_text(encoding="utf-8"))
    doc["direction"] = "higher"
    doc["target"], doc["red_threshold"] = 50, 70
    (tmp_path / "E1.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(ValueError, match="target > red_threshold"):
        load_measures(tmp_path)


def test_catalogue_document_lists_every_measure():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "measures.md").read_text(encoding="utf-8")
    for m in MEASURES:
        assert f"**{m.id} {m.name_en}** — *{m.name_sv}*" in text, m.id
        assert m.formula_en in text, f"docs/measures.md has an outdated formula for {m.id}"
