"""Figure builders of ui/portfolio_figures.py (st.plotly_chart is opaque to AppTest)."""
from __future__ import annotations

import pandas as pd
import pytest

from metrics import portfolio as pf, portfolio_query as pq
from ui import portfolio_figures as figs
from ui.i18n import translator

T = translator("sv")


def test_frames_figure_sums_and_scales_to_mnkr(con):
    fig = figs.frames_figure(pq.portfolio_years(con), T)
    by_name = {tr.name: tr for tr in fig.data}
    assert set(by_name) == {"Ram", "Beviljat", "Förbrukat"}
    # 2020: frames 2 000 000 + 1 000 000 = 3,0 mnkr; granted 1 000 000 + 400 000 = 1,4; spent 1 200 000 + 300 000 = 1,5
    years = list(by_name["Ram"].x)
    i = years.index("2020")
    assert by_name["Ram"].y[i] == pytest.approx(3.0)
    assert by_name["Beviljat"].y[i] == pytest.approx(1.4)
    assert by_name["Förbrukat"].y[i] == pytest.approx(1.5)
    assert fig.layout.separators == ", "          # Swedish decimal comma / space thousands


def test_balance_figure_shares(con):
    fig = figs.balance_figure(pq.portfolio_balance(con), T)
    granted = [tr for tr in fig.data if tr.name == "Andel av beviljade medel"][0]
    # granted overall: 1 000 000 / 800 000 / 1 000 000 / 0 / 300 000 of 3 100 000
    assert list(granted.x) == pytest.approx([100 * 1.0 / 3.1, 100 * 0.8 / 3.1, 100 * 1.0 / 3.1, 0.0, 100 * 0.3 / 3.1])
    assert granted.text[0] == "32,3\u00a0%"


def test_status_figure_counts_by_status_and_tier(con):
    fig = figs.status_figure(pq.projects_by_status(con), T)
    names = {tr.name: list(tr.x) for tr in fig.data}
    # a row per portfolio: 1, 2, 3, 5 (4 has no projects), by name, the first at the top
    assert [y[:3] for y in fig.data[0].y] == ["1. ", "2. ", "3. ", "5. "]
    assert fig.layout.yaxis.autorange == "reversed" and {tr.orientation for tr in fig.data} == {"h"}
    # the names break into lines on the axis (standing on end as columns, they ran into each other at 390 px)
    assert list(fig.layout.yaxis.tickvals) == list(fig.data[0].y)
    assert all(len(line) <= 24 for tick in fig.layout.yaxis.ticktext for line in tick.split("<br>"))
    assert names["Avslutat · Differentierande"] == [1, 1, 0, 0]
    assert names["Stoppat · Innovativ"] == [0, 0, 0, 1]
    assert [tr.marker.pattern.shape for tr in fig.data if "Innovativ" in tr.name] == ["/"]   # not colour alone


def test_curves_figure_cumulative(con):
    fig = figs.curves_figure(pq.benefit_curves(con, "P0001"), T)
    planned, realised = fig.data
    # P0001 plans 40 000 a month for 12 months → 0,48 mnkr; realised 150 000 → 0,15 mnkr
    assert planned.y[-1] == pytest.approx(0.48) and realised.y[-1] == pytest.approx(0.15)
    assert planned.line.dash == "dash"


def test_flows_and_cost_figures(con):
    calc = pq.project_calculation(con, "P0001")
    fig = figs.flows_figure(calc["flows"], T)
    dev = [tr for tr in fig.data if tr.name == "Utvecklingskostnad"][0]
    assert dev.y[0] == pytest.approx(-1.2)                    # costs drawn downwards
    cum = [tr for tr in fig.data if tr.name == "Ackumulerat netto"][0]
    assert cum.y[-1] == pytest.approx(0.6)                    # −1,2 + 5 × 0,36
    cost = figs.cost_figure(pq.project_cost(con, "P0001"), T)
    assert [list(tr.y) for tr in cost.data] == [pytest.approx([1.0]), pytest.approx([1.2])]


