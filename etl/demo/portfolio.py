"""Demo data for the five project portfolios, projects, grants and benefits (issue 5).

Deterministic from the `rng` passed in: a private `random.Random` is seeded from it once,
so the output depends only on the rng state, `committees`, `eservices` and `end_month`.

Sign convention for benefits (see docs/portfolio.md):
* `baseline` / `target` are yearly volumes of the process in the benefit's unit (hours, errands,
  SEK, complaints ...). A benefit lowers the volume (target < baseline); a *disbenefit* raises it
  (target > baseline).
* `planned_value` / `realised_value` are the monthly improvement in the unit, and
  `planned_sek` / `realised_sek` its value in SEK (central valuation). They are positive for
  benefits and negative for disbenefits (a disbenefit reduces the net benefit).
"""
from __future__ import annotations

import random
from datetime import date

import pandas as pd

import periods

# Central valuation (SEK per unit) used by the city's benefit valuer.
UNIT_PRICES = {
    "timmar handläggning": 420.0,   # staff hour incl. overheads
    "timmar för invånare": 180.0,   # citizen time (value of time)
    "ärenden via telefon/post": 95.0,
    "SEK": 1.0,
    "fel/reklamationer": 650.0,
}
KIND_UNITS = {
    "operational": "timmar handläggning",
    "citizen": "timmar för invånare",
    "financial": "SEK",
    "quality": "fel/reklamationer",
}
KIND_TEXT = {
    "operational": "Minskad handläggningstid för {e}",
    "citizen": "Kortare tid för invånare att hantera {e}",
    "financial": "Lägre kostnad för {e} (porto, tryck, licenser)",
    "quality": "Färre felaktiga ärenden inom {e}",
}
EVIDENCE = [
    "Ärendestatistik från e-tjänsteplattformen",
    "Tidsstudie före/efter",
    "Utfall i ekonomisystemet",
    "Uppföljning i verksamhetssystemet",
    "Kundundersökning och ärendestatistik",
    "Tertialrapport från förvaltningen",
]
REPORTERS = ["Nyttoägare", "Verksamhetsutvecklare", "Controller", "Systemförvaltare", "Projektledare"]
BENEFIT_OWNERS = ["Förvaltningschef", "Avdelningschef", "Verksamhetschef", "Stadsdelsdirektör",
                  "Enhetschef", "Administrativ chef"]
DEFAULT_ERRANDS = ["Bygglov", "Förskoleplats", "Ekonomiskt bistånd", "Parkeringstillstånd",
                   "Färdtjänst", "Hemtjänst", "Felanmälan", "Livsmedelskontroll"]

NAME_TEMPLATES = {
    1: ["E-tjänst för {e}", "Självservice för {e}", "Mobilanpassning av {e}",
        "Digital bokning – {e}", "Mina sidor: status för {e}", "Kontaktcenter: chatt för {e}"],
    2: ["Beslutsstöd för {e}", "Öppna data om {e}", "Verksamhetsstatistik för {e}",
        "Gemensam informationsmodell för {e}", "Analysplattform för {e}"],
    3: ["Utbildningsinsats i verksamhetssystemet för {e}", "Förenklad handläggning av {e}",
        "E-learning för handläggare av {e}", "Automatiserad registrering av {e}"],
    4: ["Informationsutbyte med Försäkringskassan om {e}", "Digital överföring till Skatteverket – {e}",
        "Samverkan med regionen kring {e}", "E-arkiv för {e}", "Elektronisk ärendeöverföring – {e}"],
    5: ["Pilot: chattbot för {e}", "Pilot: robotiserad processautomation för {e}",
        "Pilot: sensorer och IoT för {e}", "Pilot: AI-stöd för bedömning av {e}",
        "Pilot: röststyrd självservice för {e}"],
}
# portfolio 5 projects that are not pilots: scaling up what a pilot proved
SCALE_UP_TEMPLATES = ["Breddinförande av digitalt stöd för {e}", "Nya arbetssätt med digital teknik för {e}",
                      "Innovationsupphandling för {e}"]
