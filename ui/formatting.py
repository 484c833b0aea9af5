"""Number, money, percent, date and period formatting for Swedish (default) and English.

Swedish: U+00A0 (no-break space) as thousands separator, decimal comma, "97,3 %",
"1 234 kr", "1 235 tkr", "1,2 mnkr". English: "1,234,567.8", "97.3%", "SEK 1,234",
"SEK 1,235k", "SEK 1.2m". No locale is used (the container has no sv_SE)."""
from __future__ import annotations

import datetime as _dt
import math
from typing import Any

NBSP = "\u00a0"
MINUS = "\u2212"
MISSING = "–"

MONTHS_SV = ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]
MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def is_missing(x: Any) -> bool:
    if x is None:
        return True
    try:
        return bool(math.isnan(float(x)))
    except (TypeError, ValueError):
        return False


def format_number(x: Any, decimals: int = 0, lang: str = "sv") -> str:
    """1234567.8 → "1 234 567,8" (sv, U+00A0) / "1,234,567.8" (en)."""
    if is_missing(x):
        return MISSING
    x = float(x)
    s = f"{abs(x):,.{decimals}f}"  # "1,234,567.8"
    if lang == "sv":
        s = s.replace(",", "\x00").replace(".", ",").replace("\x00", NBSP)
        sign = MINUS
    else:
        sign = "-"
    # a value that rounds to zero is shown without sign
    if x < 0 and float(f"{abs(x):.{decimals}f}") != 0:
        s = sign + s
    return s


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
    """ISO date in Swedish (2025-07-01), "1 Jul 2025" in English."""
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
        if lang == "sv":
            return x.strftime("%Y-%m-%d %H:%M") if with_time else x.strftime("%Y-%m-%d")
        s = f"{x.day} {MONTHS_EN[x.month - 1]} {x.year}"
        return s + x.strftime(" %H:%M") if with_time else s
    if isinstance(x, _dt.date):
        return x.isoformat() if lang == "sv" else f"{x.day} {MONTHS_EN[x.month - 1]} {x.year}"
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
