"""Number, value and period formatting for the reports, through Babel (CLDR): Swedish by default
("1 234 567,8" with a no-break space, "97,3 %", "36 147 kr"), English with --lang en.

The reports must not depend on Streamlit, so they format here rather than through the app's ui/.
The same unit rules as the app: '%' → per cent with one decimal, SEK → kronor, index → one decimal."""
from __future__ import annotations

import math
from typing import Any

from babel.numbers import format_decimal

LOCALES = {"sv": "sv_SE", "en": "en_GB"}
NBSP = "\u00a0"
MISSING = "–"


def is_missing(x: Any) -> bool:
    if x is None:
        return True
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return False


def number(x: Any, decimals: int = 0, lang: str = "sv") -> str:
    if is_missing(x):
        return MISSING
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    if round(abs(float(x)), decimals) == 0:
        x = 0.0  # a value that rounds to zero has no sign
    return format_decimal(float(x), format=pattern, locale=LOCALES[lang])


def signed(x: Any, decimals: int = 1, lang: str = "sv") -> str:
    """A change with its sign: +2,1 / −0,4 / ±0,0."""
    if is_missing(x):
        return MISSING
    s = number(abs(float(x)), decimals, lang)
    if round(abs(float(x)), decimals) == 0:
        return "±" + s
    return ("+" if float(x) > 0 else "−") + s


def unit_kind(unit: Any) -> str:
    u = str(unit or "").strip().lower()
    if "%" in u or "percent" in u or "procent" in u:
        return "percent"
    if "sek" in u or u.startswith("kr"):
        return "money"
    if u.startswith("index"):
        return "index"
    return "number"


def value(x: Any, unit: Any, lang: str = "sv") -> str:
    """A measure value with its unit: '%' → "97,3 %", 'SEK/user/year' → "36 147 kr", index → "72,5"."""
    if is_missing(x):
        return MISSING
    kind = unit_kind(unit)
    if kind == "percent":
        n = number(x, 1, lang)
        return f"{n}{NBSP}%" if lang == "sv" else f"{n}%"
    if kind == "money":
        n = number(x, 0, lang)
        return f"{n}{NBSP}kr" if lang == "sv" else f"SEK{NBSP}{n}"
    return number(x, 1, lang)


def score(x: Any, lang: str = "sv") -> str:
    return number(x, 0, lang)


def period(p: Any, lang: str = "sv") -> str:
    """'2026-T2' → 'T2 2026'; '2026-Q3' → 'Kv 3 2026' / 'Q3 2026'; '2026-07' → '2026-07'; '2025' → '2025'."""
    if is_missing(p) or p == "":
        return MISSING
    p = str(p)
    year, _, rest = p.partition("-")
    if rest.startswith("T"):
        return f"T{rest[1:]} {year}"
    if rest.startswith("Q"):
        return f"Kv{NBSP}{rest[1:]} {year}" if lang == "sv" else f"Q{rest[1:]} {year}"
    return p


def excel_format(unit: Any) -> str:
    """openpyxl number format code for a measure value kept in its warehouse unit (88.21 means 88,21 %).
    Format codes are stored in Excel's invariant syntax; Swedish Excel shows them as "88,2 %"."""
    kind = unit_kind(unit)
    if kind == "percent":
        return '#,##0.0" %"'
    if kind == "money":
        return '#,##0" kr"'
    return "#,##0.0"
