"""The one period module (used by etl/, metrics/, ui/ and the tests). Period strings ↔ months. Grains: month '2025-07', quarter '2025-Q3', tertial '2025-T2' (T1 Jan–Apr,
T2 May–Aug, T3 Sep–Dec), year '2025'."""
from __future__ import annotations

import datetime as dt
import re

GRAINS = ("month", "quarter", "tertial", "year")
MONTHS_PER = {"month": 1, "quarter": 3, "tertial": 4, "year": 12}
# Coarseness rank; quarter and tertial share a rank because neither contains the other.
RANK = {"month": 1, "quarter": 2, "tertial": 2, "year": 3}

_PATTERNS = {
    "month": re.compile(r"^(\d{4})-(\d{2})$"),
    "quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
    "tertial": re.compile(r"^(\d{4})-T([1-3])$"),
    "year": re.compile(r"^(\d{4})$"),
}


def grain_of(period: str) -> str:
    for grain, pattern in _PATTERNS.items():
        if pattern.match(period):
            return grain
    raise ValueError(f"not a period: {period!r}")


def _first_month(period: str) -> tuple[int, int]:
    grain = grain_of(period)
    year, part = (_PATTERNS[grain].match(period).groups() + (None,))[:2]
    year = int(year)
    if grain == "year":
        return year, 1
    return year, (int(part) - 1) * MONTHS_PER[grain] + 1


def months(period: str) -> list[dt.date]:
    """First day of every month in the period, oldest first."""
    year, month = _first_month(period)
    return [add_months(dt.date(year, month, 1), i) for i in range(MONTHS_PER[grain_of(period)])]


def first_month(period: str) -> dt.date:
    return months(period)[0]


def last_month(period: str) -> dt.date:
    return months(period)[-1]


def month_index(day: dt.date) -> int:
    """The month of `day` as one integer (year × 12 + month − 1): months apart = indices apart."""
    return day.year * 12 + day.month - 1


def month_from_index(index: int) -> dt.date:
    """First day of the month with this month_index."""
    return dt.date(index // 12, index % 12 + 1, 1)


def add_months(day: dt.date, n: int) -> dt.date:
    """First day of the month n months after (n < 0: before) the month of `day`."""
    return month_from_index(month_index(day) + n)


def months_between(earlier: dt.date, later: dt.date) -> int:
    return month_index(later) - month_index(earlier)


def period_of(day: dt.date, grain: str) -> str:
    if grain == "month":
        return f"{day.year}-{day.month:02d}"
    if grain == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if grain == "tertial":
        return f"{day.year}-T{(day.month - 1) // 4 + 1}"
    if grain == "year":
        return str(day.year)
    raise ValueError(f"unknown grain {grain!r}")


def previous(period: str, n: int = 1) -> str:
    grain = grain_of(period)
    return period_of(add_months(first_month(period), -n * MONTHS_PER[grain]), grain)


def next_period(period: str, n: int = 1) -> str:
    return previous(period, -n)


def latest_complete(last_data_month: dt.date, grain: str) -> str:
    """The latest period of `grain` whose last month is at or before `last_data_month`."""
    period = period_of(last_data_month, grain)
    return period if last_month(period) <= last_data_month else previous(period)


def period_range(period_from: str, period_to: str) -> list[str]:
    """Every period of the same grain from `period_from` to `period_to`, inclusive, oldest first."""
    grain = grain_of(period_from)
    if grain_of(period_to) != grain:
        raise ValueError("periods of different grains")
    out, current = [], period_from
    while first_month(current) <= first_month(period_to):
        out.append(current)
        current = next_period(current)
    return out


def label_sql(grain: str, column: str) -> str:
    """SQL expression giving the period label of the DATE `column` at `grain`."""
    return {
        "month": f"strftime({column}, '%Y-%m')",
        "quarter": f"strftime({column}, '%Y') || '-Q' || quarter({column})",
        "tertial": f"strftime({column}, '%Y') || '-T' || ((month({column}) - 1) // 4 + 1)",
        "year": f"strftime({column}, '%Y')",
    }[grain]


def start_sql(grain: str, column: str) -> str:
    """SQL expression giving the first month of the `grain` period containing DATE `column`."""
    if grain == "tertial":
        return (f"make_date(year({column}), ((month({column}) - 1) // 4) * 4 + 1, 1)")
    return f"CAST(date_trunc('{grain}', {column}) AS DATE)"
