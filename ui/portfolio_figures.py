"""Plotly figure builders for the council pages (pure: DataFrame in, figure out; tested directly).

Colours: Okabe–Ito palette (colour-blind safe); series are also told apart by pattern/line style
and named in the legend, never by colour alone. Money is shown in mnkr/SEK m on the axes."""
from __future__ import annotations

from typing import Callable

import pandas as pd
import plotly.graph_objects as go

from ui.formatting import format_mnkr, format_number, format_percent
from ui.plotly_theme import FONT_FAMILY, streamlit_plotly_theme

streamlit_plotly_theme()  # before any figure is built: launch.py (`make run`) imports Streamlit without its Plotly theme

BLUE, ORANGE, VERMILLION, GREEN, SKY, GREY, PURPLE = ("#0072B2", "#E69F00", "#D55E00", "#009E73", "#56B4E9",
                                                       "#999999", "#CC79A7")
BASELINE = "#444444"  # a reference line (lead time's starting point): dark grey, dotted
STATUS_COLOURS = {"applied": GREY, "granted": SKY, "running": BLUE, "finished": GREEN, "stopped": VERMILLION}
TIER_PATTERNS = {"basic": "", "differentiating": "", "innovative": "/"}


# a horizontal legend at the bottom of the figure; Plotly makes room for it below the axis labels
LEGEND_BELOW = dict(orientation="h", yref="container", y=0, yanchor="bottom", x=0, xanchor="left")
LEGEND_ROW = 20  # px of one legend row
TITLE_WRAP = 36  # characters of a title line: a bold title this long fits a phone-wide (390 px) chart


def _layout(fig: go.Figure, title: str, y_title: str = "", lang: str = "sv") -> go.Figure:
    # a long title breaks into lines (Plotly never wraps one: at 390 px it ran off the chart), and the
    # top margin grows with them
    title = _wrap(title, TITLE_WRAP)
    top = 50 + 22 * title.count("<br>")
    if fig.layout.legend.orientation is None:
        # the legend under the plot, in rows across the width: at its right it took half a phone-wide chart
        fig.update_layout(legend=LEGEND_BELOW)
    fig.update_layout(title=title, yaxis_title=y_title, legend_title_text="", margin=dict(l=10, r=10, t=top, b=10),
                      separators=", " if lang == "sv" else ".,", template="plotly_white", font_family=FONT_FAMILY)
    if fig.layout.height is None:
        fig.update_layout(height=420)
    return fig


def frames_figure(years: pd.DataFrame, t: Callable, lang: str = "sv") -> go.Figure:
    """Grouped bars per year: frame, granted, spent (mnkr) – `years` from portfolio_query.portfolio_years
    (already filtered to one portfolio or summed by the caller)."""
    df = years.groupby("year", as_index=False)[["frame_sek", "granted_sek", "spent_sek"]].sum(min_count=1)
    fig = go.Figure()
    for col, colour, pattern in (("frame_sek", GREY, ""), ("granted_sek", BLUE, "/"), ("spent_sek", ORANGE, "x")):
        fig.add_bar(x=df.year.astype(str), y=df[col] / 1e6, name=t(f"council.col.{col}"), marker_color=colour,
                    marker_pattern_shape=pattern,
                    hovertext=[format_mnkr(v, lang) for v in df[col]], hoverinfo="text+name")
    fig.update_layout(barmode="group")
    return _layout(fig, t("council.fig.frames"), t("council.axis.mnkr"), lang=lang)


