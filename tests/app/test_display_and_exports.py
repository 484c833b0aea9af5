"""The display rule, the Babel number formatter (Hypothesis: it parses back), strict i18n, the
status tints, and the exports for people (CSV header block and formula neutralisation; xlsx opened
with openpyxl: numbers with number formats, text as text)."""
from __future__ import annotations

import io
import math

import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ui import status as S
from ui.formatting import (MINUS, NBSP, decimals_to_explain, format_indicator, format_number, format_value_vs,
                           parse_number)
from ui.i18n import TranslationError, translate
from ui.tables import html_table, neutralise, to_csv_bytes, to_xlsx_bytes


# ---------------------------------------------------------------- display rule

def test_value_just_below_target_is_never_shown_equal_to_it():
    # 69.98 % against a target of 70 % is yellow: it must not read "70,0 %"
    assert format_value_vs(69.98, "%", [70, 60]) == f"69,98{NBSP}%"
    assert format_value_vs(69.98, "%", [70, 60], "en") == "69.98%"
    # equal to the target: shown as the target (green, no contradiction)
    assert format_value_vs(70.0, "%", [70, 60]) == f"70,0{NBSP}%"
    # far from both: the normal precision
    assert format_value_vs(85.04, "%", [70, 60]) == f"85,0{NBSP}%"
    # money shown in whole kronor unless that would equal the target
    assert format_value_vs(40000.4, "SEK/user/year", [40000, 48000]) == f"40{NBSP}000,4{NBSP}kr"
    assert format_value_vs(39000, "SEK/user/year", [40000, 48000]) == f"39{NBSP}000{NBSP}kr"
    assert decimals_to_explain(59.9996, [60], 1) == 4  # capped at 3 extra decimals


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_display_rule_holds_for_all_values(value, target):
    """Shown value equals the shown target only when they are (nearly) equal."""
    d = decimals_to_explain(value, [target], 1)
    if abs(value - target) > 10 ** -(1 + 3):
        assert round(value, d) != round(target, d) or d == 4


def test_counts_without_decimals_and_money_in_tkr():
    """Indicators: counts are whole ("1 112 ärenden", not "1 112,0"), money in tkr throughout the list."""
    assert format_indicator(1112.0, "errands") == f"1{NBSP}112 ärenden"
    assert format_indicator(36_147_000, "SEK") == f"36{NBSP}147{NBSP}tkr"
    assert format_indicator(512_300, "SEK") == f"512{NBSP}tkr"
    assert format_indicator(12.46, "hours") == "12,5 timmar"
    assert format_indicator(None, "hours") == "–"


# ---------------------------------------------------------------- Babel formatter parses back

@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False), st.integers(0, 3),
       st.sampled_from(["sv", "en"]))
@example(x=274877906944.9645, decimals=3, lang="sv")  # a tie at the last decimal
def test_format_number_parses_back(x, decimals, lang):
    s = format_number(x, decimals, lang)
    back = parse_number(s, lang)
    # within half a unit of the last shown decimal (a tie such as …,9645 may round either way), plus float error
    assert abs(back - x) <= 0.5 * 10 ** -decimals + 4 * math.ulp(x)
    if lang == "sv":
        assert "." not in s and (s.startswith(MINUS) or not s.startswith("-"))


def test_parse_number_rejects_garbage():
    with pytest.raises(ValueError):
        parse_number("12,3,4")
    assert parse_number(f"{MINUS}1{NBSP}234,5") == -1234.5


# ---------------------------------------------------------------- strict i18n

def test_strict_translation_fails_loudly(monkeypatch):
    with pytest.raises(TranslationError):
        translate("no.such.key", "sv", strict=True)
    with pytest.raises(TranslationError):  # the text takes {period}, none given
        translate("label.period_of", "sv", strict=True)
    with pytest.raises(TranslationError):  # wrong placeholder name
        translate("label.period_of", "sv", strict=True, when="x")
    assert translate("label.period_of", "sv", strict=True, period="T2 2026") == "Period: T2 2026"
    monkeypatch.setenv("SCORECARD_I18N_STRICT", "1")
    with pytest.raises(TranslationError):
        translate("no.such.key")
    monkeypatch.setenv("SCORECARD_I18N_STRICT", "0")
    assert translate("no.such.key") == "no.such.key"


# ---------------------------------------------------------------- status colours

