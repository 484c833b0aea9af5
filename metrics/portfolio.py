"""Business rules for the five project portfolios and benefit realisation (issue 5).

Formulas are small pure functions (tested on hand-computed fixtures); the queries are set-based
DuckDB SQL over the warehouse tables. Every SQL function takes `db`: a duckdb connection (marts
build, tests) or a `metrics.warehouse.Warehouse` (the app). See docs/portfolio.md.

Conventions
* Discount rate 4 % real (`DISCOUNT_RATE`), horizon 5 years after go-live (`HORIZON_YEARS`).
* Year index 0 = the first 12 months from the project's start month; a flow in year i is
  discounted by (1 + r)^i (year 0 is undiscounted).
* Benefit classes (`BENEFIT_CLASSES`): *budget* = money realised in the budget; *time* = freed hours
  valued at a documented hour rate, not a budget saving; *non_monetary* = quality or citizen benefit
  followed by its measure and target, never given a SEK value (planned_sek 0).
* What counts where: realisation (measure I1) and the NPV count the SEK-valued classes
  (`MONEY_CLASSES` = budget + time); the budget effect counts `BUDGET_CLASSES` (budget only);
  non-monetary benefits count in none of them and are shown with their measure and target.
* Benefits are valued in SEK by the plans (`planned_sek`); disbenefits carry negative SEK.
* Realisation rate = Σ realised_sek ÷ Σ planned_sek due by a month (both cumulative from the
  start, disbenefits netted with their sign), × 100, capped at 100 — the same rule as measure I1.
  It is judged against the plan approved at the council decision (version 1); re-plans are later
  versions (`benefit_plan_versions`), shown beside it with the drift.
* The application process is a sequence of dated stages (`STAGES`); `stage_problems` states the rules.
"""
from __future__ import annotations

import math
from datetime import date
from typing import Any, Iterable, Sequence

import duckdb
import pandas as pd

import periods as P

DISCOUNT_RATE = 0.04
HORIZON_YEARS = 5
RATE_CAP = 100.0
CITIZEN_KINDS = ("citizen",)                       # medborgarnytta
OPERATIONAL_KINDS = ("operational", "financial", "quality")  # verksamhetsnytta
STATUSES = ("applied", "granted", "running", "finished", "stopped")
TIERS = ("basic", "differentiating", "innovative")
BENEFIT_CLASSES = ("budget", "time", "non_monetary")
MONEY_CLASSES = ("budget", "time")        # counted in I1 and in the NPV
BUDGET_CLASSES = ("budget",)              # counted in the budget effect
STAGES = ("need", "application", "valuation", "preparation", "decision", "implementation", "follow_up", "closed")
DAYS_PER_MONTH = 365.25 / 12
#: the It-programme: "ledtiden från behov till beslut är i dag cirka 18 månader" and is to be cut
LEAD_TIME_BASELINE_MONTHS = 18.0


class StageError(ValueError):
    """A stage transition breaks the stage rules; the message says which rule."""


def stage_checks(history: dict[str, tuple[date, str]], stage: str, on: date, person: str) -> list[tuple[str, str, dict]]:
    """What is wrong with moving a project to `stage` on `on` by/for `person`, given its `history`
    {stage: (date, person)}, as (code, message, params); empty list: the transition is allowed. The rules:

    * the stage is one of STAGES and not already reached;
    * stages come in order: the new stage is the next one after the latest reached, except that a
      project that has reached a stage may be closed from it (withdrawn, rejected or stopped);
    * no council decision before the central valuation (the decision's date is on or after it);
    * the valuer is a named person who is not the applicant;
    * a stage is not dated before the stage reached before it."""
    problems: list[tuple[str, str, dict]] = []
    if stage not in STAGES:
        return [("unknown_stage", f"unknown stage {stage!r}", {"stage": str(stage)})]
    if stage in history:
        problems.append(("already_reached", f"the project has already reached {stage}", {"stage": stage}))
    reached = [s for s in STAGES if s in history]
    latest = reached[-1] if reached else None
    expected = STAGES[STAGES.index(latest) + 1] if latest and latest != "closed" else (None if latest else "need")
    if latest == "closed":
        problems.append(("closed", "the project is closed", {}))
    elif stage != expected and not (stage == "closed" and latest):
        problems.append(("order", f"the next stage is {expected}, not {stage}", {"expected": expected, "stage": stage}))
    if stage == "decision" and "valuation" not in history:
        problems.append(("decision_before_valuation", "no council decision before the central valuation", {}))
    if stage == "valuation":
        applicant = history.get("application", (None, None))[1]
        if not person or not str(person).strip():
            problems.append(("no_valuer", "the valuation needs a named valuer", {}))
        elif applicant and str(person).strip().lower() == str(applicant).strip().lower():
            problems.append(("valuer_is_applicant", "the valuer must not be the applicant", {}))
    if latest and history[latest][0] and on < history[latest][0]:
        problems.append(("before_previous", f"{stage} cannot be dated before {latest} ({history[latest][0].isoformat()})",
                         {"stage": stage, "previous": latest, "date": history[latest][0].isoformat()}))
    return problems


