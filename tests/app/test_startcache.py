"""The app server's start-up cache (ui/startcache.py): parsed hyphenation patterns and the answer of Streamlit's
component scan, kept under settings.cache_dir(), keyed by what they were made from, made again when that
changes, and never wrong: a cached hyphenator hyphenates every word as pyphen's own parse does."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyphen
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ui import startcache

ROOT = Path(__file__).resolve().parents[2]
SV_DIC = Path(pyphen.LANGUAGES[pyphen.language_fallback("sv_SE")])


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv("SCORECARD_CACHE_DIR", str(d))
    return d


def _fresh(path: Path) -> pyphen.Pyphen:
    """pyphen's own parse of `path`, bypassing every cache."""
    return pyphen.Pyphen(filename=path, cache=False)


def _cached(path: Path) -> pyphen.Pyphen:
    h = pyphen.Pyphen.__new__(pyphen.Pyphen)
    h.left, h.right, h.hd = 2, 2, startcache.hyph_dict(path)
    return h


def test_hyphenation_patterns_are_stored_then_read_back_equal(cache_dir):
    first = startcache.hyph_dict(SV_DIC)  # parsed, stored
    entry = cache_dir / "hyphenation-hyph_sv.pickle"
    assert entry.exists()
    second = startcache.hyph_dict(SV_DIC)  # read back
    fresh = pyphen.HyphDict(SV_DIC)
    assert first.patterns == second.patterns == fresh.patterns and len(fresh.patterns) > 10_000
    assert first.maxlen == second.maxlen == fresh.maxlen
    for word, expected in [("Nyttorealiseringsgrad", "Nyt-to-re-a-li-se-rings-grad"),
                           ("kommunstyrelsen", "kom-mun-sty-rel-sen")]:
        assert _cached(SV_DIC).inserted(word) == expected == _fresh(SV_DIC).inserted(word)


SWEDISH_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzåäöé", min_size=1, max_size=30)


@pytest.fixture(scope="module")
def both_sv(tmp_path_factory):
    os.environ["SCORECARD_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    try:
        startcache.hyph_dict(SV_DIC)  # stored
        return _cached(SV_DIC), _fresh(SV_DIC)  # the cached one read back from the file
    finally:
        del os.environ["SCORECARD_CACHE_DIR"]


@given(words=st.lists(SWEDISH_WORDS, min_size=1, max_size=20))
def test_a_cached_hyphenator_hyphenates_every_word_as_pyphen_does(both_sv, words):
    cached, fresh = both_sv
    for word in words:
        assert cached.inserted(word, hyphen="\u00ad") == fresh.inserted(word, hyphen="\u00ad")


def test_a_changed_dictionary_file_is_parsed_again(cache_dir, tmp_path):
    dic = tmp_path / "hyph_xx.dic"
    dic.write_text("UTF-8\n1ba\n", encoding="utf-8")
    assert startcache.hyph_dict(dic).patterns == {"ba": (0, (1,))}
    dic.write_text("UTF-8\n1ba\nc1d\n", encoding="utf-8")  # same name, other content
    assert startcache.hyph_dict(dic).patterns == {"ba": (0, (1,)), "cd": (1, (1,))}
    fresh = pyphen.Pyphen(filename=dic, cache=False)
    assert _cached(dic).inserted("abacdx") == fresh.inserted("abacdx") == "abac-dx"  # "1ba" would break at 1: under left=2


def test_a_damaged_entry_is_rebuilt_and_an_unwritable_cache_dir_is_no_cache(cache_dir, monkeypatch, tmp_path):
    startcache.hyph_dict(SV_DIC)
    entry = cache_dir / "hyphenation-hyph_sv.pickle"
    entry.write_bytes(entry.read_bytes()[:1000])  # a half-written file
    assert startcache.hyph_dict(SV_DIC).patterns == pyphen.HyphDict(SV_DIC).patterns
    assert startcache.read("hyphenation-hyph_sv", (pyphen.VERSION, startcache.file_digest(SV_DIC)))[0] is True

    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("SCORECARD_CACHE_DIR", str(blocker / "cache"))
    assert startcache.cached("x", (1,), lambda: 42) == 42  # built, not stored, no error
    assert startcache.read("x", (1,)) == (False, None)


def test_the_tables_hyphenate_through_the_cache(cache_dir, monkeypatch):
    from ui import tables

    monkeypatch.setattr(tables, "_HYPHENATORS", {})
    monkeypatch.delitem(pyphen.hdcache, SV_DIC, raising=False)
    assert tables.hyphenate("Nyttorealiseringsgrad", "sv") == "Nyt\u00adto\u00adre\u00ada\u00adli\u00adse\u00adrings\u00adgrad"
    assert (cache_dir / "hyphenation-hyph_sv.pickle").exists()
    assert tables.hyphenate("kort ord", "sv") == "kort ord"  # words under HYPHENATE_FROM letters are left whole


# ---------------------------------------------------------------- the component scan

def test_an_empty_component_scan_is_remembered_until_the_installed_distributions_change(cache_dir, tmp_path,
                                                                                        monkeypatch):
    calls = []

    def scan():
        calls.append(1)
        return []

    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    scan_cached = startcache.scan_without_repeat(scan)
    assert scan_cached() == [] and len(calls) == 1
    assert scan_cached() == [] and len(calls) == 1  # the same environment: not scanned again
    (site / "streamlit_shiny_component-1.0.dist-info").mkdir()  # a package installed
    assert scan_cached() == [] and len(calls) == 2
    assert scan_cached() == [] and len(calls) == 2
    os.utime(site / "streamlit_shiny_component-1.0.dist-info", ns=(1, 1))  # reinstalled / upgraded in place
    assert scan_cached() == [] and len(calls) == 3


def test_a_scan_that_finds_components_is_never_cached(cache_dir):
    calls = []

    def scan():
        calls.append(1)
        return [("manifest", Path("/somewhere"))]

    scan_cached = startcache.scan_without_repeat(scan)
    assert scan_cached() == [("manifest", Path("/somewhere"))]
    assert scan_cached() == [("manifest", Path("/somewhere"))]
    assert len(calls) == 2


def test_streamlits_component_manager_calls_the_replaced_scan(cache_dir, monkeypatch):
    """serve.py replaces the module attribute streamlit.components.v2.manifest_scanner.scan_component_manifests;
    this fails should a Streamlit upgrade make the component manager bind the function elsewhere."""
    from streamlit.components.v2 import manifest_scanner
    from streamlit.components.v2.component_manager import BidiComponentManager

    real = getattr(manifest_scanner.scan_component_manifests, "__wrapped__", manifest_scanner.scan_component_manifests)
    assert real() == []  # this product's environment has no custom components
    calls = []

    def counting():
        calls.append(1)
        return real()

    monkeypatch.setattr(manifest_scanner, "scan_component_manifests", startcache.scan_without_repeat(counting))
    BidiComponentManager().discover_and_register_components(start_file_watching=False)
    BidiComponentManager().discover_and_register_components(start_file_watching=False)
    assert len(calls) == 1  # scanned once, then answered from the cache


def test_serve_installs_the_cached_scan(cache_dir):
    code = ("import serve\n"
            "from streamlit.components.v2 import manifest_scanner as m\n"
            "print(hasattr(m.scan_component_manifests, '__wrapped__'))\n")
    env = dict(os.environ, SCORECARD_CACHE_DIR=str(cache_dir))
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "True"
