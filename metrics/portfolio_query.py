"""Query layer for the development council's pages (issue 5). Documented in docs/query_api.md ("Council").

Every function takes `wh` first: a metrics.warehouse.Warehouse (the app) or a duckdb connection
(tests, marts). Results are pandas DataFrames / plain values with raw numbers; formatting and
translation happen in ui/. Business rules live in metrics/portfolio.py and followup/council.py (the council's decisions,
kept in the follow-up store).
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from followup import council
from metrics import portfolio as pf
from metrics.portfolio import run

DECISIONS = council.DECISIONS
STATUSES = pf.STATUSES
TIERS = pf.TIERS


def settings() -> dict:
    """The benefit calculation's documented parameters: rate (0.04), horizon_years (5)."""
    return {"rate": pf.DISCOUNT_RATE, "horizon_years": pf.HORIZON_YEARS}


def portfolios(wh) -> pd.DataFrame:
    """[portfolio_id, code, name_sv, name_en] – the five focus areas."""
    return run(wh, "SELECT portfolio_id, code, name_sv, name_en FROM dim_portfolios ORDER BY portfolio_id")


_SPEND_BY_PROJECT_YEAR = """
    SELECT project_id, year(month) AS year, SUM(amount_sek) AS spent_sek
    FROM fact_it_costs WHERE project_id IS NOT NULL GROUP BY ALL
"""


# Years before the ledger's first month have no spend data: spent is NULL (unknown), not 0.
_LEDGER_FIRST_YEAR = "SELECT COALESCE(year(min(month)), 9999) FROM fact_it_costs"


def portfolio_years(wh) -> pd.DataFrame:
    """Frame vs granted vs spent per portfolio and year (spent NaN for years before the ledger starts).

    [year, portfolio_id, code, name_sv, name_en, frame_sek, granted_sek, spent_sek,
     granted_pct (granted ÷ frame × 100), spent_pct (spent ÷ granted × 100), over_frame (granted > frame)]"""
    sql = f"""
        WITH g AS (
            SELECT p.portfolio_id, gr.year, SUM(gr.granted_sek) AS granted_sek
            FROM fact_project_grants gr JOIN dim_projects p USING (project_id) GROUP BY ALL
        ), s AS (
            SELECT p.portfolio_id, s.year, SUM(s.spent_sek) AS spent_sek
            FROM ({_SPEND_BY_PROJECT_YEAR}) s JOIN dim_projects p USING (project_id) GROUP BY ALL
        ), keys AS (
            SELECT portfolio_id, year FROM fact_portfolio_frames
            UNION SELECT portfolio_id, year FROM g UNION SELECT portfolio_id, year FROM s
        )
        SELECT k.year::INTEGER AS year, k.portfolio_id::INTEGER AS portfolio_id, d.code, d.name_sv, d.name_en,
               COALESCE(f.frame_sek, 0) AS frame_sek, COALESCE(g.granted_sek, 0) AS granted_sek,
               CASE WHEN k.year >= ({_LEDGER_FIRST_YEAR}) THEN COALESCE(s.spent_sek, 0) END AS spent_sek
        FROM keys k JOIN dim_portfolios d USING (portfolio_id)
        LEFT JOIN fact_portfolio_frames f ON f.portfolio_id = k.portfolio_id AND f.year = k.year
        LEFT JOIN g ON g.portfolio_id = k.portfolio_id AND g.year = k.year
        LEFT JOIN s ON s.portfolio_id = k.portfolio_id AND s.year = k.year
        ORDER BY year, portfolio_id
    """
    df = run(wh, sql)
    df["granted_pct"] = _pct(df.granted_sek, df.frame_sek)
    df["spent_pct"] = _pct(df.spent_sek, df.granted_sek)
    df["over_frame"] = (df.granted_sek > df.frame_sek).astype(bool)
    return df


def _pct(num: pd.Series, den: pd.Series) -> pd.Series:
    den = den.astype("float64")
    return (100.0 * num.astype("float64") / den.where(den != 0)).astype("float64")


def years(wh) -> list[int]:
    """Years with a frame, grant or spend, newest first."""
    df = portfolio_years(wh)
    return sorted({int(y) for y in df.year}, reverse=True)