def stage_problems(history: dict[str, tuple[date, str]], stage: str, on: date, person: str) -> list[str]:
    """The messages of `stage_checks` (empty list: the transition is allowed)."""
    return [message for _, message, _ in stage_checks(history, stage, on, person)]


def check_transition(history: dict[str, tuple[date, str]], stage: str, on: date, person: str) -> None:
    """Raise StageError listing every broken rule (see `stage_problems`)."""
    problems = stage_problems(history, stage, on, person)
    if problems:
        raise StageError("; ".join(problems))


def next_stages(history: dict[str, tuple[date, str]]) -> list[str]:
    """The stages a project can move to next: the next one in order, and 'closed' (unless closed)."""
    reached = [s for s in STAGES if s in history]
    if reached and reached[-1] == "closed":
        return []
    nxt = STAGES[STAGES.index(reached[-1]) + 1] if reached else "need"
    return [nxt] if nxt == "closed" else [nxt, "closed"] if reached else [nxt]


def lead_time_months(first: date | None, last: date | None) -> float | None:
    """Months between two dates (days ÷ 30.4375); None when either is missing."""
    if first is None or last is None or _nan(first) or _nan(last):
        return None
    return (pd.Timestamp(last) - pd.Timestamp(first)).days / DAYS_PER_MONTH


def class_totals(rows: Iterable[tuple[str, float]]) -> dict[str, float]:
    """Sum SEK per what it counts in: rows of (benefit_class, sek) → {'i1': budget + time, 'npv': budget +
    time, 'budget': budget only, 'non_monetary': 0 (never valued)}. Unknown classes raise."""
    out = {"i1": 0.0, "npv": 0.0, "budget": 0.0, "non_monetary": 0.0}
    for cls, sek in rows:
        if cls not in BENEFIT_CLASSES:
            raise ValueError(f"unknown benefit class {cls!r}")
        if cls in MONEY_CLASSES:
            out["i1"] += float(sek)
            out["npv"] += float(sek)
        if cls in BUDGET_CLASSES:
            out["budget"] += float(sek)
    return out


def expectation_result(baseline: float, target: float, measured_before: float | None,
                       measured_after: float | None) -> dict:
    """A project's expected change in a measure against the measured change.

    expected_change = target − baseline (declared); measured_change = after − before (from the scorecard;
    the declared baseline stands in for `before` when the scorecard has no value for the baseline year);
    achieved_pct = measured ÷ expected × 100 (None when nothing was expected or nothing is measured yet);
    direction_ok = the measure moved the way the project promised (None when not measured)."""
    expected = float(target) - float(baseline)
    before = float(baseline) if measured_before is None or _nan(measured_before) else float(measured_before)
    if measured_after is None or _nan(measured_after):
        return {"expected_change": expected, "measured_change": None, "achieved_pct": None, "direction_ok": None,
                "before": before}
    measured = float(measured_after) - before
    achieved = None if expected == 0 else 100.0 * measured / expected
    return {"expected_change": expected, "measured_change": measured, "achieved_pct": achieved,
            "direction_ok": (measured * expected > 0) if expected else None, "before": before}


def largest_remainder(total_ore: int, weights: Sequence[int]) -> list[int]:
    """Split an integer total (öre) by integer weights so the parts add up to the total exactly: floor of
    each exact share, then one öre more to the largest remainders (ties: earlier first). The same rule as
    the declared model it_cost_distribution."""
    w_total = sum(weights)
    if w_total <= 0:
        raise ValueError("weights must add up to more than 0")
    sign = -1 if total_ore < 0 else 1
    t = abs(int(total_ore))
    floors = [t * int(w) // w_total for w in weights]
    rests = [t * int(w) % w_total for w in weights]
    left = t - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-rests[i], i))
    for i in order[:left]:
        floors[i] += 1
    return [sign * f for f in floors]


