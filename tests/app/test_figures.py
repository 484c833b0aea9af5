import pandas as pd
import pytest

from ui import figures, views
from ui import status as S
from ui.formatting import NBSP


def _overview():
    rows = []
    for code, sv, en, pg, base in [("BROMMA", "Bromma stadsdelsnämnd", "Bromma District Council", "district_councils", 80),
                                   ("UTBN", "Utbildningsnämnden", "Education Committee", "specialist_committees", 40)]:
        r = {"committee_code": code, "name_sv": sv, "name_en": en, "peer_group": pg,
             "overall_score": base, "overall_status": "yellow" if base > 50 else "red",
             "n_red_measures": 1 if base > 50 else 5, "n_grey_measures": 0}
        for i, p in enumerate(figures.PERSPECTIVES):
            r[f"score_{p}"] = base + i
            r[f"status_{p}"] = "green" if base + i >= 90 else "yellow" if base + i >= 50 else "red"
            r[f"red_flag_{p}"] = p == "quality"
        rows.append(r)
    return pd.DataFrame(rows)


def test_heatmap_cells_carry_score_icon_and_word():
    fig = figures.overview_heatmap(_overview(), "sv", "T2 2025")
    hm = fig.data[0]
    assert hm.type == "heatmap"
    assert list(hm.y) == ["Bromma stadsdelsnämnd", "Utbildningsnämnden"]
    assert len(hm.x) == 6 and hm.x[0] == "Extern nytta" and hm.x[-1] == "Totalindex"
    assert hm.text[0][0] == "80 ▲ Gul"
    assert hm.text[1][4] == "44 ✖ Röd ⚑"
    assert hm.z[1][4] == S.STATUSES.index("red")
    assert "T2 2025" in fig.layout.title.text
    assert fig.layout.yaxis.title.text == "Nämnd/bolag"
    assert fig.layout.separators == f",{NBSP}"
    en = figures.overview_heatmap(_overview(), "en", "T2 2025")
    assert en.data[0].y[1] == "Education Committee" and en.data[0].text[0][0] == "80 ▲ Yellow"
    assert en.layout.separators == ".,"


def test_ranking_bar_has_target_and_red_threshold_lines_and_units():
    rk = pd.DataFrame({"committee_code": ["A", "B", "C"], "name_sv": ["Aa", "Bb", "Cc"], "name_en": ["Aa", "Bb", "Cc"],
                       "peer_group": ["x"] * 3, "value": [99.8, 99.3, 98.7], "status": ["green", "yellow", "red"],
                       "score": [100, 80, 20], "target": [99.5] * 3, "red_threshold": [99.0] * 3, "n_obs": [10, 10, 10]})
    m = {"measure_id": "Q1", "name_sv": "Tillgänglighet", "name_en": "Availability", "unit": "%", "direction": "higher",
         "target": 99.5, "red_threshold": 99.0}
    fig = figures.ranking_bar(rk, m, "sv", "T2 2025")
    names = [d.name for d in fig.data]
    assert names == ["Värde", "Mål", "Gränsvärde rött"]
    bar, target, red = fig.data
    assert list(bar.x) == [99.8, 99.3, 98.7]
    assert list(bar.marker.color) == [S.COLOURS["green"], S.COLOURS["yellow"], S.COLOURS["red"]]
    assert bar.text[0] == f"99,8{NBSP}% ✔"
    assert list(target.x) == [99.5, 99.5] and list(red.x) == [99.0, 99.0]
    assert fig.layout.xaxis.title.text == "Tillgänglighet (%)"
    assert fig.layout.title.text == "Tillgänglighet, T2 2025"


def test_ranking_bar_committee_without_value_keeps_its_row_with_grey_icon_and_word():
    rk = pd.DataFrame({"committee_code": ["A", "B"], "name_sv": ["Aa", "Bb"], "name_en": ["Aa", "Bb"],
                       "peer_group": ["x"] * 2, "value": [82.0, None], "status": ["green", "grey"],
                       "score": [100, None], "target": [80.0] * 2, "red_threshold": [70.0] * 2, "n_obs": [40, 12]})
    m = {"measure_id": "E2", "name_sv": "Nöjdhet med e-tjänster", "unit": "%", "direction": "higher",
         "target": 80.0, "red_threshold": 70.0}
    bar = figures.ranking_bar(rk, m, "sv").data[0]
    assert list(bar.y) == ["Aa", "Bb"]
    assert list(bar.x) == [82.0, 0]
    assert bar.text[1] == f"{S.icon('grey')} {S.word('grey', 'sv')}" == "○ Grå"
    assert figures.ranking_bar(rk, m, "en").data[0].text[1] == "○ Grey"


