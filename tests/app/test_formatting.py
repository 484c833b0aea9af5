from ui.formatting import (NBSP, format_date, format_mnkr, format_money, format_number, format_percent,
                           format_period, format_quantity, format_sek, format_tkr, format_value, unit_label)


def test_swedish_thousands_and_decimal_comma():
    assert format_number(1234567.8, 1) == f"1{NBSP}234{NBSP}567,8"
    assert "\u00a0" in format_number(1234567.8, 1)
    assert format_number(1234567.8, 1, "en") == "1,234,567.8"
    assert format_number(999, 0) == "999"
    assert format_number(-1234.5, 1) == f"\u22121{NBSP}234,5"
    assert format_number(-0.04, 1) == "0,0"
    assert format_number(None) == "–"
    assert format_number(float("nan")) == "–"


def test_percent():
    assert format_percent(97.3) == f"97,3{NBSP}%"
    assert format_percent(97.3, 1, "en") == "97.3%"
    assert format_percent(99.5) == f"99,5{NBSP}%"
    assert format_percent(None) == "–"


def test_money():
    assert format_sek(41250) == f"41{NBSP}250{NBSP}kr"
    assert format_tkr(1234567) == f"1{NBSP}235{NBSP}tkr"
    assert format_mnkr(1234567) == f"1,2{NBSP}mnkr"
    assert format_mnkr(2_345_678_901) == f"2{NBSP}345,7{NBSP}mnkr"
    assert format_mnkr(1234567, "en") == f"SEK{NBSP}1.2m"
    assert format_sek(41250, "en") == f"SEK{NBSP}41,250"
    assert format_money(25_000_000).endswith("mnkr")
    assert format_money(250_000).endswith("tkr")
    assert format_money(2_500).endswith(f"{NBSP}kr")


def test_value_by_unit():
    assert format_value(99.23, "%") == f"99,2{NBSP}%"
    assert format_value(41250, "SEK / user / year") == f"41{NBSP}250{NBSP}kr"
    assert format_value(72.45, "index 0–100") == "72,5"
    assert format_value(72.45, "index 0–100", "en") == "72.5"
    assert unit_label("SEK / user / year") == "kr/användare/år"
    assert unit_label("SEK / user / year", "en") == "SEK/user/year"


def test_period_and_date():
    assert format_period("2025-T2") == "T2 2025"
    assert format_period("2025-Q3") == f"Kv{NBSP}3 2025"
    assert format_period("2025-Q3", "en") == "Q3 2025"
    assert format_period("2025-07") == "jul 2025"
    assert format_period("2025-05", "en") == "May 2025"
    assert format_period("2025") == "2025"
    assert format_date("2025-07-01T14:03:00", "sv", with_time=True) == "2025-07-01 14:03"
    assert format_date("2025-07-01", "en") == "1 Jul 2025"


def test_quantity_shows_money_in_kronor_and_other_units_after_the_number():
    assert format_quantity(5_452_599, "SEK") == f"5{NBSP}453{NBSP}tkr"
    assert format_quantity(5_452_599, "SEK", "en") == f"SEK{NBSP}5,453k"
    assert format_quantity(7039.4, "timmar handläggning") == f"7{NBSP}039 timmar handläggning"
    assert format_quantity(7039.4, "hours", "en") == "7,039 hours"
