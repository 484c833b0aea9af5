"""The store's versioned pattern, permissions, idempotency, migrations and concurrent writers —
every test on SQLite and on PostgreSQL (conftest.store_url)."""
from __future__ import annotations

import multiprocessing as mp
import sys
import types
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime

import pytest
from sqlalchemy import String, Text, inspect, select, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from followup.identity import PermissionDenied
from followup.models import CouncilDecision, RoleGrant, TargetChange
from followup.store import Store, Versioned, current_revision

from conftest_helpers import ADMIN, CHAIR_A, READER, REPORTER_A, SECRETARY  # noqa: F401


class _TestBase(DeclarativeBase):
    pass


class Note(Versioned, _TestBase):
    """A committee-bound write like the follow-up cycle's analyses (a table of the tests only)."""
    __tablename__ = "test_notes"
    committee_code: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)


@pytest.fixture
def notes(store):
    Note.__table__.create(store.engine, checkfirst=True)
    return store


T0 = datetime(2026, 11, 30, 8, 0)


def test_migrated_to_head_with_the_three_tables(store):
    assert current_revision(store.engine) == "0001"
    names = set(inspect(store.engine).get_table_names())
    assert {"role_grants", "council_decisions", "target_changes", "alembic_version"} <= names
    Store(store.url)  # a second open (another process or replica) finds the schema at head: no error


def test_create_edit_withdraw_are_versions_never_updates(notes):
    a = notes.append(Note, REPORTER_A, {"committee_code": "SKARHOLMEN", "body": "Första"},
                     permission="committee.report", committee="SKARHOLMEN", now=T0)
    assert (a["entity_id"], a["version"], a["change"], a["author"], a["author_name"]) == \
        (1, 1, "create", "rapportor.a@stad.se", "Rapportor A")
    b = notes.append(Note, CHAIR_A, {"body": "Andra"}, entity_id=1, change="edit", reason="Förtydligat",
                     permission="committee.report", committee="SKARHOLMEN", now=T0.replace(hour=9))
    # an edit carries the other fields forward
    assert (b["version"], b["committee_code"], b["body"], b["author"], b["reason"]) == \
        (2, "SKARHOLMEN", "Andra", "ordforande.a@stad.se", "Förtydligat")
    cur = notes.current(Note)
    assert list(cur.body) == ["Andra"] and list(cur.version) == [2]
    notes.append(Note, CHAIR_A, {}, entity_id=1, change="withdraw", reason="Fel nämnd",
                 permission="committee.report", committee="SKARHOLMEN", now=T0.replace(hour=10))
    assert notes.current(Note).empty
    assert list(notes.current(Note, include_withdrawn=True).change) == ["withdraw"]
    hist = notes.history(Note, 1)
    assert list(hist.version) == [1, 2, 3]
    assert list(hist.body) == ["Första", "Andra", "Andra"]        # the earlier texts are all still there
    assert list(hist.change) == ["create", "edit", "withdraw"]
    assert [t.hour for t in hist.recorded_at] == [8, 9, 10]
    with pytest.raises(LookupError, match="withdrawn"):
        notes.append(Note, CHAIR_A, {"body": "x"}, entity_id=1, change="edit", now=T0)


def test_reporter_of_a_writing_for_b_is_refused_and_nothing_written(notes):
    with pytest.raises(PermissionDenied) as err:
        notes.append(Note, REPORTER_A, {"committee_code": "FARSTA", "body": "Fel nämnd"},
                     permission="committee.report", committee="FARSTA")
    assert err.value.message("sv") == ("rapportor.a@stad.se har inte behörighet att rapportera för nämnden FARSTA. "
                                       "Inget sparades.")
    assert str(err.value) == "rapportor.a@stad.se is not allowed to report for committee FARSTA. Nothing was saved."
    assert notes.count(Note) == 0
    # the same reporter may write for A
    notes.append(Note, REPORTER_A, {"committee_code": "SKARHOLMEN", "body": "Rätt nämnd"},
                 permission="committee.report", committee="SKARHOLMEN")
    assert notes.count(Note) == 1


def test_reader_cannot_write_anything(store):
    with pytest.raises(PermissionDenied):
        store.append(RoleGrant, READER, {"principal": "x@stad.se", "role": "admin"}, permission="roles.grant")
    with pytest.raises(PermissionDenied):
        store.append(CouncilDecision, READER, {"project_id": "P0001", "decision": "stop",
                                               "decision_date": T0.date(), "rationale": "x"},
                     permission="council.record")
    with pytest.raises(PermissionDenied):
        store.append(TargetChange, READER, {"committee_code": "KS", "year": 2026, "measure_id": "E1",
                                            "target": 1.0, "red_threshold": 0.5}, permission="targets.change")
    assert [store.count(m) for m in (RoleGrant, CouncilDecision, TargetChange)] == [0, 0, 0]


