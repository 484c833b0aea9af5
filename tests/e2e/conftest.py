"""Browser tests: a real Streamlit server on a free port against the session demo warehouse,
and Debian's chromium driven by Playwright (sync API)."""
from __future__ import annotations

from pathlib import Path

import pytest

from e2e_helpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, Server


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def server_factory(demo_warehouse, artifacts):
    started: list[Server] = []

    def start(name: str = "server") -> Server:
        s = Server(demo_warehouse, artifacts / f"{name}.log")
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is required (apt-get install chromium)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1600, "height": 1100}, accept_downloads=True, locale="sv-SE")
    pg = ctx.new_page()
    yield pg
    ctx.close()