def test_ranking_bar_band_measure_draws_band_not_target():
    rk = pd.DataFrame({"committee_code": ["A"], "name_sv": ["Aa"], "name_en": ["Aa"], "peer_group": ["x"], "value": [4.2],
                       "status": ["green"], "score": [100], "target": [None], "red_threshold": [None], "n_obs": [1]})
    m = {"measure_id": "C1", "name_sv": "It-kostnad av verksamhetskostnad", "unit": "%", "direction": "band",
         "band_low": 3.0, "band_high": 5.0}
    fig = figures.ranking_bar(rk, m, "sv")
    band = [d for d in fig.data if d.name == "Målintervall"]
    assert [list(d.x) for d in band] == [[3.0, 3.0], [5.0, 5.0]]
    assert not [d for d in fig.data if d.name == "Mål"]


def test_series_lines_one_trace_per_committee_plus_target():
    ser = pd.DataFrame({"committee_code": ["A", "A", "CITY", "CITY"], "period": ["2025-T1", "2025-T2"] * 2,
                        "value": [50.0, 60.0, 55.0, 58.0], "status": ["red"] * 4, "score": [0] * 4,
                        "target": [70.0] * 4, "red_threshold": [55.0] * 4, "n_obs": [1] * 4})
    m = {"measure_id": "E1", "name_sv": "Digital andel ärenden", "name_en": "Digital take-up", "unit": "%",
         "direction": "higher", "target": 70.0, "red_threshold": 55.0}
    fig = figures.series_lines(ser, m, {"A": "Aa", "CITY": "Staden totalt"}, "en")
    assert [d.name for d in fig.data] == ["Aa", "Staden totalt", "Target", "Red threshold"]
    assert list(fig.data[0].x) == ["T1 2025", "T2 2025"]
    assert list(fig.data[2].y) == [70.0, 70.0]
    assert fig.layout.yaxis.title.text == "Digital take-up (%)"
    assert fig.layout.xaxis.title.text == "Period"


def test_radar_has_committee_and_peer_median():
    ps = pd.DataFrame({"perspective": list(figures.PERSPECTIVES), "score": [80, 60, 95, 40, 70],
                       "peer_median_score": [70, 70, 70, 70, 70]})
    fig = figures.radar(ps, "sv", "Bromma")
    assert [d.name for d in fig.data] == ["Bromma", "Median jämförelsegrupp"]
    assert list(fig.data[0].r) == [80, 60, 95, 40, 70, 80]
    assert fig.data[0].theta[0] == "Extern nytta"
    assert "(0–100)" in fig.layout.title.text
    assert list(fig.layout.polar.radialaxis.range) == [0, 100]


def test_radar_leaves_room_for_its_angular_labels_and_title_at_phone_width():
    """At 390 px "Extern nytta" (at 0°) was cut off at the right and "Intern nytta" (at the top) ran into the
    two-line title: Plotly keeps no margin for a polar axis's labels."""
    ps = pd.DataFrame({"perspective": list(figures.PERSPECTIVES), "score": [80, 60, 95, 40, 70],
                       "peer_median_score": [70, 70, 70, 70, 70]})
    for lang, longest in (("sv", "Extern nytta"), ("en", "Maturity")):
        fig = figures.radar(ps, lang, "Bromma")
        m = fig.layout.margin
        # 13 px sans-serif: at least 0,55 em a character beside the circle, both sides (the circle stays centred)
        assert m.l == m.r >= 0.55 * 13 * len(longest) + 10
        # a two-line title (2 × ≈20 px) and a row of labels above the circle
        assert fig.layout.title.text.count("<br>") == 1 and m.t >= 2 * 20 + 20 + 40
        # the radial ticks lie between two perspectives, not on one of their labels (every 72° from 0°)
        angle = fig.layout.polar.radialaxis.angle
        assert min(abs(angle - a) for a in range(0, 361, 72)) >= 30
        assert fig.layout.polar.radialaxis.tickangle == angle  # the tick numbers read upright along that axis
    assert figures.radar_label_margin(["Extern nytta", "It"]) == round(0.6 * 13 * 12) + 16


def test_red_measures_bar_axis_titles():
    fig = figures.red_measures_bar(_overview(), "sv")
    assert fig.data[0].orientation == "h"
    assert list(fig.data[0].x) == [1, 5]
    assert fig.layout.xaxis.title.text == "Antal röda mätetal (st)"


def test_status_never_colour_alone():
    for s in S.STATUSES:
        assert S.icon(s) and S.word(s, "sv") and S.word(s, "en")
        assert S.label(s).startswith(S.icon(s))
    assert len(set(S.ICONS.values())) == 4 and len(set(S.COLOURS.values())) == 4
    assert S.label("red") == "✖ Röd" and S.label("green", "en") == "✔ Green"
    assert S.norm(None) == "grey" and S.norm("nonsense") == "grey"


