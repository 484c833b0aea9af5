"""Target changes made by administrators in the app (with a reason), kept in the follow-up store.

How a change reaches the measures: every publish of the warehouse (pipeline.publish) copies the
store's current target changes into the warehouse table `store_targets`, and the measure build
takes, per committee, year and measure, the most recent of the loaded target file (`targets`,
contract target_overrides) and the store's change (by changed_at). An administrator's change in the
app is followed by a publish (followup.targets.publish_now, the "Publicera nu" action), so the
scorecards show it at once; otherwise the next load applies it. Withdrawing a change returns the
target to the file's or the declared value at the next publish.
"""
from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Iterable

import pandas as pd

from followup.identity import Identity
from followup.models import TargetChange
from followup.store import Store, get_store

COLUMNS = ["entity_id", "committee_code", "year", "measure_id", "target", "red_threshold", "changed_by",
           "changed_by_name", "changed_at", "reason", "version"]
MAX_REASON = 2000


class TargetError(ValueError):
    """Invalid target change; `problems` is a list of (code, message), translated as
    `followup.target.error.<code>`."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(m for _, m in problems))


def validate(committee_code, year, measure_id, target, red_threshold, reason, *,
             committees: Iterable[str] | None = None, directions: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """Problems with a change. `committees` (known codes) and `directions` (measure → higher/lower/band)
    come from the warehouse through the caller; when given they are checked."""
    problems = []
    if not committee_code or (committees is not None and committee_code not in set(committees)):
        problems.append(("unknown_committee", f"Unknown committee {committee_code!r}."))
    direction = None
    if directions is not None:
        direction = directions.get(measure_id)
        if direction is None:
            problems.append(("unknown_measure", f"Unknown measure {measure_id!r}."))
        elif direction == "band":
            problems.append(("band_measure", f"{measure_id} is scored against a band, not a target."))
    elif not measure_id:
        problems.append(("unknown_measure", "Choose a measure."))
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        problems.append(("bad_year", f"The year must be 2000–2100 (got {year!r})."))
    nums = []
    for name, v in (("target", target), ("red_threshold", red_threshold)):
        try:
            f = float(v)
        except (TypeError, ValueError):
            f = math.nan
        if not math.isfinite(f):
            problems.append((f"bad_{name}", f"The {name.replace('_', ' ')} is not a number."))
        nums.append(f)
    if all(math.isfinite(n) for n in nums) and direction in ("higher", "lower"):
        t, r = nums
        if (direction == "higher" and r > t) or (direction == "lower" and r < t):
            problems.append(("threshold_side", f"For a measure where {direction} is better, the red threshold "
                                               f"must be on the worse side of the target."))
    if reason is None or not str(reason).strip():
        problems.append(("empty_reason", "Say why the target is changed."))
    elif len(str(reason)) > MAX_REASON:
        problems.append(("long_reason", f"The reason is longer than {MAX_REASON} characters."))
    return problems


def change_target(identity: Identity, committee_code: str, year: int, measure_id: str, target: float,
                  red_threshold: float, reason: str, *, committees: Iterable[str] | None = None,
                  directions: dict[str, str] | None = None, store: Store | None = None,
                  now: datetime | None = None, request_id: str | None = None) -> dict:
    """Record a target (admin only: targets.change). One entity per (committee, year, measure): a later
    change of the same key is a new version of it. Raises PermissionDenied / TargetError."""
    store = store or get_store()
    problems = validate(committee_code, year, measure_id, target, red_threshold, reason,
                        committees=committees, directions=directions)
    if problems:
        from followup.identity import check

        check(identity, "targets.change")  # a reader learns that they may not, not what is wrong
        raise TargetError(problems)
    fields = {"committee_code": committee_code, "year": int(year), "measure_id": measure_id,
              "target": float(target), "red_threshold": float(red_threshold)}
    existing = store.current(TargetChange, where=(TargetChange.committee_code == committee_code)
                             & (TargetChange.year == int(year)) & (TargetChange.measure_id == measure_id))
    kwargs = dict(reason=str(reason).strip(), permission="targets.change", request_id=request_id, now=now)
    if existing.empty:
        row = store.append(TargetChange, identity, fields, **kwargs)
    else:
        row = store.append(TargetChange, identity, fields, entity_id=int(existing.entity_id.iloc[-1]),
                           change="edit", **kwargs)
    return row


def withdraw_target(identity: Identity, entity_id: int, reason: str, *, store: Store | None = None,
                    now: datetime | None = None) -> dict:
    """Withdraw a target change: the declared or loaded target applies again from the next publish."""
    if reason is None or not str(reason).strip():
        raise TargetError([("empty_reason", "Say why the target change is withdrawn.")])
    return (store or get_store()).append(TargetChange, identity, {}, entity_id=int(entity_id), change="withdraw",
                                         reason=str(reason).strip(), permission="targets.change", now=now)


def current_targets(store: Store | None = None) -> pd.DataFrame:
    """The store's current target changes (COLUMNS), by committee, year and measure."""
    df = (store or get_store()).current(TargetChange)
    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
    out = pd.DataFrame({"entity_id": df.entity_id, "committee_code": df.committee_code, "year": df.year,
                        "measure_id": df.measure_id, "target": df.target, "red_threshold": df.red_threshold,
                        "changed_by": df.author, "changed_by_name": df.author_name,
                        "changed_at": pd.to_datetime(df.recorded_at), "reason": df.reason, "version": df.version})
    return out.sort_values(["committee_code", "year", "measure_id"], ignore_index=True)


def target_history(store: Store | None = None) -> pd.DataFrame:
    """Every version of every target change, oldest first."""
    return (store or get_store()).history(TargetChange)


def store_exists(url: str) -> bool:
    """False for a SQLite store whose file was never created (nothing was ever written)."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        return Path(u.database).exists()
    return True


def targets_for_publish(warehouse: Path | str | None = None) -> pd.DataFrame:
    """What a publish copies into the warehouse table store_targets: [committee_code, year, measure_id,
    target, red_threshold, changed_by, changed_at, reason]; empty when the store was never written."""
    from settings import followup_store_url

    url = followup_store_url(warehouse)
    cols = ["committee_code", "year", "measure_id", "target", "red_threshold", "changed_by", "changed_at", "reason"]
    if not store_exists(url):
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    return current_targets(get_store(url))[cols]


def publish_now(warehouse: Path | str | None = None) -> str:
    """Publish the warehouse again (no new loads) so that the store's target changes reach the measures.
    Returns the new warehouse version. Used by the administrators' target page."""
    from pipeline.publish import publish  # the orchestration; imported only for this action

    publish(lambda con: None, Path(warehouse) if warehouse else None)
    import duckdb

    from settings import warehouse_path

    con = duckdb.connect(str(warehouse or warehouse_path()), read_only=True)
    try:
        return con.execute("SELECT value FROM warehouse_meta WHERE key = 'published_at'").fetchone()[0]
    finally:
        con.close()