def balance_figure(balance: pd.DataFrame, t: Callable, lang: str = "sv") -> go.Figure:
    """Horizontal bars: share of granted money and of frames per focus area (per cent)."""
    name = "name_en" if lang == "en" else "name_sv"
    labels = [f"{pid}. {n}" for pid, n in zip(balance.portfolio_id, balance[name])]
    fig = go.Figure()
    fig.add_bar(y=labels, x=balance.frame_share, orientation="h", name=t("council.col.frame_share"),
                marker_color=GREY, text=[format_percent(v, 1, lang) for v in balance.frame_share], textangle=0)
    fig.add_bar(y=labels, x=balance.granted_share, orientation="h", name=t("council.col.granted_share"),
                marker_color=BLUE, marker_pattern_shape="/",
                text=[format_percent(v, 1, lang) for v in balance.granted_share], textangle=0)
    # long focus-area names break into lines on the axis (one line each, they were cut at the left on a phone)
    yaxis, height = _category_rows(labels)
    fig.update_layout(barmode="group", yaxis=yaxis, height=height)
    return _layout(fig, t("council.fig.balance"), "", lang=lang)


CATEGORY_WRAP = 24  # characters of a category (axis tick) label line


def _category_rows(labels: list[str]) -> tuple[dict, int]:
    """The category axis of a horizontal bar chart, first label at the top, each broken into lines of
    CATEGORY_WRAP characters; and the figure height that gives every row its lines (at least 420 px)."""
    ticks = [_wrap(x, CATEGORY_WRAP) for x in labels]
    lines = max((x.count("<br>") + 1 for x in ticks), default=1)
    return dict(autorange="reversed", tickvals=labels, ticktext=ticks), max(420, (16 * lines + 24) * len(labels) + 200)


def _wrap(text: str, width: int = 24) -> str:
    """Break a long axis label into lines of about `width` characters (plotly line break <br>)."""
    import textwrap

    return "<br>".join(textwrap.wrap(text, width)) or text


def status_figure(by_status: pd.DataFrame, t: Callable, lang: str = "sv") -> go.Figure:
    """Stacked horizontal bars: number of projects per portfolio by status (innovative tier hatched). The
    portfolios are rows, named on the axis in lines as in balance_figure: as columns, their long names stood
    on end and ran into each other on a phone."""
    fig = go.Figure()
    pids = sorted(by_status.portfolio_id.unique())
    name = "name_en" if lang == "en" else "name_sv"
    names = by_status.drop_duplicates("portfolio_id").set_index("portfolio_id")[name]
    labels = [f"{int(p)}. {names[p]}" for p in pids]         # names, not bare numbers (issue 14)
    for status in ("applied", "granted", "running", "finished", "stopped"):
        for tier in ("basic", "differentiating", "innovative"):
            sub = by_status[(by_status.status == status) & (by_status.tier == tier)]
            if sub.empty:
                continue
            counts = sub.set_index("portfolio_id").n_projects.reindex(pids, fill_value=0)
            fig.add_bar(y=labels, x=counts.values, orientation="h",
                        name=f"{t('council.status.' + status)} · {t('council.tier.' + tier)}",
                        marker_color=STATUS_COLOURS[status], marker_pattern_shape=TIER_PATTERNS[tier])
    # and room for the legend under the plot: one row an entry on a phone
    yaxis, height = _category_rows(labels)
    fig.update_layout(barmode="stack", xaxis_title=t("council.axis.projects"), yaxis=yaxis,
                      height=height + LEGEND_ROW * len(fig.data))
    return _layout(fig, t("council.fig.status"), "", lang=lang)


def curves_figure(curves: pd.DataFrame, t: Callable, lang: str = "sv") -> go.Figure:
    """Cumulative planned vs realised benefit (mnkr) per month."""
    fig = go.Figure()
    fig.add_scatter(x=curves.month, y=curves.cum_planned_sek / 1e6, name=t("council.col.cum_planned"),
                    mode="lines", line=dict(color=GREY, dash="dash", width=3))
    fig.add_scatter(x=curves.month, y=curves.cum_realised_sek / 1e6, name=t("council.col.cum_realised"),
                    mode="lines", line=dict(color=BLUE, width=3))
    fig.update_xaxes(tickformat="%Y-%m")          # numeric months: no English month names on a Swedish page
    return _layout(fig, t("council.fig.curves"), t("council.axis.mnkr"), lang=lang)