# ---------------------------------------------------------------------------------------------
# pure formulas
# ---------------------------------------------------------------------------------------------
def npv(flows: Sequence[float], rate: float = DISCOUNT_RATE) -> float:
    """Net present value of yearly net flows; flows[0] is year 0 (not discounted)."""
    return float(sum(f / (1.0 + rate) ** i for i, f in enumerate(flows)))


def payback_years(flows: Sequence[float]) -> float | None:
    """Simple (undiscounted) payback time in years from the project's start.

    flows[0] falls at time 0, flows[i] at the end of year i; inside the year that turns the
    cumulative flow non-negative, linear interpolation. None if it never pays back, or if the
    cumulative flow is never negative (nothing to pay back, e.g. no development cost recorded)."""
    cum = 0.0
    for i, f in enumerate(flows):
        prev = cum
        cum += f
        if prev < 0 <= cum:
            return float(i - 1 + (-prev) / f)
    return None


def rate_anchors() -> tuple[float, float]:
    """The target and red threshold of a realisation rate: measure I1's declared ones (metrics/definitions/I1.yaml)."""
    from metrics.catalog import measure

    i1 = measure("I1")
    return i1.target, i1.red_threshold


def rate_status(rate: float | None) -> str:
    """Traffic light of a realisation rate on I1's anchors (green ≥ target, red ≤ red threshold, grey without
    a rate): the scorecard's own rule, metrics.scoring.status."""
    from metrics import scoring

    target, red = rate_anchors()
    return scoring.status(rate, "higher", target, red)


def realisation_rate(realised_sek: float | None, planned_sek: float | None, cap: float = RATE_CAP) -> float | None:
    """Σ realised ÷ Σ planned due, in per cent, capped at `cap`. None when nothing is due (planned ≤ 0)."""
    if planned_sek is None or _nan(planned_sek) or planned_sek <= 0:
        return None
    realised = 0.0 if realised_sek is None or _nan(realised_sek) else float(realised_sek)
    return min(cap, 100.0 * realised / float(planned_sek))


def improvement(baseline: float, target: float) -> float:
    """Size of the change a benefit claims on its process, in the benefit's unit: |target − baseline|."""
    return abs(float(target) - float(baseline))


def claims_exceed_baseline(improvements: Iterable[float], baseline: float) -> bool:
    """Double counting: the claimed improvements on one process together exceed the process's baseline."""
    return float(sum(abs(x) for x in improvements)) > abs(float(baseline))


def yearly_flows(development_by_month: dict[int, float], budget_by_month: dict[int, float],
                 time_by_month: dict[int, float], running_cost_per_year: float,
                 go_live_month: int, horizon_years: int = HORIZON_YEARS) -> pd.DataFrame:
    """The benefit calculation per year from the project's start.

    Arguments are keyed by month offset from the project's start month (0 = start month);
    SEK per month, benefits positive, costs positive (subtracted here); budget = the budget class,
    time = freed time valued in SEK (non-monetary benefits never enter). Benefits and running
    cost count from `go_live_month` for `horizon_years` × 12 months. A benefit whose plan ends
    before the horizon continues at the mean of its last 12 planned months (steady state) —
    callers pass the already-extended monthly series (see `extend_plan`).

    Returns one row per year index: year, development_cost, budget_benefit, time_benefit,
    running_cost, net, discount_factor, present_value, cumulative_net."""
    horizon_end = go_live_month + 12 * horizon_years          # exclusive
    clamped: dict[int, float] = {}
    for m, v in development_by_month.items():                 # spend booked before the start → year 0
        clamped[max(0, m)] = clamped.get(max(0, m), 0.0) + v
    development_by_month = clamped
    n_years = max(1, math.ceil(horizon_end / 12))
    rows = []
    for y in range(n_years):
        months = range(12 * y, 12 * y + 12)
        dev = sum(v for m, v in development_by_month.items() if m in months)
        live = [m for m in months if go_live_month <= m < horizon_end]
        bud = sum(budget_by_month.get(m, 0.0) for m in live)
        tim = sum(time_by_month.get(m, 0.0) for m in live)
        run = running_cost_per_year / 12.0 * len(live)
        rows.append({"year": y, "development_cost": dev, "budget_benefit": bud, "time_benefit": tim,
                     "running_cost": run})
    # development outside the horizon window (e.g. spend after a long delay) goes into its own year
    extra = [m for m in development_by_month if m >= 12 * n_years]
    for m in sorted(extra):
        y = m // 12
        while len(rows) <= y:
            rows.append({"year": len(rows), "development_cost": 0.0, "budget_benefit": 0.0,
                         "time_benefit": 0.0, "running_cost": 0.0})
        rows[y]["development_cost"] += development_by_month[m]
    df = pd.DataFrame(rows)
    df["net"] = df.budget_benefit + df.time_benefit - df.development_cost - df.running_cost
    df["discount_factor"] = [1.0 / (1.0 + DISCOUNT_RATE) ** y for y in df.year]
    df["present_value"] = df.net * df.discount_factor
    df["cumulative_net"] = df.net.cumsum()
    return df


