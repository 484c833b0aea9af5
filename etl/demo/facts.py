"""Demo facts other than incidents: headcount, costs (ledger, operating costs), outages, system usage,
licences, e-service transactions and reviews, surveys. All vectorised with numpy/pandas."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from . import dims
from . import reference as ref
from .writers import append_lines_cp1252, bool_str, decimal_comma, fmt_iso, ids


def _logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p):
    return np.log(p / (1 - p))


def _prof(key: str) -> np.ndarray:
    return np.array([ref.profile(c)[key] for c in dims.CODES], dtype=float)


# ---- headcount and IT users -----------------------------------------------------------------

USER_RATIO = {"district_council": 0.9, "specialist_committee": 0.95, "company": 1.05}


def headcount(rng: np.random.Generator, cal: dims.Calendar) -> tuple[pd.DataFrame, np.ndarray]:
    """it_users frame and the IT-user matrix [month, committee]."""
    hc0 = np.array([dims.HEADCOUNT[c] for c in dims.CODES], dtype=float)
    ratio = np.array([USER_RATIO[dims.KIND[c]] for c in dims.CODES])
    ratio = np.where(np.array(dims.CODES) == "UTBN", 0.97, ratio)
    growth = (1 + 0.008 * cal.t)[:, None]
    hc = np.round(hc0[None, :] * growth * rng.normal(1, 0.004, (cal.n, len(hc0)))).astype(np.int64)
    users = np.round(hc * ratio[None, :] * rng.normal(1, 0.006, hc.shape)).astype(np.int64)
    frame = pd.DataFrame({
        "month": np.repeat(cal.labels, len(hc0)),
        "committee_code": np.tile(dims.CODES, cal.n),
        "it_users": users.ravel(),
        "headcount": hc.ravel(),
    })
    return frame, users


# ---- IT cost ledger and operating costs ---------------------------------------------------------

COST_SEASON = np.array([0.85, 0.95, 1.0, 1.0, 1.0, 1.0, 0.7, 0.85, 1.05, 1.05, 1.1, 1.45])
COST_SEASON = COST_SEASON / COST_SEASON.mean()
OP_SEASON = np.array([1.0, 0.97, 1.0, 1.0, 1.0, 1.02, 0.85, 0.95, 1.02, 1.03, 1.03, 1.13])
OP_SEASON = OP_SEASON / OP_SEASON.mean()
LEDGER_COLUMNS = ["line_id", "month", "committee_code", "account", "text", "amount_sek", "supplier_type",
                  "cost_class", "system_id", "project_id"]
BAD_LEDGER_CODE = "VANTOR"   # the old Vantör district (merged 2007) still used on a couple of lines


def cost_plan(rng: np.random.Generator, cal: dims.Calendar, users: np.ndarray):
    """Monthly planned IT cost [month, committee], renewal share and operating cost."""
    n_c = len(dims.CODES)
    cost_user = _prof("cost_user")
    infl = (1.025 ** cal.t)[:, None]
    smooth = users * cost_user[None, :] * infl / 12.0
    it_cost = smooth * COST_SEASON[cal.moy - 1][:, None] * rng.normal(1, 0.03, (cal.n, n_c))
    years = np.unique(cal.years)
    yi = cal.years - years[0]
    share_y = (_prof("it_share")[None, :] + _prof("it_share_drift")[None, :] * (years - 2020)[:, None]
               + rng.normal(0, 0.12, (len(years), n_c)))
    share = np.clip(share_y[yi], 0.5, 20) / 100.0
    operating = smooth / share * OP_SEASON[cal.moy - 1][:, None] * rng.normal(1, 0.01, (cal.n, n_c))
    renew_y = np.clip(_prof("renewal")[None, :] + _prof("renewal_trend")[None, :] * (years - 2020)[:, None]
                      + rng.normal(0, 0.015, (len(years), n_c)), 0.05, 0.6)
    renewal = renew_y[yi]
    return it_cost, renewal, operating


def operating_costs(cal: dims.Calendar, operating: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({
        "month": np.repeat(cal.labels, len(dims.CODES)),
        "committee_code": np.tile(dims.CODES, cal.n),
        "amount_sek": np.round(operating.ravel(), 2),
    })


def write_ledger(path: Path, seed: int, cal: dims.Calendar, it_cost: np.ndarray, renewal: np.ndarray,
                 systems: pd.DataFrame, project_spend: pd.DataFrame, scale: float) -> tuple[Path, int]:
    """Ledger lines month by month (so scale 100 stays in memory); `;` cp1252 decimal comma."""
    cats = ref.LEDGER_CATEGORIES
    n_cat = len(cats)
    base_share = np.array([c[3] for c in cats])
    cls = np.array([c[2] for c in cats])
    run = cls == "run"
    codes = np.array(dims.CODES, dtype=object)
    n_c = len(codes)
    hc = np.array([dims.HEADCOUNT[c] for c in dims.CODES], dtype=float)
    base_lines = 15 + hc / 45.0
    short = np.array([dims.SHORT[c] for c in dims.CODES], dtype=object)
    sys_owner = pd.Categorical(systems["owner_committee"], categories=dims.CODES).codes
    sys_order = np.argsort(sys_owner, kind="stable")
    sys_start = np.searchsorted(sys_owner[sys_order], np.arange(n_c + 1))
    sys_ids = systems["system_id"].to_numpy(dtype=object)[sys_order]
    # text lookup: index (cat * 3 + variant) * n_committees + committee
    text_lut = pa.array([f"{c[4][v % len(c[4])]} – {dims.SHORT[code]}" for c in cats for v in range(3)
                         for code in dims.CODES])

    spend = project_spend.copy() if project_spend is not None and len(project_spend) else None
    if spend is not None:
        spend = spend[spend["month"].isin(cal.labels) & spend["committee_code"].isin(dims.CODES)]
        spend = spend[spend["amount_sek"] != 0]
        spend["m"] = spend["month"].map({lbl: i for i, lbl in enumerate(cal.labels)})
        spend["c"] = pd.Categorical(spend["committee_code"], categories=dims.CODES).codes
        spend = spend.sort_values(["m", "c", "project_id"], kind="stable")
        spend_groups = dict(tuple(spend.groupby("m", sort=True)))
    else:
        spend_groups = {}

    total_rows = 0
    bad_month = cal.n // 3
    for m in range(cal.n):
        rng = np.random.default_rng([seed, 201, m])
        r = renewal[m]
        shares = np.where(run[None, :], base_share[None, :] * (1 - r[:, None]) / base_share[run].sum(),
                          base_share[None, :] * r[:, None] / base_share[~run].sum())   # [committee, cat]
        amount_cat = it_cost[m][:, None] * shares
        proj = spend_groups.get(m)
        if proj is not None:
            # project spend is part of the committee's grow/transform cost, not on top of it
            per_c = np.bincount(proj["c"].to_numpy(), weights=proj["amount_sek"].to_numpy(), minlength=n_c)
            gt = amount_cat[:, ~run].sum(axis=1)
            factor = np.clip(1 - per_c / np.maximum(gt, 1), 0.1, 1.0)
            amount_cat[:, ~run] *= factor[:, None]
        extra = rng.poisson(base_lines * scale)
        n_lines = n_cat + extra
        comm = np.repeat(np.arange(n_c), n_lines)
        first = np.cumsum(n_lines) - n_lines
        k = np.arange(len(comm)) - first[comm]
        p = shares / shares.sum(axis=1, keepdims=True)
        cum = np.cumsum(p, axis=1)
        rand_cat = (rng.random(len(comm))[:, None] > cum[comm]).sum(axis=1)
        cat = np.where(k < n_cat, k, np.minimum(rand_cat, n_cat - 1))
        w = rng.lognormal(0.0, 1.0, len(comm))
        grp = comm * n_cat + cat
        gsize = np.bincount(grp, minlength=n_c * n_cat)
        credit = (k >= n_cat) & (gsize[grp] >= 3) & (rng.random(len(comm)) < 0.008)
        w = np.where(credit, -0.15 * w, w)
        wsum = np.bincount(grp, weights=w, minlength=n_c * n_cat)
        amount = amount_cat[comm, cat] * w / wsum[grp]
        with_sys = np.isin(cat, [1, 2]) & (rng.random(len(comm)) < 0.45)
        s_lo, s_hi = sys_start[comm], sys_start[comm + 1]
        s_pos = s_lo + (rng.random(len(comm)) * (s_hi - s_lo)).astype(int)
        system = np.where(with_sys & (s_hi > s_lo), sys_ids[np.minimum(s_pos, len(sys_ids) - 1)], "")
        text_idx = rng.integers(0, 3, len(comm))
        text = text_lut.take(pa.array((cat * 3 + text_idx) * n_c + comm))
        account = np.array([c[0] for c in cats], dtype=object)[cat]
        supplier = np.array([c[1] for c in cats], dtype=object)[cat]
        cclass = cls[cat].astype(object)
        committee = codes[comm]
        project = np.full(len(comm), "", dtype=object)
        amounts = np.round(amount, 2)
        if proj is not None:
            pcode = proj["committee_code"].to_numpy(dtype=object)
            pid = proj["project_id"].to_numpy(dtype=object)
            ptext = np.array([f"Projekt {a} – portföljmedel, {dims.SHORT[b]}" for a, b in zip(pid, pcode)],
                             dtype=object)
            committee = np.concatenate([committee, pcode])
            account = np.concatenate([account, np.where(proj["supplier_type"].to_numpy() == "internal", "6541",
                                                        "6550").astype(object)])
            text = pa.concat_arrays([text, pa.array(ptext, pa.string())])
            amounts = np.concatenate([amounts, np.round(proj["amount_sek"].to_numpy(dtype=float), 2)])
            supplier = np.concatenate([supplier, proj["supplier_type"].to_numpy(dtype=object)])
            cclass = np.concatenate([cclass, proj["cost_class"].to_numpy(dtype=object)])
            system = np.concatenate([system, np.full(len(proj), "", dtype=object)])
            project = np.concatenate([project, pid])
        if m == bad_month:
            committee = np.concatenate([committee, [BAD_LEDGER_CODE, BAD_LEDGER_CODE]])
            account = np.concatenate([account, ["6230", "6570"]])
            text = pa.concat_arrays([text, pa.array(["Datakommunikation – Vantör (gammal kod)",
                                                     "Licenser – Vantör (gammal kod)"])])
            amounts = np.concatenate([amounts, [18450.0, 7320.5]])
            supplier = np.concatenate([supplier, ["external", "external"]])
            cclass = np.concatenate([cclass, ["run", "run"]])
            system = np.concatenate([system, ["", ""]])
            project = np.concatenate([project, ["", ""]])
        n_out = len(committee)
        label = cal.labels[m]
        cols = {
            "line_id": ids(label.replace("-", "") + "-", 1, n_out, 7),
            "month": pa.array(np.full(n_out, label, dtype=object), pa.string()),
            "committee_code": pa.array(committee, pa.string()),
            "account": pa.array(account, pa.string()),
            "text": text,
            "amount_sek": decimal_comma(amounts),
            "supplier_type": pa.array(supplier, pa.string()),
            "cost_class": pa.array(cclass, pa.string()),
            "system_id": pa.array(system, pa.string()),
            "project_id": pa.array(project, pa.string()),
        }
        total_rows += n_out
        append_lines_cp1252(path, cols, header=m == 0)
    return path, total_rows


# ---- outages -----------------------------------------------------------------------------------

def outages(rng: np.random.Generator, cal: dims.Calendar, systems: pd.DataFrame) -> pd.DataFrame:
    n_s = len(systems)
    owner = pd.Categorical(systems["owner_committee"], categories=dims.CODES).codes
    avail, trend = _prof("avail")[owner], _prof("avail_trend")[owner]
    critical = systems["critical"].to_numpy(dtype=bool)
    hours = systems["agreed_hours_per_week"].to_numpy(dtype=float)
    always = hours >= 168
    # base unavailability 0.4 % (99.6 %), non-critical systems are watched less closely
    unavail = 0.004 * avail[None, :] * np.exp(trend[None, :] * cal.t[:, None]) * np.where(critical, 1.0, 1.6)
    sys_quality = rng.lognormal(0, np.where(critical, 0.12, 0.35))
    unavail = unavail * sys_quality[None, :]
    month_hours = cal.days[:, None] * 24 * hours[None, :] / 168.0
    lam = 1.6 * np.sqrt(np.maximum(avail, 0.2))[None, :] * np.ones((cal.n, 1))
    counts = rng.poisson(lam)
    mi, si = np.nonzero(counts)
    reps = counts[mi, si]
    mi, si = np.repeat(mi, reps), np.repeat(si, reps)
    # the month's downtime budget (mildly noisy) is split over that month's outages, so the
    # committee's availability follows its profile rather than the luck of the outage count
    budget = month_hours * unavail / (1 - np.exp(-lam)) * rng.gamma(4.0, 0.25, lam.shape) * 60.0  # minutes
    cell = mi * n_s + si
    w = rng.gamma(1.0, 1.0, len(mi))
    wsum = np.bincount(cell, weights=w, minlength=cal.n * n_s)
    dur = np.maximum(np.round(budget[mi, si] * w / wsum[cell]), 1).astype(np.int64)
    day = (rng.random(len(mi)) * cal.days[mi]).astype(np.int64)
    start_day = cal.starts[mi] // 1440 + day
    wd = (start_day + 3) % 7
    office = ~always[si]
    start_day = np.where(office & (wd == 5), start_day - 1, np.where(office & (wd == 6), start_day - 2, start_day))
    start_day = np.maximum(start_day, cal.starts[mi] // 1440)
    minute = np.where(office, 7 * 60 + rng.integers(0, 10 * 60, len(mi)), rng.integers(0, 1440, len(mi)))
    start = start_day * 1440 + minute
    unplanned = pd.DataFrame({"s": si, "start": start, "end": start + dur, "planned": False})

    # planned maintenance: Sunday night windows, about one a month per system
    pc_ = rng.poisson(0.8, (cal.n, n_s))
    pm, ps = np.nonzero(pc_)
    reps = pc_[pm, ps]
    pm, ps = np.repeat(pm, reps), np.repeat(ps, reps)
    first_day = cal.starts[pm] // 1440
    first_sunday = first_day + (6 - (first_day + 3) % 7) % 7
    week = rng.integers(0, 4, len(pm))
    p_start = (first_sunday + 7 * week) * 1440 + 60 + rng.integers(0, 180, len(pm))
    p_dur = rng.choice([60, 120, 180, 240], len(pm))
    planned = pd.DataFrame({"s": ps, "start": p_start, "end": p_start + p_dur, "planned": True})

    frame = pd.concat([unplanned, planned], ignore_index=True)
    frame = frame[frame["start"] < cal.export_end - 300].sort_values(["start", "s"], kind="stable")
    frame = frame.reset_index(drop=True)
    sys_ids = pa.array(systems["system_id"].to_numpy(dtype=object), pa.string())
    return pa.table({
        "outage_id": ids("OUT", 1, len(frame), 7),
        "system_id": sys_ids.take(pa.array(frame["s"].to_numpy())),
        "started_at": fmt_iso(frame["start"].to_numpy()),
        "ended_at": fmt_iso(frame["end"].to_numpy()),
        "planned": bool_str(frame["planned"].to_numpy(dtype=bool)),
    })


# ---- system usage ---------------------------------------------------------------------------------

USAGE_SEASON = np.array([1.0, 1.0, 1.0, 0.99, 0.99, 0.97, 0.8, 0.93, 1.0, 1.0, 1.0, 0.96])


def system_usage(rng: np.random.Generator, cal: dims.Calendar, systems: pd.DataFrame) -> pa.Table:
    key = systems[systems["key_system"]].reset_index(drop=True)
    owner = pd.Categorical(key["owner_committee"], categories=dims.CODES).codes
    intended = key["intended_users"].to_numpy(dtype=float)
    adoption = _prof("adoption")[owner]
    sys_eff = rng.normal(0, 0.03, len(key))
    rate = (adoption[None, :] + sys_eff[None, :] + 0.006 * cal.t[:, None]) * USAGE_SEASON[cal.moy - 1][:, None]
    rate = np.clip(rate * rng.normal(1, 0.015, rate.shape), 0.05, 1.0)
    active = np.minimum(np.round(intended[None, :] * rate), intended[None, :]).astype(np.int64)
    return pa.table({
        "month": pa.array(np.repeat(cal.labels, len(key))),
        "system_id": pa.array(np.tile(key["system_id"].to_numpy(dtype=object), cal.n)),
        "active_users_30d": pa.array(active.ravel()),
    })


# ---- licences ------------------------------------------------------------------------------------

def licences(rng: np.random.Generator, cal: dims.Calendar, users: np.ndarray) -> pd.DataFrame:
    util = _prof("licence_util")
    rows_c, rows_p, share, factor = [], [], [], []
    for ci, code in enumerate(dims.CODES):
        for pi, (product, s, who) in enumerate(ref.LICENCE_PRODUCTS):
            if who is None or code in who:
                rows_c.append(ci)
                rows_p.append(pi)
                share.append(s)
                factor.append(0.88 if product in ("Microsoft Visio", "Microsoft Project", "Adobe Acrobat Pro",
                                                  "Zoom Workplace") else 1.0)
    rows_c, rows_p = np.array(rows_c), np.array(rows_p)
    share, factor = np.array(share), np.array(factor)
    growth = (1 + 0.02 * cal.t)[:, None]
    paid = np.maximum(np.round(users[:, rows_c] * share[None, :] * growth * rng.normal(1, 0.01, (cal.n, len(rows_c)))), 1)
    u = np.clip((util[rows_c][None, :] + 0.004 * cal.t[:, None]) * factor[None, :]
                + rng.normal(0, 0.012, paid.shape), 0.2, 1.0)
    used = rng.binomial(paid.astype(np.int64), u)
    products = np.array([p for p, _s, _w in ref.LICENCE_PRODUCTS], dtype=object)
    return pd.DataFrame({
        "month": np.repeat(cal.labels, len(rows_c)),
        "committee_code": np.tile(np.array(dims.CODES, dtype=object)[rows_c], cal.n),
        "product": np.tile(products[rows_p], cal.n),
        "paid": paid.astype(np.int64).ravel(),
        "used_90d": used.astype(np.int64).ravel(),
    })


# ---- e-service transactions and reviews ----------------------------------------------------------

TX_SEASON = np.array([1.1, 1.05, 1.05, 1.0, 1.0, 0.95, 0.55, 0.9, 1.05, 1.05, 1.0, 0.8])
CHANNELS = ["digital", "phone", "visit", "paper"]


def eservice_transactions(rng: np.random.Generator, cal: dims.Calendar, es: pd.DataFrame, scale: float):
    """Transactions frame plus the digital volume matrix [month, e-service] (for the exit survey)."""
    owner = pd.Categorical(es["owner_committee"], categories=dims.CODES).codes
    n_e = len(es)
    e_off = rng.normal(0, 0.45, n_e)
    s_off = rng.normal(0, 0.3, n_e)
    vol = dims.ESERVICE_VOLUME[None, :] * (1 + 0.03 * cal.t)[:, None] * TX_SEASON[cal.moy - 1][:, None] * scale
    total = rng.poisson(vol * rng.lognormal(0, 0.05, vol.shape))
    d_share = _logistic(_logit(0.38) + 0.3 * cal.t[:, None] + _prof("digital")[owner][None, :] + e_off[None, :])
    digital = rng.binomial(total, d_share)
    rest = total - digital
    paper_w = 0.3 * np.exp(-0.15 * cal.t)[:, None] * np.ones((1, n_e))
    pv = np.stack([0.5 * np.ones_like(paper_w), 0.2 * np.ones_like(paper_w), paper_w], axis=-1)
    pv = pv / pv.sum(axis=-1, keepdims=True)
    other = rng.multinomial(rest, pv)                                        # [month, e-service, 3]
    stp = _logistic(_logit(0.30) + 0.25 * cal.t[:, None] + _prof("stp")[owner][None, :] + s_off[None, :])
    straight = rng.binomial(digital, stp)
    counts = np.concatenate([digital[..., None], other], axis=-1)           # [month, e-service, channel]
    n_rows = cal.n * n_e * 4
    st = np.full((cal.n, n_e, 4), -1, dtype=np.int64)
    st[..., 0] = straight
    frame = pd.DataFrame({
        "month": np.repeat(cal.labels, n_e * 4),
        "eservice_id": np.tile(np.repeat(es["eservice_id"].to_numpy(dtype=object), 4), cal.n),
        "channel": np.tile(CHANNELS, cal.n * n_e),
        "completed": counts.reshape(n_rows),
        "straight_through": pd.array(st.reshape(n_rows), dtype="Int64"),
    })
    frame.loc[frame["straight_through"] < 0, "straight_through"] = pd.NA
    return frame, digital


def eservice_reviews(rng: np.random.Generator, cal: dims.Calendar, es: pd.DataFrame) -> pd.DataFrame:
    cols = ["online_end_to_end", "eid_login", "mobile_friendly", "prefilled_data", "status_visible",
            "handling_time_shown", "help_available"]
    base = np.array([0.5, 0.72, 0.58, 0.3, 0.36, 0.25, 0.8])
    owner = pd.Categorical(es["owner_committee"], categories=dims.CODES).codes
    quality = 0.08 * _prof("digital")[owner] + rng.normal(0, 0.08, len(es))
    u = rng.random((len(es), len(cols)))
    years = np.unique(cal.years)
    rows = []
    for y in years:
        p = base[None, :] + quality[:, None] + 0.055 * (y - 2020)
        rows.append(pd.DataFrame(u < p, columns=cols).assign(year=int(y), eservice_id=es["eservice_id"].to_numpy()))
    frame = pd.concat(rows, ignore_index=True)
    return frame[["year", "eservice_id"] + cols]


# ---- surveys -------------------------------------------------------------------------------------

def _answers(rng, p_sat: np.ndarray) -> np.ndarray:
    n = len(p_sat)
    satisfied = rng.random(n) < np.clip(p_sat, 0.02, 0.98)
    return np.where(satisfied, rng.choice([4, 5], n, p=[0.55, 0.45]), rng.choice([1, 2, 3], n, p=[0.2, 0.35, 0.45]))


def _dates_in_month(rng, cal: dims.Calendar, m: np.ndarray) -> np.ndarray:
    day = (rng.random(len(m)) * cal.days[m]).astype(np.int64)
    return (cal.starts[m] // 1440 + day).astype("datetime64[D]")


SURVEY_SCHEMA = pa.schema([("survey_kind", pa.string()), ("response_id", pa.string()),
                           ("committee_code", pa.string()), ("response_date", pa.date32()),
                           ("question_id", pa.string()), ("answer", pa.int64()), ("eservice_id", pa.string())])


_HEX = pa.array([f"{i:02x}" for i in range(256)])


def _opaque_ids(n: np.ndarray) -> pa.Array:
    """10 hex digits from a bijection of [0, 2**40) (multiplication by an odd constant, mod 2**40),
    so ids are unique but carry no order or meaning."""
    x = (n.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) & np.uint64((1 << 40) - 1)
    parts = [_HEX.take(pa.array(((x >> np.uint64(8 * b)) & np.uint64(255)).astype(np.int64)))
             for b in range(4, -1, -1)]
    import pyarrow.compute as pc

    return pc.binary_join_element_wise(*parts, "")


class _SurveyWriter:
    """Streams survey parts into one Parquet file; response ids are opaque and unique per kind
    (a bijection of a running number, so no personal data can be read from them)."""

    def __init__(self, path: Path, salt: int = 0):
        import pyarrow.parquet as pq

        self._salt = salt % (1 << 32)
        self._writer = pq.ParquetWriter(str(path), SURVEY_SCHEMA, compression="zstd")
        self._counters: dict[str, int] = {}
        self.rows = 0

    def add(self, kind: str, comm: np.ndarray, dates: np.ndarray, question, answers: np.ndarray,
            resp: np.ndarray | None = None, eservice: np.ndarray | None = None) -> None:
        import pyarrow.compute as pc

        n = len(answers)
        if n == 0:
            return
        resp = np.arange(n) if resp is None else resp
        start = self._counters.get(kind, 0)
        self._counters[kind] = start + int(resp.max()) + 1
        rid = _opaque_ids(resp.astype(np.uint64) + np.uint64(start) + np.uint64(self._salt))
        codes = pa.array(dims.CODES).take(pa.array(comm.astype(np.int64)))
        qs = pa.array(question if not isinstance(question, str) else np.full(n, question, dtype=object), pa.string())
        es = pa.nulls(n, pa.string()) if eservice is None else pa.array(eservice, pa.string())
        table = pa.table([pa.array(np.full(n, kind, dtype=object), pa.string()), rid, codes,
                          pa.array(dates.astype("datetime64[D]"), pa.date32()), qs,
                          pa.array(answers.astype(np.int64)), es], schema=SURVEY_SCHEMA)
        self._writer.write_table(table, row_group_size=2_000_000)
        self.rows += n

    def close(self) -> None:
        self._writer.close()


def write_surveys(path: Path, seed: int, cal: dims.Calendar, es: pd.DataFrame, digital: np.ndarray,
                  support: pd.DataFrame, scale: float) -> tuple[Path, int]:
    hc = np.array([dims.HEADCOUNT[c] for c in dims.CODES], dtype=float)
    owner = pd.Categorical(es["owner_committee"], categories=dims.CODES).codes
    es_ids = es["eservice_id"].to_numpy(dtype=object)
    out = _SurveyWriter(path, salt=seed * 7_368_787)
    try:
        # e-service exit survey: a share of digital errands answer one question (one part per year)
        cap = int(np.ceil(120 * scale))
        for y in np.unique(cal.years):
            rng = np.random.default_rng([seed, 301, int(y)])
            ms = np.flatnonzero(cal.years == y)
            n_resp = np.minimum(rng.poisson(digital[ms] * 0.05), cap)
            mi, ei = np.nonzero(n_resp)
            reps = n_resp[mi, ei]
            mi, ei = np.repeat(ms[mi], reps), np.repeat(ei, reps)
            p = _prof("eservice_sat")[owner[ei]] + 0.008 * cal.t[mi]
            out.add("eservice_exit", owner[ei], _dates_in_month(rng, cal, mi), "Q1", _answers(rng, p),
                    eservice=es_ids[ei])

        # staff survey in October, question I2 "the IT support helps me work efficiently"
        for m in np.flatnonzero(cal.moy == 10):
            rng = np.random.default_rng([seed, 302, int(m)])
            y = cal.years[m]
            ci = np.repeat(np.arange(len(hc)), rng.poisson(hc * 0.22 * scale))
            p = _prof("staff_sat")[ci] + _prof("staff_trend")[ci] * (y - 2020)
            out.add("staff_it", ci, _dates_in_month(rng, cal, np.full(len(ci), m)), "I2", _answers(rng, p))

        # digital competence survey in April: five competence areas Q1..Q5, self-assessed level 1-5
        offsets = np.array([0.25, 0.0, -0.2, 0.1, -0.3])
        for m in np.flatnonzero(cal.moy == 4):
            rng = np.random.default_rng([seed, 303, int(m)])
            ci = np.repeat(np.arange(len(hc)), rng.poisson(hc * 0.12 * scale))
            level = rng.normal(_prof("competence")[ci] + _prof("comp_trend")[ci] * cal.t[m], 0.7)
            ans = np.clip(np.round(level[:, None] + offsets[None, :] + rng.normal(0, 0.55, (len(ci), 5))), 1, 5)
            dates = _dates_in_month(rng, cal, np.full(len(ci), m))
            out.add("digital_competence", np.repeat(ci, 5), np.repeat(dates, 5),
                    np.tile(np.array([f"Q{i}" for i in range(1, 6)], dtype=object), len(ci)),
                    ans.astype(np.int64).ravel(), resp=np.repeat(np.arange(len(ci)), 5))

        # post-ticket survey (answers drawn by the incident model)
        out.add("it_support", support["comm"].to_numpy(), support["date"].to_numpy(), "Q1",
                support["answer"].to_numpy())
    finally:
        out.close()
    return path, out.rows
