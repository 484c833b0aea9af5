"""Demo data generator: determinism, contract columns, file formats, scale, realistic content."""
from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from etl import demo
from etl.contracts import load_contracts

SHORT = dict(seed=7, end_month="2020-03", scale=0.05)


def _source_of(path: Path) -> str:
    """The loader's rule: the longest contract source name that prefixes the file name."""
    names = [s for s in load_contracts() if path.name.startswith(s)]
    assert names, f"{path.name} does not start with a contract source name"
    return max(names, key=len)


def _digests(paths: list[Path]) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


@pytest.fixture(scope="module")
def short_run(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("demo_short")
    paths = demo.generate(out, **SHORT)
    return {_source_of(p): p for p in paths}


@pytest.fixture(scope="module")
def full_run(tmp_path_factory) -> dict[str, Path]:
    """Whole period 2020-01..2026-10 at a small scale (trends, July dip, spike)."""
    out = tmp_path_factory.mktemp("demo_full")
    paths = demo.generate(out, seed=2013, end_month="2026-10", scale=0.1)
    return {_source_of(p): p for p in paths}


def _frame(path: Path) -> pd.DataFrame:
    """The file as all-text columns ('' = empty), read independently of the ETL readers."""
    if path.suffix == ".parquet":
        frame = pq.read_table(path).to_pandas()
    elif path.suffix == ".xlsx":
        frame = pd.read_excel(path, dtype=object)
    else:
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252")
        sep = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
        return pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    return frame.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v))
                     else ("true" if v is True else "false" if v is False else str(v)))


# ---- determinism --------------------------------------------------------------------------------

def test_same_seed_gives_byte_identical_files(tmp_path):
    a = demo.generate(tmp_path / "a", **SHORT)
    b = demo.generate(tmp_path / "b", **SHORT)
    assert [p.name for p in a] == [p.name for p in b]
    assert _digests(a) == _digests(b)


def test_different_seed_gives_different_data(tmp_path):
    a = _digests(demo.generate(tmp_path / "a", **SHORT))
    b = _digests(demo.generate(tmp_path / "b", **{**SHORT, "seed": 8}))
    for name in ["incidents_servicenow_export.csv", "it_costs_ledger.csv", "outages.csv",
                 "survey_responses.parquet", "systems.xlsx"]:
        assert a[name] != b[name], name
    # reference data does not depend on the seed
    assert a["committees.csv"] == b["committees.csv"]


# ---- files and contracts ------------------------------------------------------------------------------

def test_every_source_file_parses_with_the_contract_columns(short_run):
    contracts = load_contracts()
    expected = {"committees", "systems", "eservices", "eservice_reviews", "incident_mapping", "incident_sla", "outages",
                "incidents", "eservice_transactions", "system_usage", "licences", "it_costs",
                "operating_costs", "it_users", "survey_responses", "target_overrides"}
    assert expected <= set(short_run)
    for source, path in short_run.items():
        contract = contracts[source]
        frame = _frame(path)
        assert len(frame) > 0, path.name
        missing = [c for c in contract.column_names if c not in frame.columns]
        assert not missing, f"{path.name} lacks {missing}"
        if source == "incidents":
            assert set(contract.drop_columns) <= set(frame.columns)


def test_files_are_returned_in_load_order(short_run, tmp_path):
    paths = demo.generate(tmp_path, **SHORT)
    sources = [_source_of(p) for p in paths]
    contracts = load_contracts()
    tables = {c.table: s for s, c in contracts.items()}
    for i, source in enumerate(sources):
        for ref in contracts[source].referenced_tables:
            dep = tables.get(ref)
            if dep in sources:
                assert sources.index(dep) < i, f"{source} comes before {dep}"


def test_formats_are_the_promised_ones(short_run):
    ledger = short_run["it_costs"].read_bytes()
    assert not ledger.startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        ledger.decode("utf-8")                       # Swedish letters as single cp1252 bytes
    text = ledger.decode("cp1252")
    header, first = text.split("\r\n")[:2]
    assert header.split(";")[:3] == ["line_id", "month", "committee_code"]
    amounts = pd.read_csv(io.StringIO(text), sep=";", dtype=str)["amount_sek"]
    assert amounts.str.fullmatch(r"-?\d+,\d{2}").all()
    assert re.search("[åäö]", text)

    assert short_run["committees"].read_bytes().startswith(b"\xef\xbb\xbf")
    assert "Skärholmens stadsdelsnämnd" in short_run["committees"].read_bytes().decode("utf-8-sig")

    assert short_run["systems"].suffix == ".xlsx"
    assert "xl/workbook.xml" in zipfile.ZipFile(short_run["systems"]).namelist()

    for source in ("system_usage", "licences", "survey_responses"):
        assert short_run[source].suffix == ".parquet"
        assert pq.read_table(short_run[source]).num_rows > 0


