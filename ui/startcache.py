"""What the app server would otherwise work out again at every start, kept on disk (settings.cache_dir()).

Two things, both measured on the cold first page after `make run` (docs/benchmark.md, "Cold start, session 7"):

* the hyphenation patterns of the start page's tables: pyphen parses its `hyph_sv.dic` (15 000 patterns)
  with regular expressions at every start, 0.06 s of CPU; the parsed patterns load in 0.005 s;
* Streamlit's scan of the installed packages for custom components (v2 manifests, at the runtime's start,
  before the server answers): it reads the metadata of every installed distribution, 0.13 s of CPU, and
  finds none in this product's environment. Only that answer, "none", is kept, keyed by the list of
  installed distributions (their metadata directories and times): an install, upgrade or removal changes
  the key and the scan runs again. A scan that finds components is never cached.

An entry is a pickle written by this process (atomically: a temporary file, then a rename) holding its key;
an entry whose key differs, an unreadable or half-written file, or a cache directory that cannot be written
all just mean the work is done as without a cache. Deleting the directory is always safe."""
from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterable

LOG = logging.getLogger("scorecard.startcache")

_FORMAT = 1  # bump when what an entry holds changes


def _key(parts: Iterable[Any]) -> str:
    h = hashlib.sha256()
    for part in (_FORMAT, sys.version, *parts):
        h.update(repr(part).encode("utf-8") + b"\0")
    return h.hexdigest()


def file_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _path(name: str) -> Path:
    from settings import cache_dir

    return cache_dir() / f"{name}.pickle"


def read(name: str, key_parts: Iterable[Any]) -> tuple[bool, Any]:
    """(True, value) when the entry `name` was stored under the same key, else (False, None)."""
    try:
        with open(_path(name), "rb") as fh:
            stored = pickle.load(fh)
        if isinstance(stored, dict) and stored.get("key") == _key(key_parts):
            return True, stored["value"]
    except FileNotFoundError:
        pass
    except Exception as exc:  # noqa: BLE001 — a damaged entry is rebuilt, never fatal
        LOG.info("start-up cache %s not used: %s", name, exc)
    return False, None


def write(name: str, key_parts: Iterable[Any], value: Any) -> None:
    path = _path(name)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump({"key": _key(key_parts), "value": value}, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:  # a read-only checkout: just no cache
        LOG.info("start-up cache %s not written: %s", name, exc)


def cached(name: str, key_parts: Iterable[Any], build: Callable[[], Any]) -> Any:
    """The entry `name` for this key, or build() stored under it."""
    key_parts = tuple(key_parts)
    hit, value = read(name, key_parts)
    if hit:
        return value
    value = build()
    write(name, key_parts, value)
    return value


# ---------------------------------------------------------------- hyphenation patterns

def hyph_dict(path: Path):
    """pyphen's parsed patterns of the dictionary file `path` (a pyphen.HyphDict), from the cache when the
    file's content and pyphen's version are the same as when they were stored."""
    import pyphen

    def parse() -> tuple[dict, int]:
        hd = pyphen.HyphDict(Path(path))
        return hd.patterns, hd.maxlen

    patterns, maxlen = cached(f"hyphenation-{Path(path).stem}", (pyphen.VERSION, file_digest(path)), parse)
    hd = pyphen.HyphDict.__new__(pyphen.HyphDict)  # what HyphDict.__init__ leaves behind, without the parse
    hd.patterns, hd.maxlen, hd.cache = patterns, maxlen, {}
    return hd


def hyphenator(locale: str):
    """pyphen.Pyphen for `locale` (e.g. "sv_SE") whose patterns come from hyph_dict."""
    import pyphen

    path = Path(pyphen.LANGUAGES[pyphen.language_fallback(locale)])
    if path not in pyphen.hdcache:  # pyphen's own per-process cache of parsed files, which Pyphen() reads
        pyphen.hdcache[path] = hyph_dict(path)
    return pyphen.Pyphen(lang=locale)


# ---------------------------------------------------------------- Streamlit's component scan

def installed_distributions() -> list[tuple[str, str, int]]:
    """What importlib.metadata finds on sys.path, as (directory, metadata entry, mtime in ns): the key of the
    component scan's answer. Listing the directories costs ~1 ms; reading every distribution's metadata,
    as the scan does, 0.13 s."""
    found = []
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as it:
                for e in it:
                    if e.name.endswith((".dist-info", ".egg-info", ".egg-link", ".pth")):
                        try:
                            found.append((entry, e.name, e.stat().st_mtime_ns))
                        except OSError:
                            found.append((entry, e.name, 0))
        except (OSError, NotADirectoryError):
            continue
    return sorted(found)


def scan_without_repeat(scan: Callable[[], list]) -> Callable[[], list]:
    """A drop-in for Streamlit's `scan_component_manifests`: answers "no components" from the cache when the
    installed distributions are those of a scan that found none; otherwise runs `scan` (and remembers an
    empty answer)."""
    import streamlit

    def scan_component_manifests() -> list:
        key = ("component-scan", streamlit.__version__, installed_distributions())
        hit, none_found = read("component-scan", key)
        if hit and none_found is True:
            return []
        result = scan()
        if not result:
            write("component-scan", key, True)
        return result

    scan_component_manifests.__wrapped__ = scan  # type: ignore[attr-defined]
    return scan_component_manifests
