"""Number, money, percent, date and period formatting for Swedish (default) and English.

Swedish: U+00A0 (no-break space) as thousands separator, decimal comma, "97,3 %",
"1 234 kr", "1 235 tkr", "1,2 mnkr". English: "1,234,567.8", "97.3%", "SEK 1,234",
"SEK 1,235k", "SEK 1.2m". Digits, separators and month names come from Babel's CLDR data for
sv_SE / en_GB (no OS locale needed); the product's own units (kr, tkr, mnkr) and the Swedish
typographic minus (U+2212) are put on top. `parse_number` reads a formatted number back.

The display rule (status and shown value never contradict): `value_vs` shows a measure value with
as many extra decimals (up to 3 more) as it takes to tell it apart from its target and red
threshold, so "70,0 %" is never shown as yellow against a target of "70,0 %"."""
from __future__ import annotations

import datetime as _dt
import math
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.dates import format_date as _babel_date
from babel.dates import format_datetime as _babel_datetime
from babel.dates import get_month_names
from babel.numbers import format_decimal as _babel_decimal

NBSP = "\u00a0"
MINUS = "\u2212"
MISSING = "–"

LOCALES = {"sv": "sv_SE", "en": "en_GB"}


def _months(lang: str) -> list[str]:
    names = get_month_names("abbreviated", context="stand-alone", locale=LOCALES.get(lang, "sv_SE"))
    return [str(names[i]).rstrip(".")[:3] for i in range(1, 13)]


MONTHS_SV = _months("sv")   # jan feb mar … (CLDR, without the abbreviation dot)
MONTHS_EN = _months("en")   # Jan Feb Mar …


def is_missing(x: Any) -> bool:
    """None, NaN, pandas NA / NaT."""
    if x is None:
        return True
    try:
        import pandas as pd

        r = pd.isna(x)
        if isinstance(r, bool) and r:
            return True
    except (TypeError, ValueError):
        pass
    try:
        return bool(math.isnan(float(x)))
    except (TypeError, ValueError):
        return False


def format_number(x: Any, decimals: int = 0, lang: str = "sv") -> str:
    """1234567.8 → "1 234 567,8" (sv, U+00A0) / "1,234,567.8" (en), through Babel."""
    if is_missing(x):
        return MISSING
    x = float(x)
    if math.isinf(x):
        return MISSING
    decimals = max(0, int(decimals))
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    q = Decimal(repr(abs(x))).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    rounded = float(q)
    s = _babel_decimal(q, format=pattern, locale=LOCALES.get(lang, "sv_SE"),
                       decimal_quantization=True, group_separator=True)
    if lang == "sv":
        s = s.replace(" ", NBSP).replace("\u202f", NBSP)
    # a value that rounds to zero is shown without sign
    if x < 0 and rounded != 0:
        s = (MINUS if lang == "sv" else "-") + s
    return s


def parse_number(text: str, lang: str = "sv") -> float:
    """The inverse of format_number (and of format_percent/tkr/mnkr without scaling): strips units,
    reads the language's separators and the U+2212 minus. Raises ValueError on anything else."""
    s = str(text).strip()
    s = re.sub(r"(%|mnkr|tkr|kr|SEK|[km])$", "", s.replace("SEK" + NBSP, "")).strip()
    s = s.replace(MINUS, "-")
    if lang == "sv":
        s = s.replace(NBSP, "").replace(" ", "").replace(",", ".")
    else:
        s = s.replace(",", "")
    if not re.fullmatch(r"-?\d+(\.\d+)?", s):
        raise ValueError(f"not a {lang} number: {text!r}")
    return float(s)


def format_percent(x: Any, decimals: int = 1, lang: str = "sv") -> str:
    """97.3 (already in per cent) → "97,3 %" (sv) / "97.3%" (en)."""
    if is_missing(x):
        return MISSING
    n = format_number(x, decimals, lang)
    return f"{n}{NBSP}%" if lang == "sv" else f"{n}%"


def format_sek(x: Any, lang: str = "sv", decimals: int = 0) -> str:
    if is_missing(x):
        return MISSING
    n = format_number(x, decimals, lang)
    return f"{n}{NBSP}kr" if lang == "sv" else f"SEK{NBSP}{n}"


def format_tkr(x: Any, lang: str = "sv", decimals: int = 0) -> str:
    """Kronor → thousands: 1234567 → "1 235 tkr"."""
    if is_missing(x):
        return MISSING
    n = format_number(float(x) / 1_000, decimals, lang)
    return f"{n}{NBSP}tkr" if lang == "sv" else f"SEK{NBSP}{n}k"


