"""The dependency data of the incremental build: every model declares exactly the tables its SQL reads
(`sources` + `depends_on`), and every measure and indicator reads only the models it declares."""
from __future__ import annotations

import pytest

from metrics.catalog import load_indicators, load_measures
from metrics.dependencies import affected_models, declaration_tables, tables_read
from metrics.models import load_models

MODEL_NAMES = {m.decl.name for m in load_models()}


def test_the_parser_finds_tables_and_leaves_out_ctes():
    sql = ("WITH x AS (SELECT * FROM fact_a a JOIN dim_b b USING (k)) "
           "SELECT * FROM x WHERE EXISTS (SELECT 1 FROM fact_c c WHERE c.k = x.k) UNION ALL SELECT * FROM (SELECT * FROM d)")
    assert tables_read(sql) == {"fact_a", "dim_b", "fact_c", "d"}


@pytest.mark.parametrize("model", load_models(), ids=lambda m: m.decl.name)
def test_a_model_declares_every_table_it_reads(model):
    read = tables_read(model.sql)
    declared = set(model.decl.sources) | set(model.decl.depends_on)
    assert read == declared, (f"{model.path}: reads {sorted(read - declared)} undeclared, "
                              f"declares {sorted(declared - read)} unread")
    assert not set(model.decl.sources) & MODEL_NAMES, f"{model.path}: a model belongs in depends_on, not sources"


@pytest.mark.parametrize("measure", load_measures(), ids=lambda m: m.id)
def test_a_measure_reads_only_its_declared_models(measure):
    assert tables_read(measure.sql) <= set(measure.models)


def test_indicators_read_only_models():
    for ind in load_indicators():
        assert tables_read(ind.sql) <= MODEL_NAMES, ind.id


def test_what_an_it_cost_delivery_reaches():
    assert [m.decl.name for m in affected_models({"fact_it_costs"})] == [
        "int_it_costs", "it_cost_distribution", "it_cost_by_committee"]
    reached = [m.id for m in load_measures() if declaration_tables(m.sql) & {"fact_it_costs"}]
    assert reached == ["C1", "C2", "C3"]
    # a dimension reaches every measure over a model reading it
    reached = [m.id for m in load_measures() if declaration_tables(m.sql) & {"dim_systems"}]
    assert reached == ["M1", "C1", "C2", "C3", "Q1", "Q2"]
