"""Read-only access to the published warehouse for the app and the query layer.

Each published version of the warehouse file gets its own in-memory DuckDB database that ATTACHes
that version READ_ONLY as `wh`. The version is pinned by an open file descriptor: the ETL publishes
by copy + rename, so the descriptor keeps the old inode readable after a publish, and the version
id (inode-mtime) is taken from the descriptor — the version that is actually read, never a later
file that happened to be at the path when it was stat'ed.

* `Warehouse` (one per process, `get_warehouse()`) follows the path: `refresh()` opens the newest
  version when the file was replaced. It never DETACHes anything another thread may still use: an
  old version is closed only when no snapshot holds it any more.
* `Warehouse.pin()` returns a `Snapshot`: the same reading interface (df, cursor, has_table, meta,
  version) fixed to one version for as long as it lives. A page run reads through one snapshot from
  start to end, and the app's cache key is the snapshot's version (ui/data.py).

The published file is the catalog of a Parquet fact store (docs/storage.md): its fact tables are views
naming one version directory of `warehouse.parquet/`, so a pinned catalog also pins its fact files; the
publish keeps superseded version directories for a while (settings.fact_store_retention()) for readers
still holding them.

Every query gets its own cursor (Streamlit runs sessions in threads); a cursor does not inherit USE,
so each one selects `wh` itself.
"""
from __future__ import annotations

import os
import threading
import weakref
from pathlib import Path

import duckdb
import pandas as pd

from settings import warehouse_path

ALIAS = "wh"
_PROC_FD = Path("/proc/self/fd")


class WarehouseMissing(RuntimeError):
    """No published warehouse file yet (run `make demo` or `python -m etl load`)."""


def _file_version(path: Path) -> str:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return ""
    return f"{st.st_ino}-{st.st_mtime_ns}"


class _Version:
    """One published file version, attached read-only as `wh` in its own in-memory database."""

    def __init__(self, path: Path):
        self.fd = os.open(path, os.O_RDONLY)
        try:
            st = os.fstat(self.fd)
            self.id = f"{st.st_ino}-{st.st_mtime_ns}"
            self.con = duckdb.connect(":memory:")
            self.con.execute("SET parquet_metadata_cache = true")  # fact-store files are immutable (docs/storage.md)
            # Through the descriptor the ATTACH reads exactly the inode stat'ed above, even when a
            # publish renames a new file onto the path in between. The path is digits only.
            target = _PROC_FD / str(self.fd) if _PROC_FD.is_dir() else Path(path)
            self.con.execute(f"ATTACH '{target.as_posix().replace(chr(39), chr(39) * 2)}' AS {ALIAS} (READ_ONLY)")
        except BaseException:
            os.close(self.fd)
            raise
        self.users = 0
        self.closed = False
        self._lock = threading.Lock()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:  # one thread at a time asks the shared connection for a cursor
            cur = self.con.cursor()
        cur.execute(f"USE {ALIAS}")
        return cur

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.con.close()
            os.close(self.fd)


class _Reader:
    """The reading interface shared by Warehouse (newest version per call) and Snapshot (one version)."""

    path: Path

    def _version_for_read(self) -> _Version | None:
        raise NotImplementedError

    def _done(self, version: _Version) -> None:
        pass

    def df(self, sql: str, params: list | dict | None = None) -> pd.DataFrame:
        version = self._version_for_read()
        if version is None:
            raise WarehouseMissing(f"no warehouse at {self.path}")
        try:
            cur = version.cursor()
            try:
                return cur.execute(sql, params).df() if params is not None else cur.execute(sql).df()
            finally:
                cur.close()
        finally:
            self._done(version)

    def has_table(self, name: str) -> bool:
        if not self.available:
            return False
        found = self.df("SELECT count(*) AS n FROM information_schema.tables WHERE table_catalog = ? AND table_name = ?",
                        [ALIAS, name])
        return bool(found["n"].iloc[0])

    def meta(self) -> dict:
        if not self.has_table("warehouse_meta"):
            return {}
        rows = self.df("SELECT key, value FROM warehouse_meta")
        return dict(zip(rows["key"], rows["value"]))


class Warehouse(_Reader):
    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path is not None else warehouse_path()
        self._lock = threading.RLock()
        self._current: _Version | None = None
        self.refresh()

    def version(self) -> str:
        """The version the next read will see ("" when there is no warehouse file)."""
        with self._lock:
            return self._current.id if self._current else ""

    def refresh(self) -> bool:
        """Open the newest version when the file was replaced since. True if it changed. The old
        version stays open for the snapshots that still read it."""
        with self._lock:
            on_disk = _file_version(self.path)
            if on_disk == (self._current.id if self._current else ""):
                return False
            old = self._current
            try:
                self._current = _Version(self.path) if on_disk else None
            except FileNotFoundError:  # replaced or removed between the stat and the open
                self._current = None
            if old is not None and old.users == 0:
                old.close()
            return True

    @property
    def available(self) -> bool:
        return self._current is not None

    def _version_for_read(self) -> _Version | None:
        with self._lock:
            version = self._current
            if version is not None:
                version.users += 1
            return version

    def _done(self, version: _Version) -> None:
        with self._lock:
            version.users -= 1
            if version.users == 0 and version is not self._current:
                version.close()

    def pin(self) -> "Snapshot":
        """A reader fixed to the current version until it is garbage-collected or closed."""
        return Snapshot(self)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor on the current version. Prefer df() or a Snapshot: a cursor kept across a
        publish reads the version it was made on, but does not keep that version open."""
        with self._lock:
            if self._current is None:
                raise WarehouseMissing(f"no warehouse at {self.path}")
            return self._current.cursor()

    def close(self) -> None:
        with self._lock:
            if self._current is not None and self._current.users == 0:
                self._current.close()
            self._current = None


class Snapshot(_Reader):
    """One published version, read from start to end of a page run (or any unit of work)."""

    def __init__(self, warehouse: Warehouse):
        self.path = warehouse.path
        self._warehouse = warehouse
        self._version = warehouse._version_for_read()  # holds the version open
        if self._version is not None:
            self._release = weakref.finalize(self, warehouse._done, self._version)
        else:
            self._release = None

    def version(self) -> str:
        """The version this snapshot reads ("" when there was no warehouse)."""
        return self._version.id if self._version is not None else ""

    def refresh(self) -> bool:
        return False  # a snapshot never moves; pin a new one from the Warehouse

    @property
    def available(self) -> bool:
        return self._version is not None

    def _version_for_read(self) -> _Version | None:
        return self._version

    def cursor(self) -> duckdb.DuckDBPyConnection:
        if self._version is None:
            raise WarehouseMissing(f"no warehouse at {self.path}")
        return self._version.cursor()

    def close(self) -> None:
        if self._release is not None:
            self._release()

    def __reduce__(self):  # Streamlit may try to hash/pickle arguments; a snapshot is identified by its version
        raise TypeError("a warehouse snapshot cannot be pickled")


_singleton: Warehouse | None = None
_singleton_lock = threading.Lock()


def get_warehouse() -> Warehouse:
    """Process-wide warehouse, refreshed on each call (cheap: one stat)."""
    global _singleton
    with _singleton_lock:
        if _singleton is None or _singleton.path != warehouse_path():
            _singleton = Warehouse()
        else:
            _singleton.refresh()
        return _singleton
