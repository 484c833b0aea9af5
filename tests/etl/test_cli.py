"""`python -m etl` as a user runs it: exit codes 0/1/2 and plain-words output."""
import os
import subprocess
import sys
from pathlib import Path

from etl_helpers import fixture

ROOT = Path(__file__).resolve().parents[2]


def etl(warehouse: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, SCORECARD_WAREHOUSE=str(warehouse), GX_ANALYTICS_ENABLED="false")
    return subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_exit_codes_and_messages(warehouse):
    clean = etl(warehouse, "load", str(fixture("incident_mapping.csv")), str(fixture("committees.csv")))
    assert clean.returncode == 0, clean.stderr
    assert clean.stdout.splitlines()[0].startswith("[loaded] batch 1 committees: committees.csv (CSV, encoding cp1252")

    quarantined = etl(warehouse, "load", str(fixture("it_costs_2024.csv")))
    assert quarantined.returncode == 1, quarantined.stderr
    assert ('    quarantined: it_costs_2024.csv row 13, column supplier_type: "extern" is not one of external, '
            "internal") in quarantined.stdout.splitlines()

    rejected = etl(warehouse, "load", str(fixture("committees_missing_column.csv")))
    assert rejected.returncode == 2
    assert "committees_missing_column.csv: required column peer_group is missing" in rejected.stdout

    status = etl(warehouse, "status")
    assert status.returncode == 0
    assert [line.split(" at ")[0] for line in status.stdout.splitlines() if line.startswith("batch")] == [
        "batch 4 [rejected] committees committees_missing_column.csv",
        "batch 3 [loaded] it_costs it_costs_2024.csv",
        "batch 2 [loaded] incident_mapping incident_mapping.csv",
        "batch 1 [loaded] committees committees.csv"]

    listing = etl(warehouse, "quarantine", "--batch", "3")
    assert listing.returncode == 0
    assert listing.stdout.startswith('batch 3 [allowed] it_costs_2024.csv row 13, column supplier_type: "extern"')


def test_bad_usage_exits_2(warehouse, tmp_path):
    unknown = tmp_path / "budget_2024.csv"
    unknown.write_text("a,b\n1,2\n")
    result = etl(warehouse, "load", str(unknown))  # a file no source matches: reported, rejected (exit 2)
    assert result.returncode == 2
    assert result.stdout.startswith("[rejected] budget_2024.csv: cannot tell which source this is")
    assert etl(warehouse, "load").returncode == 2
    assert etl(warehouse, "load", str(fixture("committees.csv")), "--source", "nope").returncode == 2
    missing = etl(warehouse, "status")
    assert missing.returncode == 2 and "no warehouse at" in missing.stderr
    assert not warehouse.exists()


def test_source_is_the_longest_contract_name_the_file_starts_with():
    from pipeline.cli import detect_source, plan_files

    assert detect_source("incidents_servicenow_export.csv").source == "incidents"
    assert detect_source("incident_mapping_2024.xlsx").source == "incident_mapping"
    assert detect_source("eservice_transactions_2025-06.csv").source == "eservice_transactions"
    assert detect_source("eservices.parquet").source == "eservices"
    assert detect_source("IT_COSTS_2020-2026.csv").source == "it_costs"
    planned = plan_files([Path("it_costs_b.csv"), Path("systems.xlsx"), Path("it_costs_a.csv"),
                          Path("committees.csv")])
    assert [b.name for b in planned] == ["committees.csv", "systems.xlsx", "it_costs_b.csv", "it_costs_a.csv"]
