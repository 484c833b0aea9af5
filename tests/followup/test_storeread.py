"""The login's role lookup without SQLAlchemy (followup/storeread.py, issue 16): for a SQLite store at head it
gives exactly the identity followup.roles.identity_for gives, for any history of grants and revokes; any
other store (PostgreSQL, missing, below head) goes through the store as before, which creates or migrates it;
and the app's start (the warm-up and the first start page run) imports neither SQLAlchemy nor Alembic."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest_helpers import ADMIN
from followup.identity import Grant

ROOT = Path(__file__).resolve().parents[2]

PEOPLE = ["anna.berg@stad.se", "ANNA.Berg@stad.se ", "olle@stad.se", "group:it-analytiker", "group:alla"]
GRANTS = [("analyst", ["SKARHOLMEN"]), ("analyst", []), ("chair", ["SKARHOLMEN", "FARSTA"]), ("reporter", ["FARSTA"]),
          ("secretary", []), ("admin", [])]
steps = st.lists(st.tuples(st.sampled_from(["grant", "revoke"]), st.sampled_from(PEOPLE), st.sampled_from(GRANTS)),
                 max_size=12)


@pytest.fixture(scope="module")
def sqlite_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("storeread")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=steps, who=st.sampled_from([("anna.berg@stad.se", ["it-analytiker"]), ("Olle@Stad.se", []),
                                           ("nobody@stad.se", ["alla", "it-analytiker"])]))
def test_same_identity_as_the_store_for_any_history(sqlite_dir, history, who):
    from followup import roles
    from followup.store import Store
    from followup.storeread import held_grants, login_identity, principals_for

    path = sqlite_dir / f"s{abs(hash((tuple(map(str, history)), str(who))))}.sqlite"
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    store = Store(url)
    try:
        for action, principal, (role, committees) in history:
            try:
                if action == "grant":
                    roles.grant(ADMIN, principal, role, committees, store=store)
                else:
                    roles.revoke(ADMIN, principal, role, committees, store=store)
            except roles.GrantError:
                pass  # nothing to revoke: the history goes on
        email, groups = who
        expected = roles.identity_for(email, "Namn", groups, source="oidc", extra=[Grant("reporter", "BROMMA")],
                                      store=store)
        assert held_grants(url, principals_for(email, groups)) is not None  # read without the store
        got = login_identity(url, email, "Namn", groups, source="oidc", extra=[Grant("reporter", "BROMMA")])
        assert got == expected
    finally:
        store.dispose()


def test_a_revoked_then_regranted_grant_and_a_group_grant(tmp_path):
    """By hand: anna holds chair for SKARHOLMEN (revoked, then granted again) and, through her group, analyst."""
    from followup import roles
    from followup.store import Store
    from followup.storeread import held_grants

    url = f"sqlite:///{tmp_path / 'w.followup.sqlite'}"
    store = Store(url)
    roles.grant(ADMIN, "anna@stad.se", "chair", ["SKARHOLMEN"], store=store)
    roles.revoke(ADMIN, "anna@stad.se", "chair", ["SKARHOLMEN"], store=store)
    roles.grant(ADMIN, "anna@stad.se", "reporter", ["FARSTA"], store=store)
    roles.revoke(ADMIN, "anna@stad.se", "reporter", store=store)
    roles.grant(ADMIN, "anna@stad.se", "chair", ["SKARHOLMEN"], store=store)
    roles.grant(ADMIN, "group:it", "analyst", [], store=store)
    roles.grant(ADMIN, "olle@stad.se", "secretary", [], store=store)
    store.dispose()
    assert held_grants(url, ["anna@stad.se", "group:it"]) == {Grant("chair", "SKARHOLMEN"), Grant("analyst")}
    assert held_grants(url, ["anna@stad.se"]) == {Grant("chair", "SKARHOLMEN")}
    assert held_grants(url, ["nobody@stad.se"]) == frozenset()
    assert held_grants(url, ["anna@stad.se' OR 1=1 --"]) == frozenset()  # a parameter, never SQL text


def test_other_stores_go_through_sqlalchemy_which_creates_or_migrates_them(tmp_path, postgres_cluster):
    from followup.store import current_revision, make_engine, reset_stores, upgrade
    from followup.storeread import held_grants, login_identity

    # a store that does not exist yet: not read here, created by the store at the login (as before)
    new = tmp_path / "new" / "w.followup.sqlite"
    assert held_grants(f"sqlite:///{new}", ["a@stad.se"]) is None and not new.exists()
    ident = login_identity(f"sqlite:///{new}", "A@stad.se", source="demo")
    assert ident.email == "a@stad.se" and ident.grants == {Grant("reader")} and new.is_file()
    assert held_grants(f"sqlite:///{new}", ["a@stad.se"]) == frozenset()  # at head now
    # a store below head: migrated at the login
    old = tmp_path / "old.sqlite"
    engine = make_engine(f"sqlite:///{old}")
    upgrade(engine, "0002_cycle")
    assert held_grants(f"sqlite:///{old}", ["a@stad.se"]) is None
    login_identity(f"sqlite:///{old}", "a@stad.se", source="demo")
    assert current_revision(engine) == "0003_project_stages"
    engine.dispose()
    # PostgreSQL, in-memory SQLite, URLs with options: always the store
    pg = postgres_cluster.new_database("storeread")
    assert held_grants(pg, ["a@stad.se"]) is None
    assert login_identity(pg, "a@stad.se", source="oidc").grants == {Grant("reader")}
    for url in ("sqlite://", "sqlite:///:memory:", f"sqlite:///{old}?timeout=5", f"sqlite+pysqlite:///{old}"):
        assert held_grants(url, ["a@stad.se"]) is None, url
    reset_stores()


def test_the_start_imports_neither_sqlalchemy_nor_alembic(demo_warehouse):
    """In a fresh interpreter on the demo warehouse (its store at head): the server's warm-up, then the start
    page as the first visitor gets it (app.py, the demo reader) — no SQLAlchemy, no Alembic; an admin's role
    still comes from the store (granted beforehand), so the admin pages are listed for them."""
    script = """
import sys
from streamlit.testing.v1 import AppTest
from ui.warmup import warm_up
warm_up()
at = AppTest.from_file("app.py", default_timeout=120)
at.run()
assert not at.exception, [e.value for e in at.exception]
assert "Stadsöversikt" in [h.value for h in at.title], [h.value for h in at.title]
caption = " ".join(c.value for c in at.sidebar.caption)
assert "Utvecklingsrådets sekreterare" in caption, caption
print("LOADED", sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "alembic")}))
"""
    import shutil
    import tempfile

    from followup import roles
    from followup.store import Store

    with tempfile.TemporaryDirectory() as tmp:  # a copy: the grant must not change the session's warehouse
        wh = Path(tmp) / "warehouse.duckdb"
        shutil.copy2(demo_warehouse, wh)
        store = Store(f"sqlite:///{Path(tmp) / 'warehouse.followup.sqlite'}")  # what settings gives for the copy
        roles.grant(ADMIN, "lasare@demo.stad.invalid", "secretary", store=store)  # the demo reader, now also secretary
        store.dispose()
        env = {k: v for k, v in os.environ.items() if k != "SCORECARD_FOLLOWUP_URL"}
        env.update(SCORECARD_WAREHOUSE=str(wh), SCORECARD_DEMO_LOGIN="1")
        proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "LOADED []"
