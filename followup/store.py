"""The follow-up store: engine from a URL, Alembic migrations, append-only versioned tables.

Public API (stable; the follow-up cycle and the council's project stages build on it):

    from followup.store import Store, Versioned, Base, get_store
    from followup.identity import Identity, Grant, check, allowed, scope, PermissionDenied

    class Analysis(Versioned, Base):            # one table = one kind of thing people write
        __tablename__ = "analyses"
        committee_code: Mapped[str] = mapped_column(String(40))
        text: Mapped[str] = mapped_column(Text)
    # + an Alembic revision in followup/migrations/versions/ that creates the table

    store = get_store()                          # settings.followup_store_url(); migrated to head
    row = store.append(Analysis, identity, {"committee_code": "SKARHOLMEN", "text": "…"},
                       permission="committee.report", committee="SKARHOLMEN", request_id=token)
    store.append(Analysis, identity, {"text": "…"}, entity_id=row["entity_id"], change="edit", reason="…")
    store.append(Analysis, identity, {}, entity_id=row["entity_id"], change="withdraw", reason="…")
    store.current(Analysis)                      # DataFrame: latest version per entity, withdrawn left out
    store.history(Analysis, entity_id)           # DataFrame: every version, oldest first

Rules every versioned table follows:
* A row is never updated or deleted. A new thing is version 1 (`change` 'create'); an edit or a
  withdrawal is a new row with the same `entity_id` and the next `version`; an edit carries the
  previous fields forward and replaces those given. (entity_id, version) is unique, so two
  concurrent edits of the same thing cannot both become version n+1.
* Who and when come from the `Identity` and the clock, never from a form field: `author` (e-mail),
  `author_name`, `author_source` ('oidc', 'demo', 'cli'), `recorded_at` (UTC, naive).
* `request_id` (optional, unique per table) makes a write idempotent: the same form submission
  sent twice (a double click) returns the first row and writes nothing.
* `append` checks the permission (followup.identity.check) and runs the `validate` callback inside
  the write transaction, so a rule sees the state it is written against; it raises
  PermissionDenied / the callback's error with nothing written.

Backends: SQLite (default, a file next to the warehouse; WAL, busy timeout, writers take the write
lock at BEGIN IMMEDIATE) and PostgreSQL (a transaction-level advisory lock per table serialises
writers of one table). Migrations: Alembic, scripts in followup/migrations; `Store()` upgrades to
head on first use under a lock (a file lock for SQLite, an advisory lock for PostgreSQL). A store whose
`alembic_version` already holds the scripts' head (read from the scripts' headers, `head_revision()`) is
opened without importing Alembic at all.
"""
from __future__ import annotations

import fcntl
import random
import threading
import time
import zlib
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import pandas as pd
from sqlalchemy import (DateTime, Integer, MetaData, String, Text, UniqueConstraint, create_engine, event, func,
                        select, text)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column

from followup.identity import Identity, check
from followup.storeread import MIGRATIONS, head_revision  # noqa: F401  (read without Alembic; re-exported)
CHANGES = ("create", "edit", "withdraw")
META_COLUMNS = ("row_id", "entity_id", "version", "change", "reason", "author", "author_name", "author_source",
                "recorded_at", "request_id")
WRITE_RETRIES = 30

NAMING = {"ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
          "ck": "ck_%(table_name)s_%(constraint_name)s", "pk": "pk_%(table_name)s"}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Versioned:
    """Mixin for an append-only versioned table (see the module docstring)."""
    row_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    change: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    author: Mapped[str] = mapped_column(String(320), nullable=False)
    author_name: Mapped[str] = mapped_column(String(200), nullable=False)
    author_source: Mapped[str] = mapped_column(String(16), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)

    # Shown in the audit log (followup.audit) as the thing's label; subclasses may override.
    __audit_fields__: tuple[str, ...] = ()

    @declared_attr.directive
    def __table_args__(cls):
        return (UniqueConstraint("entity_id", "version", name=f"uq_{cls.__tablename__}_entity_version"),
                UniqueConstraint("request_id", name=f"uq_{cls.__tablename__}_request_id"))

    @classmethod
    def payload_columns(cls) -> list[str]:
        return [c.name for c in cls.__table__.columns if c.name not in META_COLUMNS]


def versioned_models() -> list[type]:
    """Every mapped versioned table (for the audit log)."""
    import followup.models  # noqa: F401  (registers the product's tables)

    return sorted((m.class_ for m in Base.registry.mappers if issubclass(m.class_, Versioned)),
                  key=lambda c: c.__tablename__)


class StoreError(RuntimeError):
    """The store could not be reached or written (message names the backend, never a password)."""


class NotFound(LookupError):
    pass



def _naive_utc(now: datetime | None) -> datetime:
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is not None:
        now = now.astimezone(timezone.utc).replace(tzinfo=None)
    return now


