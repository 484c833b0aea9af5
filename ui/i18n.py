"""Translation table assembled from ui/translations/*.yaml (key → {sv, en}).

core.yaml belongs to the app pages, council.yaml to the council pages. Keys must be unique
across files. In strict mode (settings.i18n_strict(), on in the app and browser tests) a missing key,
a missing language or a placeholder the text does not take raises `TranslationError`; otherwise a
missing key renders as the key itself and a bad placeholder leaves the text unformatted."""
from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import yaml

import settings

LANGS = ("sv", "en")
DEFAULT_LANG = "sv"
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: the tables load in ~0.05 s, not ~0.5 s


@lru_cache(maxsize=4)
def _load(dir_str: str, stamp: tuple) -> dict[str, dict[str, str]]:
    table: dict[str, dict[str, str]] = {}
    for f in sorted(Path(dir_str).glob("*.yaml")):
        data = yaml.load(f.read_text(encoding="utf-8"), Loader=YAML_LOADER) or {}
        for key, val in data.items():
            if key in table:
                raise ValueError(f"translation key {key!r} defined twice ({f.name})")
            table[str(key)] = val if isinstance(val, dict) else {}
    return table


_checked: dict[str, tuple[float, tuple]] = {}
RECHECK_SECONDS = 5.0


def translation_table(directory: Path = TRANSLATIONS_DIR) -> dict[str, dict[str, str]]:
    """The merged table; the files are re-read when they change (checked at most every 5 s)."""
    key = str(directory)
    now = time.monotonic()
    hit = _checked.get(key)
    if hit is None or now - hit[0] > RECHECK_SECONDS:
        files = sorted(directory.glob("*.yaml"))
        stamp = tuple((f.name, f.stat().st_mtime_ns) for f in files)
        _checked[key] = (now, stamp)
    return _load(key, _checked[key][1])


def incomplete_keys(table: dict[str, dict[str, str]] | None = None) -> list[str]:
    table = translation_table() if table is None else table
    return sorted(k for k, v in table.items() if any(not isinstance(v.get(l), str) or not v.get(l).strip() for l in LANGS))


class TranslationError(KeyError):
    """A lookup the translation tables cannot answer (strict mode)."""


def translate(key: str, lang: str = DEFAULT_LANG, strict: bool | None = None, **fmt: Any) -> str:
    strict = settings.i18n_strict() if strict is None else strict
    entry = translation_table().get(key)
    if not entry:
        if strict:
            raise TranslationError(f"translation key {key!r} is not in ui/translations/*.yaml")
        return key
    text = entry.get(lang)
    if not text:
        if strict:
            raise TranslationError(f"translation key {key!r} has no {lang!r} text")
        text = entry.get(DEFAULT_LANG) or key
    if fmt or strict:
        try:
            text = text.format(**fmt)
        except (KeyError, IndexError, ValueError) as exc:
            if strict:
                raise TranslationError(f"translation {key!r} ({lang}): placeholder problem {exc!r} "
                                       f"with arguments {sorted(fmt)}") from exc
    return text


def count_key(key: str, n: int) -> str:
    """The translation key of a text about `n` things: `<key>_one` for exactly one, else `key` (Swedish and
    English have these two plural forms; the tables hold both, e.g. "1 project" / "2 projects")."""
    return f"{key}_one" if n == 1 else key


def translator(lang: str) -> Callable[..., str]:
    def t(key: str, **fmt: Any) -> str:
        return translate(key, lang, **fmt)

    t.lang = lang  # type: ignore[attr-defined]
    return t


def name_col(lang: str) -> str:
    """Column holding the display name in the query layer's frames: name_sv / name_en."""
    return "name_en" if lang == "en" else "name_sv"