def portfolio_balance(wh, year: int | None = None) -> pd.DataFrame:
    """Balance across the five focus areas (all years, or one year).

    [portfolio_id, code, name_sv, name_en, frame_sek, granted_sek, spent_sek, granted_share (% of all
     granted), frame_share (% of all frames), n_projects (projects with a grant in the year/ever)]"""
    df = portfolio_years(wh)
    if year is not None:
        df = df[df.year == int(year)]
    base = portfolios(wh)
    agg = df.groupby("portfolio_id", as_index=False)[["frame_sek", "granted_sek", "spent_sek"]].sum()
    out = base.merge(agg, on="portfolio_id", how="left").fillna({"frame_sek": 0.0, "granted_sek": 0.0,
                                                                   "spent_sek": 0.0})
    out["granted_share"] = _pct(out.granted_sek, pd.Series([out.granted_sek.sum()] * len(out), index=out.index))
    out["frame_share"] = _pct(out.frame_sek, pd.Series([out.frame_sek.sum()] * len(out), index=out.index))
    params: list = []
    where = ""
    if year is not None:
        where, params = "WHERE g.year = ?", [int(year)]
    n = run(wh, f"""SELECT p.portfolio_id, COUNT(DISTINCT p.project_id) AS n_projects
                    FROM dim_projects p JOIN fact_project_grants g USING (project_id) {where} GROUP BY ALL""", params)
    out = out.merge(n, on="portfolio_id", how="left")
    out["n_projects"] = out.n_projects.fillna(0).astype("int64")
    return out


def projects_by_status(wh) -> pd.DataFrame:
    """[portfolio_id, code, name_sv, name_en, status, tier, n_projects] – every project counted once."""
    return run(wh, """
        SELECT p.portfolio_id, d.code, d.name_sv, d.name_en, p.status, p.tier, COUNT(*) AS n_projects
        FROM dim_projects p JOIN dim_portfolios d USING (portfolio_id)
        GROUP BY ALL ORDER BY p.portfolio_id, p.status, p.tier
    """)


def projects(wh, portfolio_id: int | None = None, status: str | None = None) -> pd.DataFrame:
    """One row per project.

    [project_id, name, portfolio_id, portfolio_sv, portfolio_en, tier, owner_committee, committee_sv,
     committee_en, benefit_owner, status, start_date, end_date, planned_running_cost_sek, council_goals,
     learning_goals, exit_plan, granted_sek, spent_sek (NaN when the project ended before the ledger starts),
     spent_pct (spent ÷ granted × 100), over_budget (spent > granted), n_benefits]"""
    where, params = [], []
    if portfolio_id is not None:
        where.append("p.portfolio_id = ?")
        params.append(int(portfolio_id))
    if status is not None:
        where.append("p.status = ?")
        params.append(status)
    sql = f"""
        WITH g AS (SELECT project_id, SUM(granted_sek) AS granted_sek FROM fact_project_grants GROUP BY ALL),
             s AS (SELECT project_id, SUM(spent_sek) AS spent_sek FROM ({_SPEND_BY_PROJECT_YEAR}) x GROUP BY ALL),
             b AS (SELECT project_id, COUNT(*) AS n_benefits FROM dim_benefits GROUP BY ALL)
        SELECT p.project_id, p.name, p.portfolio_id, d.name_sv AS portfolio_sv, d.name_en AS portfolio_en,
               p.tier, p.owner_committee, c.name_sv AS committee_sv, c.name_en AS committee_en, p.benefit_owner,
               p.status, p.start_date, p.end_date, p.planned_running_cost_sek, p.council_goals,
               p.learning_goals, p.exit_plan,
               COALESCE(g.granted_sek, 0) AS granted_sek,
               CASE WHEN year(p.end_date) >= ({_LEDGER_FIRST_YEAR}) THEN COALESCE(s.spent_sek, 0) END AS spent_sek,
               COALESCE(b.n_benefits, 0) AS n_benefits
        FROM dim_projects p JOIN dim_portfolios d USING (portfolio_id)
        LEFT JOIN dim_committees c ON c.committee_code = p.owner_committee
        LEFT JOIN g USING (project_id) LEFT JOIN s USING (project_id) LEFT JOIN b USING (project_id)
        {"WHERE " + " AND ".join(where) if where else ""}
        ORDER BY p.project_id
    """
    df = run(wh, sql, params)
    df["spent_pct"] = _pct(df.spent_sek, df.granted_sek)
    df["over_budget"] = (df.spent_sek > df.granted_sek).astype(bool)
    return df


