"""Issue 12, item 4: a file whose name matches no source is reported plainly (which file, why, which
names or SOURCE=PATH would work) and never stops the command's other files; exit 2 as documented
(docs/contracts.md). Hostile names (quotes, {path}, ';', '--', '$$', unicode, spaces, a line break)
are only text in the report."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from etl_helpers import fixture, load, query
from pipeline import cli

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("benefit_plans, benefit_realisations, benefit_replans, benefits, committees, eservice_reviews, "
           "eservice_transactions, eservices, incident_mapping, incident_sla, incidents, it_costs, it_users, "
           "licences, operating_costs, outages, portfolio_frames, project_expectations, project_grants, "
           "project_stages, projects, survey_responses, system_usage, systems, systems_central, target_overrides")
HOSTILE = ["budget 2024 'x'.csv", 'kostnader_"{path}".csv', "x'); DELETE FROM etl_batches; --.csv",
           "--source=it_costs.csv", "$$ $1 {path};--.xlsx", "Ärenden_åäö_€_日本.csv", "nope=committees.csv",
           "\u202eriskant.csv"]


def etl(warehouse: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, SCORECARD_WAREHOUSE=str(warehouse), GX_ANALYTICS_ENABLED="false")
    return subprocess.run([sys.executable, "-m", "etl", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def unmatched_line(name: str, guess: str = "", example: str = "incidents") -> str:
    return (f"[rejected] {name}: cannot tell which source this is; {guess}the file name must start with one of "
            f"{SOURCES}, or name it as SOURCE=PATH (e.g. {example}={name}) or give --source; nothing loaded "
            "from this file")


def test_the_message_names_the_file_the_reason_and_what_would_work():
    (planned,) = cli.plan_files([Path("itcosts_2024-03.csv")])
    assert (planned.contract, planned.read, planned.name) == (None, None, "itcosts_2024-03.csv")
    assert planned.problem == unmatched_line("itcosts_2024-03.csv", "did you mean it_costs? ",
                                             "it_costs").removeprefix("[rejected] ")
    (far,) = cli.plan_files([Path("budget_2024.csv")])
    assert far.problem == unmatched_line("budget_2024.csv").removeprefix("[rejected] ")


@pytest.mark.parametrize("name,guesses", [
    ("comittees.csv", ["committees"]), ("systemer.xlsx", ["systems"]), ("Incidenter.csv", ["incidents"]),
    ("incident_event_log.csv", ["incidents"]), ("outage_2024.parquet", ["outages"]), ("costs.csv", []),
])
def test_close_source_names_are_suggested(name, guesses):
    (planned,) = cli.plan_files([Path(name)])
    guess = f"did you mean {' or '.join(guesses)}? " if guesses else ""
    assert planned.problem == unmatched_line(name, guess, guesses[0] if guesses else "incidents").removeprefix(
        "[rejected] ")


def test_hostile_unmatched_names_among_good_files_cli(tmp_path):
    """The real command: every good file loads and is published, each unmatched file is one plain line."""
    warehouse = tmp_path / "warehouse.duckdb"
    paths = []
    for name in HOSTILE:
        path = tmp_path / name
        path.write_text("committee_code;name_sv\nX;'); DROP TABLE dim_committees; --\n", encoding="utf-8")
        paths.append(str(path))
    good = [shutil.copy(fixture("committees.csv"), tmp_path / "committees.csv"),
            shutil.copy(fixture("it_costs_2024.csv"), tmp_path / "it_costs_2024.csv")]
    # '--' ends the options: a file may be called "--source=it_costs.csv"
    done = etl(warehouse, "load", "--", paths[0], str(good[1]), *paths[1:], str(good[0]))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stdout.splitlines()
    rejected = [line for line in lines if line.startswith("[rejected]")]
    guesses = {"kostnader_\"{path}\".csv": "", "nope=committees.csv": ""}
    assert rejected == [unmatched_line(name, guesses.get(name, "")) for name in HOSTILE[:7]] + [
        unmatched_line("\u202eriskant.csv".encode("unicode_escape").decode("ascii"))]
    loaded = [line.split(":")[0] for line in lines if line.startswith("[loaded]")]
    assert loaded == ["[loaded] batch 1 committees", "[loaded] batch 2 it_costs"]
    assert query(warehouse, "SELECT batch_id, source, file_name, status FROM etl_batches ORDER BY 1") == [
        (1, "committees", "committees.csv", "loaded"), (2, "it_costs", "it_costs_2024.csv", "loaded")]
    assert query(warehouse, "SELECT count(*) FROM dim_committees") == [(5,)]
    assert query(warehouse, "SELECT count(*) FROM fact_it_costs") == [(19,)]


def test_a_line_break_in_a_name_stays_on_one_report_line(warehouse, tmp_path):
    name = "evil\n[loaded] batch 9 it_costs: fake.csv"
    results = load(warehouse, tmp_path / name, "committees.csv")
    assert [(r.batch_id, r.status) for r in results] == [(None, "rejected"), (1, "loaded")]
    assert results[0].message.startswith("evil\\n[loaded] batch 9 it_costs: fake.csv: cannot tell which source")
    assert "\n" not in results[0].message


def test_only_unmatched_files_publish_nothing(warehouse, tmp_path, capsys):
    results = load(warehouse, tmp_path / "budget.csv", tmp_path / "x;--.csv")
    assert [(r.file_name, r.status, r.batch_id) for r in results] == [
        ("budget.csv", "rejected", None), ("x;--.csv", "rejected", None)]
    assert cli.exit_code(results) == cli.EXIT_REJECTED
    assert not warehouse.exists()  # nothing to load: no warehouse made, none replaced


def test_unmatched_file_leaves_a_published_warehouse_as_it_was(warehouse, tmp_path):
    load(warehouse, "committees.csv")
    before = warehouse.read_bytes()
    (result,) = load(warehouse, tmp_path / "budget.csv")
    assert result.status == "rejected"
    assert warehouse.read_bytes() == before


def test_a_real_usage_error_still_stops_the_command(warehouse):
    """An unknown --source is bad usage, not a file problem: exit 2 before anything is read."""
    done = etl(warehouse, "load", str(fixture("committees.csv")), "--source", "budget")
    assert done.returncode == 2
    assert done.stderr.startswith("error: unknown source 'budget'; known sources: benefit_plans,")
    assert not warehouse.exists()