def cost_figure(cost: pd.DataFrame, t: Callable, lang: str = "sv") -> go.Figure:
    """Grant vs spend per year (mnkr)."""
    fig = go.Figure()
    fig.add_bar(x=cost.year.astype(str), y=cost.granted_sek / 1e6, name=t("council.col.granted_sek"),
                marker_color=GREY)
    fig.add_bar(x=cost.year.astype(str), y=cost.spent_sek / 1e6, name=t("council.col.spent_sek"),
                marker_color=ORANGE, marker_pattern_shape="x")
    fig.update_layout(barmode="group")
    return _layout(fig, t("council.fig.cost"), t("council.axis.mnkr"), lang=lang)


def flows_figure(flows: pd.DataFrame, t: Callable, lang: str = "sv") -> go.Figure:
    """Benefit calculation per year: benefits up, costs down (mnkr), cumulative net as a line."""
    x = [str(y) for y in flows.calendar_year]
    fig = go.Figure()
    fig.add_bar(x=x, y=flows.budget_benefit / 1e6, name=t("council.col.budget_benefit"), marker_color=GREEN)
    fig.add_bar(x=x, y=flows.time_benefit / 1e6, name=t("council.col.time_benefit"),
                marker_color=SKY, marker_pattern_shape="/")
    fig.add_bar(x=x, y=-flows.development_cost / 1e6, name=t("council.col.development_cost"),
                marker_color=VERMILLION, marker_pattern_shape="x")
    fig.add_bar(x=x, y=-flows.running_cost / 1e6, name=t("council.col.running_cost"), marker_color=ORANGE,
                marker_pattern_shape=".")
    fig.add_scatter(x=x, y=flows.cumulative_net / 1e6, name=t("council.col.cumulative_net"), mode="lines+markers",
                    line=dict(color="#000000", width=2))
    fig.update_layout(barmode="relative")
    return _layout(fig, t("council.fig.flows"), t("council.axis.mnkr"), lang=lang)


def realisation_figure(df: pd.DataFrame, label_col: str, t: Callable, lang: str = "sv",
                       title_key: str = "council.fig.realisation") -> go.Figure:
    """Horizontal bars of realisation rate (per cent) with the target and red threshold marked — `df` from
    portfolio_query.realisation, which judges each rate (columns status, target, red_threshold: measure I1's).
    Each bar carries its status icon and value in the text (status never by colour alone)."""
    from ui import status

    d = df.dropna(subset=["rate"]).sort_values("rate")
    states = list(d.status)
    fig = go.Figure()
    labels = d[label_col].astype(str).tolist()
    # the value sits at the start of its bar, clear of the target and red-threshold lines (at the end
    # it was half hidden by the 80 % line); a bar too short for it gets it just outside
    fig.add_bar(y=labels, x=d.rate, orientation="h", marker_color=[status.colour(s) for s in states],
                text=[f"{status.icon(s)} {format_percent(v, 1, lang)}" for s, v in zip(states, d.rate)],
                textposition=["inside" if v >= 15 else "outside" for v in d.rate], insidetextanchor="start",
                textangle=0,
                hovertext=[status.word(s, lang) for s in states], name=t("council.col.rate"), showlegend=False)
    if len(df):
        target, red = float(df.target.iloc[0]), float(df.red_threshold.iloc[0])
        # the line labels sit above the plot, each in its own row and left of its line: inside the plot
        # they covered bars, side by side they overlapped on a narrow chart, right of 80 they ran off it
        for x, dash, label, row in ((target, "dash", "council.label.target", 0), (red, "dot", "council.label.red_threshold", 1)):
            fig.add_vline(x=x, line_dash=dash, annotation_position="top left", annotation_yanchor="bottom",
                          annotation_yshift=THRESHOLD_ROW * row, annotation_xanchor="right",
                          annotation_text=t(label, value=format_number(x, 0, lang)))
    # long names (portfolios, committees) break into lines so a phone-wide chart keeps room for its bars
    ticks = [_wrap(x, CATEGORY_WRAP) for x in labels]
    lines = max((x.count("<br>") + 1 for x in ticks), default=1)
    fig.update_yaxes(tickvals=labels, ticktext=ticks)
    fig.update_layout(xaxis=dict(range=[0, 105]), height=max(300, max(28, 16 * lines + 10) * len(d) + 140))
    fig = _layout(fig, t(title_key), "", lang=lang)
    if len(df):  # room for the two label rows under the title
        fig.update_layout(margin_t=fig.layout.margin.t + 2 * THRESHOLD_ROW, title_y=1, title_yref="container",
                          title_yanchor="top", title_pad_t=10)
    return fig