def project(wh, project_id: str) -> dict | None:
    """One project as a dict (columns of `projects`), None if unknown."""
    df = projects(wh)
    df = df[df.project_id == project_id]
    return None if df.empty else df.iloc[0].to_dict()


def project_calculation(wh, project_id: str) -> dict:
    """The benefit calculation: dict(flows=df[year, calendar_year, development_cost, citizen_benefit,
    operational_benefit, running_cost, net, discount_factor, present_value, cumulative_net], npv,
    payback_years (None = does not pay back within the horizon), totals, rate, horizon_years, go_live).
    The project row itself is left out (use `project`)."""
    r = pf.project_calculation(wh, project_id)
    r.pop("project", None)
    return r


def project_cost(wh, project_id: str) -> pd.DataFrame:
    """Cost against grant per calendar year: [year, granted_sek, spent_sek (NaN before the ledger starts),
    over_grant (spent > granted)]."""
    df = run(wh, f"""
        WITH g AS (SELECT year, SUM(granted_sek) AS granted_sek FROM fact_project_grants
                   WHERE project_id = ? GROUP BY ALL),
             s AS (SELECT year, spent_sek FROM ({_SPEND_BY_PROJECT_YEAR}) x WHERE project_id = ?)
        SELECT COALESCE(g.year, s.year)::INTEGER AS year, COALESCE(g.granted_sek, 0) AS granted_sek,
               CASE WHEN COALESCE(g.year, s.year) >= ({_LEDGER_FIRST_YEAR}) THEN COALESCE(s.spent_sek, 0) END
                   AS spent_sek
        FROM g FULL OUTER JOIN s ON g.year = s.year ORDER BY year
    """, [project_id, project_id])
    df["over_grant"] = (df.spent_sek > df.granted_sek).astype(bool)
    return df


def benefit_curves(wh, project_id: str) -> pd.DataFrame:
    """Planned vs realised benefit (SEK) of a project per month, with cumulative sums.

    [month (Timestamp, first day), planned_sek, realised_sek, cum_planned_sek, cum_realised_sek]
    (all months from the first planned or reported month to the last)."""
    df = run(wh, """
        WITH pl AS (SELECT x.month, SUM(x.planned_sek) AS planned_sek FROM fact_benefit_plans x
                    JOIN dim_benefits b USING (benefit_id) WHERE b.project_id = ? GROUP BY ALL),
             re AS (SELECT x.month, SUM(x.realised_sek) AS realised_sek FROM fact_benefit_realisations x
                    JOIN dim_benefits b USING (benefit_id) WHERE b.project_id = ? GROUP BY ALL),
             bounds AS (SELECT min(month) AS lo, max(month) AS hi FROM (SELECT month FROM pl UNION ALL
                                                                      SELECT month FROM re))
        SELECT m.month::DATE AS month, COALESCE(pl.planned_sek, 0) AS planned_sek,
               COALESCE(re.realised_sek, 0) AS realised_sek
        FROM bounds, range(bounds.lo, bounds.hi + INTERVAL 1 MONTH, INTERVAL 1 MONTH) m(month)
        LEFT JOIN pl ON pl.month = m.month::DATE LEFT JOIN re ON re.month = m.month::DATE
        WHERE bounds.lo IS NOT NULL
        ORDER BY 1
    """, [project_id, project_id])
    df["month"] = pd.to_datetime(df["month"])
    df["cum_planned_sek"] = df.planned_sek.cumsum()
    df["cum_realised_sek"] = df.realised_sek.cumsum()
    return df


