import datetime as dt

import pytest

import periods as P


def test_months_of_each_grain():
    assert P.months("2025-07") == [dt.date(2025, 7, 1)]
    assert P.months("2025-Q3") == [dt.date(2025, 7, 1), dt.date(2025, 8, 1), dt.date(2025, 9, 1)]
    assert P.months("2025-T2") == [dt.date(2025, m, 1) for m in (5, 6, 7, 8)]
    assert P.months("2025")[0] == dt.date(2025, 1, 1) and P.months("2025")[-1] == dt.date(2025, 12, 1)


def test_period_of_and_previous_across_year_boundary():
    jan = dt.date(2025, 1, 1)
    assert [P.period_of(jan, g) for g in P.GRAINS] == ["2025-01", "2025-Q1", "2025-T1", "2025"]
    assert P.previous("2025-01") == "2024-12"
    assert P.previous("2025-Q1") == "2024-Q4"
    assert P.previous("2025-T1") == "2024-T3"
    assert P.previous("2025") == "2024"
    assert P.next_period("2024-T3") == "2025-T1"


def test_latest_complete():
    assert P.latest_complete(dt.date(2026, 8, 1), "tertial") == "2026-T2"
    assert P.latest_complete(dt.date(2026, 10, 1), "tertial") == "2026-T2"
    assert P.latest_complete(dt.date(2026, 12, 1), "tertial") == "2026-T3"
    assert P.latest_complete(dt.date(2026, 10, 1), "year") == "2025"
    assert P.latest_complete(dt.date(2026, 10, 1), "month") == "2026-10"


def test_period_range_and_bad_input():
    assert P.period_range("2024-T3", "2025-T2") == ["2024-T3", "2025-T1", "2025-T2"]
    with pytest.raises(ValueError):
        P.grain_of("2025-T4")