def _lum(h: str) -> float:
    def f(c):
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(h[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b)


def test_status_tints_differ_in_lightness_and_text_stays_readable():
    tints = S.TINTS
    # red and yellow (and red and grey) apart in lightness, not only in hue (colour-blind, greyscale)
    assert abs(_lum(tints["yellow"]) - _lum(tints["red"])) >= 0.25
    assert abs(_lum(tints["grey"]) - _lum(tints["red"])) >= 0.2
    assert abs(_lum(tints["green"]) - _lum(tints["yellow"])) >= 0.15
    for h in tints.values():  # dark text (#1a1a1a) on every tint: WCAG AA 4.5:1
        assert (_lum(h) + 0.05) / (_lum("#1a1a1a") + 0.05) >= 4.5


# ---------------------------------------------------------------- exports

FRAME = pd.DataFrame({"Nämnd/bolag": ["Kista", "=HYPERLINK(\"http://x\")", "+46 8", "-1+1", "@SUM(A1)"],
                      "Värde": [97.25, 1234567.5, None, -3.0, 0.0], "Poäng": [72, 100, 0, 5, 50],
                      "Status": ["Grön", "Gul", "Röd", "Grå", "Grön"]})
META = [("Innehåll", "Stadsöversikt"), ("Period", "T2 2026"), ("Periodtyp", "Tertial"), ("Dataversion", "v1"),
        ("Urval", "=cmd")]


def test_neutralise():
    assert [neutralise(v) for v in ("=1+1", "+1", "-1", "@a", "\tx", "\rx", "ok", 5)] == \
        ["'=1+1", "'+1", "'-1", "'@a", "'\tx", "'\rx", "ok", 5]


def test_csv_for_people_swedish():
    text = to_csv_bytes(FRAME, "sv", META).decode("utf-8-sig")
    head, _, body = text.partition("\n\n")
    assert head.splitlines() == ["Innehåll;Stadsöversikt", "Period;T2 2026", "Periodtyp;Tertial", "Dataversion;v1",
                                 "Urval;'=cmd"]
    lines = body.splitlines()
    assert lines[0] == "Nämnd/bolag;Värde;Poäng;Status"
    assert lines[1] == "Kista;97,25;72;Grön"
    assert lines[2].startswith("\"'=HYPERLINK(\"\"http://x\"\")\";1234567,5;100;Gul")
    assert lines[3] == "'+46 8;;0;Röd"
    assert lines[4] == "'-1+1;-3,0;5;Grå"  # a negative number stays a number; text starting with - is neutralised
    assert lines[5] == "'@SUM(A1);0,0;50;Grön"


def test_xlsx_numbers_with_formats_text_never_formula():
    from openpyxl import load_workbook

    data = to_xlsx_bytes(FRAME, "Data", META, {"Poäng": "score"}, "Om uttaget")
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Data", "Om uttaget"]
    ws = wb["Data"]
    assert [c.value for c in ws[1]] == ["Nämnd/bolag", "Värde", "Poäng", "Status"]
    assert ws.freeze_panes == "A2"
    v = ws["B2"]
    assert v.value == 97.25 and v.data_type == "n" and v.number_format == "#,##0.0"
    assert ws["B3"].value == 1234567.5 and ws["B3"].data_type == "n"
    assert ws["B4"].value is None
    assert ws["C2"].value == 72 and ws["C2"].data_type == "n" and ws["C2"].number_format == "0"
    # text that looks like a formula is stored as text, never as a formula
    assert ws["A3"].value == "=HYPERLINK(\"http://x\")" and ws["A3"].data_type == "s"
    assert ws["A6"].value == "@SUM(A1)" and ws["A6"].data_type == "s"
    assert ws["D2"].value == "Grön"
    meta = wb["Om uttaget"]
    assert [(r[0].value, r[1].value) for r in meta.iter_rows()] == META
    assert meta["B5"].data_type == "s"


def test_html_table_escapes_text_and_links():
    df = pd.DataFrame({"Namn": ["<b>x</b>"], "Värde": ["1"]})
    out = html_table(df, "k", links={"Namn": ["committee_scorecard?committee=A&lang=sv"]}, numeric=["Värde"])
    assert "&lt;b&gt;x&lt;/b&gt;" in out and "<b>x</b>" not in out
    assert 'href="committee_scorecard?committee=A&amp;lang=sv"' in out
    assert 'data-key="k"' in out and 'data-label="Värde"' in out


def test_ranking_bar_marks_overrides_and_keeps_the_display_rule():
    from ui import figures

    rk = pd.DataFrame({"committee_code": ["A", "B"], "name_sv": ["Aa", "Bb"], "name_en": ["Aa", "Bb"],
                       "value": [69.98, 85.0], "status": ["yellow", "green"], "target": [70.0, 80.0],
                       "red_threshold": [60.0, 60.0], "target_overridden": [False, True]})
    m = {"measure_id": "E1", "name_sv": "Digital andel", "unit": "%", "direction": "higher", "target": 70.0,
         "red_threshold": 60.0}
    fig = figures.ranking_bar(rk, m, "sv", "T2 2026")
    bar = fig.data[0]
    assert bar.text[0] == f"69,98{NBSP}% ▲"  # not "70,0 %" next to a 70,0 % target line
    marker = [tr for tr in fig.data if tr.name == "Nämndspecifikt mål"]
    assert len(marker) == 1 and list(marker[0].x) == [80.0] and list(marker[0].y) == ["Bb"]
    lo, hi = fig.layout.xaxis.range  # fitted to the values, not 0–100
    assert 55 < lo < 60 and hi <= 100


def test_city_trend_figure():
    """The overview's trend is a Vega-Lite spec (ui/charts.py: no Plotly bundle on the start page)."""
    from ui import charts

    tr = pd.DataFrame({"period": ["2026-T1"] * 6 + ["2026-T2"] * 6,
                       "perspective": ["overall", "external", "internal", "maturity", "cost", "quality"] * 2,
                       "score": [90, 80, 85, 95, 99, 70, 92, 81, 86, 96, 98, None], "status": ["green"] * 12})
    spec = charts.city_trend(tr, "sv")
    lines = spec["layer"][1]
    names = lines["encoding"]["color"]["scale"]["domain"]
    assert names == ["Totalindex", "Extern nytta", "Intern nytta", "It-mognad", "It-kostnad", "It-kvalitet"]
    overall = [v for v in lines["data"]["values"] if v["series"] == "Totalindex"]
    assert [v["period"] for v in overall] == ["T1 2026", "T2 2026"] and [v["score"] for v in overall] == [90, 92]
    assert lines["encoding"]["x"]["sort"] == ["T1 2026", "T2 2026"]
    assert lines["encoding"]["y"]["scale"]["domain"][0] == 65
    # a missing score is a gap, never "nan"/"None"; the tooltip says the score with its status in words
    quality = [v for v in lines["data"]["values"] if v["series"] == "It-kvalitet"]
    assert quality[1]["score"] is None and "nan" not in quality[1]["shown"] and "None" not in quality[1]["shown"]
    assert overall[1]["shown"] == "92 ✔ Grön"
    # the score limits: green at 90, yellow at 50
    assert [r["limit"] for r in spec["layer"][0]["data"]["values"]] == [90, 50]


def test_load_messages_and_quarantine_reasons_in_swedish():
    from ui import views

    row = {"status": "loaded", "file_name": "incidents.csv", "rows_loaded": 47041, "rows_quarantined": 3, "rows_replaced": 0,
           "message": "incidents.csv (CSV): 47041 rows loaded into fact_incidents, 3 rows quarantined, 0 earlier rows "
                      "replaced; 194520 event rows collapsed to 47044 records in their latest state"}
    assert views.batch_message(row, "sv") == (f"incidents.csv: 47{NBSP}041 rader laddade, 3 i karantän, 0 tidigare rader "
                                              f"ersatta. 194{NBSP}520 händelserader sammanförda till 47{NBSP}044 ärenden i sitt "
                                              "senaste läge.")
    # in a table that shows the counts in columns, only what they do not say
    assert views.batch_message(row, "sv", counts_shown=True) == \
        f"194{NBSP}520 händelserader sammanförda till 47{NBSP}044 ärenden i sitt senaste läge."
    assert views.batch_message({**row, "message": "x.csv: 5 rows loaded"}, "sv", counts_shown=True) == "–"
    assert views.batch_message({**row, "status": "unchanged"}, "sv") == \
        "incidents.csv: oförändrad sedan förra laddningen, inget laddades om."
    q = {"rule": "references", "column_name": "committee_code", "file_name": "it_costs_ledger.csv", "source_row": 15330,
         "raw_values": '{"committee_code":"VANTOR","amount_sek":"18450,00"}', "reason": "english text"}
    assert views.quarantine_reason(q, "sv") == ("it_costs_ledger.csv rad 15\u00a0330: kolumnen Nämndkod har värdet ”VANTOR”, "
                                                "som inte finns bland de kända värdena (ladda den källan först).")
    assert views.quarantine_reason({**q, "rule": "something_new"}, "sv").endswith(": english text")


def test_text_sparkline():
    from ui.views import sparkline

    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"
    assert sparkline([10, None, 10, 20]) == "▁·▁█"
    assert sparkline([5, 5, 5]) == "▄▄▄"
    assert sparkline([None, 3]) == "–" and sparkline([]) == "–"


def test_missing_values_of_every_kind_show_as_a_dash():
    from ui.formatting import format_percent, format_value

    for x in (None, float("nan"), pd.NA, pd.NaT):
        assert format_number(x) == "–" and format_percent(x) == "–" and format_value(x, "%") == "–"
