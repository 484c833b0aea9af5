"""Login through a real OpenID Connect provider: oidc-provider-mock runs as its own process on a free
loopback port, the app runs with [auth] in a secrets file pointing at it, and Chromium logs in through
the provider's form, lands with the role and committee scope granted in the follow-up store (by e-mail
and by the group claim), and logs out."""
from __future__ import annotations

import secrets as pysecrets
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from e2e_helpers import Server, free_port, wait_for_app

EMAIL = "anna.berg@stad.example"


@pytest.fixture(scope="module")
def oidc_provider(tmp_path_factory):
    """`python -m oidc_provider_mock` (PyPI oidc-provider-mock) as a separate process."""
    port = free_port()
    log = open(tmp_path_factory.mktemp("oidc") / "oidc.log", "w")
    proc = subprocess.Popen([sys.executable, "-W", "ignore", "-m", "oidc_provider_mock", "--host", "127.0.0.1",
                             "--port", str(port), "--require-nonce", "true"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "/.well-known/openid-configuration", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            assert proc.poll() is None, Path(log.name).read_text()
            assert time.time() < deadline, "the OIDC provider did not start"
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(10)
    log.close()


@pytest.fixture(scope="module")
def oidc_app(oidc_provider, demo_warehouse, tmp_path_factory, artifacts):
    d = tmp_path_factory.mktemp("oidc_app")
    wh = d / "warehouse.duckdb"
    shutil.copyfile(demo_warehouse, wh)
    # roles in the store next to this warehouse, granted with the operator's command line
    env = {"SCORECARD_WAREHOUSE": str(wh)}
    for args in (["users", "grant", EMAIL, "chair", "--committee", "SKARHOLMEN"],
                 ["users", "grant", "group:it-analytiker", "analyst", "--committee", "FARSTA"]):
        proc = subprocess.run([sys.executable, "-m", "followup", *args], cwd=Path(__file__).resolve().parents[2],
                              env={**__import__("os").environ, **env}, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
    port = free_port()
    client_secret = pysecrets.token_hex(16)
    secrets_file = d / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{pysecrets.token_hex(32)}"\n'
        'client_id = "stadens-it-styrkort"\n'
        f'client_secret = "{client_secret}"\n'
        f'server_metadata_url = "{oidc_provider}/.well-known/openid-configuration"\n', encoding="utf-8")
    server = Server(wh, artifacts / "oidc_app.log", extra_args=["--secrets.files", str(secrets_file)],
                    env={"SCORECARD_DEMO_LOGIN": "1"}, port=port)  # the demo login must still be impossible
    server.client_secret = client_secret
    yield server
    server.stop()


def test_login_through_oidc_lands_with_role_and_scope_and_logs_out(oidc_provider, oidc_app, page, artifacts):
    # the provider knows the user's claims: e-mail, name and a group
    r = httpx.put(f"{oidc_provider}/users/{quote(EMAIL)}",
                  json={"email": EMAIL, "name": "Anna Berg", "groups": ["it-analytiker", "alla-anstallda"]})
    assert r.status_code == 204

    page.goto(oidc_app.url + "/")
    wait_for_app(page)
    body = page.locator("[data-testid='stApp']")
    assert "Logga in med ditt konto i staden" in body.inner_text()
    assert "Demoläge" not in body.inner_text()                  # impossible once [auth] is configured
    assert page.locator("[data-testid='stDataFrame'], [data-testid='stMetric'], table.sc-table").count() == 0  # no data shown
    page.get_by_role("button", name="Logga in").click()

    # the provider's own authorisation form
    page.wait_for_url(f"{oidc_provider}/**", timeout=30_000)
    assert "code" in page.url and "stadens-it-styrkort" in page.url
    page.get_by_placeholder("sub").fill(EMAIL)
    page.get_by_role("button", name="Authorize").click()

    # back in the app, logged in with the role from the store and the group's scope
    page.wait_for_url(oidc_app.url + "/**", timeout=30_000)
    wait_for_app(page)
    sidebar = page.locator("[data-testid='stSidebar']")
    sidebar.get_by_text("Anna Berg").wait_for(timeout=30_000)
    text = sidebar.inner_text()
    assert EMAIL in text
    assert "Nämndordförande/godkännare – Skärholmens stadsdelsnämnd" in text
    assert "Analytiker – Farsta stadsdelsnämnd" in text
    assert "Läsare" in text
    assert "Demoläge" not in page.locator("[data-testid='stApp']").inner_text()
    assert "code=" not in page.url and "token" not in page.url   # nothing of the login left in the URL
    cookies = {c["name"]: c for c in page.context.cookies()}
    auth_cookie = cookies.get("_streamlit_user")
    assert auth_cookie and auth_cookie["httpOnly"]               # the session is Streamlit's HTTP-only cookie
    page.screenshot(path=str(artifacts / "oidc_logged_in.png"), full_page=True)

    # the role is in force, not only displayed: a chair cannot record council decisions or grant roles
    page.goto(oidc_app.url + "/council_decisions")
    wait_for_app(page)
    page.get_by_text("Endast utvecklingsrådets sekreterare kan registrera beslut.").wait_for(timeout=30_000)
    assert page.get_by_role("button", name="Spara beslut").count() == 0
    page.goto(oidc_app.url + "/admin")
    wait_for_app(page)
    page.get_by_text("Du har inte behörighet att tilldela roller.").wait_for(timeout=30_000)
    page.goto(oidc_app.url + "/")
    wait_for_app(page)
    sidebar.get_by_text("Anna Berg").wait_for(timeout=30_000)   # still logged in across pages

    # log out: the app ends its own session and the provider's (RP-initiated logout), then shows the login
    sidebar.get_by_role("button", name="Logga ut").click()
    page.wait_for_url(f"{oidc_provider}/oauth2/end_session**", timeout=30_000)
    assert "_streamlit_user" not in {c["name"] for c in page.context.cookies()}
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(oidc_app.url + "/**", timeout=30_000)
    page.get_by_role("button", name="Logga in").wait_for(timeout=30_000)
    wait_for_app(page)
    assert "Anna Berg" not in page.locator("[data-testid='stSidebar']").inner_text()
    assert "_streamlit_user" not in {c["name"] for c in page.context.cookies()}
    # nothing sensitive in the app's log: no client secret, no token, no authorisation code
    log = (artifacts / "oidc_app.log").read_text()
    secret = oidc_app.client_secret
    assert secret not in log and "eyJ" not in log and "code=" not in log