def extend_plan(monthly: dict[int, float], until_month: int) -> dict[int, float]:
    """Steady state: continue a benefit after its last planned month, up to `until_month` (exclusive),
    at the mean of its last 12 planned months."""
    if not monthly:
        return {}
    last = max(monthly)
    tail = [monthly.get(m, 0.0) for m in range(last - 11, last + 1)]
    level = sum(tail) / len(tail)
    out = dict(monthly)
    for m in range(last + 1, until_month):
        out[m] = level
    return out


def _nan(x: Any) -> bool:
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return False


# ---------------------------------------------------------------------------------------------
# SQL helpers
# ---------------------------------------------------------------------------------------------
def run(db: Any, sql: str, params: list | None = None) -> pd.DataFrame:
    """Run SQL on a duckdb connection or a Warehouse (its .df)."""
    if isinstance(db, duckdb.DuckDBPyConnection):
        return db.execute(sql, params or []).df()
    return db.df(sql, params or [])


def month_start(as_of: Any) -> date:
    """'2025-07' / '2025-07-15' / date → date(2025, 7, 1)."""
    if isinstance(as_of, pd.Timestamp):
        as_of = as_of.date()
    if isinstance(as_of, date):
        return date(as_of.year, as_of.month, 1)
    s = str(as_of)
    return date(int(s[:4]), int(s[5:7]), 1)


def period_end_month(period: str) -> date:
    """Last month of a period string: '2025' → 2025-12, '2025-T2' → 2025-08, '2025-Q3' → 2025-09, '2025-07'."""
    p = str(period)
    year = int(p[:4])
    if len(p) == 4:
        return date(year, 12, 1)
    rest = p[5:]
    if rest.startswith("T"):
        return date(year, 4 * int(rest[1:]), 1)
    if rest.startswith("Q"):
        return date(year, 3 * int(rest[1:]), 1)
    return date(year, int(rest[:2]), 1)


REALISATION_GROUPS = {
    "portfolio": ["p.portfolio_id"],
    "committee": ["b.owner_committee"],
    "project": ["b.project_id"],
    "benefit": ["b.benefit_id"],
    "kind": ["b.kind"],
    "class": ["b.benefit_class"],
}


def realisation(db: Any, as_of: Any, by: str = "committee") -> pd.DataFrame:
    """Realisation by group, cumulative from the start to `as_of` (a month, inclusive).

    Columns: <group column>, n_benefits (with something due), planned_sek_due, realised_sek, rate
    (per cent, capped at 100; NaN when nothing is due), status (rate_status), target and red_threshold
    (I1's anchors the status is judged on). Groups with nothing due are left out.
    Only the SEK-valued classes count (MONEY_CLASSES; a benefit without a class counts), against the
    approved plan."""
    if by not in REALISATION_GROUPS:
        raise ValueError(f"by must be one of {sorted(REALISATION_GROUPS)}")
    col = REALISATION_GROUPS[by][0]
    name = col.split(".")[1]
    sql = f"""
        WITH due AS (
            SELECT benefit_id, SUM(planned_sek) AS planned_sek_due
            FROM fact_benefit_plans WHERE month <= ? GROUP BY benefit_id
        ), done AS (
            SELECT benefit_id, SUM(realised_sek) AS realised_sek
            FROM fact_benefit_realisations WHERE month <= ? GROUP BY benefit_id
        )
        SELECT {col} AS {name}, COUNT(*) AS n_benefits,
               SUM(due.planned_sek_due) AS planned_sek_due,
               COALESCE(SUM(done.realised_sek), 0) AS realised_sek
        FROM due JOIN dim_benefits b USING (benefit_id)
        JOIN dim_projects p ON p.project_id = b.project_id
        LEFT JOIN done USING (benefit_id)
        WHERE b.benefit_class IS DISTINCT FROM 'non_monetary'
        GROUP BY {col} ORDER BY {col}
    """
    m = month_start(as_of)
    df = run(db, sql, [m, m])
    df["rate"] = [realisation_rate(r, p) for r, p in zip(df.realised_sek, df.planned_sek_due)]
    df["rate"] = df["rate"].astype("float64")
    df["status"] = [rate_status(None if pd.isna(r) else r) for r in df.rate]
    df["target"], df["red_threshold"] = rate_anchors()
    return df