THRESHOLD_ROW = 18  # px of a row of threshold labels above a chart


STAGE_COLOURS = {"need": GREY, "application": SKY, "valuation": PURPLE, "preparation": ORANGE, "decision": BLUE,
                 "implementation": GREEN, "follow_up": "#F0E442", "closed": "#000000"}


def timeline_figure(history: pd.DataFrame, t: Callable, lang: str = "sv", until=None) -> go.Figure:
    """The project's stages as consecutive horizontal bars from each stage's date to the next (the latest
    stage runs to `until`, default its own date + 30 days); each bar is labelled with the stage's name."""
    d = history.copy()
    d["start"] = pd.to_datetime(d.entered_on)
    end_last = pd.Timestamp(until) if until is not None else d.start.max() + pd.Timedelta(days=30)
    d["end"] = d.start.shift(-1).fillna(max(end_last, d.start.max() + pd.Timedelta(days=1)))
    fig = go.Figure()
    for _, r in d.iterrows():
        name = t(f"council.stage.{r.stage}")
        fig.add_bar(y=[name], x=[(r.end - r.start).total_seconds() * 1000], base=[r.start], orientation="h",
                    marker_color=STAGE_COLOURS.get(r.stage, GREY), name=name, showlegend=False,
                    text=[f"{name} · {r.start.strftime('%Y-%m-%d')}"], textposition="inside",
                    insidetextanchor="start", hovertext=[f"{name}: {r.start.strftime('%Y-%m-%d')} · {r.person}"],
                    hoverinfo="text")
    fig.update_xaxes(type="date", tickformat="%Y-%m")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(height=max(260, 36 * len(d) + 110), bargap=0.25)
    return _layout(fig, t("council.fig.timeline"), "", lang=lang)


def lead_time_figure(lead: pd.DataFrame, t: Callable, lang: str = "sv") -> go.Figure:
    """Median lead time (months) per decision year: need → decision (solid) and application → decision
    (dashed), with the programme's ~18-month starting point as a reference line."""
    d = lead.sort_values("decision_year")
    x = d.decision_year.astype(int).astype(str)
    fig = go.Figure()
    fig.add_scatter(x=x, y=d.need_to_decision_months, name=t("council.col.need_to_decision"), mode="lines+markers",
                    line=dict(color=BLUE, width=3), marker_symbol="circle")
    fig.add_scatter(x=x, y=d.application_to_decision_months, name=t("council.col.application_to_decision"),
                    mode="lines+markers", line=dict(color=ORANGE, width=3, dash="dash"), marker_symbol="square")
    base = float(d.baseline_months.iloc[0]) if len(d) else 18.0
    # the starting point is named in the legend, not by an annotation on the plot: one at the line's top left
    # sat on the need → decision line where that crossed 18 months (1440 px); wherever placed on the plot, some
    # year's value can lie under it
    fig.add_hline(y=base, line=dict(color=BASELINE, dash="dot", width=2), showlegend=True,
                  name=t("council.label.lead_baseline", value=f"{base:.0f}"))
    # the legend under the plot like the other council charts (_layout): one placed at y=-0.12 of the plot sat
    # on the year labels and cut them to "201" at 390 px
    fig.update_layout(xaxis_type="category")
    return _layout(fig, t("council.fig.lead_time"), t("council.axis.months"), lang=lang)