def project_benefits(wh, project_id: str, as_of: Any) -> pd.DataFrame:
    """The project's benefits with what is due and realised by `as_of`.

    [benefit_id, kind, description, unit, baseline, target, owner_committee, errand_type, disbenefit,
     first_month, last_month, planned_sek_due, realised_sek, rate (capped, NaN when nothing is due),
     overdue (due and nothing reported)]"""
    m = pf.month_start(as_of)
    df = run(wh, """
        SELECT b.benefit_id, b.kind, b.description, b.unit, b.baseline, b.target, b.owner_committee,
               b.errand_type, b.disbenefit,
               (SELECT min(month) FROM fact_benefit_plans x WHERE x.benefit_id = b.benefit_id) AS first_month,
               (SELECT max(month) FROM fact_benefit_plans x WHERE x.benefit_id = b.benefit_id) AS last_month,
               COALESCE((SELECT SUM(planned_sek) FROM fact_benefit_plans x
                         WHERE x.benefit_id = b.benefit_id AND x.month <= ?), 0) AS planned_sek_due,
               COALESCE((SELECT SUM(realised_sek) FROM fact_benefit_realisations x
                         WHERE x.benefit_id = b.benefit_id AND x.month <= ?), 0) AS realised_sek,
               (SELECT count(*) FROM fact_benefit_realisations x
                         WHERE x.benefit_id = b.benefit_id AND x.month <= ?) AS n_reports,
               (SELECT count(*) FROM fact_benefit_plans x
                         WHERE x.benefit_id = b.benefit_id AND x.month <= ?) AS n_due
        FROM dim_benefits b WHERE b.project_id = ? ORDER BY b.benefit_id
    """, [m, m, m, m, project_id])
    df["rate"] = pd.Series([pf.realisation_rate(r, p) for r, p in zip(df.realised_sek, df.planned_sek_due)],
                           index=df.index, dtype="float64")
    df["overdue"] = ((df.n_due > 0) & (df.n_reports == 0)).astype(bool)
    return df.drop(columns=["n_reports", "n_due"])


def as_of_months(wh) -> list[str]:
    """Months ('YYYY-MM') to judge realisation at, newest first: from the first planned month to the
    latest month with a reported realisation (or the latest planned month if nothing is reported)."""
    df = run(wh, """
        SELECT (SELECT min(month) FROM fact_benefit_plans) AS lo,
               COALESCE((SELECT max(month) FROM fact_benefit_realisations),
                        (SELECT max(month) FROM fact_benefit_plans)) AS hi
    """)
    lo, hi = df.lo.iloc[0], df.hi.iloc[0]
    if pd.isna(lo) or pd.isna(hi):
        return []
    lo, hi = pf.month_start(lo), pf.month_start(hi)
    out, y, mth = [], hi.year, hi.month
    while (y, mth) >= (lo.year, lo.month):
        out.append(f"{y:04d}-{mth:02d}")
        y, mth = (y - 1, 12) if mth == 1 else (y, mth - 1)
    return out


def default_as_of(wh) -> str | None:
    """The latest month with a reported realisation (first of `as_of_months`)."""
    months = as_of_months(wh)
    return months[0] if months else None


def realisation(wh, as_of: Any, by: str = "committee") -> pd.DataFrame:
    """Realisation rate by 'portfolio' | 'committee' | 'project' | 'benefit' | 'kind' at `as_of`,
    with display names: [<key>, name_sv, name_en, n_benefits, planned_sek_due, realised_sek, rate]
    (rate = Σ realised ÷ Σ planned due × 100, capped at 100 – the rule of measure I1)."""
    df = pf.realisation(wh, as_of, by=by)
    if by == "portfolio":
        names = portfolios(wh)[["portfolio_id", "name_sv", "name_en"]]
        df = df.merge(names, on="portfolio_id", how="left")
    elif by == "committee":
        names = run(wh, "SELECT committee_code AS owner_committee, name_sv, name_en FROM dim_committees")
        df = df.merge(names, on="owner_committee", how="left")
    elif by == "project":
        names = run(wh, "SELECT project_id, name AS name_sv, name AS name_en FROM dim_projects")
        df = df.merge(names, on="project_id", how="left")
    return df


def committee_realisation(wh, committee_code: str, period: str) -> float | None:
    """The committee's realisation rate at the end of a scorecard period ('2025-T2', '2025', …);
    this is the value measure I1 shows for the committee and period."""
    df = pf.realisation(wh, pf.period_end_month(period), by="committee")
    df = df[df.owner_committee == committee_code]
    return None if df.empty or pd.isna(df.rate.iloc[0]) else float(df.rate.iloc[0])


def overdue_benefits(wh, as_of: Any) -> pd.DataFrame:
    """Benefits due by `as_of` with nothing reported (see metrics.portfolio.overdue_benefits), plus
    committee_sv / committee_en."""
    return _with_committee(wh, pf.overdue_benefits(wh, as_of))