def test_same_request_twice_writes_once(store):
    fields = {"project_id": "P0001", "decision": "stop", "decision_date": T0.date(), "rationale": "x"}
    a = store.append(CouncilDecision, SECRETARY, fields, permission="council.record", request_id="form-1")
    b = store.append(CouncilDecision, SECRETARY, fields, permission="council.record", request_id="form-1")
    assert a == b and store.count(CouncilDecision) == 1
    store.append(CouncilDecision, SECRETARY, fields, permission="council.record", request_id="form-2")
    assert store.count(CouncilDecision) == 2


def test_validate_runs_inside_the_write_and_refuses(store):
    def refuse(_session, previous, new):
        assert previous is None and new["entity_id"] == 1
        raise ValueError("regel bruten")

    with pytest.raises(ValueError, match="regel bruten"):
        store.append(RoleGrant, ADMIN, {"principal": "x@stad.se", "role": "admin"}, permission="roles.grant",
                     validate=refuse)
    assert store.count(RoleGrant) == 0


def test_unknown_column_and_missing_identity_are_refused(store):
    with pytest.raises(ValueError, match="no column"):
        store.append(RoleGrant, ADMIN, {"principal": "x@stad.se", "role": "admin", "password": "x"})
    with pytest.raises(PermissionError):
        store.append(RoleGrant, None, {"principal": "x@stad.se", "role": "admin"})
    # a required field missing: refused at once (not retried as if a concurrent writer had won)
    with pytest.raises(ValueError, match="role_grants"):
        store.append(RoleGrant, ADMIN, {"principal": "x@stad.se"})
    assert store.count(RoleGrant) == 0


def _writer(args):
    url, who, n = args
    from followup.models import CouncilDecision as CD
    from followup.store import Store as S
    from conftest_helpers import person

    s = S(url)
    ident = person(who, ("secretary", None))
    for i in range(n):
        s.append(CD, ident, {"project_id": "P0001", "decision": "continue", "decision_date": datetime(2026, 11, 30).date(),
                             "rationale": f"{who} {i}"}, permission="council.record")
    # and edits of one shared entity: each a new version, none lost
    for i in range(10):
        s.append(CD, ident, {"rationale": f"{who} edit {i}"}, entity_id=1, change="edit", reason="test")
    s.dispose()
    return n


def test_two_processes_200_writes_each_lose_nothing(store, monkeypatch):
    # spawn re-runs the parent's __main__ in each worker; after an AppTest that is a page script
    # (Streamlit's runner installs it as __main__), so give the workers a plain __main__ to start from
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    store.append(CouncilDecision, SECRETARY, {"project_id": "P0001", "decision": "approve",
                                              "decision_date": T0.date(), "rationale": "start"})
    # a dead worker raises BrokenProcessPool here instead of hanging the suite (multiprocessing.Pool
    # would replace the worker and wait for the lost task forever)
    with ProcessPoolExecutor(2, mp_context=mp.get_context("spawn")) as pool:
        futures = [pool.submit(_writer, (store.url, who, 200)) for who in ("a@stad.se", "b@stad.se")]
        done = [f.result(timeout=900) for f in futures]
    assert done == [200, 200]
    with store.read() as s:
        by_author = dict(s.execute(select(CouncilDecision.author, func.count())
                                   .where(CouncilDecision.change == "create").group_by(CouncilDecision.author)).all())
        texts = set(s.scalars(select(CouncilDecision.rationale)))
    assert by_author == {"a@stad.se": 200, "b@stad.se": 200, "sekreterare@stad.se": 1}
    assert {f"a@stad.se {i}" for i in range(200)} | {f"b@stad.se {i}" for i in range(200)} <= texts
    cur = store.current(CouncilDecision)
    assert sorted(cur.entity_id) == list(range(1, 402))              # 401 decisions, ids without gaps or clashes
    hist = store.history(CouncilDecision, 1)
    assert list(hist.version) == list(range(1, 22))                  # 1 + 2 × 10 edits, none lost
    assert store.count(CouncilDecision) == 421


def test_migrations_match_the_models(store):
    """The Alembic revisions create exactly the tables, columns, indexes and unique constraints the
    models declare (a new table needs both)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    import followup.models  # noqa: F401
    from followup.store import Base

    with store.engine.connect() as con:
        diff = compare_metadata(MigrationContext.configure(con), Base.metadata)
    assert diff == []
