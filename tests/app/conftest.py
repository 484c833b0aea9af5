from __future__ import annotations

import pytest
import streamlit as st


@pytest.fixture
def app_env(demo_warehouse, monkeypatch):
    """SCORECARD_WAREHOUSE → the session demo warehouse, fresh caches and warehouse singleton."""
    monkeypatch.setenv("SCORECARD_WAREHOUSE", str(demo_warehouse))
    monkeypatch.setenv("SCORECARD_I18N_STRICT", "1")  # a missing translation or bad placeholder fails the page
    monkeypatch.setenv("SCORECARD_DEMO_LOGIN", "1")  # also when SCORECARD_TEST_WAREHOUSE is an older build
    st.cache_data.clear()
    st.cache_resource.clear()
    _reset_singleton()
    yield demo_warehouse
    st.cache_data.clear()
    _reset_singleton()


def _reset_singleton():
    import metrics.warehouse as w

    for name in ("_singleton",):
        if hasattr(w, name):
            setattr(w, name, None)
    if hasattr(getattr(w, "get_warehouse", None), "cache_clear"):
        w.get_warehouse.cache_clear()


@pytest.fixture
def wh(app_env):
    from metrics.warehouse import Warehouse

    return Warehouse(app_env)