def format_mnkr(x: Any, lang: str = "sv", decimals: int = 1) -> str:
    """Kronor → millions: 1234567 → "1,2 mnkr"."""
    if is_missing(x):
        return MISSING
    n = format_number(float(x) / 1_000_000, decimals, lang)
    return f"{n}{NBSP}mnkr" if lang == "sv" else f"SEK{NBSP}{n}m"


def format_money(x: Any, lang: str = "sv") -> str:
    """Pick kr / tkr / mnkr by magnitude."""
    if is_missing(x):
        return MISSING
    a = abs(float(x))
    if a >= 10_000_000:
        return format_mnkr(x, lang)
    if a >= 100_000:
        return format_tkr(x, lang)
    return format_sek(x, lang)


def format_date(x: Any, lang: str = "sv", with_time: bool = False) -> str:
    """ISO date in Swedish (2025-07-01), "1 Jul 2025" in English (Babel, CLDR month names)."""
    if is_missing(x) or x == "":
        return MISSING
    if isinstance(x, str):
        try:
            x = _dt.datetime.fromisoformat(x)
        except ValueError:
            return x
    if hasattr(x, "to_pydatetime"):
        x = x.to_pydatetime()
    if isinstance(x, _dt.datetime):
        if x.tzinfo is not None:
            x = x.replace(tzinfo=None)
        if lang == "sv":
            return _babel_datetime(x, "yyyy-MM-dd HH:mm" if with_time else "yyyy-MM-dd", locale="sv_SE")
        return _babel_datetime(x, "d MMM y HH:mm" if with_time else "d MMM y", locale="en_GB")
    if isinstance(x, _dt.date):
        return x.isoformat() if lang == "sv" else _babel_date(x, "d MMM y", locale="en_GB")
    return str(x)


def format_period(p: Any, lang: str = "sv") -> str:
    """'2025-T2' → 'T2 2025'; '2025-Q3' → 'Kv 3 2025' / 'Q3 2025'; '2025-07' → 'jul 2025' / 'Jul 2025'."""
    if is_missing(p) or p == "":
        return MISSING
    p = str(p)
    if len(p) == 4 and p.isdigit():
        return p
    year, _, rest = p.partition("-")
    if rest.startswith("T"):
        return f"T{rest[1:]} {year}"
    if rest.startswith("Q"):
        return f"Kv{NBSP}{rest[1:]} {year}" if lang == "sv" else f"Q{rest[1:]} {year}"
    if rest.isdigit() and 1 <= int(rest) <= 12:
        names = MONTHS_SV if lang == "sv" else MONTHS_EN
        return f"{names[int(rest) - 1]} {year}"
    return p


def unit_kind(unit: Any) -> str:
    """'percent' | 'money' | 'index' | 'number' from a catalogue unit string."""
    u = str(unit or "").strip().lower()
    if "%" in u or "percent" in u or "procent" in u:
        return "percent"
    if u.startswith("sek") or u.startswith("kr") or "sek" in u:
        return "money"
    if u.startswith("index"):
        return "index"
    return "number"


def format_value(x: Any, unit: Any, lang: str = "sv") -> str:
    """A measure value with its unit: '%' → "97,3 %", 'SEK / user / year' → "41 250 kr", index → "72,5"."""
    kind = unit_kind(unit)
    if kind == "percent":
        return format_percent(x, 1, lang)
    if kind == "money":
        return format_sek(x, lang)
    if kind == "index":
        return format_number(x, 1, lang)
    return format_number(x, 1, lang)


def format_quantity(x: Any, unit: Any, lang: str = "sv") -> str:
    """A value in its own unit (a benefit's baseline, target, claim): money as kr/tkr/mnkr, anything
    else as a number followed by the unit."""
    if str(unit).strip().upper() in ("SEK", "KR"):
        return format_money(x, lang)
    return f"{format_number(x, 0, lang)} {unit}".strip()


def format_score(x: Any, lang: str = "sv") -> str:
    return format_number(x, 0, lang)


class Formatter:
    """Bound to one language; handed to pages as ctx.fmt."""

    def __init__(self, lang: str = "sv"):
        self.lang = lang

    def number(self, x: Any, decimals: int = 0) -> str:
        return format_number(x, decimals, self.lang)

    def percent(self, x: Any, decimals: int = 1) -> str:
        return format_percent(x, decimals, self.lang)

    def sek(self, x: Any, decimals: int = 0) -> str:
        return format_sek(x, self.lang, decimals)

    def tkr(self, x: Any, decimals: int = 0) -> str:
        return format_tkr(x, self.lang, decimals)

    def mnkr(self, x: Any, decimals: int = 1) -> str:
        return format_mnkr(x, self.lang, decimals)

    def money(self, x: Any) -> str:
        return format_money(x, self.lang)

    def quantity(self, x: Any, unit: Any) -> str:
        return format_quantity(x, unit, self.lang)

    def date(self, x: Any, with_time: bool = False) -> str:
        return format_date(x, self.lang, with_time)

    def period(self, p: Any) -> str:
        return format_period(p, self.lang)

    def value(self, x: Any, unit: Any) -> str:
        return format_value(x, unit, self.lang)

    def score(self, x: Any) -> str:
        return format_score(x, self.lang)


