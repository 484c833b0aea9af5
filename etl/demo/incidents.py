"""ServiceNow-style incident event log (one row per update) and the post-ticket survey that follows it.

Written month by month (incidents opened in a month form one chunk) so scale 100 stays within
memory; each chunk has its own random stream derived from the seed and the month, so the file is
the same whether or not it is written in chunks.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import dims
from . import reference as ref
from .writers import ArrowCsvAppender, bool_str, fmt_dayfirst, ids, int_str, take, with_missing

COLUMNS = ["source_system", "number", "incident_state", "active", "reassignment_count", "reopen_count", "sys_mod_count",
           "made_sla", "has_breached", "caller_id", "opened_by", "opened_at", "sys_created_by", "sys_updated_by",
           "sys_updated_at", "contact_type", "location", "category", "cmdb_ci", "impact", "urgency",
           "priority", "assignment_group", "assigned_to", "resolved_by", "resolved_at", "closed_code",
           "closed_at"]

PRIORITIES = ["1 - Critical", "2 - High", "3 - Moderate", "4 - Low"]
SLA_HOURS = np.array([4.0, 8.0, 24.0, 72.0])
SOURCE_SYSTEM = "stockholm-servicenow"   # the city's ITSM instance (incidents are keyed by system and number)
SLA_VALID_FROM = "2013-01-01"
PRIORITY_P = [0.015, 0.07, 0.58, 0.335]
SPIKE_PRIORITY_P = [0.05, 0.27, 0.58, 0.10]
# (impact, urgency) combinations per priority
IMPACT_URGENCY = {
    0: [("1 - High", "1 - High")],
    1: [("1 - High", "2 - Medium"), ("2 - Medium", "1 - High")],
    2: [("2 - Medium", "2 - Medium"), ("1 - High", "3 - Low"), ("3 - Low", "1 - High")],
    3: [("2 - Medium", "3 - Low"), ("3 - Low", "2 - Medium"), ("3 - Low", "3 - Low")],
}
CATEGORIES = ["Programvara", "Hårdvara", "Nätverk", "Behörighet och konton", "E-post och kalender", "Utskrift",
              "Telefoni", "Fråga/Hjälp", "Verksamhetssystem"]
CATEGORY_P = [0.22, 0.12, 0.08, 0.16, 0.07, 0.06, 0.05, 0.1, 0.14]
CONTACT = ["Phone", "Email", "Self service", "Walk in", "IVR", "Direct opening"]
CONTACT_P = [0.34, 0.2, 0.36, 0.03, 0.02, 0.05]
AWAITING = ["Awaiting User Info", "Awaiting Vendor", "Awaiting Problem", "Awaiting Evidence"]
CLOSED_CODES = ["Löst (permanent)", "Löst (tillfällig lösning)", "Ej löst (kunde inte återskapas)",
                "Stängd/löst av anmälaren"]
CLOSED_P = [0.72, 0.14, 0.06, 0.08]
# event columns j: 0 New, 1 Active, 2 Awaiting, 3 Active again, 4 Resolved, 5 Closed
PATTERNS = [np.array([0, 4, 5]), np.array([0, 1, 4, 5]), np.array([0, 1, 2, 3, 4, 5])]
HOUR_P = np.array([1, 0.5, 0.3, 0.3, 0.3, 0.6, 2, 6, 11, 11, 10, 9, 7, 9, 10, 9, 7, 4, 2, 1.5, 1.2, 1, 1, 1])
HOUR_P = HOUR_P / HOUR_P.sum()
SEASON = np.array([1.1, 1.05, 1.05, 1.0, 1.0, 0.95, 0.6, 1.12, 1.08, 1.05, 1.02, 0.85])
BAD_PRIORITY_INCIDENTS = 3   # deliberately delivered with priority "?" (quarantine demo)


_PERSONS: dict[str, pa.Array] = {}


def _person_labels(prefix: str) -> pa.Array:
    """Pseudonyms like "Caller 2403" (these personal columns are dropped on load)."""
    if prefix not in _PERSONS:
        _PERSONS[prefix] = pa.array([f"{prefix} {i}" for i in range(1000, 10000)])
    return _PERSONS[prefix]


class IncidentModel:
    def __init__(self, cal: dims.Calendar, systems: pd.DataFrame, it_users: np.ndarray, scale: float,
                 seed: int):
        self.cal, self.scale, self.seed = cal, scale, seed
        self.codes = dims.CODES
        self.it_users = it_users                    # [n_months, n_committees]
        prof = [ref.profile(c) for c in self.codes]
        self.inc_rate = np.array([p["inc_rate"] for p in prof])
        self.sla = np.array([p["sla"] for p in prof])
        self.sla_trend = np.array([p["sla_trend"] for p in prof])
        self.support_sat = np.array([p["support_sat"] for p in prof])
        locs = dims.locations()
        self.loc_labels = [loc for c in self.codes for loc in locs[c]]
        self.loc_start = np.cumsum([0] + [len(locs[c]) for c in self.codes])
        self.local_groups = [dims.local_group(c) for c in self.codes]
        self.group_labels = dims.CENTRAL_GROUPS + self.local_groups
        # systems per committee (cmdb_ci), weighted by intended users
        self.sys_ids = systems["system_id"].to_numpy(dtype=object)
        owner_idx = pd.Categorical(systems["owner_committee"], categories=self.codes).codes
        order = np.argsort(owner_idx, kind="stable")
        self.sys_order = order
        self.sys_start = np.searchsorted(owner_idx[order], np.arange(len(self.codes) + 1))
        self.sys_weight = systems["intended_users"].to_numpy(dtype=float)[order]
        ks = self.codes.index("KS")
        citywide = systems["name"].isin(ref.CITYWIDE_SYSTEMS).to_numpy() & (owner_idx == ks)
        self.citywide_sys = np.flatnonzero(citywide)
        # the bad release: Skolplattformen (UTBN) after the August 2025 term start
        self.utbn = self.codes.index("UTBN")
        spike_sys = systems.index[(systems["name"] == "Skolplattformen")].to_numpy()
        self.spike_sys = int(spike_sys[0]) if len(spike_sys) else int(order[self.sys_start[self.utbn]])
        spike_label = "2025-08" if "2025-08" in cal.labels else cal.labels[cal.n // 2]
        self.spike_month = cal.labels.index(spike_label)
        self.bad_month = min(5, cal.n - 1)

    def _pick_system(self, rng, comm: np.ndarray) -> np.ndarray:
        n = len(comm)
        u = rng.random(n)
        start, end = self.sys_start[comm], self.sys_start[comm + 1]
        # weighted choice within the committee's block via cumulative weights
        cw = np.cumsum(self.sys_weight)
        base = np.where(start > 0, cw[np.maximum(start - 1, 0)], 0.0)
        total = cw[end - 1] - base
        pos = np.searchsorted(cw, base + u * total, side="right")
        pos = np.minimum(np.maximum(pos, start), end - 1)
        own = self.sys_order[pos]
        use_city = (rng.random(n) < 0.35) & (len(self.citywide_sys) > 0)
        city = self.citywide_sys[rng.integers(0, max(1, len(self.citywide_sys)), n)] if len(self.citywide_sys) else own
        return np.where(use_city, city, own)

    def month(self, m: int, first_number: int):
        """Event-log rows (arrow table) and post-ticket survey answers for incidents opened in month m."""
        cal = self.cal
        rng = np.random.default_rng([self.seed, 101, m])
        t = cal.t[m]
        lam = self.it_users[m] * self.inc_rate * (1 + 0.02 * t) / 12 * SEASON[cal.moy[m] - 1] * self.scale
        counts = rng.poisson(lam)
        comm = np.repeat(np.arange(len(self.codes)), counts)
        spike = np.zeros(len(comm), dtype=bool)
        if m == self.spike_month:
            extra = rng.poisson(2400 * self.scale)
            comm = np.concatenate([comm, np.full(extra, self.utbn)])
            spike = np.concatenate([spike, np.ones(extra, dtype=bool)])
        n = len(comm)
        # opened_at: weekdays busier, office hours
        day = rng.integers(0, cal.days[m], n)
        wd = (cal.starts[m] // 1440 + day + 3) % 7            # 0 = Monday (1970-01-01 was a Thursday)
        move = (wd >= 5) & (rng.random(n) < 0.7)
        day = np.where(move & (wd == 5) & (day > 0), day - 1, day)
        day = np.where(move & (wd == 6) & (day + 1 < cal.days[m]), day + 1, day)
        opened = cal.starts[m] + day * 1440 + rng.choice(24, n, p=HOUR_P) * 60 + rng.integers(0, 60, n)
        # sort by opened time so incident numbers follow opening order
        order = np.argsort(opened, kind="stable")
        comm, spike, opened = comm[order], spike[order], opened[order]

        prio = np.where(spike, rng.choice(4, n, p=SPIKE_PRIORITY_P), rng.choice(4, n, p=PRIORITY_P))
        sla_h = SLA_HOURS[prio]
        slowness = self.sla[comm] * np.exp(self.sla_trend[comm] * t) * np.where(spike, 2.8, 1.0)
        fcr = (prio >= 2) & ~spike & (rng.random(n) < 0.25)
        hours = sla_h * np.exp(rng.normal(-1.12 + np.log(slowness), 0.85))
        hours = np.where(fcr, rng.uniform(0.1, 0.8, n), np.maximum(hours, 0.05))
        res_min = np.maximum(np.round(hours * 60).astype(np.int64), 3)
        resolved = opened + res_min
        closed = resolved + 3 * 1440 + rng.integers(0, 2 * 1440, n)
        awaiting = ~fcr & (rng.random(n) < np.where(res_min > 8 * 60, 0.35, 0.08))
        pattern = np.where(fcr, 0, np.where(awaiting, 2, 1))
        act = opened + np.minimum(rng.integers(2, 90, n), np.maximum(res_min // 3, 1))
        aw_start = act + ((resolved - act) * rng.uniform(0.1, 0.4, n)).astype(np.int64)
        aw_end = aw_start + ((resolved - aw_start) * rng.uniform(0.3, 0.8, n)).astype(np.int64)
        # ServiceNow's verdict: the SLA clock pauses while the incident awaits the user, a vendor or a
        # problem, so made_sla can say "in time" where the calendar hours exceed the agreed time
        paused = np.where(pattern == 2, aw_end - aw_start, 0)
        made_sla_final = res_min - paused <= sla_h * 60
        times = np.stack([opened, act, aw_start, aw_end, resolved, closed], axis=1)

        # expand to events
        n_ev = np.array([3, 4, 6])[pattern]
        inc = np.repeat(np.arange(n), n_ev)
        first = np.cumsum(n_ev) - n_ev
        k = np.arange(len(inc)) - first[inc]
        j = np.where(pattern[inc] == 0, PATTERNS[0][np.minimum(k, 2)],
                     np.where(pattern[inc] == 1, PATTERNS[1][np.minimum(k, 3)], k))
        ev_time = times[inc, j]
        keep = ev_time <= cal.export_end
        inc, k, j, ev_time = inc[keep], k[keep], j[keep], ev_time[keep]
        n_rows = len(inc)

        # per-incident attributes
        iu_idx = rng.integers(0, 3, n)
        iu_idx = np.minimum(iu_idx, np.array([1, 2, 3, 3])[prio] - 1)
        impact_lbl, urgency_lbl, iu_code = [], [], np.zeros(n, dtype=np.int64)
        pairs = [(p, q) for p in range(4) for q in range(len(IMPACT_URGENCY[p]))]
        pair_index = {pq: i for i, pq in enumerate(pairs)}
        for p, q in pairs:
            impact_lbl.append(IMPACT_URGENCY[p][q][0])
            urgency_lbl.append(IMPACT_URGENCY[p][q][1])
        lut = np.array([[pair_index.get((p, q), 0) for q in range(3)] for p in range(4)])
        iu_code = lut[prio, iu_idx]
        has_loc = rng.random(n) < 0.9
        loc = self.loc_start[comm] + (rng.random(n) * (self.loc_start[comm + 1] - self.loc_start[comm])).astype(int)
        group = np.where(has_loc & (rng.random(n) < 0.6), rng.integers(0, len(dims.CENTRAL_GROUPS), n),
                         len(dims.CENTRAL_GROUPS) + comm)
        system = np.where(spike, self.spike_sys, self._pick_system(rng, comm))
        has_ci = spike | (rng.random(n) < 0.7)
        contact = np.where(fcr, rng.choice([0, 3], n, p=[0.9, 0.1]), rng.choice(6, n, p=CONTACT_P))
        category = np.where(spike, 8, rng.choice(len(CATEGORIES), n, p=CATEGORY_P))
        reassign = np.minimum(rng.geometric(np.where(res_min > sla_h * 60, 0.45, 0.7)) - 1, 9)
        reopen = (rng.random(n) < 0.03).astype(np.int64)
        closed_code = rng.choice(4, n, p=CLOSED_P)
        person = rng.integers(1000, 9999, (n, 3))
        bad = np.zeros(n, dtype=bool)
        if m == self.bad_month and n > 0:
            bad[rng.choice(n, min(BAD_PRIORITY_INCIDENTS, n), replace=False)] = True

        # sys_mod_count: cumulative increments of 1..3 per event, starting at 0
        incr = rng.integers(1, 4, n_rows)
        incr[k == 0] = 0
        cs = np.cumsum(incr)
        row_first = np.cumsum(np.bincount(inc, minlength=n)) - np.bincount(inc, minlength=n)
        mod = cs - cs[row_first[inc]]

        state_idx = np.where(j == 2, 4 + (inc % 4), np.array([0, 1, 0, 1, 2, 3])[j])
        states = ["New", "Active", "Resolved", "Closed"] + AWAITING
        is_res = j >= 4
        is_closed = j == 5
        deadline = opened[inc] + (sla_h[inc] * 60).astype(np.int64)
        paused_so_far = np.where(pattern[inc] == 2, np.clip(ev_time - aw_start[inc], 0, paused[inc]), 0)
        made_sla = np.where(is_res, made_sla_final[inc], ev_time - paused_so_far <= deadline)
        numbers = ids("INC", first_number, n, 7).take(pa.array(inc))
        none = np.zeros(n_rows, dtype=bool)

        def person_col(prefix: str, col: int, missing: np.ndarray) -> pa.Array:
            labels = _person_labels(prefix)
            return with_missing(labels.take(pa.array(person[inc, col] - 1000)), missing)

        table = pa.table({
            "source_system": pa.array([SOURCE_SYSTEM] * n_rows, pa.string()),
            "number": numbers,
            "incident_state": take(states, state_idx),
            "active": bool_str(~is_closed),
            "reassignment_count": int_str(np.where(j == 0, 0, reassign[inc])),
            "reopen_count": int_str(np.where(is_res, reopen[inc], 0)),
            "sys_mod_count": int_str(mod),
            "made_sla": bool_str(made_sla),
            "has_breached": pa.array(["?"] * n_rows, pa.string()),   # a task-SLA column; ServiceNow gives made_sla
            "caller_id": person_col("Caller", 0, none),
            "opened_by": person_col("Opened by", 1, none),
            "opened_at": fmt_dayfirst(opened[inc]),
            "sys_created_by": person_col("Created by", 1, none),
            "sys_updated_by": person_col("Updated by", 2, none),
            "sys_updated_at": fmt_dayfirst(ev_time),
            "contact_type": take(CONTACT, contact[inc]),
            "location": with_missing(take(self.loc_labels, loc[inc]), ~has_loc[inc]),
            "category": take(CATEGORIES, category[inc]),
            "cmdb_ci": with_missing(take(self.sys_ids, system[inc]), ~has_ci[inc]),
            "impact": take(impact_lbl, iu_code[inc]),
            "urgency": take(urgency_lbl, iu_code[inc]),
            "priority": with_missing(take(PRIORITIES, prio[inc]), bad[inc]),
            "assignment_group": take(self.group_labels, group[inc]),
            "assigned_to": person_col("Resolver", 2, j == 0),
            "resolved_by": person_col("Resolver", 2, ~is_res),
            "resolved_at": with_missing(fmt_dayfirst(resolved[inc]), ~is_res),
            "closed_code": with_missing(take(CLOSED_CODES, closed_code[inc]), ~is_res),
            "closed_at": with_missing(fmt_dayfirst(closed[inc]), ~is_closed),
        })

        # post-ticket survey (it_support): ~45 % of resolved incidents answer one question
        resolved_in_period = resolved <= cal.export_end
        answer = resolved_in_period & (rng.random(n) < 0.45)
        sat_p = self.support_sat[comm] * np.where(made_sla_final, 1.04, 0.8) * np.where(spike, 0.7, 1.0)
        satisfied = rng.random(n) < np.minimum(sat_p, 0.98)
        low = rng.choice([1, 2, 3], n, p=[0.2, 0.35, 0.45])
        high = rng.choice([4, 5], n, p=[0.55, 0.45])
        ans = np.where(satisfied, high, low)
        sel = np.flatnonzero(answer)
        survey = pd.DataFrame({
            "comm": comm[sel],
            "date": (resolved[sel] // 1440 + rng.integers(0, 3, len(sel))).astype("datetime64[D]"),
            "answer": ans[sel],
        })
        survey = survey[survey["date"] <= np.datetime64(cal.export_end // 1440, "D")]
        return table, n, survey


def sla_table() -> pd.DataFrame:
    """The agreed resolution times (source incident_sla): calendar hours per priority since 2013."""
    return pd.DataFrame({"priority": PRIORITIES, "resolve_hours": SLA_HOURS, "calendar": "24x7",
                         "business_day_start": "", "business_day_end": "", "valid_from": SLA_VALID_FROM,
                         "valid_to": ""})


def write_incidents(path: Path, model: IncidentModel) -> tuple[Path, int, int, pd.DataFrame]:
    """Write the event log month by month; returns (path, incidents, rows, it_support survey base)."""
    out = ArrowCsvAppender(path, COLUMNS)
    number = 10001
    surveys = []
    try:
        for m in range(model.cal.n):
            table, n, survey = model.month(m, number)
            number += n
            out.write(table)
            surveys.append(survey)
    finally:
        out.close()
    return path, number - 10001, out.rows, pd.concat(surveys, ignore_index=True)
