"""The layers show in the imports: etl/ never imports metrics/ or the orchestration above it,
metrics/ never imports etl/, pages/ never import duckdb (docs/architecture.md)."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_top_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def offenders(folder: str, forbidden: set[str], allowed: set[str] = frozenset(), root: Path = ROOT) -> dict[str, set[str]]:
    found = {}
    for path in sorted((root / folder).rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel in allowed:
            continue
        bad = imported_top_packages(path) & forbidden
        if bad:
            found[rel] = bad
    return found


def test_etl_imports_neither_metrics_nor_pipeline():
    # etl/__main__.py is the documented `python -m etl` alias of the orchestration's command line
    assert offenders("etl", {"metrics", "pipeline", "ui", "followup", "reports"}, {"etl/__main__.py"}) == {}


def test_metrics_does_not_import_etl_or_pipeline():
    assert offenders("metrics", {"etl", "pipeline", "ui"}) == {}


def test_pages_and_ui_do_not_import_duckdb_or_etl():
    assert offenders("pages", {"duckdb", "etl", "pipeline", "great_expectations"}) == {}
    assert offenders("ui", {"duckdb", "etl", "pipeline", "great_expectations"}) == {}


def test_the_checker_sees_a_forbidden_import(tmp_path):
    (tmp_path / "etl").mkdir()
    (tmp_path / "etl" / "x.py").write_text("import os\nfrom metrics.build import build_marts\n")
    assert offenders("etl", {"metrics"}, root=tmp_path) == {"etl/x.py": {"metrics"}}


def test_followup_store_imports_no_read_side_or_ui():
    # followup/targets.py imports the orchestration for one documented action: publish_now (an admin's
    # "Publicera nu" after a target change), so that pages never import pipeline/ themselves
    assert offenders("followup", {"etl", "metrics", "ui", "duckdb", "streamlit"}, {"followup/targets.py"}) == {}
    assert offenders("followup", {"etl", "metrics", "ui", "streamlit"}) == {}