def disbenefits(wh, as_of: Any) -> pd.DataFrame:
    """The disbenefits (see metrics.portfolio.disbenefits), plus committee_sv / committee_en."""
    return _with_committee(wh, pf.disbenefits(wh, as_of))


def double_counting(wh) -> pd.DataFrame:
    """Overlapping claims side by side (see metrics.portfolio.double_counting), plus committee_sv /
    committee_en; flagged pairs (above_baseline) first."""
    df = _with_committee(wh, pf.double_counting(wh))
    return df.sort_values(["above_baseline", "owner_committee", "errand_type", "benefit_id_a", "benefit_id_b"],
                          ascending=[False, True, True, True, True], ignore_index=True)


def _with_committee(wh, df: pd.DataFrame) -> pd.DataFrame:
    names = run(wh, "SELECT committee_code AS owner_committee, name_sv AS committee_sv, name_en AS committee_en "
                    "FROM dim_committees")
    return df.merge(names, on="owner_committee", how="left")


# ---- council decisions (follow-up store, not cached on the warehouse version) ------------------
def _warehouse_file(wh) -> Path | None:
    p = getattr(wh, "path", None)
    return Path(p) if p else None


def _store(wh):
    from followup.store import get_store
    from settings import followup_store_url

    return get_store(followup_store_url(_warehouse_file(wh)))


def decision_log(wh, project_id: str | None = None) -> pd.DataFrame:
    """The council's decisions (current version of each), newest first: [decision_id, decision_date,
    project_id, project_name, decision, rationale, recorded_by, author, recorded_at, version, change,
    reason]. Read from the follow-up store on every call."""
    log = council.decisions(project_id, store=_store(wh))
    names = run(wh, "SELECT project_id, name AS project_name FROM dim_projects")
    log = log.merge(names, on="project_id", how="left")
    cols = ["decision_id", "decision_date", "project_id", "project_name", "decision", "rationale",
            "recorded_by", "author", "recorded_at", "version", "change", "reason"]
    return log[cols]


def decision_history(wh, decision_id: int) -> pd.DataFrame:
    """Every version of one decision, oldest first (followup.council.COLUMNS)."""
    return council.decision_history(decision_id, store=_store(wh))


def project_status(wh, project_id: str) -> str | None:
    """The project's status in the warehouse after the council's decisions (followup.council.effective_status);
    None when the project is not in the warehouse."""
    found = run(wh, "SELECT status FROM dim_projects WHERE project_id = ?", [project_id])
    if found.empty:
        return None
    return council.project_status(str(found.status.iloc[0]), project_id, store=_store(wh))


def _warehouse_status(wh, project_id) -> str | None:
    found = run(wh, "SELECT status FROM dim_projects WHERE project_id = ?", [(project_id or "").strip()])
    return None if found.empty else str(found.status.iloc[0])


def record_decision(wh, identity, project_id: str, decision: str, rationale: str,
                    decision_date: date | None = None, now: datetime | None = None,
                    request_id: str | None = None) -> dict:
    """Validate and store a decision as `identity` (followup.council.record_decision); raises
    council.DecisionError or followup.identity.PermissionDenied."""
    return council.record_decision(identity, project_id, decision, rationale, decision_date,
                                   project_status=_warehouse_status(wh, project_id), store=_store(wh), now=now,
                                   request_id=request_id)


def edit_decision(wh, identity, decision_id: int, *, reason: str, decision: str | None = None,
                  rationale: str | None = None, decision_date: date | None = None, now: datetime | None = None,
                  request_id: str | None = None) -> dict:
    """A new version of a decision (followup.council.edit_decision)."""
    hist = council.decision_history(decision_id, store=_store(wh))
    status = _warehouse_status(wh, hist.project_id.iloc[-1]) if not hist.empty else None
    return council.edit_decision(identity, decision_id, reason=reason, project_status=status, decision=decision,
                                 rationale=rationale, decision_date=decision_date, store=_store(wh), now=now,
                                 request_id=request_id)


def withdraw_decision(wh, identity, decision_id: int, *, reason: str, now: datetime | None = None,
                      request_id: str | None = None) -> dict:
    """Withdraw a decision (followup.council.withdraw_decision)."""
    return council.withdraw_decision(identity, decision_id, reason=reason, store=_store(wh), now=now,
                                     request_id=request_id)