def test_overview_table_one_row_per_committee_with_coloured_statuses():
    disp, stat = views.overview_table(_overview(), "sv")
    assert len(disp) == 2
    assert disp.loc[1, "It-kvalitet"] == "44 ✖ Röd ⚑"
    assert stat.loc[1, "It-kvalitet"] == "red"
    html = views.style_statuses(disp, stat).to_html()
    assert S.TINTS["red"] in html


def test_scorecard_flags_in_words():
    row = {"measure_id": "E2", "value": None, "insufficient_data": True, "n_obs": 12, "carried_forward": False,
           "target_overridden": False, "value_period": "2025-T2"}
    assert views.flags_text(row, "sv", "2025-T2", 30) == "För få observationer (12 av minst 30) – otillräckligt underlag"
    row = {"value": 70.0, "insufficient_data": False, "carried_forward": True, "value_period": "2024",
           "target_overridden": True}
    assert views.flags_text(row, "en", "2025-T2") == ("Carried forward from 2024 (latest survey); "
                                                      "Committee-specific target (overrides the city default)")


def _families(node) -> set:
    """Every font family a figure's layout, template or traces name (the JSON Plotly sends to the browser)."""
    found = set()
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "family" and isinstance(v, str):
                found.add(v)
            else:
                found |= _families(v)
    elif isinstance(node, (list, tuple)):
        for v in node:
            found |= _families(v)
    return found


def test_every_chart_names_the_apps_font_set_in_one_place():
    """The radar and the Mätetal charts named plain "sans-serif" (the system's Arial-like font in the browser),
    the council charts none (Streamlit's theme: Source Sans), the start page's Vega-Lite title "sans-serif":
    three looks side by side. Every builder now names the one FONT_FAMILY of ui/plotly_theme.py, the app's
    own body font, and no other family."""
    from ui import charts, portfolio_figures as pfigs
    from ui.i18n import translator
    from ui.plotly_theme import FONT_FAMILY

    assert FONT_FAMILY == '"Source Sans", sans-serif'  # Streamlit's body font, the generic family after it
    ps = pd.DataFrame({"perspective": list(figures.PERSPECTIVES), "score": [80, 60, 95, 40, 70],
                       "peer_median_score": [70, 70, 70, 70, 70]})
    rk = pd.DataFrame({"committee_code": ["A", "B"], "name_sv": ["Aa", "Bb"], "name_en": ["Aa", "Bb"],
                       "peer_group": ["x"] * 2, "value": [82.0, 60.0], "status": ["green", "red"],
                       "score": [100, 0], "target": [80.0] * 2, "red_threshold": [70.0] * 2, "n_obs": [40, 12]})
    m = {"measure_id": "E2", "name_sv": "Nöjdhet med e-tjänster", "unit": "%", "direction": "higher",
         "target": 80.0, "red_threshold": 70.0}
    ser = pd.DataFrame({"committee_code": ["A", "A"], "period": ["2025-T1", "2025-T2"], "value": [50.0, 60.0],
                        "status": ["red"] * 2, "score": [0] * 2, "target": [70.0] * 2, "red_threshold": [55.0] * 2,
                        "n_obs": [1] * 2})
    lead = pd.DataFrame({"decision_year": [2019, 2020], "need_to_decision_months": [10.5, 16.4],
                         "application_to_decision_months": [6.0, 7.5], "baseline_months": [18.0, 18.0],
                         "n_decisions": [1, 1]})
    cost = pd.DataFrame({"year": [2020, 2021], "granted_sek": [1e6, 2e6], "spent_sek": [1.2e6, 0.5e6]})
    t = translator("sv")
    built = {"radar": figures.radar(ps, "sv", "Bromma"), "ranking": figures.ranking_bar(rk, m, "sv", "T2 2025"),
             "series": figures.series_lines(ser, m, {"A": "Aa"}, "sv"),
             "heatmap": figures.overview_heatmap(_overview(), "sv", "T2 2025"),
             "red bars": figures.red_measures_bar(_overview(), "sv"),
             "lead time": pfigs.lead_time_figure(lead, t, "sv"), "cost": pfigs.cost_figure(cost, t, "sv")}
    for name, fig in built.items():
        layout = fig.to_plotly_json()["layout"]
        # the family the figure's text is drawn in: its own layout's, else its template's
        family = (layout.get("font") or {}).get("family") or layout["template"]["layout"]["font"]["family"]
        assert family == FONT_FAMILY, name
        assert _families(fig.to_plotly_json()) == {FONT_FAMILY}, name
    spec = charts.city_trend(pd.DataFrame({"period": ["2026-T1"] * 2, "perspective": ["overall", "external"],
                                           "score": [90, 80], "status": ["green"] * 2}), "sv")
    assert spec["config"]["font"] == spec["title"]["font"] == FONT_FAMILY
