"""The follow-up store on both backends: every test that takes `store_url` / `store` runs once on a
SQLite file and once on a fresh database of the session's real PostgreSQL cluster."""
from __future__ import annotations

import pytest



@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'w.followup.sqlite'}"
    return request.getfixturevalue("postgres_cluster").new_database("followup")


@pytest.fixture
def store(store_url):
    from followup.store import Store

    s = Store(store_url)
    yield s
    s.dispose()