def test_realisation_figure_marks_thresholds(con):
    df = pq.realisation(con, "2021-12", "benefit")
    fig = figs.realisation_figure(df, "benefit_id", T)
    bar = fig.data[0]
    # sorted ascending, NaN (disbenefit with negative due) dropped: B0003 0, B0008 0, B0002 25, B0001 33,3, B0004 100
    assert list(bar.y) == ["B0003", "B0008", "B0002", "B0001", "B0004"]
    assert list(bar.marker.color)[-1] == figs.BLUE and list(bar.marker.color)[0] == figs.VERMILLION
    # status also as icon + value in the text, and as a word on hover (never colour alone)
    assert bar.text[-1] == "✔ 100,0\u00a0%" and bar.text[0] == "✖ 0,0\u00a0%"
    assert bar.text[2] == "✖ 25,0\u00a0%" and bar.hovertext[-1] == "Grön"
    # the status rule lives in metrics (I1's declared anchors), the figure only shows it
    assert pf.rate_status(80) == "green" and pf.rate_status(60) == "red" and pf.rate_status(60.1) == "yellow"
    assert {s.x0 for s in fig.layout.shapes} == {80.0, 60.0}


def test_council_translations_have_exactly_sv_and_en():
    # guards against an unquoted comma in a YAML flow mapping turning text into extra keys
    from pathlib import Path

    import yaml

    data = yaml.safe_load((Path(__file__).resolve().parents[2] / "ui/translations/council.yaml").read_text("utf-8"))
    bad = {k: v for k, v in data.items() if set(v) != {"sv", "en"} or not all(isinstance(x, str) for x in v.values())}
    assert bad == {}
    assert data["council.section.frames"]["sv"] == "Ram, beviljat och förbrukat"


def test_issue13_figures_on_the_fixture(con):
    """The new figures draw what the query layer returns: lead time with the 18-month line, classes with
    the low–high range, the stage timeline, expectations and the cost distribution (Swedish, no codes)."""
    from metrics import portfolio_query as pq
    from ui import portfolio_figures as figs
    from ui.i18n import translator

    t = translator("sv")
    lead = pq.lead_times(con)
    fig = figs.lead_time_figure(lead[lead.portfolio_id == 0], t, "sv")
    assert [tr.name for tr in fig.data] == ["Behov → beslut", "Ansökan → beslut"]
    assert list(fig.data[0].x) == ["2019", "2020"]
    assert fig.data[0].y[0] == pytest.approx(321 / 30.4375)
    assert any(s.y0 == 18.0 for s in fig.layout.shapes)
    classes = pq.benefit_classes(con, "2021-12")
    fig = figs.classes_figure(classes, t, "sv")
    assert list(fig.data[0].x) == ["Budgetnytta (kr)", "Frigjord tid (timmar värderade i kr)"]
    # budget 528 000 due; low = B0001 at 80 % (288 000) + the rest at 100 % (168 000) = 456 000 → minus 0,072
    assert fig.data[0].y[0] == pytest.approx(0.528)
    assert fig.data[0].error_y.arrayminus[0] == pytest.approx(0.072)
    hist = pq.stage_history(con, "P0001")
    fig = figs.timeline_figure(hist, t, "sv")
    assert [tr.name for tr in fig.data][:2] == ["Behov/idé", "Ansökan"]
    assert fig.data[0].x[0] == pytest.approx((pd.Timestamp("2019-06-03") - pd.Timestamp("2019-01-15")).total_seconds() * 1000)


def _realisation_frame():
    names = ["1. Tillgänglighet och service för medborgare, företagande och besök",
             "5. Innovativ verksamhetsutveckling med hjälp av it"]
    return pd.DataFrame({"label": names, "rate": [82.9, 4.6], "status": ["green", "red"],
                         "target": [80.0, 80.0], "red_threshold": [60.0, 60.0]})


def test_realisation_figure_fits_a_phone_and_keeps_its_values_clear_of_the_lines():
    """At 390 px the portfolio names took the whole width (cut at the left); at 1440 the 80 % target line
    ran through the "82,9 %" label at the end of its bar."""
    fig = figs.realisation_figure(_realisation_frame(), "label", T)
    bar = fig.data[0]
    assert list(bar.y) == ["5. Innovativ verksamhetsutveckling med hjälp av it",
                           "1. Tillgänglighet och service för medborgare, företagande och besök"]
    # names break into lines of at most 24 characters, on the axis only (the data keep the names)
    assert list(fig.layout.yaxis.tickvals) == list(bar.y)
    assert fig.layout.yaxis.ticktext[1] == "1. Tillgänglighet och<br>service för medborgare,<br>företagande och besök"
    assert all(len(line) <= 24 for tick in fig.layout.yaxis.ticktext for line in tick.split("<br>"))
    # the value at the start of a long bar (x from 0, far from 60 and 80), outside a short one, never slanted
    assert list(bar.textposition) == ["outside", "inside"] and bar.insidetextanchor == "start" and bar.textangle == 0
    # the threshold labels above the plot, one row each, left of their line
    notes = {a.text: a for a in fig.layout.annotations}
    target, red = notes["Mål 80 %"], notes["Röd gräns 60 %"]
    assert target.yanchor == red.yanchor == "bottom" and target.y == red.y == 1
    assert target.xanchor == red.xanchor == "right" and abs(red.yshift - (target.yshift or 0)) >= 16
    assert fig.layout.margin.t >= 50 + 2 * 16
    # three lines a bar: each bar at least 3 × 16 px high
    assert fig.layout.height >= 2 * (3 * 16) + 140