def make_engine(url: str) -> Engine:
    """A SQLAlchemy engine for the store URL. SQLite: WAL, 30 s busy timeout, foreign keys, and
    write transactions that take the write lock at BEGIN (IMMEDIATE), so concurrent writers queue
    instead of failing on a lock upgrade."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(u, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_con, _record):
            dbapi_con.isolation_level = None  # we emit BEGIN ourselves
            cur = dbapi_con.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn):
            conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("store_read") else "BEGIN IMMEDIATE")

        return engine
    if u.drivername == "postgresql":
        u = u.set(drivername="postgresql+psycopg2")  # the driver in requirements.txt
    return create_engine(u, pool_pre_ping=True)


def _is_unique_violation(err: IntegrityError) -> bool:
    code = getattr(err.orig, "pgcode", None)
    if code is not None:
        return code == "23505"
    return "UNIQUE constraint failed" in str(err.orig)


def safe_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def _alembic_config(connection):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def stored_revisions(engine: Engine) -> set[str] | None:
    """The revisions in the store's `alembic_version` table, read with plain SQL (no Alembic); None when
    the store has no such table yet (a new store)."""
    from sqlalchemy import inspect

    with engine.connect() as con:
        if not inspect(con).has_table("alembic_version"):
            return None
        return {r[0] for r in con.execute(text("SELECT version_num FROM alembic_version"))}


def at_head(engine: Engine) -> bool:
    """True when the store is already at the scripts' head revision, known without importing Alembic."""
    head = head_revision()
    return head is not None and stored_revisions(engine) == {head}


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the Alembic migrations up to `revision`, one process at a time."""
    from alembic import command

    if engine.dialect.name == "sqlite":
        db = engine.url.database
        lock_file = Path(db).with_name(Path(db).name + ".migrate.lock") if db and db != ":memory:" else None
        handle = open(lock_file, "a") if lock_file else None
        try:
            if handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
            with engine.connect() as con:
                command.upgrade(_alembic_config(con), revision)
                con.commit()
        finally:
            if handle:
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()
    else:
        with engine.connect() as con:
            con.execute(text("SELECT pg_advisory_lock(727001)"))
            try:
                command.upgrade(_alembic_config(con), revision)
                con.commit()
            finally:
                con.execute(text("SELECT pg_advisory_unlock(727001)"))
                con.commit()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as con:
        return MigrationContext.configure(con).get_current_revision()


def _row_dict(obj) -> dict:
    return {c.name: getattr(obj, c.key if hasattr(c, "key") else c.name) for c in obj.__table__.columns}


class Store:
    """One follow-up store (a database URL). Thread-safe; one per process through get_store()."""

    def __init__(self, url: str | None = None, *, migrate: bool = True):
        from settings import followup_store_url

        self.url = url or followup_store_url()
        self.engine = make_engine(self.url)
        self.backend = self.engine.dialect.name
        if migrate:
            try:
                # a store already at head (every start but the first after an upgrade) is not handed to
                # Alembic: its import alone costs more than the app's start page queries
                if not at_head(self.engine):
                    upgrade(self.engine)
            except OperationalError as err:
                raise StoreError(f"the follow-up store at {safe_url(self.url)} cannot be opened: {err.orig}") from err

    def __repr__(self) -> str:
        return f"Store({safe_url(self.url)!r})"

    # ---- sessions -------------------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine.execution_options(store_read=True)) as s:
            yield s

    @contextmanager
    def write(self, *tables: str) -> Iterator[Session]:
        """A write transaction; on PostgreSQL it first takes an advisory lock per named table."""
        with Session(self.engine) as s, s.begin():
            if self.backend == "postgresql":
                for name in sorted(tables):
                    s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(name.encode())})
            yield s

    # ---- the versioned pattern --------------------------------------------------------------------
    def append(self, model: type, identity: Identity, fields: dict[str, Any], *, entity_id: int | None = None,
               change: str = "create", reason: str | None = None, request_id: str | None = None,
               permission: str | None = None, committee: str | None = None,
               validate: Callable[[Session, dict | None, dict], None] | None = None,
               now: datetime | None = None) -> dict:
        """Write one new version and return it as a dict (meta + payload columns).

        `permission` (and `committee`) are checked first. `validate(session, previous, new)` runs
        inside the transaction (previous is the current version or None) and raises to refuse.
        `change` 'create' starts a new entity (entity_id allocated); 'edit' and 'withdraw' need the
        entity_id of a current (not withdrawn) thing."""
        if change not in CHANGES:
            raise ValueError(f"change must be one of {CHANGES}")
        if permission:
            check(identity, permission, committee)
        if not identity or not identity.email:
            raise PermissionError("no identity: every write names its author from the login")
        unknown = set(fields) - set(model.payload_columns())
        if unknown:
            raise ValueError(f"{model.__tablename__} has no column(s) {', '.join(sorted(unknown))}")
        stamp = _naive_utc(now)
        last_err: Exception | None = None
        for attempt in range(WRITE_RETRIES):
            try:
                with self.write(model.__tablename__) as s:
                    if request_id:
                        done = s.scalars(select(model).where(model.request_id == request_id)).first()
                        if done is not None:
                            return _row_dict(done)
                    previous = None
                    if change == "create":
                        if entity_id is not None:
                            raise ValueError("a new thing gets its entity_id from the store")
                        new_id = (s.scalar(select(func.max(model.entity_id))) or 0) + 1
                        version, payload = 1, {c: None for c in model.payload_columns()}
                    else:
                        if entity_id is None:
                            raise ValueError(f"{change} needs the entity_id of the thing changed")
                        prev_obj = s.scalars(select(model).where(model.entity_id == entity_id)
                                             .order_by(model.version.desc()).limit(1)).first()
                        if prev_obj is None:
                            raise NotFound(f"{model.__tablename__} {entity_id} does not exist")
                        previous = _row_dict(prev_obj)
                        if previous["change"] == "withdraw":
                            raise NotFound(f"{model.__tablename__} {entity_id} was withdrawn")
                        new_id, version = entity_id, previous["version"] + 1
                        payload = {c: previous[c] for c in model.payload_columns()}
                    payload.update(fields if change != "withdraw" else {})
                    new = {**payload, "entity_id": new_id, "version": version, "change": change,
                           "reason": (reason or "").strip() or None, "author": identity.email,
                           "author_name": identity.name or identity.email, "author_source": identity.source,
                           "recorded_at": stamp, "request_id": request_id}
                    if validate:
                        validate(s, previous, new)
                    obj = model(**new)
                    s.add(obj)
                    s.flush()
                    return _row_dict(obj)
            except IntegrityError as err:
                if not _is_unique_violation(err):  # e.g. a required field missing: not worth a retry
                    raise ValueError(f"{model.__tablename__}: {err.orig}") from err
                last_err = err  # a concurrent writer took the same version / request id: try again
                time.sleep(random.uniform(0.005, 0.05) * (1 + attempt))
            except OperationalError as err:
                if "locked" not in str(err.orig).lower():
                    raise StoreError(f"writing to {safe_url(self.url)} failed: {err.orig}") from err
                last_err = err
                time.sleep(random.uniform(0.01, 0.1))
        raise StoreError(f"writing to {model.__tablename__} failed after {WRITE_RETRIES} attempts: {last_err}")

    def _frame(self, model: type, stmt) -> pd.DataFrame:
        cols = [c.name for c in model.__table__.columns]
        with self.read() as s:
            rows = s.execute(stmt).all()
        return pd.DataFrame([dict(r._mapping) for r in rows], columns=cols) if rows else \
            pd.DataFrame({c: pd.Series(dtype="object") for c in cols})

    def current(self, model: type, *, include_withdrawn: bool = False, where=None) -> pd.DataFrame:
        """The latest version of every entity (withdrawn ones left out unless asked for), by entity_id.
        `where` is an extra SQLAlchemy condition on the model's columns."""
        latest = select(model.entity_id, func.max(model.version).label("v")).group_by(model.entity_id).subquery()
        stmt = select(*model.__table__.columns).join(
            latest, (model.entity_id == latest.c.entity_id) & (model.version == latest.c.v))
        if not include_withdrawn:
            stmt = stmt.where(model.change != "withdraw")
        if where is not None:
            stmt = stmt.where(where)
        return self._frame(model, stmt.order_by(model.entity_id))

    def history(self, model: type, entity_id: int | None = None) -> pd.DataFrame:
        """Every version (of one entity, or all), oldest first."""
        stmt = select(*model.__table__.columns)
        if entity_id is not None:
            stmt = stmt.where(model.entity_id == entity_id)
        return self._frame(model, stmt.order_by(model.entity_id, model.version))

    def count(self, model: type) -> int:
        with self.read() as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)

    def version_marker(self) -> str:
        """A cheap change marker for caches: the highest row id of every table."""
        parts = []
        with self.read() as s:
            for m in versioned_models():
                parts.append(str(s.scalar(select(func.max(m.row_id))) or 0))
        return "-".join(parts)

    def dispose(self) -> None:
        self.engine.dispose()


_stores: dict[str, Store] = {}
_stores_lock = threading.Lock()


def get_store(url: str | None = None) -> Store:
    """The process-wide Store for `url` (default: settings.followup_store_url()), migrated once."""
    from settings import followup_store_url

    url = url or followup_store_url()
    with _stores_lock:
        if url not in _stores:
            _stores[url] = Store(url)
        return _stores[url]


def reset_stores() -> None:
    """Forget cached stores (tests that switch URLs)."""
    with _stores_lock:
        for s in _stores.values():
            s.dispose()
        _stores.clear()