def overdue_benefits(db: Any, as_of: Any) -> pd.DataFrame:
    """Benefits with planned value due by `as_of` and nothing reported by then.

    Columns: benefit_id, project_id, project_name, portfolio_id, kind, description, unit, owner_committee,
    errand_type, disbenefit, first_due_month, months_overdue, planned_sek_due. Sorted by months overdue."""
    m = month_start(as_of)
    sql = """
        WITH due AS (
            SELECT benefit_id, MIN(month) AS first_due_month, SUM(planned_sek) AS planned_sek_due
            FROM fact_benefit_plans WHERE month <= ? GROUP BY benefit_id
        ), reported AS (
            SELECT DISTINCT benefit_id FROM fact_benefit_realisations WHERE month <= ?
        )
        SELECT b.benefit_id, b.project_id, p.name AS project_name, p.portfolio_id, b.kind, b.description,
               b.unit, b.owner_committee, b.errand_type, b.disbenefit, due.first_due_month,
               (year(?::DATE) * 12 + month(?::DATE)) - (year(due.first_due_month) * 12 + month(due.first_due_month)) + 1
                   AS months_overdue,
               due.planned_sek_due
        FROM due JOIN dim_benefits b USING (benefit_id)
        JOIN dim_projects p ON p.project_id = b.project_id
        WHERE b.benefit_id NOT IN (SELECT benefit_id FROM reported)
        ORDER BY months_overdue DESC, b.benefit_id
    """
    return run(db, sql, [m, m, m, m])


def disbenefits(db: Any, as_of: Any) -> pd.DataFrame:
    """All disbenefits with their planned and realised SEK (negative) due by `as_of`.

    Columns: benefit_id, project_id, project_name, portfolio_id, kind, description, unit, baseline, target,
    owner_committee, errand_type, planned_sek_due, realised_sek."""
    m = month_start(as_of)
    sql = """
        SELECT b.benefit_id, b.project_id, p.name AS project_name, p.portfolio_id, b.kind, b.description, b.unit,
               b.baseline, b.target, b.owner_committee, b.errand_type,
               COALESCE((SELECT SUM(planned_sek) FROM fact_benefit_plans x
                         WHERE x.benefit_id = b.benefit_id AND x.month <= ?), 0) AS planned_sek_due,
               COALESCE((SELECT SUM(realised_sek) FROM fact_benefit_realisations x
                         WHERE x.benefit_id = b.benefit_id AND x.month <= ?), 0) AS realised_sek
        FROM dim_benefits b JOIN dim_projects p ON p.project_id = b.project_id
        WHERE b.disbenefit
        ORDER BY b.benefit_id
    """
    return run(db, sql, [m, m])


