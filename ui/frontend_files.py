"""Streamlit's frontend bundles served from memory to a browser that has none of them yet.

A first visit loads ~120 of Streamlit's own content-hashed files (`/static/js/…`, `/static/css/…`, fonts under
`/static/media/…`, about 4 MB) from the Python server, while the server is still warming up (ui/warmup.py): every
file goes through Streamlit's middleware stack, its static-file handler and four worker-thread hops (stat, open,
read, close), each waiting for the interpreter lock the warm-up holds. This middleware (serve.py puts it in front
of Streamlit's own) answers such a request at once from memory, with the response Streamlit would send: the same
status, the same headers — made by the same Starlette FileResponse from the same file, with Streamlit's
`Cache-Control` for hashed bundles — and the same bytes (each file read once, on its first request).

Only the plain case is answered here: a GET without Streamlit's session cookie (the one cookie Streamlit's
middleware reads for such a request; the XSRF cookie the frontend gets once its websocket is open does not
change the answer), without Range or conditional headers, for a path that is one
of the files in Streamlit's static directory, listed when the server starts (a request path is looked up in
that list, never joined to a file path). Everything else — other paths, HEAD, ranges, If-None-Match, a base URL
path — goes to Streamlit unchanged."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

_PASS_HEADERS = (b"range", b"if-none-match", b"if-modified-since", b"if-range")


def bundle_files(static_dir: Path) -> dict[str, Path]:
    """URL path → file of every file under `<static_dir>/static/` (Streamlit's hashed bundles and fonts)."""
    root = Path(static_dir) / "static"
    files: dict[str, Path] = {}
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            full = Path(dirpath) / name
            files["/static/" + full.relative_to(root).as_posix()] = full
    return files


def streamlit_response(path: Path) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """Headers and body of the response Streamlit's static handler sends for `path` (200, GET)."""
    from starlette.responses import FileResponse
    from streamlit.web.server.starlette.starlette_server_config import STATIC_ASSET_CACHE_MAX_AGE_SECONDS

    response = FileResponse(path, stat_result=os.stat(path))
    response.headers["Cache-Control"] = f"public, immutable, max-age={STATIC_ASSET_CACHE_MAX_AGE_SECONDS}"
    return list(response.raw_headers), Path(path).read_bytes()


class FrontendFiles:
    """ASGI middleware in front of Streamlit's stack (st.App(middleware=[Middleware(FrontendFiles)]))."""

    def __init__(self, app: Any, static_dir: str | Path | None = None) -> None:
        from streamlit import config, file_util
        from streamlit.web.server.starlette.starlette_server_config import SESSION_COOKIE_NAME

        self.app = app
        self.session_cookie = SESSION_COOKIE_NAME.encode("latin-1") + b"="
        self.enabled = not (config.get_option("server.baseUrlPath") or "").strip("/")
        self.files = bundle_files(Path(static_dir or file_util.get_static_dir())) if self.enabled else {}
        self.responses: dict[str, tuple[list[tuple[bytes, bytes]], bytes]] = {}

    def _plain(self, scope: dict) -> bool:
        return (scope["type"] == "http" and scope["method"] == "GET" and scope["path"] in self.files
                and not scope.get("query_string") and not scope.get("root_path")
                and not any(name in _PASS_HEADERS or (name == b"cookie" and self.session_cookie in value)
                            for name, value in scope.get("headers", ())))

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if not (self.enabled and self._plain(scope)):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        entry = self.responses.get(path)
        if entry is None:
            try:
                entry = self.responses[path] = streamlit_response(self.files[path])
            except OSError:  # gone since the start (an upgrade in place): Streamlit answers
                await self.app(scope, receive, send)
                return
        headers, body = entry
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