def classes_figure(classes: pd.DataFrame, t: Callable, lang: str = "sv") -> go.Figure:
    """Planned (likely, with the low–high range as an error bar) and realised benefit per SEK-valued class
    (mnkr); the non-monetary class has no SEK and is left out of the chart."""
    d = classes[classes.counts_in_i1]
    labels = [t(f"council.class.{c}") for c in d.benefit_class]
    fig = go.Figure()
    fig.add_bar(x=labels, y=d.planned_sek_due / 1e6, name=t("council.col.planned_sek_due"), marker_color=GREY,
                error_y=dict(type="data", symmetric=False, array=(d.high_sek_due - d.planned_sek_due) / 1e6,
                             arrayminus=(d.planned_sek_due - d.low_sek_due) / 1e6),
                hovertext=[format_mnkr(v, lang) for v in d.planned_sek_due], hoverinfo="text+name")
    fig.add_bar(x=labels, y=d.realised_sek / 1e6, name=t("council.col.realised_sek"), marker_color=BLUE,
                marker_pattern_shape="/", hovertext=[format_mnkr(v, lang) for v in d.realised_sek],
                hoverinfo="text+name")
    # class names break into lines instead of slanting (slanted, they ran off a phone-wide chart)
    fig.update_xaxes(tickvals=labels, ticktext=[_wrap(x, CATEGORY_WRAP) for x in labels], tickangle=0)
    fig.update_layout(barmode="group", legend=dict(orientation="h", yanchor="top", y=-0.2, x=0))
    return _layout(fig, t("council.fig.classes"), t("council.axis.mnkr"), lang=lang)


def expectations_figure(exp: pd.DataFrame, t: Callable, lang: str = "sv") -> go.Figure:
    """Per measure and committee: declared baseline → target (grey arrow) against the scorecard's measured
    value before → after (blue arrow); markers differ in shape, not only colour."""
    name = "name_en" if lang == "en" else "name_sv"
    labels = [f"{m} {n}" for m, n in zip(exp.measure_id, exp[name].fillna(""))]
    fig = go.Figure()
    fig.add_scatter(y=labels, x=exp.baseline, mode="markers", name=t("council.col.baseline"),
                    marker=dict(color=GREY, symbol="circle-open", size=12))
    fig.add_scatter(y=labels, x=exp.target, mode="markers", name=t("council.col.expected_target"),
                    marker=dict(color=GREY, symbol="star", size=13))
    fig.add_scatter(y=labels, x=exp.measured_before, mode="markers", name=t("council.col.measured_before"),
                    marker=dict(color=BLUE, symbol="square-open", size=11))
    fig.add_scatter(y=labels, x=exp.measured_after, mode="markers", name=t("council.col.measured_after"),
                    marker=dict(color=BLUE, symbol="square", size=11))
    fig.update_layout(height=max(260, 60 * len(exp) + 140))
    return _layout(fig, t("council.fig.expectations"), "", lang=lang)


def cost_distribution_figure(cost: pd.DataFrame, t: Callable, lang: str = "sv") -> go.Figure:
    """Stacked horizontal bars per committee: direct IT cost and the distributed share of central services
    (mnkr), told apart by pattern as well as colour."""
    name = "name_en" if lang == "en" else "name_sv"
    d = cost.sort_values("it_cost_sek")
    fig = go.Figure()
    fig.add_bar(y=d[name], x=d.direct_sek / 1e6, orientation="h", name=t("council.col.direct_cost"),
                marker_color=BLUE, hovertext=[format_mnkr(v, lang) for v in d.direct_sek], hoverinfo="text+name")
    fig.add_bar(y=d[name], x=d.distributed_sek / 1e6, orientation="h", name=t("council.col.distributed_cost"),
                marker_color=ORANGE, marker_pattern_shape="/",
                hovertext=[format_mnkr(v, lang) for v in d.distributed_sek], hoverinfo="text+name")
    fig.update_layout(barmode="stack", height=max(320, 22 * len(d) + 120), xaxis_title=t("council.axis.mnkr"))
    return _layout(fig, t("council.fig.cost_distribution"), "", lang=lang)
