"""The login's role lookup without SQLAlchemy (issue 16: the first page after a start).

The first page after `make run` needs one thing from the follow-up store: the role grants held by the user's
e-mail and groups. Opening the store through SQLAlchemy (followup.store) costs ~0.22 s of CPU on every server
start (SQLAlchemy, its ORM, the store's mapped tables, the mapper set-up) — on the single interpreter lock the
first page waits on. For the common case, a SQLite store that is already at the migrations' head, this module
reads the same rows with Python's own sqlite3, read-only, by the rule of followup.roles.identity_for: the
latest version of every grant (entity), withdrawn ones left out, held by one of the principals. Anything else —
PostgreSQL, a store that does not exist yet, one below head, any error — gives None and the caller opens the
store as always (followup.store.get_store: migrated to head, SQLAlchemy). Nothing is ever written here.

tests/followup/test_storeread.py checks that both give the same grants for any history of grants and revokes.
This module imports neither SQLAlchemy nor Alembic; followup.store imports `head_revision` from here.
"""
from __future__ import annotations

import ast
import re
import sqlite3
from functools import lru_cache
from pathlib import Path
from typing import Iterable
from urllib.parse import quote

from followup.identity import Grant

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

_REVISION_LINE = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.M)

# the latest version of each grant entity, withdrawn ones left out (followup.store.Store.current), of the
# principals asked for; the principals are parameters, never SQL text
_HELD_SQL = """SELECT g.role, g.committee_code FROM role_grants AS g
WHERE g.principal IN ({marks}) AND g.change <> 'withdraw'
  AND g.version = (SELECT max(v.version) FROM role_grants AS v WHERE v.entity_id = g.entity_id)"""


@lru_cache(maxsize=None)
def head_revision(migrations: Path = MIGRATIONS) -> str | None:
    """The head revision of the migration scripts, read from their `revision = …` / `down_revision = …`
    lines without importing Alembic (0.17 s of CPU at every app start). None when that is not one plain
    head (a merge, a branch, a line this reader does not understand): then the caller asks Alembic.
    tests/followup/test_store_head.py checks that it equals Alembic's own head."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for script in sorted((migrations / "versions").glob("*.py")):
        found = dict(m.groups() for m in _REVISION_LINE.finditer(script.read_text(encoding="utf-8")))
        try:
            rev = ast.literal_eval(found["revision"])
            down = ast.literal_eval(found.get("down_revision", "None"))
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(rev, str) or not (down is None or isinstance(down, str)):
            return None  # a merge revision (a tuple of parents): Alembic decides
        revisions.add(rev)
        if down:
            downs.add(down)
    heads = revisions - downs
    return heads.pop() if len(heads) == 1 and downs <= revisions else None


def principals_for(email: str, groups: Iterable[str] = ()) -> list[str]:
    """The principals a login holds grants through: its e-mail (lower case) and `group:<name>` per group."""
    return [(email or "").strip().lower()] + [f"group:{g}" for g in groups if g]


def sqlite_file(url: str) -> Path | None:
    """The file of a plain `sqlite:///<path>` store URL (what settings.followup_store_url gives by default);
    None for any other URL (PostgreSQL, in-memory, a driver or query options): those go through SQLAlchemy."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url or len(url) == len(prefix):
        return None
    return Path(url[len(prefix):])


def held_grants(url: str, principals: list[str]) -> frozenset[Grant] | None:
    """The grants held by `principals` in the store at `url`, read with sqlite3 when the store is a SQLite
    file at the migrations' head; None when it is not (the caller then opens the store through SQLAlchemy,
    which also creates or migrates it)."""
    path = sqlite_file(url)
    head = head_revision()
    if path is None or head is None or not path.is_file():
        return None
    try:
        con = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error:
        return None
    try:
        if {r[0] for r in con.execute("SELECT version_num FROM alembic_version")} != {head}:
            return None
        rows = con.execute(_HELD_SQL.format(marks=", ".join("?" * len(principals))), principals).fetchall()
    except sqlite3.Error:  # no alembic_version table (a new file), locked, damaged: the full path decides
        return None
    finally:
        con.close()
    return frozenset(Grant(role, committee) for role, committee in rows)


def login_identity(url: str, email: str, name: str | None = None, groups: Iterable[str] = (), *,
                   source: str = "oidc", extra: Iterable[Grant] = ()):
    """The identity of a login (followup.roles.identity_for on the store at `url`): read here without
    SQLAlchemy when held_grants can, else through the store, opened (created, migrated) as always."""
    from followup.identity import Identity

    principals = principals_for(email, groups)
    found = held_grants(url, principals)
    if found is None:
        from followup.roles import identity_for
        from followup.store import get_store

        return identity_for(email, name, groups, source=source, extra=extra, store=get_store(url))
    return Identity(email=principals[0], name=(name or principals[0]), grants=found | frozenset(extra), source=source)