def test_incident_export_is_an_event_log_with_day_first_dates(short_run):
    raw = pd.read_csv(short_run["incidents"], dtype=str, keep_default_na=False)
    per_incident = raw.groupby("number").size()
    assert per_incident.mean() > 2.5 and per_incident.max() >= 5
    assert raw["opened_at"].str.fullmatch(r"\d{1,2}/\d{1,2}/\d{4} \d{2}:\d{2}").all()
    assert raw["opened_at"].str.match(r"\d/").any()          # days without zero padding
    assert (raw["resolved_at"] == "?").any()                  # "?" for missing
    # day-first: some days exceed 12, no month does
    parts = raw["opened_at"].str.extract(r"(\d+)/(\d+)/").astype(int)
    assert parts[0].max() > 12 and parts[1].max() <= 12
    mods = raw["sys_mod_count"].astype(int)
    assert (mods.groupby(raw["number"]).diff().dropna() > 0).all()
    first_state = raw.groupby("number")["incident_state"].first()
    assert (first_state == "New").all()
    assert {"Resolved", "Closed", "Active"} <= set(raw["incident_state"])
    assert raw["caller_id"].str.fullmatch(r"Caller \d+").all()


def test_made_sla_is_the_tools_verdict_with_the_clock_paused_while_awaiting(short_run):
    raw = pd.read_csv(short_run["incidents"], dtype=str, keep_default_na=False)
    raw["mod"] = raw["sys_mod_count"].astype(int)
    raw["updated"] = pd.to_datetime(raw["sys_updated_at"], format="%d/%m/%Y %H:%M")
    raw = raw.sort_values(["number", "mod"])
    # the SLA clock stops from the Awaiting event to the next event (back to Active)
    nxt = raw.groupby("number")["updated"].shift(-1)
    raw["pause"] = (nxt - raw["updated"]).where(raw["incident_state"].str.startswith("Awaiting"), pd.Timedelta(0))
    pause = raw.groupby("number")["pause"].sum()
    last = raw.loc[raw.groupby("number")["mod"].transform("max") == raw["mod"]].set_index("number")
    done = last[(last["resolved_at"] != "?") & (last["priority"] != "?")]
    hours = {"1 - Critical": 4, "2 - High": 8, "3 - Moderate": 24, "4 - Low": 72}
    opened = pd.to_datetime(done["opened_at"], format="%d/%m/%Y %H:%M")
    resolved = pd.to_datetime(done["resolved_at"], format="%d/%m/%Y %H:%M")
    agreed = pd.to_timedelta(done["priority"].map(hours), unit="h")
    within = (resolved - opened - pause.reindex(done.index)) <= agreed
    calendar = (resolved - opened) <= agreed
    assert len(done) > 100
    assert (within == (done["made_sla"] == "true")).all()
    assert (within & ~calendar).sum() > 0           # the tool says in time where the calendar hours do not
    assert (~within & calendar).sum() == 0
    assert 0.6 < within.mean() < 0.99
    assert set(last["source_system"]) == {"stockholm-servicenow"}


def test_scale_two_doubles_incidents_and_ledger_lines(tmp_path):
    counts = {}
    for scale in (1.0, 2.0):
        paths = demo.generate(tmp_path / str(scale), seed=3, end_month="2020-02", scale=scale)
        counts[scale] = {_source_of(p): p for p in paths}
    inc = {s: pd.read_csv(c["incidents"], usecols=["number"])["number"].nunique() for s, c in counts.items()}
    led = {s: sum(1 for _ in open(c["it_costs"], "rb")) - 1 for s, c in counts.items()}
    sysn = {s: len(_frame(c["systems"])) for s, c in counts.items()}
    assert 1.8 < inc[2.0] / inc[1.0] < 2.2
    assert 1.7 < led[2.0] / led[1.0] < 2.3
    assert sysn[2.0] == 2 * sysn[1.0]
    # committees are not scaled
    assert len(_frame(counts[1.0]["committees"])) == len(_frame(counts[2.0]["committees"]))