LEARNING_GOALS = [
    "Ta reda på om invånarna använder tjänsten och om handläggningstiden minskar",
    "Pröva om tekniken fungerar i verksamheten och vad den skulle kosta i drift",
    "Mäta om andelen felaktiga ärenden minskar i en avgränsad enhet",
]
EXIT_PLANS = [
    "Avveckla piloten och radera data om nyttan inte visas efter sex månader",
    "Återgå till tidigare arbetssätt; licenser sägs upp vid pilotens slut",
    "Vid positivt utfall: ansök ur portfölj 1 för breddinförande, annars avveckling",
]
# Yearly frame per portfolio (SEK) set by KF before noise: about 130 mnkr a year in total in 2013,
# growing 3 % a year (the predecessor e-services programme approved 416 mnkr over 2007–2010).
BASE_FRAMES = {1: 43e6, 2: 27e6, 3: 24e6, 4: 21e6, 5: 14e6}
# Benefit classes (docs/portfolio.md): which class each kind of benefit is valued as in the demo.
#   budget       money realised in the budget (financial; part of the staff-hour benefits)
#   time         freed hours valued at HOUR_RATE, not a budget saving
#   non_monetary quality and citizen benefit: a measure and a target, no SEK
HOUR_RATE = 420.0                   # SEK per freed staff hour incl. overheads (the city's valuation)
# Lead time need → decision (months) early in the programme and at its end: the It-programme
# names ~18 months as today's lead time and asks that it be cut.
LEAD_EARLY, LEAD_LATE = (15, 27), (5, 11)
APPLICANTS = ["Karin Ek", "Johan Berg", "Maria Lind", "Ahmed Hassan", "Eva Sjöberg", "Anders Holm",
              "Sara Nyström", "Peter Wallin", "Leila Karimi", "Lars Forsberg", "Ulla Dahl", "Mikael Strand"]
VALUERS = ["Anna Lindqvist (central nyttovärderare)", "Erik Söderberg (central nyttovärderare)",
           "Fatima Ali (central nyttovärderare)"]
COUNCIL = "Utvecklingsrådet"
# Measures a project in each portfolio is expected to move, with a typical baseline and the change
# the applicants promise (in the measure's unit; all five are "higher is better").
EXPECTED_MEASURES = {1: [("E1", 55.0, 8.0), ("E3", 60.0, 10.0)], 2: [("I2", 72.0, 4.0)],
                     3: [("M2", 62.0, 6.0), ("M1", 86.0, 3.0)], 4: [("I3", 45.0, 10.0)], 5: [("E1", 55.0, 5.0)]}
PORTFOLIO_WEIGHTS = [0.28, 0.2, 0.18, 0.16, 0.18]
KF_GOALS = {1: ["KF1", "KF2"], 2: ["KF3", "KF2"], 3: ["KF3"], 4: ["KF1", "KF3"], 5: ["KF2", "KF3"]}


def _seed(rng) -> int:
    if hasattr(rng, "integers"):          # numpy Generator
        return int(rng.integers(0, 2**31 - 1))
    if hasattr(rng, "randint") and hasattr(rng, "randrange"):  # random.Random
        return rng.randrange(2**31 - 1)
    if hasattr(rng, "randint"):           # numpy RandomState
        return int(rng.randint(0, 2**31 - 1))
    return int(rng)


_month_index = periods.month_index
_from_index = periods.month_from_index


def _month_end(d: date) -> date:
    nxt = _from_index(_month_index(d) + 1)
    return date.fromordinal(nxt.toordinal() - 1)


def _label(i: int) -> str:
    d = _from_index(i)
    return f"{d.year:04d}-{d.month:02d}"


def _processes(eservices: pd.DataFrame, committees: pd.DataFrame) -> list[tuple[str, str]]:
    if eservices is not None and len(eservices):
        pairs = eservices[["owner_committee", "errand_type"]].drop_duplicates()
        pairs = pairs.sort_values(["owner_committee", "errand_type"])
        return [(str(c), str(e)) for c, e in pairs.itertuples(index=False)]
    codes = sorted(committees["committee_code"].astype(str))
    return [(codes[i % len(codes)], e) for i, e in enumerate(DEFAULT_ERRANDS)]