_UNIT_SV = {"sek": "kr", "user": "användare", "users": "användare", "year": "år", "per": "per", "month": "månad",
            "hours": "timmar", "hour": "timme", "errands": "ärenden", "errand": "ärende", "incidents": "incidenter",
            "incident": "incident", "days": "dagar", "day": "dag", "transactions": "transaktioner",
            "transaction": "transaktion", "count": "st", "licences": "licenser", "minutes": "minuter"}


def unit_label(unit: Any, lang: str = "sv") -> str:
    """Catalogue unit → display unit: 'SEK / user / year' → 'kr/användare/år' (sv), 'SEK/user/year' (en)."""
    if is_missing(unit) or unit == "":
        return ""
    u = str(unit).strip()
    parts = [p.strip() for p in u.split("/")]
    if lang == "sv":
        parts = [" ".join(_UNIT_SV.get(w.lower(), w) for w in p.split()) for p in parts]
    return "/".join(parts)


# ---------------------------------------------------------------- the display rule

def value_decimals(unit: Any) -> int:
    """Decimals a measure value is shown with: money 0, percent/index/other 1."""
    return 0 if unit_kind(unit) == "money" else 1


def _rounded(x: float, d: int) -> Decimal:
    return Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-d), rounding=ROUND_HALF_UP)


def decimals_to_explain(x: Any, refs: Any, base: int, extra: int = 3) -> int:
    """The fewest decimals ≥ base at which x is not shown equal to any of `refs` (target, red
    threshold, band ends) it differs from; at most base + extra. So a value of 69,98 against a
    target of 70 is shown as "69,98", never as the target's "70,0" with a yellow status."""
    if is_missing(x):
        return base
    refs = [float(r) for r in (refs or []) if not is_missing(r)]
    d = base
    while d < base + extra and any(abs(float(x) - r) > 1e-9 and _rounded(x, d) == _rounded(r, d) for r in refs):
        d += 1
    return d


def format_value_vs(x: Any, unit: Any, refs: Any = (), lang: str = "sv") -> str:
    """A measure value in its unit, with enough decimals that it never looks equal to a target or
    threshold it is not equal to (status and shown value never contradict)."""
    kind = unit_kind(unit)
    d = decimals_to_explain(x, refs, value_decimals(unit))
    if kind == "percent":
        return format_percent(x, d, lang)
    if kind == "money":
        return format_sek(x, lang, d)
    return format_number(x, d, lang)


COUNT_WORDS = ("errand", "ärende", "incident", "transaction", "transaktion", "count", "st", "licen", "user",
               "användare", "case", "call", "samtal", "number", "antal")


def is_count_unit(unit: Any) -> bool:
    u = str(unit or "").strip().lower()
    return bool(u) and unit_kind(u) == "number" and "/" not in u and any(w in u for w in COUNT_WORDS)


def format_indicator(x: Any, unit: Any, lang: str = "sv") -> str:
    """A supporting indicator: percent as "97,3 %", money in tkr (one unit for the whole list), counts without decimals
    ("1 112 ärenden"), anything else with one decimal and its unit."""
    kind = unit_kind(unit)
    if kind == "percent":
        return format_percent(x, 1, lang)
    if kind == "money" and "/" not in str(unit):
        return format_tkr(x, lang)
    if is_missing(x):
        return MISSING
    if kind == "money":  # per-unit money: "41 250 kr/användare/år"
        return f"{format_number(x, 0, lang)}{NBSP}{unit_label(unit, lang)}"
    if is_missing(x):
        return MISSING
    d = 0 if is_count_unit(unit) or float(x).is_integer() else 1
    return f"{format_number(x, d, lang)} {unit_label(unit, lang)}".strip()


def measure_unit_text(unit: Any, lang: str = "sv") -> str:
    """The unit column of a measure: '%' → 'procent', 'index 0–100' → 'index 0–100',
    'SEK/user/year' → 'kr/användare/år'."""
    kind = unit_kind(unit)
    if kind == "percent":
        return "procent" if lang == "sv" else "per cent"
    return unit_label(unit, lang)