# ---- content ------------------------------------------------------------------------------------------

def test_committees_are_the_real_ones(short_run):
    c = _frame(short_run["committees"])
    kinds = c["kind"].value_counts()
    assert kinds["district_council"] == 14 and kinds["specialist_committee"] == 15 and kinds["company"] >= 6
    for name in ["Enskede-Årsta-Vantörs stadsdelsnämnd", "Kommunstyrelsen", "Överförmyndarnämnden",
                 "Stockholms Stadshus AB", "Stockholm Vatten och Avfall AB"]:
        assert name in set(c["name_sv"])
    assert c["committee_code"].str.fullmatch(r"[A-Z][A-Z0-9_]{1,15}").all()


def test_references_resolve_except_the_deliberate_bad_rows(short_run):
    codes = set(_frame(short_run["committees"])["committee_code"])
    systems = _frame(short_run["systems"])
    es = _frame(short_run["eservices"])
    assert set(systems["owner_committee"]) <= codes
    assert set(es["owner_committee"]) <= codes
    assert set(_frame(short_run["incident_mapping"])["committee_code"]) <= codes
    assert set(_frame(short_run["outages"])["system_id"]) <= set(systems["system_id"])
    assert set(_frame(short_run["system_usage"])["system_id"]) <= set(systems["system_id"])
    ledger = _frame(short_run["it_costs"])
    unknown = ledger[~ledger["committee_code"].isin(codes)]
    assert 1 <= len(unknown) <= 5
    sys_ref = ledger["system_id"][ledger["system_id"] != ""]
    assert set(sys_ref) <= set(systems["system_id"])
    # every committee owns a critical and a key system
    crit = systems[systems["critical"] == "true"]["owner_committee"]
    key = systems[systems["key_system"] == "true"]["owner_committee"]
    assert set(crit) == codes and set(key) == codes
    # shared errand types across committees (double-counting demo)
    owners = es.groupby("errand_type")["owner_committee"].nunique()
    assert (owners >= 2).sum() >= 2


def test_bad_rows_are_a_handful(short_run):
    raw = pd.read_csv(short_run["incidents"], dtype=str, keep_default_na=False)
    bad = raw.loc[raw["priority"] == "?", "number"].nunique()
    assert 1 <= bad <= 5 and bad / raw["number"].nunique() < 0.05


def test_cost_structure(full_run):
    ledger = _frame(full_run["it_costs"])
    amount = ledger["amount_sek"].str.replace(",", ".").astype(float)
    ext = amount[ledger["supplier_type"] == "external"].sum() / amount.sum()
    assert 0.8 < ext < 0.9                                  # ~85 % external
    renewal = amount[ledger["cost_class"] != "run"].sum() / amount.sum()
    assert 0.15 < renewal < 0.45
    op = _frame(full_run["operating_costs"])
    op_amount = op["amount_sek"].str.replace(",", ".").astype(float)
    ok = ledger["committee_code"].isin(set(op["committee_code"]))
    share = (amount[ok].groupby(ledger["committee_code"][ok]).sum()
             / op_amount.groupby(op["committee_code"]).sum())
    assert 0.025 < amount[ok].sum() / op_amount.sum() < 0.06   # city-wide IT share
    assert (share < 0.03).any() and (share > 0.05).any()       # some committees outside the band
    assert share.max() > 0.08                                   # a company far outside
    users = _frame(full_run["it_users"])
    last = users[users["month"] == users["month"].max()]
    assert 36000 < last["headcount"].astype(int).sum() < 46000


def test_trends_july_dip_and_spike(full_run):
    tx = _frame(full_run["eservice_transactions"])
    tx["completed"] = tx["completed"].astype(int)
    tx["year"] = tx["month"].str[:4]
    by_year = tx.pivot_table(index="year", columns="channel", values="completed", aggfunc="sum")
    digital = by_year["digital"] / by_year.sum(axis=1)
    assert digital["2020"] < 0.55 < digital["2026"]
    monthly = tx.groupby("month")["completed"].sum()
    for y in range(2020, 2027):
        assert monthly[f"{y}-07"] < 0.75 * (monthly[f"{y}-06"] + monthly[f"{y}-08"]) / 2
    stp = tx[tx["channel"] == "digital"]
    st = stp["straight_through"].astype(int)
    assert (st <= stp["completed"]).all()
    assert (tx.loc[tx["channel"] != "digital", "straight_through"] == "").all()

    raw = pd.read_csv(full_run["incidents"], usecols=["number", "opened_at"], dtype=str)
    first = raw.drop_duplicates("number")
    month = pd.to_datetime(first["opened_at"], format="%d/%m/%Y %H:%M").dt.strftime("%Y-%m")
    per_month = month.value_counts()
    assert per_month.idxmax() == "2025-08"
    assert per_month["2025-08"] > 1.5 * per_month.drop("2025-08").median()
    per_year = month.str[:4].value_counts()
    assert 0.1 * 30000 < per_year["2024"] < 0.1 * 42000     # ~35 000 a year at scale 1


