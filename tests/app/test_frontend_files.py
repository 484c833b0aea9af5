"""ui/frontend_files.py: Streamlit's frontend bundles answered from memory on a browser's first visit. The answer
must be the one Streamlit's own static handler gives (status, headers, bytes), and every request that is not the
plain case must reach Streamlit unchanged."""
from __future__ import annotations

import asyncio
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ui.frontend_files import FrontendFiles, bundle_files

ROOT = Path(__file__).resolve().parents[2]


def _static_dir() -> Path:
    from streamlit import file_util

    return Path(file_util.get_static_dir())


class Downstream:
    """The ASGI app behind the middleware (Streamlit's stack in the server): records the requests it gets."""

    def __init__(self):
        self.paths = []

    async def __call__(self, scope, receive, send):
        self.paths.append(scope["path"])
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b"downstream"})


def _call(mw, path, method="GET", headers=(), query=b""):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": method, "path": path, "headers": list(headers), "query_string": query,
             "root_path": ""}
    # in a thread of its own: the browser tests' Playwright may keep an event loop running in this one
    errors = []
    thread = threading.Thread(target=lambda: _run_catching(mw(scope, receive, send), errors))
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return sent


def _run_catching(coro, errors):
    try:
        asyncio.run(coro)
    except BaseException as exc:  # noqa: BLE001 — re-raised in the test's thread
        errors.append(exc)


def test_every_bundle_file_is_listed_by_its_url_path():
    files = bundle_files(_static_dir())
    js = [p for p in files if p.startswith("/static/js/") and p.endswith(".js")]
    assert len(js) > 100 and any(p.startswith("/static/media/") and p.endswith(".woff2") for p in files)
    for url, path in files.items():
        assert path.is_file() and url == "/static/" + path.relative_to(_static_dir() / "static").as_posix()


def test_a_plain_get_is_answered_from_memory_with_streamlits_headers_and_bytes():
    down = Downstream()
    mw = FrontendFiles(down)
    url = next(p for p in mw.files if p.startswith("/static/js/index."))
    sent = _call(mw, url, headers=[(b"cookie", b"_streamlit_xsrf=abc")])
    assert down.paths == []
    start, body = sent
    headers = dict(start["headers"])
    assert start["status"] == 200
    # the type is the one the process's mimetypes give (the server registers application/javascript; compared
    # with Streamlit's own answer in the real server below)
    assert headers[b"content-type"] in (b"application/javascript", b"text/javascript; charset=utf-8")
    assert headers[b"cache-control"] == b"public, immutable, max-age=31536000"
    assert headers[b"content-length"] == str(mw.files[url].stat().st_size).encode()
    assert body["body"] == mw.files[url].read_bytes()
    assert _call(mw, url)[1]["body"] == body["body"]  # read once, then from memory


@pytest.mark.parametrize("kind", ["session cookie", "range", "if-none-match", "head", "unknown file", "query", "index"])
def test_everything_else_goes_to_streamlit(kind):
    down = Downstream()
    mw = FrontendFiles(down)
    url = next(p for p in mw.files if p.endswith(".js"))
    args = {"session cookie": dict(path=url, headers=[(b"cookie", b"a=1; _streamlit_session=xyz")]),
            "range": dict(path=url, headers=[(b"range", b"bytes=0-9")]),
            "if-none-match": dict(path=url, headers=[(b"if-none-match", b'"abc"')]),
            "head": dict(path=url, method="HEAD"),
            "unknown file": dict(path="/static/js/not-a-bundle.js"),
            "query": dict(path=url, query=b"v=1"),
            "index": dict(path="/")}[kind]
    sent = _call(mw, **args)
    assert down.paths == [args["path"]] and sent[0]["status"] == 299


@given(path=st.one_of(st.text(max_size=60).map(lambda s: "/static/" + s),
                      st.sampled_from(["/static/js/../../index.html", "/static//js/x.js", "/static/js/%2e%2e/x",
                                       "/STATIC/js/a.js", "/static/js/"])))
def test_only_a_listed_path_is_answered(path):
    down = Downstream()
    mw = FrontendFiles(down)
    sent = _call(mw, path)
    if path in mw.files:
        assert down.paths == [] and sent[0]["status"] == 200
    else:
        assert down.paths == [path] and sent[0]["status"] == 299


# ---------------------------------------------------------------- in the real server

@pytest.fixture(scope="module")
def make_run_server(tmp_path_factory):
    from e2e_helpers import Server

    server = Server(tmp_path_factory.mktemp("nowh") / "none.duckdb", tmp_path_factory.mktemp("log") / "server.log",
                    env={"SCORECARD_CACHE_DIR": str(tmp_path_factory.mktemp("cache"))},
                    command=["-m", "launch", "streamlit", "run", "serve.py", "--server.headless", "true",
                             "--server.address", "127.0.0.1", "--server.port", "$(PORT)"], timeout=120)
    try:
        yield server.url
    finally:
        server.stop()


def _get(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.getheaders() if k.lower() != "date"}, r.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items() if k.lower() != "date"}, err.read()


def test_the_server_answers_as_streamlit_does(make_run_server):
    """The same files fetched as a first visit (from memory) and with Streamlit's session cookie (through
    Streamlit's own static handler): the same status, headers and bytes, for every kind of bundle file."""
    files = bundle_files(_static_dir())
    sample = [next(p for p in files if p.startswith("/static/js/index.")),
              next(p for p in files if p.endswith(".css")),
              next(p for p in files if p.endswith(".woff2")),
              *sorted(p for p in files if p.endswith(".js"))[::40]]
    for path in sample:
        fast = _get(make_run_server + path)
        streamlit = _get(make_run_server + path, {"Cookie": "_streamlit_session=e30="})
        assert fast[0] == streamlit[0] == 200, path
        assert fast[1] == streamlit[1], path
        assert fast[2] == streamlit[2] == files[path].read_bytes(), path
    # a range request still gets Streamlit's partial answer
    status, headers, body = _get(make_run_server + sample[0], {"Range": "bytes=0-9"})
    assert status == 206 and len(body) == 10 and headers["content-range"].startswith("bytes 0-9/")
