from pathlib import Path

import yaml

from ui.i18n import LANGS, incomplete_keys, translate, translation_table

TR_DIR = Path(__file__).resolve().parents[2] / "ui" / "translations"


def test_every_key_has_swedish_and_english():
    table = translation_table()
    assert len(table) > 100
    assert incomplete_keys(table) == []


def test_keys_are_strings_and_unique_across_files():
    seen = {}
    for f in sorted(TR_DIR.glob("*.yaml")):
        data = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        for k, v in data.items():
            assert isinstance(k, str), f"{f.name}: key {k!r} is not a string (YAML yes/no?)"
            assert k not in seen, f"{k} in {f.name} and {seen.get(k)}"
            assert set(LANGS) <= set(v), f"{f.name}: {k} lacks a language"
            seen[k] = f.name


def test_incomplete_keys_detects_a_missing_language():
    assert incomplete_keys({"a": {"sv": "x"}, "b": {"sv": "x", "en": "y"}, "c": {"sv": "", "en": "z"}}) == ["a", "c"]


def test_translate_swedish_default_and_english():
    assert translate("nav.city_overview") == "Stadsöversikt"
    assert translate("nav.city_overview", "en") == "City overview"
    assert translate("overview.n_committees", "sv", n=3) == "3 nämnder och bolag"
    assert translate("no.such.key") == "no.such.key"


def test_page_titles_for_every_page_in_navigation():
    import ast

    src = (Path(__file__).resolve().parents[2] / "ui" / "nav.py").read_text()
    keys = [n.value for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and n.value.startswith("nav.")]
    assert len(keys) >= 12
    table = translation_table()
    assert [k for k in keys if k not in table] == []


def test_every_source_has_a_name_in_both_languages():
    """Data quality names each source in the UI language; a new contract needs its name here."""
    from etl.contracts import load_contracts
    from ui.i18n import translation_table

    table = translation_table()
    missing = [s for s in load_contracts() if f"source.{s}" not in table]
    assert missing == []
    assert all(table[f"source.{s}"].get("sv") and table[f"source.{s}"].get("en") for s in load_contracts())