def test_surveys(full_run):
    sv = pq.read_table(full_run["survey_responses"]).to_pandas()
    assert set(sv["survey_kind"]) == {"eservice_exit", "staff_it", "digital_competence", "it_support"}
    assert sv["answer"].between(1, 5).all()
    assert not sv.duplicated(["survey_kind", "response_id", "question_id"]).any()
    staff = sv[sv["survey_kind"] == "staff_it"]
    assert set(staff["question_id"]) == {"I2"}
    assert (pd.to_datetime(staff["response_date"]).dt.month == 10).all()
    comp = sv[sv["survey_kind"] == "digital_competence"]
    assert set(comp["question_id"]) == {"Q1", "Q2", "Q3", "Q4", "Q5"}
    assert (comp.groupby("response_id").size() == 5).all()
    exit_ = sv[sv["survey_kind"] == "eservice_exit"]
    assert exit_["eservice_id"].notna().all()
    # most committees have n >= 30 in the staff survey at scale 1 (here scale 0.1: n >= 3), a few do not
    n = staff[pd.to_datetime(staff["response_date"]).dt.year == 2025].groupby("committee_code").size()
    assert (n >= 3).mean() > 0.75 and (n < 3).sum() + (36 - len(n)) >= 1


def test_end_month_default_is_last_complete_month():
    from datetime import date

    from etl.demo.dims import default_end_month

    assert default_end_month(date(2026, 11, 22)) == "2026-10"
    assert default_end_month(date(2027, 1, 5)) == "2026-12"


def test_portfolio_frames_written_and_project_spend_in_ledger(short_run, full_run):
    from etl.demo import portfolio

    port = portfolio.build_portfolio(np.random.default_rng(0), demo.dims.committees(), demo.dims.eservices(),
                                     "2026-10")
    if not port:
        pytest.skip("portfolio generator returns no data yet")
    assert "projects" in full_run and "benefits" in full_run
    ledger = _frame(full_run["it_costs"])
    projects = set(_frame(full_run["projects"])["project_id"])
    with_project = ledger[ledger["project_id"] != ""]
    assert len(with_project) > 0 and set(with_project["project_id"]) <= projects


# ---- through the real loader ---------------------------------------------------------------------

def test_demo_loads_with_only_the_deliberate_bad_rows_quarantined(tmp_path):
    import os
    import subprocess
    import sys

    import duckdb

    root = Path(__file__).resolve().parents[2]
    wh = tmp_path / "wh.duckdb"
    env = dict(os.environ, SCORECARD_WAREHOUSE=str(wh), SCORECARD_FOLLOWUP_URL=f"sqlite:///{tmp_path / 'followup.sqlite'}",
               GX_ANALYTICS_ENABLED="false")
    proc = subprocess.run([sys.executable, "-m", "etl", "demo", "--scale", "0.05", "--end", "2020-08",
                           "--sample-dir", str(tmp_path / "sample")],
                          cwd=root, env=env, capture_output=True, text=True, timeout=600)
    # exit code 1 = "loaded, some rows quarantined" (pipeline/cli.py); 2 would be a rejected batch
    assert proc.returncode in (0, 1) and wh.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    con = duckdb.connect(str(wh), read_only=True)
    batches = con.sql("select source, status, rows_quarantined from etl_batches").df()
    assert (batches["status"] == "loaded").all(), batches
    bad = batches.set_index("source")["rows_quarantined"]
    assert bad.sum() == bad["incidents"] + bad["it_costs"]       # only the two files with planted rows
    assert 1 <= bad["incidents"] <= 5 and 1 <= bad["it_costs"] <= 5
    rules = set(con.sql("select rule from etl_quarantine").df()["rule"])
    assert rules, "the quarantine page should have something to show"
