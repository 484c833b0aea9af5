"""Data tests judged per month (`tested_per_month` in a model's YAML, issue 16 at 100×): an incremental build
judges int_it_costs' tests (a view over the whole ledger) on the ledger months that changed, not on every
ledger line; anything else it reads changing, or a month unknown, judges every row again."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest
from pydantic import ValidationError

from tests.metrics.conftest import answers, cost, insert
from metrics.build import build_marts, months_to_test
from metrics.models import ModelDecl, ModelTestError, load_models

FEB = dt.date(2025, 2, 1)


@pytest.fixture(scope="module")
def built(fixture_path) -> Path:
    """The metrics fixture warehouse built in full (tests/metrics/conftest.py); tests work on copies."""
    return fixture_path


@pytest.fixture()
def con(built, tmp_path):
    path = tmp_path / "w.duckdb"
    shutil.copyfile(built, path)
    c = duckdb.connect(str(path))
    yield c
    c.close()


def test_the_ledger_model_is_tested_by_the_months_of_its_ledger_changes():
    models = tuple(m for m in load_models() if m.decl.name == "int_it_costs")
    assert models[0].decl.tested_per_month.column == "month"
    assert models[0].decl.tested_per_month.source == "fact_it_costs"
    jan = dt.date(2025, 1, 1)
    assert months_to_test([("fact_it_costs", FEB), ("fact_it_costs", jan)], models) == {"int_it_costs": ["2025-01", "2025-02"]}
    # a month not known, or another table the model reads (dim_systems: every line's tier), judges every row
    assert months_to_test([("fact_it_costs", None)], models) == {"int_it_costs": None}
    assert months_to_test([("fact_it_costs", FEB), ("dim_systems", None)], models) == {"int_it_costs": None}


def test_a_duplicate_line_in_the_changed_month_stops_the_incremental_build(con):
    # L1 (booked 2025-01) delivered again in 2025-02: line_id unique fails on both L1 rows
    insert(con, "fact_it_costs", [cost("L1", "2025-02", "AAA", 5_000)])
    with pytest.raises(ModelTestError) as exc:
        build_marts(con, changes=[("fact_it_costs", FEB)])
    assert exc.value.failures == [{"model": "int_it_costs", "test": "line_id: unique", "failing_rows": 2}]


def test_a_row_in_an_unchanged_month_is_not_judged_again_but_a_full_build_judges_it(con):
    # a duplicate of L4 (2025-01) in 2024-07, which no change names: the incremental build for a 2025-02
    # delivery judges the 2025-02 lines (L2, L3, L9) only; a full build judges every line and finds it
    insert(con, "fact_it_costs", [cost("L4", "2024-07", "BBB", 1_000), cost("L9", "2025-02", "AAA", 2_000)])
    assert build_marts(con, changes=[("fact_it_costs", FEB)])["mode"] == "incremental"
    with pytest.raises(ModelTestError) as exc:
        build_marts(con)
    assert exc.value.failures == [{"model": "int_it_costs", "test": "line_id: unique", "failing_rows": 2}]


def test_a_ledger_delivery_with_a_changed_system_tier_judges_every_line(con):
    # dim_systems changed too: the test judges every month, so the old-month duplicate is found
    insert(con, "fact_it_costs", [cost("L4", "2024-07", "BBB", 1_000)])
    with pytest.raises(ModelTestError) as exc:
        build_marts(con, changes=[("fact_it_costs", FEB), ("dim_systems", None)])
    assert exc.value.failures == [{"model": "int_it_costs", "test": "line_id: unique", "failing_rows": 2}]


def declaration(**extra) -> dict:
    return dict(name="m", description={"sv": "x", "en": "x"}, sources=["fact_x"],
                columns=[{"name": "month", "description": {"sv": "x", "en": "x"}}], **extra)


def test_tested_per_month_must_name_a_declared_column_and_source():
    ModelDecl.model_validate(declaration(tested_per_month={"column": "month", "source": "fact_x"}))
    with pytest.raises(ValidationError, match="source 'fact_y' is not in sources"):
        ModelDecl.model_validate(declaration(tested_per_month={"column": "month", "source": "fact_y"}))
    with pytest.raises(ValidationError, match="column 'day' is not a declared column"):
        ModelDecl.model_validate(declaration(tested_per_month={"column": "day", "source": "fact_x"}))
    with pytest.raises(ValidationError, match="already tested per month"):
        ModelDecl.model_validate(declaration(materialized="table", partition={"column": "month", "source": "fact_x"},
                                             tested_per_month={"column": "month", "source": "fact_x"}))


def test_the_survey_model_is_tested_by_the_months_of_its_survey_changes(con):
    models = tuple(m for m in load_models() if m.decl.name == "int_survey_responses")
    mar = dt.date(2025, 3, 1)
    assert months_to_test([("fact_survey_responses", mar)], models) == {"int_survey_responses": ["2025-03"]}
    # dim_eservices (an exit answer's committee) changed too: every answer
    assert months_to_test([("fact_survey_responses", mar), ("dim_eservices", None)], models) == \
        {"int_survey_responses": None}
    # an answer 7 (off the 1-5 scale) in 2024-10, which no change names, is not judged by a 2025-03 build;
    # one in 2025-03 is, and so is the 2024-10 one by a full build
    insert(con, "fact_survey_responses", answers("staff_it", "AAA", "2024-10-06", [7], "x7"))
    assert build_marts(con, changes=[("fact_survey_responses", mar)])["mode"] == "incremental"
    insert(con, "fact_survey_responses", answers("it_support", "AAA", "2025-03-16", [7], "y7"))
    failure = {"model": "int_survey_responses", "test": "expression: answers are on the 1–5 scale", "failing_rows": 1}
    with pytest.raises(ModelTestError) as exc:
        build_marts(con, changes=[("fact_survey_responses", mar)])
    assert exc.value.failures == [failure]
    with pytest.raises(ModelTestError) as exc:
        build_marts(con)
    assert exc.value.failures == [{**failure, "failing_rows": 2}]
