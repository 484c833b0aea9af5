"""Fixtures of the follow-up cycle and report tests: a throwaway follow-up store (SQLite, migrated
through Alembic like any installation's), identities with real grants, the session demo warehouse."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def store(tmp_path, monkeypatch):
    from followup.store import Store, reset_stores

    url = f"sqlite:///{tmp_path / 'followup.sqlite'}"
    monkeypatch.setenv("SCORECARD_FOLLOWUP_URL", url)
    reset_stores()
    s = Store(url)
    yield s
    s.dispose()
    reset_stores()


@pytest.fixture
def people():
    from followup.identity import Grant, Identity

    def who(email, name, *grants):
        return Identity(email=email, name=name, grants=frozenset(Grant(r, c) for r, c in grants), source="demo")
    return who


@pytest.fixture(scope="session")
def demo_wh(demo_warehouse):
    from metrics.warehouse import Warehouse

    return Warehouse(demo_warehouse)


@pytest.fixture(scope="session")
def period(demo_wh):
    from metrics import query

    return query.latest_complete_period(demo_wh, "tertial")


@pytest.fixture(scope="session")
def red_committee(demo_wh, period):
    """A committee with at least two red measures in the period (and its red measure ids)."""
    from metrics import query

    for code in query.committees(demo_wh)["committee_code"]:
        sc = query.scorecard(demo_wh, code, "tertial", period)
        red = sc.loc[sc["status"] == "red", "measure_id"].tolist()
        if len(red) >= 2:
            return code, red
    pytest.fail("the demo warehouse has no committee with two red measures")


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request, tmp_path):
    """The store on both backends: a SQLite file, and a fresh database of the session's real
    PostgreSQL cluster (tests/conftest.py)."""
    from followup.store import Store

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'followup.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_cluster").new_database("cycle")
    s = Store(url)
    yield s
    s.dispose()