def double_counting(db: Any) -> pd.DataFrame:
    """Pairs of benefits from two different projects that claim the same kind of benefit on the same
    owner committee and errand type in overlapping periods (period = first to last planned month).
    Disbenefits and benefits without a plan are not claims.

    One row per pair, side by side (suffix _a / _b, a = lower benefit_id):
    benefit_id_a, project_id_a, project_name_a, description_a, baseline_a, target_a, improvement_a,
    first_month_a, last_month_a, (same for _b), kind, owner_committee, errand_type, unit,
    overlap_first, overlap_last, process_baseline (the larger of the two baselines),
    claimed_total (improvement_a + improvement_b), n_claims (benefits claiming the process in total),
    above_baseline (bool: claimed_total > process_baseline)."""
    sql = """
        WITH claims AS (
            SELECT b.benefit_id, b.project_id, p.name AS project_name, b.kind, b.description, b.unit,
                   b.baseline, b.target, abs(b.target - b.baseline) AS improvement,
                   b.owner_committee, b.errand_type, pl.first_month, pl.last_month
            FROM dim_benefits b
            JOIN dim_projects p ON p.project_id = b.project_id
            JOIN (SELECT benefit_id, MIN(month) AS first_month, MAX(month) AS last_month
                  FROM fact_benefit_plans GROUP BY benefit_id) pl USING (benefit_id)
            WHERE NOT b.disbenefit
        ), n AS (
            SELECT kind, owner_committee, errand_type, COUNT(*) AS n_claims
            FROM claims GROUP BY ALL
        )
        SELECT a.benefit_id AS benefit_id_a, a.project_id AS project_id_a, a.project_name AS project_name_a,
               a.description AS description_a, a.baseline AS baseline_a, a.target AS target_a,
               a.improvement AS improvement_a, a.first_month AS first_month_a, a.last_month AS last_month_a,
               b.benefit_id AS benefit_id_b, b.project_id AS project_id_b, b.project_name AS project_name_b,
               b.description AS description_b, b.baseline AS baseline_b, b.target AS target_b,
               b.improvement AS improvement_b, b.first_month AS first_month_b, b.last_month AS last_month_b,
               a.kind, a.owner_committee, a.errand_type, a.unit,
               greatest(a.first_month, b.first_month) AS overlap_first,
               least(a.last_month, b.last_month) AS overlap_last,
               greatest(abs(a.baseline), abs(b.baseline)) AS process_baseline,
               a.improvement + b.improvement AS claimed_total,
               n.n_claims
        FROM claims a JOIN claims b
          ON a.kind = b.kind AND a.owner_committee = b.owner_committee AND a.errand_type = b.errand_type
         AND a.benefit_id < b.benefit_id AND a.project_id <> b.project_id
         AND a.first_month <= b.last_month AND b.first_month <= a.last_month
        JOIN n ON n.kind = a.kind AND n.owner_committee = a.owner_committee AND n.errand_type = a.errand_type
        ORDER BY a.owner_committee, a.errand_type, a.benefit_id, b.benefit_id
    """
    df = run(db, sql)
    df["above_baseline"] = [claims_exceed_baseline([x, y], base)
                            for x, y, base in zip(df.improvement_a, df.improvement_b, df.process_baseline)]
    df["above_baseline"] = df["above_baseline"].astype(bool)
    return df


def _offset(d: date, start: date) -> int:
    return P.months_between(start, d)