def test_a_long_council_title_breaks_into_lines_that_fit_a_phone():
    classes = pd.DataFrame({"benefit_class": ["budget", "time"], "counts_in_i1": [True, True],
                            "planned_sek_due": [2e6, 1e6], "low_sek_due": [1e6, 5e5], "high_sek_due": [3e6, 2e6],
                            "realised_sek": [1.5e6, 8e5]})
    fig = figs.classes_figure(classes, T)
    assert fig.layout.title.text == "Planerad (trolig, med låg–hög) och<br>realiserad nytta per klass"
    assert fig.layout.margin.t == 50 + 22
    # class names break into lines instead of slanting off the chart
    assert list(fig.layout.xaxis.ticktext) == ["Budgetnytta (kr)", "Frigjord tid (timmar<br>värderade i kr)"]
    assert fig.layout.xaxis.tickangle == 0
    short = figs.realisation_figure(_realisation_frame(), "label", T)
    assert short.layout.title.text == "Nyttorealiseringsgrad"


def test_portfolio_charts_put_their_legend_under_the_plot(con):
    """At 390 px a legend at the right of the chart took half its width (Portföljer)."""
    years = pq.portfolio_years(con)
    by_status = pq.projects_by_status(con)
    figures = {"frames": figs.frames_figure(years, T), "balance": figs.balance_figure(pq.portfolio_balance(con), T),
               "status": figs.status_figure(by_status, T),
               "lead time": figs.lead_time_figure(pq.lead_times(con).query("portfolio_id == 0"), T)}
    for name, fig in figures.items():
        legend = fig.layout.legend
        assert (legend.orientation, legend.yref, legend.y, legend.yanchor, legend.x) == ("h", "container", 0, "bottom", 0), name
    # one legend row an entry on a phone: the status chart grows by that much beyond the height its rows need
    # (each portfolio row holds its name's lines, as in the balance chart)
    status = figures["status"]
    rows = max(tick.count("<br>") + 1 for tick in status.layout.yaxis.ticktext)
    assert status.layout.height == max(420, (16 * rows + 24) * len(status.layout.yaxis.tickvals) + 200) + 20 * len(status.data)
    # the focus-area names break into lines on the axis, the data keep them whole
    balance = figures["balance"]
    assert list(balance.layout.yaxis.tickvals) == list(balance.data[0].y)
    assert all(len(line) <= 24 for tick in balance.layout.yaxis.ticktext for line in tick.split("<br>"))
    assert all(tr.textangle == 0 for tr in balance.data)


def test_lead_time_baseline_is_named_in_the_legend_not_on_the_data(con):
    """At 1440 px the text "Utgångsläge ≈ 18 månader (It-programmet)" sat at the top left of its line, on the
    need → decision line where that crossed 18 months. The line is named in the legend under the plot; nothing
    is written on the plot."""
    lead = pq.lead_times(con).query("portfolio_id == 0")
    for lang, label in (("sv", "Utgångsläge ≈ 18 månader (It-programmet)"),
                        ("en", "Starting point ≈ 18 months (IT programme)")):
        fig = figs.lead_time_figure(lead, translator(lang), lang)
        assert fig.layout.annotations == ()                       # no text on the plot area
        (line,) = [s for s in fig.layout.shapes if s.y0 == s.y1 == 18.0]
        assert (line.showlegend, line.name) == (True, label)      # in the legend, with its words
        assert line.line.dash == "dot" and (line.xref, line.x0, line.x1) == ("x domain", 0, 1)
        # the two series keep their legend entries; the legend stays under the plot
        assert [tr.name for tr in fig.data if tr.showlegend is not False] == [tr.name for tr in fig.data]
        assert (fig.layout.legend.yref, fig.layout.legend.y, fig.layout.legend.yanchor) == ("container", 0, "bottom")
