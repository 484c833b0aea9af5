"""Demo dimensions: calendar helper, committees, systems (application portfolio), e-services,
incident mapping and target overrides."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from . import reference as ref

START_MONTH = "2020-01"


@dataclass
class Calendar:
    """Monthly calendar from 2020-01 to end_month (inclusive)."""
    labels: list[str]          # 'YYYY-MM'
    starts: np.ndarray         # int64 minutes since epoch of each month start
    ends: np.ndarray           # int64 minutes since epoch of the next month start
    years: np.ndarray          # int
    moy: np.ndarray            # 1..12
    t: np.ndarray              # years since 2020-01 (float)
    days: np.ndarray           # days in month

    @property
    def n(self) -> int:
        return len(self.labels)

    @property
    def export_end(self) -> int:
        """Last minute of the period (the export was taken right after the end month)."""
        return int(self.ends[-1]) - 1


def calendar(end_month: str) -> Calendar:
    months = pd.period_range(START_MONTH, end_month, freq="M")
    if len(months) == 0:
        raise ValueError(f"end_month {end_month} is before {START_MONTH}")
    m64 = np.array([str(p) for p in months], dtype="datetime64[M]")
    starts = m64.astype("datetime64[m]").astype(np.int64)
    ends = (m64 + 1).astype("datetime64[m]").astype(np.int64)
    years = months.year.to_numpy().astype(int)
    moy = months.month.to_numpy().astype(int)
    return Calendar(labels=[str(p) for p in months], starts=starts, ends=ends, years=years, moy=moy,
                    t=np.arange(len(months)) / 12.0, days=((ends - starts) // 1440).astype(int))


def default_end_month(today: date | None = None) -> str:
    today = today or date.today()
    y, m = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{y:04d}-{m:02d}"


# ---- committees -------------------------------------------------------------------------------

def committees() -> pd.DataFrame:
    rows = [dict(committee_code=c, name_sv=sv, name_en=en, kind=k, peer_group=ref.PEER_GROUP[k])
            for c, sv, en, k, _short, _hc in ref.COMMITTEES]
    return pd.DataFrame(rows)


SHORT = {c: short for c, _sv, _en, _k, short, _hc in ref.COMMITTEES}
HEADCOUNT = {c: hc for c, *_rest, hc in ref.COMMITTEES}
KIND = {c: k for c, _sv, _en, k, _s, _h in ref.COMMITTEES}
CODES = [c for c, *_ in ref.COMMITTEES]


# ---- systems --------------------------------------------------------------------------------

def _candidate_names(code: str) -> list[str]:
    short = SHORT[code]
    if code == "KS":
        own = ref.CITYWIDE_SYSTEMS + ref.SPECIALIST_SYSTEMS["KS"]
    elif code in ref.SPECIALIST_SYSTEMS:
        own = ref.SPECIALIST_SYSTEMS[code]
    elif code in ref.COMPANY_SYSTEMS:
        own = ref.COMPANY_SYSTEMS[code]
    else:
        own = [f"{name} – {short}" for name in ref.DISTRICT_SYSTEMS]
    generic = [f"{name} – {short}" for name in ref.GENERIC_SYSTEMS]
    return own + generic


def systems(rng: np.random.Generator, scale: float) -> pd.DataFrame:
    """~300 × scale systems, every committee owns at least one critical key system."""
    n_total = max(len(CODES), int(round(300 * scale)))
    weight = np.array([np.sqrt(HEADCOUNT[c]) * (2.2 if c in ("KS", "UTBN") else 1.0) for c in CODES])
    extra = n_total - len(CODES)
    counts = 1 + np.floor(extra * weight / weight.sum()).astype(int)
    remainder = n_total - counts.sum()
    counts[np.argsort(-weight, kind="stable")[:remainder]] += 1

    rows = []
    for code, n in zip(CODES, counts):
        names = _candidate_names(code)
        hc = HEADCOUNT[code]
        for i in range(n):
            base = names[i % len(names)]
            name = base if i < len(names) else f"{base} {i // len(names) + 1}"
            first = i == 0
            citywide = code == "KS" and i < len(ref.CITYWIDE_SYSTEMS)
            critical = first or citywide and i < 6 or rng.random() < 0.22
            key = first or citywide or rng.random() < 0.30
            tier = "basic" if first or citywide else rng.choice(["basic", "differentiating", "innovative"],
                                                                p=[0.78, 0.16, 0.06])
            if critical:
                hours = 168.0 if rng.random() < 0.8 else 84.0
            else:
                hours = float(rng.choice([55.0, 60.0, 45.0, 168.0], p=[0.55, 0.2, 0.1, 0.15]))
            if citywide:
                users = int(40000 * rng.uniform(0.25, 0.95))
            elif key:
                users = max(1, int(hc * rng.uniform(0.25, 0.9)))
            else:
                users = max(1, int(hc * rng.uniform(0.02, 0.3)))
            rows.append(dict(owner_committee=code, name=name, tier=str(tier), critical=bool(critical),
                             key_system=bool(key), agreed_hours_per_week=hours, intended_users=users))
    frame = pd.DataFrame(rows)
    width = max(4, len(str(len(frame))))
    frame.insert(0, "system_id", [f"SYS{i + 1:0{width}d}" for i in range(len(frame))])
    return frame[["system_id", "name", "owner_committee", "tier", "critical", "key_system",
                  "agreed_hours_per_week", "intended_users"]]


def application_portfolio(rng: np.random.Generator, systems: pd.DataFrame, end_month: str) -> pd.DataFrame:
    """Add the application-portfolio columns (system_kind, lifecycle, exit_date, exit_plan) from their own
    random stream, so the other system columns (and every measure built on them) stay as they were.

    system_kind is the system's name without the committee suffix: district systems of the same kind owned
    by several districts are the possible duplicates. Innovative systems are pilots with an exit date;
    about a third of them are past it without having been integrated or closed."""
    out = systems.copy()
    out["system_kind"] = [str(n).split(" – ")[0].rstrip(" 0123456789").strip() for n in out["name"]]
    end = pd.Timestamp(end_month[:7] + "-01")
    lifecycle, exit_date, exit_plan = [], [], []
    for tier in out["tier"]:
        u = rng.random()
        if tier == "innovative":
            months = int(rng.integers(-14, 13))               # exit date from 14 months ago to a year ahead
            exit_date.append((end + pd.DateOffset(months=months)).strftime("%Y-%m-%d"))
            exit_plan.append("Integrering i ordinarie förvaltning" if rng.random() < 0.5 else "Avveckling")
            lifecycle.append("introduction" if u < 0.6 else "active")
        else:
            exit_date.append(None)
            exit_plan.append(None)
            lifecycle.append("planned" if u < 0.02 else "introduction" if u < 0.08 else
                             "phase_out" if u < 0.16 else "active")
    out["lifecycle"], out["exit_date"], out["exit_plan"] = lifecycle, exit_date, exit_plan
    return out


def central_services(systems: pd.DataFrame) -> pd.DataFrame:
    """The city-wide systems Kommunstyrelsen runs for everyone, with the key their cost is distributed by."""
    central = systems[(systems["owner_committee"] == "KS") & systems["name"].isin(ref.CITYWIDE_SYSTEMS)]
    rows = [dict(system_id=sid, distribution_key="licences" if name.startswith("Microsoft 365") else "it_users",
                 note="Licenser per nämnd" if name.startswith("Microsoft 365") else "It-användare per nämnd")
            for sid, name in zip(central["system_id"], central["name"])]
    return pd.DataFrame(rows, columns=["system_id", "distribution_key", "note"])


# ---- e-services -------------------------------------------------------------------------------

def eservices() -> pd.DataFrame:
    rows = [dict(eservice_id=f"ES{i + 1:03d}", name=name, owner_committee=owner, errand_type=errand)
            for i, (name, owner, errand, _vol) in enumerate(ref.ESERVICES)]
    return pd.DataFrame(rows)


ESERVICE_VOLUME = np.array([vol for *_x, vol in ref.ESERVICES], dtype=float)


# ---- incident mapping -------------------------------------------------------------------------

LOCATION_UNITS = {
    "district_council": ["stadsdelsförvaltning", "förskolor", "äldreboende", "socialtjänst", "medborgarkontor"],
    "specialist_committee": ["huvudkontor", "verksamhetslokaler"],
    "company": ["huvudkontor", "driftcentral"],
}
CENTRAL_GROUPS = ["Servicedesk", "Klient och arbetsplats", "Nätverk och kommunikation", "Behörighet och konton",
                  "Applikationsdrift"]


def locations() -> dict[str, list[str]]:
    out = {}
    for code in CODES:
        units = LOCATION_UNITS[KIND[code]]
        if code == "UTBN":
            units = ["huvudkontor", "grundskolor norr", "grundskolor söder", "gymnasieskolor", "vuxenutbildning"]
        out[code] = [f"{SHORT[code]} {u}" for u in units]
    return out


def local_group(code: str) -> str:
    return f"Förvaltningsstöd {SHORT[code]}"


def incident_mapping() -> pd.DataFrame:
    rows = []
    for code, locs in locations().items():
        rows += [dict(match_field="location", match_value=loc, committee_code=code) for loc in locs]
    for code in CODES:
        rows.append(dict(match_field="assignment_group", match_value=local_group(code), committee_code=code))
    rows += [dict(match_field="assignment_group", match_value=g, committee_code="KS") for g in CENTRAL_GROUPS]
    return pd.DataFrame(rows)


# ---- target overrides ------------------------------------------------------------------------

def target_overrides(end_year: int) -> pd.DataFrame:
    rows = [
        ("HAMN", 2020, "Q1", 99.7, 99.3, "it-chef, Stockholms Hamn AB", "2020-01-15 11:00",
         "Trafikledningen i hamnarna är i drift dygnet runt"),
        ("SVOA", 2025, "Q1", 99.8, 99.5, "it-controller, Stockholm Vatten och Avfall", "2024-12-03 10:12",
         "Dricksvattenproduktionen kräver högre tillgänglighet (styrelsebeslut 2024-11)"),
        ("SVOA", 2026, "Q1", 99.8, 99.5, "it-controller, Stockholm Vatten och Avfall", "2025-12-09 14:40",
         "Samma skärpta mål som 2025"),
        ("BRAND", 2026, "Q1", 99.9, 99.5, "it-strateg, stadsledningskontoret", "2025-11-20 09:05",
         "Ledningsstödet är samhällskritiskt"),
        ("UTBN", 2026, "E1", 80.0, 65.0, "it-strateg, stadsledningskontoret", "2026-01-14 13:30",
         "Höjd ambition för digitala ansökningar enligt KF:s budget 2026"),
        ("ALDN", 2025, "M1", 85.0, 70.0, "controller, äldreförvaltningen", "2025-02-17 08:45",
         "Nytt dokumentationssystem införs under året; tillfälligt lägre mål"),
        ("SKARHOLMEN", 2024, "Q2", 85.0, 75.0, "it-controller, stadsledningskontoret", "2024-01-22 15:20",
         "Övergångsmål under byte av it-leverantör"),
    ]
    cols = ["committee_code", "year", "measure_id", "target", "red_threshold", "changed_by", "changed_at", "reason"]
    frame = pd.DataFrame(rows, columns=cols)
    return frame[frame["year"] <= end_year].reset_index(drop=True)