def _project_name(r: random.Random, portfolio: int, tier: str, errand: str, used_names: set[str]) -> str:
    templates = NAME_TEMPLATES[portfolio] if tier == "innovative" or portfolio != 5 else SCALE_UP_TEMPLATES
    name = r.choice(templates).format(e=errand.lower())
    while name in used_names:
        name += " – etapp 2" if "etapp" not in name else "+"
    used_names.add(name)
    return name


def _double_counting_pairs(projects: list[dict]) -> list[tuple[dict, dict]]:
    """Up to three pairs of finished/running projects from different portfolios whose benefit periods
    overlap: the situation in which the same process improvement gets claimed twice."""
    finished = [p for p in projects if p["status"] in ("finished", "running") and p["tier"] != "innovative"]
    finished.sort(key=lambda p: p["_start_i"])
    pairs: list[tuple[dict, dict]] = []
    for a in finished:
        for b in finished:
            if (b["_start_i"] > a["_start_i"] and abs(b["_end_i"] - a["_end_i"]) <= 10
                    and b["portfolio_id"] != a["portfolio_id"]
                    and not any(a is x or b is x or a is y or b is y for x, y in pairs)):
                pairs.append((a, b))
                break
        if len(pairs) >= 3:
            break
    return pairs


def build_portfolio(rng, committees: pd.DataFrame, eservices: pd.DataFrame, end_month: str) -> dict[str, pd.DataFrame]:
    """Return frames keyed by contract source name: portfolio_frames, projects, project_grants,
    benefits, benefit_plans, benefit_realisations (columns exactly as in etl/contracts/), plus
    'project_spend' [project_id, month 'YYYY-MM', committee_code, amount_sek, cost_class, supplier_type]
    that the ledger generator turns into IT cost lines with project_id set.

    Months are 'YYYY-MM' strings, dates 'YYYY-MM-DD' strings, years ints."""
    r = random.Random(_seed(rng))
    end = date.fromisoformat(end_month[:7] + "-01")
    end_i = _month_index(end)
    first_year, last_year = 2013, end.year + 1          # KF has set next year's frames
    processes = _processes(eservices, committees)
    process_owners = sorted({c for c, _ in processes})

    # ---- frames -------------------------------------------------------------------------
    frames = []
    for y in range(first_year, last_year + 1):
        for p in range(1, 6):
            growth = 1 + 0.03 * (y - first_year)
            frames.append({"year": y, "portfolio_id": p,
                           "frame_sek": round(BASE_FRAMES[p] * growth * r.uniform(0.85, 1.15), -5)})
    frame_of = {(f["year"], f["portfolio_id"]): f["frame_sek"] for f in frames}

    # ---- projects -----------------------------------------------------------------------
    n_projects = 80
    n_old = n_projects - 16
    recent_first = end_i - 14                               # last 16 projects start from 14 months ago …
    span_recent = 22                                         # … to 8 months ahead
    span_old = max(12, recent_first - _month_index(date(first_year, 1, 1)))
    projects, budgets = [], {}
    used_names: set[str] = set()
    stopped_pilots = 0
    for k in range(n_projects):
        pid = f"P{k + 1:04d}"
        if k < n_old:      # spread over the programme's years up to two years ago
            start_i = _month_index(date(first_year, 1, 1)) + int(span_old * (k + r.random()) / n_old)
        else:              # the council's current business: running, granted and applied projects
            start_i = recent_first + int(span_recent * (k - n_old + r.random()) / (n_projects - n_old))
        portfolio = r.choices(range(1, 6), weights=PORTFOLIO_WEIGHTS)[0]
        tier = "differentiating"
        if portfolio == 5 and r.random() < 0.75:
            tier = "innovative"
        duration = r.randint(3, 6) if tier == "innovative" else r.randint(6, 20)
        end_i_proj = start_i + duration - 1
        owner, errand = r.choice(processes)
        if r.random() < 0.25:
            owner = r.choice(sorted(committees["committee_code"].astype(str)))
        name = _project_name(r, portfolio, tier, errand, used_names)
        budget = (r.uniform(1.5, 6.0) if tier == "innovative" else r.uniform(15.0, 70.0)) * 1e6
        # status from the dates relative to the demo's "now"
        if start_i > end_i:
            status = "applied" if r.random() < 0.5 or _from_index(start_i).year > end.year + 1 else "granted"
        elif end_i_proj >= end_i:
            status = "running"
        else:
            status = "finished"
        if status == "finished" and tier == "innovative" and (stopped_pilots < 3 or r.random() < 0.2):
            status, stopped_pilots = "stopped", stopped_pilots + 1
        elif status == "finished" and tier == "differentiating" and r.random() < 0.03:
            status = "stopped"
        goals = KF_GOALS[portfolio][: r.randint(1, len(KF_GOALS[portfolio]))]
        projects.append({
            "project_id": pid, "name": name, "portfolio_id": portfolio, "tier": tier,
            "owner_committee": owner, "benefit_owner": r.choice(BENEFIT_OWNERS), "status": status,
            "start_date": _from_index(start_i).isoformat(),
            "end_date": _month_end(_from_index(end_i_proj)).isoformat(),
            "planned_running_cost_sek": round(budget * r.uniform(0.05, 0.15), -4),
            "council_goals": ";".join(goals),
            "learning_goals": r.choice(LEARNING_GOALS) if tier == "innovative" else None,
            "exit_plan": r.choice(EXIT_PLANS) if tier == "innovative" else None,
            "_start_i": start_i, "_end_i": end_i_proj, "_errand": errand, "_process_owner": owner,
        })
        budgets[pid] = budget

    # the programme requires every pilot to end in integration or closure: the two latest finished pilots
    # have not done so yet (still running past their end date: overdue exits for the council to see)
    finished_pilots = [p for p in projects if p["tier"] == "innovative" and p["status"] == "finished"]
    for p in sorted(finished_pilots, key=lambda p: p["_end_i"])[-2:]:
        p["status"] = "running"

    # genuine double counting: project B of each pair works on project A's process (errand type)
    pairs = _double_counting_pairs(projects)
    for a, b in pairs:
        used_names.discard(b["name"])
        b["_process_owner"], b["_errand"] = a["_process_owner"], a["_errand"]
        b["name"] = _project_name(r, b["portfolio_id"], b["tier"], b["_errand"], used_names)

    # ---- grants: split the budget over the project's years, scaled to fit the frame ------
    want: dict[tuple[str, int], float] = {}
    for p in projects:
        if p["status"] == "applied":
            continue
        months = range(p["_start_i"], p["_end_i"] + 1)
        for y in sorted({_from_index(m).year for m in months}):
            share = sum(1 for m in months if _from_index(m).year == y) / len(months)
            want[(p["project_id"], y)] = budgets[p["project_id"]] * share
    portfolio_of = {p["project_id"]: p["portfolio_id"] for p in projects}
    asked: dict[tuple[int, int], float] = {}
    for (pid, y), v in want.items():
        asked[(y, portfolio_of[pid])] = asked.get((y, portfolio_of[pid]), 0.0) + v
    grants = []
    for (pid, y), v in sorted(want.items()):
        key = (y, portfolio_of[pid])
        scale = min(1.0, 0.97 * frame_of.get(key, 0.0) / asked[key]) if asked[key] else 0.0
        if v * scale < 1000:            # no frame for that year (yet): nothing granted
            continue
        grants.append({"project_id": pid, "year": y, "granted_sek": float(round(v * scale, -3))})
    granted_total = {}
    for g in grants:
        granted_total[g["project_id"]] = granted_total.get(g["project_id"], 0.0) + g["granted_sek"]

    # ---- spend (ledger lines with project_id) ----------------------------------------------
    spend = []
    over_budget = set()
    for p in projects:
        pid = p["project_id"]
        if p["status"] in ("applied", "granted") or granted_total.get(pid, 0) <= 0:
            continue
        factor = r.uniform(0.85, 1.0)
        if p["status"] != "stopped" and r.random() < 0.18:
            factor = r.uniform(1.1, 1.4)
            over_budget.add(pid)
        last = min(p["_end_i"], end_i)
        if p["status"] == "stopped":
            last = p["_start_i"] + max(1, (p["_end_i"] - p["_start_i"]) // 2)
            factor = r.uniform(0.4, 0.6)
        months = list(range(p["_start_i"], last + 1))
        planned_months = p["_end_i"] - p["_start_i"] + 1
        total = granted_total[pid] * factor * (len(months) / planned_months if p["status"] == "running" else 1)
        cost_class = "transform" if p["tier"] == "innovative" else "grow"
        for m in months:
            amount = total / len(months) * r.uniform(0.8, 1.2)
            ext = round(amount * 0.85, -2)
            spend.append({"project_id": pid, "month": _label(m), "committee_code": p["owner_committee"],
                          "amount_sek": ext, "cost_class": cost_class, "supplier_type": "external"})
            spend.append({"project_id": pid, "month": _label(m), "committee_code": p["owner_committee"],
                          "amount_sek": round(amount - ext, -2), "cost_class": cost_class,
                          "supplier_type": "internal"})

    # ---- benefits ------------------------------------------------------------------------
    benefits, plans, reals, replans = [], [], [], []
    bcount = [0]

    def add_benefit(p, kind, owner, errand, baseline, improvement, disbenefit=False,
                    plan_months=24, fate=None, first_offset=1):
        bcount[0] += 1
        bid = f"B{bcount[0]:04d}"
        unit = KIND_UNITS[kind]
        sign = -1.0 if disbenefit else 1.0
        if kind == "financial":
            benefit_class = "budget"
        elif kind == "operational":
            benefit_class = "budget" if r.random() < 0.35 and not disbenefit else "time"
        else:
            benefit_class = "non_monetary"
        target = baseline - sign * improvement
        desc = (f"Ökad arbetsinsats för {errand.lower()} (dubbelregistrering under övergången)" if disbenefit
                else KIND_TEXT[kind].format(e=errand.lower()))
        benefits.append({"benefit_id": bid, "project_id": p["project_id"], "kind": kind,
                         "description": desc, "unit": unit, "baseline": float(round(baseline)),
                         "target": float(round(target)), "owner_committee": owner,
                         "errand_type": errand, "disbenefit": bool(disbenefit),
                         "benefit_class": benefit_class,
                         "hour_rate_sek": HOUR_RATE if benefit_class == "time" else None,
                         "low_pct": float(r.choice([50, 60, 70, 80])), "high_pct": float(r.choice([110, 120, 130, 150]))})
        if p["status"] == "stopped":
            return bid                                    # stopped before go-live: the plan was withdrawn
        price = 0.0 if benefit_class == "non_monetary" else UNIT_PRICES[unit]
        start = p["_end_i"] + first_offset
        if fate is None:
            fate = r.choices(["good", "partial", "late", "none"], weights=[0.55, 0.25, 0.1, 0.1])[0]
        if disbenefit:
            fate = "good"
        delay = r.randint(4, 8) if fate == "late" else 0
        ratio = {"good": r.uniform(0.9, 1.1), "partial": r.uniform(0.35, 0.75),
                 "late": r.uniform(0.7, 1.0), "none": 0.0}[fate]
        lag = r.choice([0, 1, 1, 2])                      # reporting lag in months
        for j in range(plan_months):
            m = start + j
            ramp = min(1.0, (j + 1) / 6)                  # benefit ramps up over six months
            pv = sign * improvement / 12 * ramp
            plans.append({"benefit_id": bid, "month": _label(m), "planned_value": round(pv, 2),
                          "planned_sek": round(pv * price, 0)})
            if fate == "none" or j < delay or m > end_i - lag or p["status"] == "stopped":
                continue
            rv = pv * ratio * r.uniform(0.85, 1.15)
            reals.append({"benefit_id": bid, "month": _label(m), "realised_value": round(rv, 2),
                          "realised_sek": round(rv * price, 0), "evidence": r.choice(EVIDENCE),
                          "reported_by": r.choice(REPORTERS)})
        # a re-plan after a disappointing start: version 2 lowers (and for late benefits, shifts) the plan;
        # the approved plan above stays as it was decided
        replan_at = start + 6
        if fate in ("partial", "late") and benefit_class != "non_monetary" and replan_at <= end_i and r.random() < 0.7:
            level = r.uniform(0.55, 0.85)
            shift = delay if fate == "late" else 0
            decided = _from_index(replan_at).replace(day=r.randint(5, 25)).isoformat()
            for j in range(plan_months + shift):
                m = start + j
                ramp = min(1.0, (max(0, j - shift) + 1) / 6) if j >= shift else 0.0
                pv = sign * improvement / 12 * ramp * (level if m >= replan_at else 1.0)
                if m < replan_at:        # months already passed keep the approved figures
                    pv = sign * improvement / 12 * min(1.0, (j + 1) / 6)
                replans.append({"benefit_id": bid, "version": 2, "decided_on": decided, "month": _label(m),
                                "planned_value": round(pv, 2), "planned_sek": round(pv * price, 0)})
        return bid

    for p in projects:
        budget = budgets[p["project_id"]]
        owner, errand = p["_process_owner"], p["_errand"]
        if p["tier"] == "innovative":
            kinds = ["quality"]
        else:
            kinds = r.sample(["operational", "citizen", "financial", "quality"], r.choice([1, 2, 2, 3]))
        for kind in kinds:
            yearly_sek = budget * r.uniform(0.2, 0.5) / len(kinds) * (0.5 if p["tier"] == "innovative" else 1)
            improvement = yearly_sek / UNIT_PRICES[KIND_UNITS[kind]]
            baseline = improvement / r.uniform(0.15, 0.4)
            add_benefit(p, kind, owner, errand, baseline, improvement)
        if p["tier"] != "innovative" and r.random() < 0.12:
            improvement = budget * 0.05 / UNIT_PRICES["timmar handläggning"]
            add_benefit(p, "operational", owner, errand, improvement * 5, improvement, disbenefit=True,
                        plan_months=12)

    # ---- genuine double counting: both projects of a pair claim the same process ----------
    for n, (a, b) in enumerate(pairs):
        owner, errand = a["_process_owner"], a["_errand"]
        kind = ["operational", "citizen", "operational"][n]
        baseline = (budgets[a["project_id"]] + budgets[b["project_id"]]) * 0.4 / UNIT_PRICES[KIND_UNITS[kind]]
        # pairs 0 and 1 claim 60 % + 55 % of the same baseline (flagged); pair 2 claims 25 % + 30 %.
        shares = [(0.6, 0.55), (0.65, 0.5), (0.25, 0.3)][n]
        add_benefit(a, kind, owner, errand, baseline, baseline * shares[0], fate="good")
        add_benefit(b, kind, owner, errand, baseline, baseline * shares[1], fate="partial")

    stages = _stages(r, projects, end)
    expectations = _expectations(r, projects, min(2021, end.year))

    proj_cols = ["project_id", "name", "portfolio_id", "tier", "owner_committee", "benefit_owner", "status",
                 "start_date", "end_date", "planned_running_cost_sek", "council_goals", "learning_goals",
                 "exit_plan"]
    return {
        "portfolio_frames": pd.DataFrame(frames, columns=["year", "portfolio_id", "frame_sek"]),
        "projects": pd.DataFrame(projects)[proj_cols],
        "project_grants": pd.DataFrame(grants, columns=["project_id", "year", "granted_sek"]),
        "benefits": pd.DataFrame(benefits, columns=["benefit_id", "project_id", "kind", "description", "unit",
                                                    "baseline", "target", "owner_committee", "errand_type",
                                                    "disbenefit", "benefit_class", "hour_rate_sek", "low_pct",
                                                    "high_pct"]),
        "benefit_plans": pd.DataFrame(plans, columns=["benefit_id", "month", "planned_value", "planned_sek"]),
        "benefit_realisations": pd.DataFrame(reals, columns=["benefit_id", "month", "realised_value",
                                                             "realised_sek", "evidence", "reported_by"]),
        "benefit_replans": pd.DataFrame(replans, columns=["benefit_id", "version", "decided_on", "month",
                                                          "planned_value", "planned_sek"]),
        "project_stages": pd.DataFrame(stages, columns=["project_id", "stage", "entered_on", "person", "note"]),
        "project_expectations": pd.DataFrame(expectations, columns=["project_id", "measure_id", "committee_code",
                                                                    "baseline", "target", "baseline_year"]),
        "project_spend": pd.DataFrame(spend, columns=["project_id", "month", "committee_code", "amount_sek",
                                                      "cost_class", "supplier_type"]),
    }


def lead_months(decision_year: int) -> tuple[float, float]:
    """Range of the demo's need → decision lead time for a decision year: LEAD_EARLY in 2013 shrinking
    linearly to LEAD_LATE in 2026 (the programme's aim to cut the ~18 months)."""
    frac = min(1.0, max(0.0, (decision_year - 2013) / 13))
    lo = LEAD_EARLY[0] + (LEAD_LATE[0] - LEAD_EARLY[0]) * frac
    hi = LEAD_EARLY[1] + (LEAD_LATE[1] - LEAD_EARLY[1]) * frac
    return lo, hi


def _days(d: date, n: float) -> date:
    return date.fromordinal(d.toordinal() + int(round(n)))


def _stages(r: random.Random, projects: list[dict], end: date) -> list[dict]:
    """Dated stages of the application process for every project, consistent with its status and dates:
    need → application → valuation (a central valuer, never the applicant) → preparation → decision →
    implementation (the start date) → follow-up (go-live, the day after the end date) → closed (two years
    of follow-up, or the stop of a stopped project). Nothing is dated after the demo's today."""
    today = _month_end(end)
    rows = []
    for p in projects:
        start = date.fromisoformat(p["start_date"])
        finish = date.fromisoformat(p["end_date"])
        applicant = r.choice(APPLICANTS)
        valuer = r.choice(VALUERS)
        decision = _days(start, -r.randint(10, 60))
        if p["status"] == "applied":
            decision = max(decision, _days(today, 30))            # not decided yet
        elif decision > today:
            decision = _days(today, -r.randint(5, 40))
        lo, hi = lead_months(decision.year)
        lead = r.uniform(lo, hi) * 30.44
        if p["status"] == "applied":                               # in the pipe: applied some weeks ago
            application = _days(today, -r.randint(20, 150))
            need = _days(application, -lead * r.uniform(0.35, 0.55))
        else:
            need = _days(decision, -lead)
            application = _days(need, lead * r.uniform(0.35, 0.55))
        gap = max(2, (decision - application).days)
        valuation = _days(application, gap * r.uniform(0.25, 0.45))
        preparation = _days(application, gap * r.uniform(0.6, 0.8))
        steps = [("need", need, applicant, None), ("application", application, applicant, None),
                 ("valuation", valuation, valuer, None), ("preparation", preparation, "Stadsledningskontoret", None),
                 ("decision", decision, COUNCIL, None)]
        if p["status"] in ("running", "finished", "stopped"):
            steps.append(("implementation", start, f"Projektledare {r.choice(APPLICANTS)}", None))
        if p["status"] == "finished":
            go_live = _days(finish, 1)
            steps.append(("follow_up", go_live, p["benefit_owner"], None))
            closed = _from_index(_month_index(go_live) + 24)
            if closed <= today:
                steps.append(("closed", closed, COUNCIL, "Effekthemtagningen avslutad"))
        if p["status"] == "stopped":
            stop = _from_index(p["_start_i"] + max(1, (p["_end_i"] - p["_start_i"]) // 2) + 1)
            steps.append(("closed", min(stop, today), COUNCIL, "Avbrutet"))
        for stage, on, person, note in steps:
            if on <= today:
                rows.append({"project_id": p["project_id"], "stage": stage, "entered_on": on.isoformat(),
                             "person": person, "note": note})
    return rows


def _expectations(r: random.Random, projects: list[dict], from_year: int) -> list[dict]:
    """Funded projects starting from `from_year` (2021, or the demo's last year if it ends earlier)
    declare which scorecard measures they are to move, for their committee: a baseline (the year before
    the start) and a target."""
    rows = []
    for p in projects:
        start_year = int(p["start_date"][:4])
        if p["status"] in ("applied", "stopped") or start_year < from_year:
            continue
        choices = EXPECTED_MEASURES[p["portfolio_id"]]
        for measure, typical, change in choices[: r.randint(1, len(choices))]:
            base = round(typical * r.uniform(0.9, 1.1), 1)
            rows.append({"project_id": p["project_id"], "measure_id": measure, "committee_code": p["owner_committee"],
                         "baseline": base, "target": round(min(100.0, base + change * r.uniform(0.7, 1.3)), 1),
                         "baseline_year": start_year - 1})
    return rows
