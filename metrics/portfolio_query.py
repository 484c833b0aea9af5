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
from followup import stages as stages_store
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
    """The benefit calculation: dict(flows=df[year, calendar_year, development_cost, budget_benefit,
    time_benefit, running_cost, net, discount_factor, present_value, cumulative_net], npv,
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
     benefit_class, low_pct, high_pct, first_month, last_month, planned_sek_due, realised_sek, rate (capped, NaN when nothing is due),
     overdue (due and nothing reported)]"""
    m = pf.month_start(as_of)
    df = run(wh, """
        SELECT b.benefit_id, b.kind, b.description, b.unit, b.baseline, b.target, b.owner_committee,
               b.errand_type, b.disbenefit, b.benefit_class, b.low_pct, b.high_pct,
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


# ---- the application process: dated stages and lead times ---------------------------------------
STAGES = pf.STAGES
next_stages = pf.next_stages
LEAD_TIME_BASELINE_MONTHS = pf.LEAD_TIME_BASELINE_MONTHS


def stage_history(wh, project_id: str, with_store: bool = True) -> pd.DataFrame:
    """The project's stages in process order: [stage, entered_on (date), person, note, source ('loaded' from
    the history file | 'recorded' in the app), recorded_by (the login that recorded it; '' when loaded),
    days_in_stage (to the next stage; NaN for the latest)]. Recorded stages are read from the follow-up
    store on every call (not cached)."""
    df = run(wh, """
        SELECT stage, entered_on, person, note FROM fact_project_stages WHERE project_id = ?
    """, [project_id])
    df["source"], df["recorded_by"] = "loaded", ""
    if with_store and _warehouse_file(wh) is not None:     # a bare connection (tests, marts) has no store
        rec = stages_store.stages(project_id, store=_store(wh))
        if not rec.empty:
            rec = rec[~rec.stage.isin(df.stage)]
            rec = pd.DataFrame({"stage": rec.stage, "entered_on": rec.entered_on, "person": rec.person,
                                "note": rec.note, "source": "recorded", "recorded_by": rec.recorded_by})
            df = pd.concat([df, rec], ignore_index=True)
    df["entered_on"] = pd.to_datetime(df.entered_on)
    df["_order"] = [pf.STAGES.index(s) for s in df.stage]
    df = df.sort_values("_order").drop(columns="_order").reset_index(drop=True)
    df["days_in_stage"] = (df.entered_on.shift(-1) - df.entered_on).dt.days.astype("float64")
    return df


def record_stage(wh, identity, project_id: str, stage: str, entered_on: date, person: str, note: str | None = None,
                 now: datetime | None = None, request_id: str | None = None) -> dict:
    """Move a project to a stage as `identity` (the council secretary), under the stage rules
    (metrics.portfolio.stage_checks) judged against the loaded history and the stages already recorded;
    raises followup.stages.StageRuleError or followup.identity.PermissionDenied with nothing written."""
    if run(wh, "SELECT 1 FROM dim_projects WHERE project_id = ?", [project_id]).empty:
        raise stages_store.StageRuleError([("unknown_project", f"project {project_id} is not in the warehouse",
                                            {"project": project_id})])
    loaded = stage_record(wh, project_id, with_store=False)
    return stages_store.record_stage(identity, project_id, stage, entered_on, person, note, loaded=loaded,
                                     rules=pf.stage_checks, store=_store(wh), now=now, request_id=request_id)


def stage_timeline(wh, project_id: str | None = None) -> pd.DataFrame:
    """One row per project (declared model project_stage_timeline): the date of every stage, applicant,
    valuer, current_stage, need_to_decision_months and application_to_decision_months."""
    where, params = ("WHERE project_id = ?", [project_id]) if project_id else ("", [])
    df = run(wh, f"SELECT * FROM project_stage_timeline {where} ORDER BY project_id", params)
    df["need_to_decision_months"] = (df.need_to_decision_days / pf.DAYS_PER_MONTH).astype("float64")
    df["application_to_decision_months"] = (df.application_to_decision_days / pf.DAYS_PER_MONTH).astype("float64")
    return df


def stage_record(wh, project_id: str, with_store: bool = True) -> dict:
    """{stage: (date, person)} – the history the stage rules (metrics.portfolio.stage_checks) judge."""
    df = stage_history(wh, project_id, with_store=with_store)
    return {s: (pd.Timestamp(d).date(), p) for s, d, p in zip(df.stage, df.entered_on, df.person)}


def lead_times(wh) -> pd.DataFrame:
    """Lead time indicator per portfolio and decision year, and for all portfolios (portfolio_id 0):
    [portfolio_id, decision_year, n_decisions, need_to_decision_months (median), application_to_decision_months
     (median), baseline_months (the programme's ~18 months)]."""
    df = run(wh, """
        SELECT portfolio_id, decision_year, count(*) AS n_decisions,
               median(need_to_decision_days) AS need_days, median(application_to_decision_days) AS app_days
        FROM project_stage_timeline WHERE decision_on IS NOT NULL GROUP BY ALL
        UNION ALL
        SELECT 0, decision_year, count(*), median(need_to_decision_days), median(application_to_decision_days)
        FROM project_stage_timeline WHERE decision_on IS NOT NULL GROUP BY ALL
        ORDER BY 1, 2
    """)
    df["need_to_decision_months"] = (df.pop("need_days") / pf.DAYS_PER_MONTH).astype("float64")
    df["application_to_decision_months"] = (df.pop("app_days") / pf.DAYS_PER_MONTH).astype("float64")
    df["baseline_months"] = pf.LEAD_TIME_BASELINE_MONTHS
    return df


# ---- projects on the five perspectives ------------------------------------------------------------
def project_expectations(wh, project_id: str) -> pd.DataFrame:
    """The measures the project is expected to move, with the measured change after it closed.

    [measure_id, perspective, name_sv, name_en, unit, committee_code, committee_sv, committee_en, baseline,
     target, baseline_year, measured_before (the scorecard's yearly value for the baseline year),
     after_year (the latest full year after go-live with a value), measured_after, expected_change,
     measured_change, achieved_pct, direction_ok, closed (the project has reached follow-up or closed)]"""
    df = run(wh, """
        WITH t AS (SELECT coalesce(follow_up_on, closed_on) AS done_on FROM project_stage_timeline
                   WHERE project_id = ?),
             latest AS (
            SELECT v.committee_code, v.measure_id, max(v.period)::INTEGER AS after_year
            FROM measure_values v, t
            WHERE v.grain = 'year' AND v.value IS NOT NULL AND t.done_on IS NOT NULL
              AND TRY_CAST(v.period AS INTEGER) > year(t.done_on)
              AND v.period_end < date_trunc('year', current_date)
            GROUP BY ALL)
        SELECT e.measure_id, c.perspective, c.name_sv, c.name_en, c.unit, e.committee_code,
               d.name_sv AS committee_sv, d.name_en AS committee_en, e.baseline, e.target, e.baseline_year,
               b.value AS measured_before, l.after_year, a.value AS measured_after,
               (SELECT done_on FROM t) IS NOT NULL AS closed
        FROM fact_project_expectations e
        LEFT JOIN measure_catalog c ON c.measure_id = e.measure_id
        LEFT JOIN dim_committees d ON d.committee_code = e.committee_code
        LEFT JOIN measure_values b ON b.grain = 'year' AND b.measure_id = e.measure_id
             AND b.committee_code = e.committee_code AND b.period = e.baseline_year::VARCHAR
        LEFT JOIN latest l ON l.measure_id = e.measure_id AND l.committee_code = e.committee_code
        LEFT JOIN measure_values a ON a.grain = 'year' AND a.measure_id = e.measure_id
             AND a.committee_code = e.committee_code AND a.period = l.after_year::VARCHAR
        WHERE e.project_id = ?
        ORDER BY c.measure_order, e.committee_code
    """.replace("c.measure_order", "e.measure_id"), [project_id, project_id])
    res = [pf.expectation_result(b, t, mb, ma) for b, t, mb, ma in
           zip(df.baseline, df.target, df.measured_before, df.measured_after)]
    for k in ("expected_change", "measured_change", "achieved_pct"):
        df[k] = pd.Series([r[k] for r in res], index=df.index, dtype="float64")
    df["direction_ok"] = pd.Series([r["direction_ok"] for r in res], index=df.index, dtype="object")
    return df


# ---- benefit classes and plan versions ------------------------------------------------------------
BENEFIT_CLASSES = pf.BENEFIT_CLASSES


def benefit_classes(wh, as_of: Any) -> pd.DataFrame:
    """Benefits by class at `as_of`: [benefit_class, n_benefits, planned_sek_due, realised_sek, low_sek_due,
    high_sek_due, planned_hours_due (time class: SEK ÷ hour rate), counts_in_i1, counts_in_budget].
    Non-monetary benefits have no SEK (0) and count in neither."""
    m = pf.month_start(as_of)
    df = run(wh, """
        WITH due AS (SELECT benefit_id, SUM(planned_sek) AS planned_sek_due FROM fact_benefit_plans
                     WHERE month <= ? GROUP BY ALL),
             done AS (SELECT benefit_id, SUM(realised_sek) AS realised_sek FROM fact_benefit_realisations
                      WHERE month <= ? GROUP BY ALL)
        SELECT b.benefit_class, count(*) AS n_benefits,
               COALESCE(SUM(due.planned_sek_due), 0) AS planned_sek_due,
               COALESCE(SUM(done.realised_sek), 0) AS realised_sek,
               COALESCE(SUM(due.planned_sek_due * b.low_pct / 100), 0) AS low_sek_due,
               COALESCE(SUM(due.planned_sek_due * b.high_pct / 100), 0) AS high_sek_due,
               SUM(due.planned_sek_due / NULLIF(b.hour_rate_sek, 0)) AS planned_hours_due
        FROM dim_benefits b LEFT JOIN due USING (benefit_id) LEFT JOIN done USING (benefit_id)
        WHERE b.benefit_class IS NOT NULL
        GROUP BY ALL
    """, [m, m])
    df = pd.DataFrame({"benefit_class": list(pf.BENEFIT_CLASSES)}).merge(df, how="left")
    df["n_benefits"] = df.n_benefits.fillna(0).astype("int64")
    for c in ("planned_sek_due", "realised_sek", "low_sek_due", "high_sek_due"):
        df[c] = df[c].fillna(0.0)
    df["counts_in_i1"] = df.benefit_class.isin(pf.MONEY_CLASSES)
    df["counts_in_budget"] = df.benefit_class.isin(pf.BUDGET_CLASSES)
    df["rate"] = pd.Series([pf.realisation_rate(r, p) if c else None for r, p, c in
                            zip(df.realised_sek, df.planned_sek_due, df.counts_in_i1)], dtype="float64")
    return df


def non_monetary_benefits(wh, as_of: Any, project_id: str | None = None) -> pd.DataFrame:
    """Benefits not valued in money, followed by their measure and target: [benefit_id, project_id,
    project_name, kind, description, unit, baseline, target, planned_value_due, realised_value,
    achieved_pct (realised ÷ planned improvement due × 100), committee_sv, committee_en]."""
    m = pf.month_start(as_of)
    where, params = ("AND b.project_id = ?", [project_id]) if project_id else ("", [])
    df = run(wh, f"""
        SELECT b.benefit_id, b.project_id, p.name AS project_name, b.kind, b.description, b.unit, b.baseline,
               b.target, b.owner_committee,
               COALESCE((SELECT SUM(planned_value) FROM fact_benefit_plans x
                         WHERE x.benefit_id = b.benefit_id AND x.month <= ?), 0) AS planned_value_due,
               COALESCE((SELECT SUM(realised_value) FROM fact_benefit_realisations x
                         WHERE x.benefit_id = b.benefit_id AND x.month <= ?), 0) AS realised_value
        FROM dim_benefits b JOIN dim_projects p USING (project_id)
        WHERE b.benefit_class = 'non_monetary' {where}
        ORDER BY b.benefit_id
    """, [m, m, *params])
    df["achieved_pct"] = pd.Series([pf.realisation_rate(r, p, cap=float("inf")) for r, p in
                                    zip(df.realised_value, df.planned_value_due)], index=df.index, dtype="float64")
    return _with_committee(wh, df)


def plan_versions(wh, as_of: Any, project_id: str | None = None) -> pd.DataFrame:
    """Approved plan vs the latest re-plan per benefit (SEK-valued classes), due by `as_of`:
    [benefit_id, project_id, project_name, description, latest_version, replanned_on, approved_sek_due,
     latest_sek_due, drift_sek (latest − approved), realised_sek, rate_vs_approved, rate_vs_latest]."""
    m = pf.month_start(as_of)
    where, params = ("AND b.project_id = ?", [project_id]) if project_id else ("", [])
    df = run(wh, f"""
        WITH v AS (SELECT benefit_id, max(version) AS latest_version, max(decided_on) AS replanned_on,
                          SUM(planned_sek) FILTER (WHERE is_approved AND month <= ?) AS approved_sek_due,
                          SUM(planned_sek) FILTER (WHERE is_latest AND month <= ?) AS latest_sek_due
                   FROM benefit_plan_versions GROUP BY ALL),
             done AS (SELECT benefit_id, SUM(realised_sek) AS realised_sek FROM fact_benefit_realisations
                      WHERE month <= ? GROUP BY ALL)
        SELECT b.benefit_id, b.project_id, p.name AS project_name, b.description, v.latest_version,
               v.replanned_on, COALESCE(v.approved_sek_due, 0) AS approved_sek_due,
               COALESCE(v.latest_sek_due, 0) AS latest_sek_due, COALESCE(done.realised_sek, 0) AS realised_sek
        FROM v JOIN dim_benefits b USING (benefit_id) JOIN dim_projects p USING (project_id)
        LEFT JOIN done USING (benefit_id)
        WHERE b.benefit_class IS DISTINCT FROM 'non_monetary' {where}
        ORDER BY b.benefit_id
    """, [m, m, m, *params])
    df["drift_sek"] = df.latest_sek_due - df.approved_sek_due
    df["rate_vs_approved"] = pd.Series([pf.realisation_rate(r, p) for r, p in zip(df.realised_sek, df.approved_sek_due)],
                                       index=df.index, dtype="float64")
    df["rate_vs_latest"] = pd.Series([pf.realisation_rate(r, p) for r, p in zip(df.realised_sek, df.latest_sek_due)],
                                     index=df.index, dtype="float64")
    return df


def replan_summary(wh, as_of: Any) -> pd.DataFrame:
    """Approved vs latest for all SEK-valued benefits, per portfolio: [portfolio_id, name_sv, name_en,
    n_replanned, approved_sek_due, latest_sek_due, drift_sek, realised_sek, rate_vs_approved, rate_vs_latest]."""
    v = plan_versions(wh, as_of)
    v = v.merge(run(wh, "SELECT project_id, portfolio_id FROM dim_projects"), on="project_id")
    v["replanned"] = v.latest_version > 1
    g = v.groupby("portfolio_id", as_index=False).agg(
        n_replanned=("replanned", "sum"), approved_sek_due=("approved_sek_due", "sum"),
        latest_sek_due=("latest_sek_due", "sum"), realised_sek=("realised_sek", "sum"))
    g = portfolios(wh)[["portfolio_id", "name_sv", "name_en"]].merge(g, how="left").fillna(0)
    g["n_replanned"] = g.n_replanned.astype("int64")
    g["drift_sek"] = g.latest_sek_due - g.approved_sek_due
    g["rate_vs_approved"] = pd.Series([pf.realisation_rate(r, p) for r, p in zip(g.realised_sek, g.approved_sek_due)],
                                      dtype="float64")
    g["rate_vs_latest"] = pd.Series([pf.realisation_rate(r, p) for r, p in zip(g.realised_sek, g.latest_sek_due)],
                                    dtype="float64")
    return g


# ---- application portfolio and central cost distribution ------------------------------------------
def system_years(wh) -> list[int]:
    """Years with ledger, usage or outage data, newest first."""
    df = run(wh, """SELECT DISTINCT year(month)::INTEGER AS y FROM fact_it_costs
                    UNION SELECT DISTINCT year(month)::INTEGER FROM fact_system_usage ORDER BY 1 DESC""")
    return [int(y) for y in df.y]


def application_portfolio(wh, year: int | None = None) -> pd.DataFrame:
    """Every system with owner, tier, lifecycle, critical flag, users, use, availability, incidents and cost.

    [system_id, name, system_kind, owner_committee, committee_sv, committee_en, tier, lifecycle, critical,
     key_system, intended_users, active_users (latest month of the year), use_pct (active ÷ intended × 100),
     availability_pct (agreed service time minus unplanned downtime, over the year), incidents (opened in the
     year, by configuration item), direct_cost_sek (ledger lines on the system in the year),
     central_service (its cost is distributed to the committees), distribution_key, n_owners_of_kind,
     possible_duplicate (the same kind owned by more than one committee), exit_date, exit_plan]"""
    y = int(year) if year is not None else (system_years(wh) or [date.today().year])[0]
    first, last = date(y, 1, 1), date(y, 12, 1)
    df = run(wh, """
        WITH usage AS (SELECT system_id, arg_max(active_users_30d, month) AS active_users
                       FROM fact_system_usage WHERE month BETWEEN ? AND ? GROUP BY ALL),
             down AS (SELECT system_id, SUM(epoch(ended_at) - epoch(started_at)) / 3600.0 AS down_hours
                      FROM fact_outages WHERE NOT planned AND started_at >= ? AND started_at < ? GROUP BY ALL),
             inc AS (SELECT cmdb_ci AS system_id, count(*) AS incidents FROM fact_incidents
                     WHERE opened_at >= ? AND opened_at < ? AND cmdb_ci IS NOT NULL GROUP BY ALL),
             cost AS (SELECT system_id, SUM(amount_sek) AS direct_cost_sek FROM fact_it_costs
                      WHERE month BETWEEN ? AND ? AND system_id IS NOT NULL GROUP BY ALL),
             months AS (SELECT count(DISTINCT month) AS n FROM fact_system_usage WHERE month BETWEEN ? AND ?),
             kinds AS (SELECT system_kind, count(DISTINCT owner_committee) AS n_owners_of_kind
                       FROM dim_systems WHERE system_kind IS NOT NULL GROUP BY ALL)
        SELECT s.system_id, s.name, s.system_kind, s.owner_committee, c.name_sv AS committee_sv,
               c.name_en AS committee_en, s.tier, s.lifecycle, s.critical, s.key_system, s.intended_users,
               u.active_users, 100.0 * u.active_users / NULLIF(s.intended_users, 0) AS use_pct,
               CASE WHEN (SELECT n FROM months) > 0 THEN
                   100.0 * (1 - COALESCE(d.down_hours, 0) /
                            (s.agreed_hours_per_week * 52.0 / 12 * (SELECT n FROM months))) END AS availability_pct,
               COALESCE(i.incidents, 0) AS incidents, COALESCE(k.direct_cost_sek, 0) AS direct_cost_sek,
               cs.system_id IS NOT NULL AS central_service, cs.distribution_key,
               COALESCE(kinds.n_owners_of_kind, 1) AS n_owners_of_kind,
               COALESCE(kinds.n_owners_of_kind, 1) > 1 AS possible_duplicate, s.exit_date, s.exit_plan
        FROM dim_systems s
        LEFT JOIN dim_committees c ON c.committee_code = s.owner_committee
        LEFT JOIN usage u USING (system_id) LEFT JOIN down d USING (system_id) LEFT JOIN inc i USING (system_id)
        LEFT JOIN cost k USING (system_id) LEFT JOIN dim_central_services cs USING (system_id)
        LEFT JOIN kinds USING (system_kind)
        ORDER BY s.owner_committee, s.name
    """, [first, last, first, date(y + 1, 1, 1), first, date(y + 1, 1, 1), first, last, first, last])
    df["availability_pct"] = df.availability_pct.astype("float64").clip(lower=0)
    return df


def pilots(wh, as_of: Any | None = None) -> pd.DataFrame:
    """Innovation pilots – innovative systems and innovative projects – with their exit plan and whether
    the exit is overdue: [kind ('system' | 'project'), id, name, committee_sv, committee_en, exit_date,
    exit_plan, ended (retired / closed), overdue (exit date passed and not ended)]. `as_of` defaults to the
    latest month with data."""
    if as_of is None:
        d = run(wh, "SELECT max(month) AS m FROM fact_it_costs").m.iloc[0]
        as_of = date.today() if pd.isna(d) else pd.Timestamp(d).date()
    ref = pd.Timestamp(pf.month_start(as_of)) + pd.offsets.MonthEnd(0)
    df = run(wh, """
        SELECT 'system' AS kind, s.system_id AS id, s.name, s.owner_committee, s.exit_date, s.exit_plan,
               s.lifecycle = 'retired' AS ended
        FROM dim_systems s WHERE s.tier = 'innovative'
        UNION ALL
        SELECT 'project', p.project_id, p.name, p.owner_committee, p.end_date, p.exit_plan,
               p.status IN ('finished', 'stopped') OR t.closed_on IS NOT NULL
        FROM dim_projects p LEFT JOIN project_stage_timeline t USING (project_id)
        WHERE p.tier = 'innovative'
        ORDER BY 1, 2
    """)
    df["overdue"] = (pd.to_datetime(df.exit_date) < ref) & ~df.ended.astype(bool)
    return _with_committee(wh, df)


def committee_it_cost(wh, year: int) -> pd.DataFrame:
    """IT cost per committee in a year, direct and the distributed share of central services (the declared
    model it_cost_by_committee that C1–C3 read): [committee_code, name_sv, name_en, direct_sek,
    distributed_sek, it_cost_sek, distributed_pct]."""
    df = run(wh, """
        SELECT c.committee_code, c.name_sv, c.name_en, COALESCE(SUM(x.direct_sek), 0) AS direct_sek,
               COALESCE(SUM(x.distributed_sek), 0) AS distributed_sek, COALESCE(SUM(x.it_cost_sek), 0) AS it_cost_sek
        FROM dim_committees c LEFT JOIN it_cost_by_committee x
             ON x.committee_code = c.committee_code AND year(x.month) = ?
        GROUP BY ALL ORDER BY c.name_sv
    """, [int(year)])
    df["distributed_pct"] = _pct(df.distributed_sek, df.it_cost_sek)
    return df


def central_pools(wh, year: int) -> pd.DataFrame:
    """The central services distributed in a year: [system_id, name, distribution_key, pool_sek (booked),
    distributed_sek (sum of the committees' shares; equal to the pool), n_committees]."""
    return run(wh, """
        WITH pools AS (SELECT DISTINCT month, system_id, cost_class, supplier_type, booked_on, pool_ore
                       FROM it_cost_distribution WHERE year(month) = ?),
             shares AS (SELECT system_id, SUM(distributed_ore) AS d, count(DISTINCT committee_code) AS n
                        FROM it_cost_distribution WHERE year(month) = ? GROUP BY ALL)
        SELECT p.system_id, s.name, cs.distribution_key, SUM(p.pool_ore) / 100.0 AS pool_sek,
               any_value(sh.d) / 100.0 AS distributed_sek, any_value(sh.n) AS n_committees
        FROM pools p JOIN dim_systems s USING (system_id) JOIN dim_central_services cs USING (system_id)
        JOIN shares sh USING (system_id)
        GROUP BY ALL ORDER BY s.name
    """, [int(year), int(year)])


def ledger_first_year(wh) -> int | None:
    """The first year the ledger has lines for (spend before it is unknown, not zero)."""
    y = run(wh, "SELECT year(min(month))::INTEGER AS y FROM fact_it_costs").y.iloc[0]
    return None if pd.isna(y) else int(y)