def project_calculation(db: Any, project_id: str, rate: float = DISCOUNT_RATE,
                        horizon_years: int = HORIZON_YEARS) -> dict:
    """The project's benefit calculation (nyttokalkyl): yearly flows, NPV and payback.

    Development cost per calendar year: the actual spend (fact_it_costs lines with project_id) for finished
    and stopped projects; for applied/granted/running projects the larger of spend and grant. A year with
    a grant but no ledger lines at all (e.g. before the ledger starts) counts the grant, spread evenly over
    the project's months in that year. Go-live = the month after end_date. Benefits: the approved plan's
    planned_sek per month by class (budget → budget benefit; time → freed time valued in SEK; non-monetary
    benefits are not in the calculation; disbenefits negative), continued at steady state to the horizon.
    Running cost: planned_running_cost_sek per year from go-live.

    NPV counts budget + time (MONEY_CLASSES); budget_npv counts the budget class only (time is not a budget
    saving); npv_low / npv_high scale every benefit by its low_pct / high_pct (costs unchanged).

    Returns dict(project=dict, flows=DataFrame (see yearly_flows, plus calendar_year), npv, budget_npv,
    npv_low, npv_high, payback_years, totals=dict(budget_benefit, time_benefit, development_cost,
    running_cost, net), rate, horizon_years, go_live=date)."""
    proj = run(db, "SELECT * FROM dim_projects WHERE project_id = ?", [project_id])
    if proj.empty:
        raise KeyError(f"unknown project {project_id}")
    p = proj.iloc[0].to_dict()
    start = month_start(p["start_date"])
    end = month_start(p["end_date"])
    go_live = _offset(end, start) + 1
    horizon_end = go_live + 12 * horizon_years

    spend = run(db, """SELECT date_trunc('month', month)::DATE AS month, SUM(amount_sek) AS sek
                       FROM fact_it_costs WHERE project_id = ? GROUP BY 1""", [project_id])
    grants = run(db, "SELECT year, SUM(granted_sek) AS sek FROM fact_project_grants WHERE project_id = ? GROUP BY 1",
                 [project_id])
    dev: dict[int, float] = {}
    spend_by_year: dict[int, dict[int, float]] = {}
    for m, sek in zip(spend.month, spend.sek):
        m = month_start(m)
        spend_by_year.setdefault(m.year, {})
        o = _offset(m, start)
        spend_by_year[m.year][o] = spend_by_year[m.year].get(o, 0.0) + float(sek)
    grant_by_year = {int(y): float(s) for y, s in zip(grants.year, grants.sek)}
    closed = p["status"] in ("finished", "stopped")
    for year in sorted(set(spend_by_year) | set(grant_by_year)):
        spent = spend_by_year.get(year, {})
        granted = grant_by_year.get(year, 0.0)
        if spent and (closed or sum(spent.values()) >= granted):
            for o, v in spent.items():                     # actual spend (closed, or above the grant)
                dev[o] = dev.get(o, 0.0) + v
            continue
        # no ledger lines for the year (ledger does not reach back) or a running project below its grant:
        # the grant is the development cost, spread over the project's months in that year
        months = [o for o in range(0, go_live) if (start.month - 1 + o) // 12 + start.year == year]
        if not months:
            months = [max(0, _offset(date(year, 1, 1), start))]
        for o in months:
            dev[o] = dev.get(o, 0.0) + granted / len(months)

    plans = run(db, """SELECT b.benefit_id, b.benefit_class, COALESCE(b.low_pct, 100) AS low_pct,
                              COALESCE(b.high_pct, 100) AS high_pct, pl.month, pl.planned_sek
                       FROM fact_benefit_plans pl JOIN dim_benefits b USING (benefit_id)
                       WHERE b.project_id = ? AND b.benefit_class IS DISTINCT FROM 'non_monetary'
                       ORDER BY pl.month""", [project_id])
    streams = {k: ({}, {}) for k in ("likely", "low", "high")}     # (budget, time) per estimate
    for bid, grp in plans.groupby("benefit_id", sort=True):
        monthly = {}
        for m, sek in zip(grp.month, grp.planned_sek):
            o = _offset(month_start(m), start)
            monthly[o] = monthly.get(o, 0.0) + float(sek)
        monthly = extend_plan(monthly, horizon_end)
        is_budget = grp.benefit_class.iloc[0] in BUDGET_CLASSES
        for est, factor in (("likely", 1.0), ("low", float(grp.low_pct.iloc[0]) / 100),
                            ("high", float(grp.high_pct.iloc[0]) / 100)):
            target = streams[est][0 if is_budget else 1]
            for o, v in monthly.items():
                target[o] = target.get(o, 0.0) + v * factor
    running = float(p["planned_running_cost_sek"] or 0.0)

    def flows_for(est: str) -> pd.DataFrame:
        f = yearly_flows(dev, streams[est][0], streams[est][1], running, go_live, horizon_years)
        if rate != DISCOUNT_RATE:
            f["discount_factor"] = [1.0 / (1.0 + rate) ** y for y in f.year]
            f["present_value"] = f.net * f.discount_factor
        return f

    flows = flows_for("likely")
    budget_net = flows.budget_benefit - flows.development_cost - flows.running_cost
    flows["calendar_year"] = [start.year + (start.month - 1 + 12 * y) // 12 for y in flows.year]
    totals = {k: float(flows[k].sum()) for k in
              ("budget_benefit", "time_benefit", "development_cost", "running_cost", "net")}
    go_live_date = P.add_months(start, go_live)
    return {"project": p, "flows": flows, "npv": npv(list(flows.net), rate),
            "budget_npv": npv(list(budget_net), rate), "npv_low": npv(list(flows_for("low").net), rate),
            "npv_high": npv(list(flows_for("high").net), rate),
            "payback_years": payback_years(list(flows.net)), "totals": totals, "rate": rate,
            "horizon_years": horizon_years, "go_live": go_live_date}
