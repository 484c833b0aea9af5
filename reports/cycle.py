"""The follow-up cycle joined to the warehouse: what followup.cycle needs to know from the figures
(which measures are red; the report data to freeze at a close) and which report data a period has
(live, or the snapshot once the period is closed).

Used by the app (ui/cycle_panel.py), `python -m reports` and `python -m followup close`."""
from __future__ import annotations

from followup import cycle as C
from followup.identity import Identity
from followup.store import Store, get_store
from metrics import query
from metrics.warehouse import Warehouse
from reports import model

GRAIN = model.GRAIN


def red_measures(wh: Warehouse, committee: str, period: str) -> list[str]:
    sc = query.scorecard(wh, committee, GRAIN, period)
    return sc.loc[sc["status"] == "red", "measure_id"].tolist()


def live_report(wh: Warehouse, committee: str, period: str, store: Store | None = None,
                ctx: model.WarehouseContext | None = None) -> dict:
    return model.committee_report(wh, committee, period, C.StoreCycle(store or get_store()), ctx=ctx)


def report(wh: Warehouse, committee: str, period: str, store: Store | None = None, *, live: bool = False,
           ctx: model.WarehouseContext | None = None) -> dict:
    """The report data of a committee and period: the frozen snapshot once the period is closed (unless
    `live`), else the warehouse's figures with the store's analyses, actions and approval."""
    store = store or get_store()
    if not live:
        frozen = C.snapshot(committee, period, store)
        if frozen is not None:
            return frozen
    return live_report(wh, committee, period, store, ctx)


def submit(identity: Identity, wh: Warehouse, committee: str, period: str, store: Store | None = None, **kw) -> dict:
    """Submit with the committee's red measures taken from the warehouse (not from the caller)."""
    return C.submit(identity, committee, period, red_measures(wh, committee, period), store=store or get_store(), **kw)


def close(identity: Identity, wh: Warehouse, period: str, store: Store | None = None, progress=None) -> dict:
    """Close `period`: freeze every committee's report data (figures of the published warehouse now,
    analyses, actions, approval) and record the close. Administrators only (checked by followup.cycle)."""
    from followup.identity import check

    store = store or get_store()
    check(identity, "period.close")
    if hasattr(wh, "pin"):
        wh = wh.pin()  # every committee's snapshot from one published version, even if a load publishes meanwhile
    ctx = model.WarehouseContext(wh, period)
    codes = ctx.codes()
    snapshots = {}
    for code in codes:
        snapshots[code] = live_report(wh, code, period, store, ctx)
        if progress:
            progress(code)
    return C.close_period(identity, period, snapshots, ctx.version, store=store)


def close_published(identity: Identity, period: str, store: Store | None = None) -> dict:
    """close() on the published warehouse (settings.warehouse_path()): `python -m followup close`."""
    from metrics.warehouse import WarehouseMissing

    wh = Warehouse()
    if not wh.available:
        raise WarehouseMissing(f"no warehouse at {wh.path}")
    return close(identity, wh, period, store)


def changes_since_close(frozen: dict | None, live: dict) -> list[dict]:
    """Measures whose value or status differs between a closed period's snapshot and the live figures:
    [{measure_id, name_sv, name_en, unit, old_value, new_value, old_status, new_status}]."""
    if not frozen:
        return []
    old = {m["measure_id"]: m for m in frozen["measures"]}
    out = []
    for m in live["measures"]:
        o = old.get(m["measure_id"])
        if o is None:
            continue
        ov, nv = o.get("value"), m.get("value")
        same_value = (ov is None and nv is None) or (ov is not None and nv is not None and abs(ov - nv) <= 1e-9 * max(1.0, abs(ov)))
        if not same_value or o.get("status") != m.get("status"):
            out.append({"measure_id": m["measure_id"], "name_sv": m["name_sv"], "name_en": m["name_en"], "unit": m["unit"],
                        "old_value": ov, "new_value": nv, "old_status": o.get("status"), "new_status": m.get("status")})
    return out
