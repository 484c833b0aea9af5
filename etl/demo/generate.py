"""Deterministic demo data: writes every source file the way the real systems export them.

    generate(out_dir, seed=2013, end_month=None, scale=1.0) -> list[Path]   (load order, dimensions first)

Formats (on purpose, to exercise the readers):
* committees.csv                     UTF-8 with BOM (as Excel saves it)
* systems.xlsx                       Excel workbook (application portfolio)
* incidents_servicenow_export.csv    ServiceNow event log, day-first timestamps, "?" for missing
* incident_sla.csv                   agreed resolution times per priority (versioned SLA table)
* it_costs_ledger.csv, operating_costs.csv   `;`-separated, Windows-1252, decimal comma (finance system)
* system_usage.parquet, licences.parquet, survey_responses.parquet
* everything else plain UTF-8 CSV.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from .. import contracts as contracts_mod
from . import dims, facts, portfolio
from .incidents import IncidentModel, sla_table, write_incidents
from .writers import write_arrow_csv, write_csv, write_csv_swedish, write_parquet, write_xlsx

# stream ids for numpy default_rng([seed, stream]); fixed so adding a stream never shifts another
S_SYSTEMS, S_USERS, S_COST, S_OUTAGES, S_USAGE, S_LICENCES, S_TX, S_REVIEWS, S_SURVEYS, S_PORTFOLIO = range(1, 11)
PORTFOLIO_SOURCES = ["portfolio_frames", "projects", "project_grants", "benefits", "benefit_plans",
                     "benefit_realisations"]

#: row counts and timings of the last run (for the CLI/benchmark to report)
LAST_RUN: dict = {}


def _load_order(paths: dict[str, Path]) -> list[Path]:
    order = list(contracts_mod.load_contracts().keys())
    rank = {s: i for i, s in enumerate(order)}
    return [paths[s] for s in sorted(paths, key=lambda s: (rank.get(s, len(order)), s))]


def generate(out_dir: Path, seed: int = 2013, end_month: str | None = None, scale: float = 1.0) -> list[Path]:
    """Write the demo source files into out_dir; return them in load order (dimensions first)."""
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    end_month = (end_month or dims.default_end_month())[:7]
    if scale <= 0:
        raise ValueError("scale must be positive")
    cal = dims.calendar(end_month)

    def rng(stream: int) -> np.random.Generator:
        return np.random.default_rng([seed, stream])

    paths: dict[str, Path] = {}
    rows: dict[str, int] = {}

    stages: dict[str, float] = {}
    mark = [time.perf_counter()]

    def put(source: str, path: Path, n: int) -> None:
        paths[source] = path
        rows[source] = int(n)
        now = time.perf_counter()
        stages[source] = round(now - mark[0], 2)
        mark[0] = now

    # dimensions
    committees = dims.committees()
    put("committees", write_csv(committees, out_dir / "committees.csv", bom=True), len(committees))
    systems = dims.systems(rng(S_SYSTEMS), scale)
    put("systems", write_xlsx(systems, out_dir / "systems.xlsx"), len(systems))
    es = dims.eservices()
    put("eservices", write_csv(es, out_dir / "eservices.csv"), len(es))
    mapping = dims.incident_mapping()
    put("incident_mapping", write_csv(mapping, out_dir / "incident_mapping.csv"), len(mapping))
    sla = sla_table()
    put("incident_sla", write_csv(sla, out_dir / "incident_sla.csv"), len(sla))
    overrides = dims.target_overrides(int(cal.years[-1]))
    put("target_overrides", write_csv(overrides, out_dir / "target_overrides.csv"), len(overrides))

    # portfolio (owned by the portfolio work); {} is fine
    port = portfolio.build_portfolio(rng(S_PORTFOLIO), committees, es, end_month) or {}
    for source in PORTFOLIO_SOURCES:
        frame = port.get(source)
        if frame is not None:
            put(source, write_csv(frame, out_dir / f"{source}.csv"), len(frame))
    project_spend = port.get("project_spend")

    # headcount and costs
    it_users, users = facts.headcount(rng(S_USERS), cal)
    put("it_users", write_csv(it_users, out_dir / "it_users.csv"), len(it_users))
    it_cost, renewal, operating = facts.cost_plan(rng(S_COST), cal, users)
    op = facts.operating_costs(cal, operating)
    put("operating_costs", write_csv_swedish(op, out_dir / "operating_costs.csv"), len(op))
    path, n = facts.write_ledger(out_dir / "it_costs_ledger.csv", seed, cal, it_cost, renewal, systems,
                                 project_spend, scale)
    put("it_costs", path, n)

    # quality: outages and incidents
    out = facts.outages(rng(S_OUTAGES), cal, systems)
    put("outages", write_arrow_csv(out, out_dir / "outages.csv"), out.num_rows)
    model = IncidentModel(cal, systems, users, scale, seed)
    path, n_incidents, n_rows, support = write_incidents(out_dir / "incidents_servicenow_export.csv", model)
    put("incidents", path, n_rows)

    # maturity
    usage = facts.system_usage(rng(S_USAGE), cal, systems)
    put("system_usage", write_parquet(usage, out_dir / "system_usage.parquet"), usage.num_rows)
    lic = facts.licences(rng(S_LICENCES), cal, users)
    put("licences", write_parquet(lic, out_dir / "licences.parquet"), len(lic))

    # external
    tx, digital = facts.eservice_transactions(rng(S_TX), cal, es, scale)
    put("eservice_transactions", write_csv(tx, out_dir / "eservice_transactions.csv"), len(tx))
    rev = facts.eservice_reviews(rng(S_REVIEWS), cal, es)
    put("eservice_reviews", write_csv(rev, out_dir / "eservice_reviews.csv"), len(rev))

    # surveys
    path, n = facts.write_surveys(out_dir / "survey_responses.parquet", seed, cal, es, digital, support, scale)
    put("survey_responses", path, n)

    LAST_RUN.clear()
    LAST_RUN.update(rows=rows, stages=stages, incidents=n_incidents, seconds=round(time.perf_counter() - t0, 2),
                    end_month=end_month, scale=scale, seed=seed)
    return _load_order(paths)
