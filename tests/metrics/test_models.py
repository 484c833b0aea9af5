"""The declared-model framework (metrics/models.py): declarations validated, dependency order,
data tests that count failing rows and stop a build."""
import duckdb
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from metrics.models import (ModelDeclarationError, ModelTestError, build_models, load_models,
                            test_models)


def write(folder, name, yaml_text, sql):
    (folder / f"{name}.yaml").write_text(yaml_text, encoding="utf-8")
    (folder / f"{name}.sql").write_text(sql, encoding="utf-8")


GOOD = """
name: {name}
description: {{sv: Test, en: Test}}
depends_on: {deps}
columns:
  - name: k
    description: {{sv: nyckel, en: key}}
    tests: [not_null, unique]
  - name: c
    description: {{sv: nämnd, en: committee}}
    tests:
      - accepted_values: {{values: [A, B]}}
      - relationships: {{to: dim, field: code}}
tests:
  - expression: "k > 0"
    description: keys are positive
"""


@pytest.fixture
def con():
    c = duckdb.connect()
    c.execute("CREATE TABLE src(k INTEGER, c VARCHAR); CREATE TABLE dim(code VARCHAR)")
    c.execute("INSERT INTO dim VALUES ('A'), ('B')")
    yield c
    c.close()


def test_models_build_in_dependency_order_and_pass(tmp_path, con):
    write(tmp_path, "b_top", GOOD.format(name="b_top", deps="[a_base]"), "SELECT k, c FROM a_base")
    write(tmp_path, "a_base", GOOD.format(name="a_base", deps="[]"), "SELECT k, c FROM src")
    # alphabetical order would be the same; make the dependency run the other way
    write(tmp_path, "a_first", GOOD.format(name="a_first", deps="[b_top]"), "SELECT k, c FROM b_top")
    models = load_models(tmp_path)
    assert [m.decl.name for m in models] == ["a_base", "b_top", "a_first"]
    con.execute("INSERT INTO src VALUES (1, 'A'), (2, 'B'), (3, NULL)")
    assert build_models(con, models) == ["a_base", "b_top", "a_first"]
    assert test_models(con, models) == []


def test_each_data_test_counts_its_failing_rows(tmp_path, con):
    write(tmp_path, "m", GOOD.format(name="m", deps="[]"), "SELECT k, c FROM src")
    models = load_models(tmp_path)
    # k: one NULL, 2 twice; c: 'Z' not accepted and not in dim; k = -1 fails the expression
    con.execute("INSERT INTO src VALUES (NULL, 'A'), (2, 'A'), (2, 'B'), (-1, 'Z')")
    build_models(con, models)
    failures = {f["test"]: f["failing_rows"] for f in test_models(con, models)}
    assert failures == {"k: not_null": 1, "k: unique": 2, "c: accepted_values": 1,
                        "c: relationships → dim.code": 1, "expression: keys are positive": 2}
    with pytest.raises(ModelTestError, match="k: unique — 2 row"):
        raise ModelTestError(test_models(con, models))


UNIQUE_ONLY = """
name: u
description: {sv: Test, en: Test}
columns:
  - name: k
    description: {sv: nyckel, en: key}
    tests: [unique]
  - name: s
    description: {sv: text, en: text}
    tests: [unique]
"""


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.one_of(st.none(), st.integers(-3, 3)),
                               st.one_of(st.none(), st.sampled_from(["a", "A", "a ", "b", "", "ö"]))), max_size=14))
def test_unique_counts_every_row_of_a_repeated_value(tmp_path_factory, rows):
    """For any rows (NULLs, repeats, values differing only in case or a trailing space): a unique test fails
    exactly when a non-null value occurs twice, with the number of rows holding such a value, counted by hand."""
    folder = tmp_path_factory.mktemp("u")
    write(folder, "u", UNIQUE_ONLY, "SELECT k, s FROM src2")
    models = load_models(folder)
    c = duckdb.connect()
    c.execute("CREATE TABLE src2(k INTEGER, s VARCHAR)")
    c.executemany("INSERT INTO src2 VALUES (?, ?)", rows) if rows else None
    build_models(c, models)
    failures = {f["test"]: f["failing_rows"] for f in test_models(c, models)}
    expected = {}
    for i, name in enumerate(("k", "s")):
        values = [r[i] for r in rows if r[i] is not None]
        repeated = sum(1 for v in values if values.count(v) > 1)
        if repeated:
            expected[f"{name}: unique"] = repeated
    assert failures == expected
    c.close()

@pytest.mark.parametrize("yaml_text, message", [
    ("name: m\ndescription: {sv: a, en: b}\ncolumns: []\ncolour: red\n", "colour: Extra inputs are not permitted"),
    ("name: Bad-Name\ndescription: {sv: a, en: b}\ncolumns: []\n", "name: String should match pattern"),
    ("name: other\ndescription: {sv: a, en: b}\ncolumns: []\n", "must equal the file name"),
    ("name: m\ndescription: {sv: a, en: b}\ndepends_on: [nowhere]\ncolumns: []\n", "unknown model(s) nowhere"),
    ("name: m\ndescription: {sv: a}\ncolumns: []\n", "description.en: Field required"),
])
def test_bad_declarations_name_file_and_key(tmp_path, yaml_text, message):
    write(tmp_path, "m", yaml_text, "SELECT 1 AS k")
    with pytest.raises(ModelDeclarationError) as err:
        load_models(tmp_path)
    assert str(tmp_path / "m.yaml") in str(err.value)
    assert message in str(err.value)


def test_sql_and_declared_columns_must_agree(tmp_path, con):
    write(tmp_path, "m", GOOD.format(name="m", deps="[]"), "SELECT k, c, 1 AS extra FROM src")
    with pytest.raises(ModelDeclarationError, match="not declared: extra"):
        build_models(con, load_models(tmp_path))


def test_a_failing_model_test_stops_the_publish(tmp_path, monkeypatch):
    """The build raises, so pipeline.publish leaves the published file as it was."""
    from pipeline.publish import publish
    import metrics.build

    warehouse = tmp_path / "wh.duckdb"
    publish(lambda con: None, warehouse)
    before = warehouse.read_bytes()
    write(tmp_path, "m", GOOD.format(name="m", deps="[]"),
          "SELECT * FROM (VALUES (1, 'A'), (1, 'A')) t(k, c)")
    models = load_models(tmp_path)
    monkeypatch.setattr(metrics.build, "load_models", lambda: models, raising=False)
    monkeypatch.setattr(metrics.build, "build_models", lambda con, **kw: build_models(con, models, **kw))
    monkeypatch.setattr(metrics.build, "test_models", lambda con, **kw: test_models(con, models, **kw))
    monkeypatch.setattr(metrics.build, "load_measures", lambda: ())
    with pytest.raises(ModelTestError):
        publish(lambda con: con.execute("CREATE TABLE dim(code VARCHAR); INSERT INTO dim VALUES ('A')"), warehouse)
    assert warehouse.read_bytes() == before
