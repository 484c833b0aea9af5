"""Plotly figure builders. Pure functions of query-layer frames (testable without Streamlit).

Every figure has a title and axis titles with units; numbers use the language's separators
(Swedish: decimal comma, U+00A0 thousands). Status colours come from ui.status (the status
itself comes from the marts)."""
from __future__ import annotations

from typing import Any, Callable, Iterable

import pandas as pd
import plotly.graph_objects as go

from ui import status as st_status
from ui.formatting import (NBSP, format_period, format_score, format_value, format_value_vs, is_missing, unit_kind,
                           unit_label)
from metrics.query import perspectives
from ui.i18n import name_col, translator
from ui.plotly_theme import FONT_FAMILY, streamlit_plotly_theme

streamlit_plotly_theme()  # before any figure is built: launch.py (`make run`) imports Streamlit without its Plotly theme

PERSPECTIVES = tuple(p["code"] for p in perspectives())  # the seed seeds/perspectives.csv, in order
LINE_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


def _t(lang: str) -> Callable[..., str]:
    return translator(lang)


# A small template instead of "plotly_white": assigning a named template deep-copies it
# (≈0.15 s per figure), which alone would break the 1 s page budget.
_AXIS = {"gridcolor": "#EBEBEB", "linecolor": "#BBBBBB", "zerolinecolor": "#DDDDDD", "automargin": True}
TEMPLATE = go.layout.Template(layout={
    "paper_bgcolor": "white", "plot_bgcolor": "white", "xaxis": _AXIS, "yaxis": _AXIS,
    "colorway": LINE_COLOURS, "font": {"family": FONT_FAMILY, "color": "#262730"},
    "polar": {"bgcolor": "white", "radialaxis": {"gridcolor": "#DDDDDD"}, "angularaxis": {"gridcolor": "#DDDDDD"}},
})


def _base_layout(fig: go.Figure, title: str, lang: str, height: int | None = None) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"},
        separators=(",\u00a0" if lang == "sv" else ".,"),
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        template=TEMPLATE,
        font={"size": 13},
    )
    # legend just under the plot area, whatever the figure's height
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "x": 0,
                              "y": -(90 / height) if height else -0.2})
    if height:
        fig.update_layout(height=height)
    return fig


def axis_unit_title(label: str, unit: Any, lang: str) -> str:
    u = unit_label(unit, lang)
    return f"{label} ({u})" if u else label


# ---------------------------------------------------------------- city overview

def overview_heatmap(df: pd.DataFrame, lang: str = "sv", period_label: str = "") -> go.Figure:
    """Committees (rows) × five perspectives + overall index (columns); cell colour by status
    from the mart, cell text = score, status icon and word, ⚑ for a red flag."""
    t = _t(lang)
    ncol = name_col(lang)
    cols = list(PERSPECTIVES) + ["overall"]
    x_labels = [t(f"perspective_short.{p}") for p in PERSPECTIVES] + [t("label.overall_score")]
    df = df.reset_index(drop=True)
    y_labels = [str(v) for v in df[ncol].fillna(df["name_sv"])] if ncol in df else list(df["committee_code"])
    z, text, hover = [], [], []
    order = {s: i for i, s in enumerate(st_status.STATUSES)}
    words = {s: st_status.word(s, lang) for s in st_status.STATUSES}
    flag_word = t("label.red_flag_short")
    for row in df.to_dict("records"):
        zr, tr, hr = [], [], []
        for c in cols:
            score = row.get(f"score_{c}") if c != "overall" else row.get("overall_score")
            stat = st_status.norm(row.get(f"status_{c}") if c != "overall" else row.get("overall_status"))
            flag = bool(row.get(f"red_flag_{c}")) if c != "overall" and not is_missing(row.get(f"red_flag_{c}")) else False
            zr.append(order[stat])
            s = format_score(score, lang)
            tr.append(f"{s} {st_status.ICONS[stat]} {words[stat]}" + (f" {st_status.RED_FLAG}" if flag else ""))
            hr.append(f"{s} – {words[stat]}" + (f" ({flag_word})" if flag else ""))
        z.append(zr)
        text.append(tr)
        hover.append(hr)
    # discrete colour scale: 0 green, 1 yellow, 2 red, 3 grey
    scale = []
    for i, s in enumerate(st_status.STATUSES):
        scale += [[i / 4, st_status.TINTS[s]], [(i + 1) / 4, st_status.TINTS[s]]]
    # customdata per cell: [hover text, committee code, perspective] – a click opens that scorecard
    codes = list(df["committee_code"]) if "committee_code" in df else [""] * len(y_labels)
    custom = [[[h, code, c] for h, c in zip(hr, cols)] for hr, code in zip(hover, codes)]
    fig = go.Figure(go.Heatmap(
        z=z, x=x_labels, y=y_labels, text=text, texttemplate="%{text}", customdata=custom,
        hovertemplate="%{y}<br>%{x}: %{customdata[0]}<extra></extra>",
        colorscale=scale, zmin=0, zmax=4, showscale=False, xgap=2, ygap=2,
        textfont={"size": 12, "color": "#1a1a1a"},
    ))
    fig.update_yaxes(autorange="reversed", title_text=t("label.committee"))
    fig.update_xaxes(side="top", title_text=t("label.perspective") + " – " + t("label.score_axis"))
    title = t("overview.heatmap_title", period=period_label)
    return _base_layout(fig, title, lang, height=max(320, 90 + 30 * len(y_labels)))


# (the city's trend on the overview is a Vega-Lite spec: ui/charts.city_trend)


def red_measures_bar(df: pd.DataFrame, lang: str = "sv") -> go.Figure:
    t = _t(lang)
    ncol = name_col(lang)
    d = df.sort_values("n_red_measures", ascending=True)
    fig = go.Figure(go.Bar(
        x=d["n_red_measures"], y=d[ncol], orientation="h", name=t("label.n_red"),
        marker_color=st_status.COLOURS["red"], text=d["n_red_measures"], textposition="outside",
        hovertemplate="%{y}: %{x}<extra></extra>",
    ))
    fig.update_xaxes(title_text=axis_unit_title(t("label.n_red"), "st" if lang == "sv" else "count", lang), rangemode="tozero")
    fig.update_yaxes(title_text=t("label.committee"))
    return _base_layout(fig, t("overview.red_chart_title"), lang, height=max(300, 80 + 22 * len(d)))


# ---------------------------------------------------------------- committee scorecard

def radar(perspectives: pd.DataFrame, lang: str = "sv", committee_label: str = "") -> go.Figure:
    """Five perspective scores against the peer-group median (0–100)."""
    t = _t(lang)
    d = perspectives.set_index("perspective").reindex(list(PERSPECTIVES))
    theta = [t(f"perspective_short.{p}") for p in PERSPECTIVES]
    r = list(d["score"])
    peer = list(d["peer_median_score"]) if "peer_median_score" in d else [None] * 5
    fig = go.Figure()
    fig.add_trace(go.Scatterpolar(r=r + r[:1], theta=theta + theta[:1], name=committee_label or t("scorecard.committee_series"),
                                  fill="toself", line={"color": st_status.COLOURS["green"]}, connectgaps=False,
                                  hovertemplate="%{theta}: %{r:.0f}<extra></extra>"))
    fig.add_trace(go.Scatterpolar(r=peer + peer[:1], theta=theta + theta[:1], name=t("fig.peer_median"),
                                  line={"color": st_status.COLOURS["yellow"], "dash": "dash"},
                                  hovertemplate="%{theta}: %{r:.0f}<extra></extra>"))
    # the radial axis is labelled by its ticks and the chart title ("… (0–100) …"); an axis
    # title would sit in the middle of the chart
    # the radial ticks run between "Intern nytta" (72°) and "It-mognad" (144°), clear of both labels
    fig.update_layout(polar={"radialaxis": {"range": [0, 100], "tickvals": [0, 50, 100], "angle": 108, "tickangle": 108}})
    fig = _base_layout(fig, t("scorecard.radar_title"), lang, height=420)
    # Plotly leaves no room for the angular labels (no automargin on a polar axis): at phone width
    # "Extern nytta" (at 0°) was cut off at the right and "Intern nytta" (at the top) ran into the
    # two-line title. Side margins hold the longest label, the top one the title and a label.
    side = radar_label_margin(theta)
    fig.update_layout(margin={"l": side, "r": side, "t": RADAR_TOP_MARGIN, "b": 10})
    return fig


RADAR_TOP_MARGIN = 110  # the two-line title (≈ 2 × 20 px below its 10 px pad) plus a label row above the circle


def radar_label_margin(labels: Iterable[str], font_size: int = 13) -> int:
    """Pixels beside the radar for its longest angular label: about 0,6 em a character (sans-serif,
    mixed case), plus the gap Plotly keeps between the circle and its labels."""
    longest = max((len(str(x)) for x in labels), default=0)
    return int(round(0.6 * font_size * longest)) + 16


# ---------------------------------------------------------------- measure explorer

def _add_hlines(fig: go.Figure, x: list, target: Any, red: Any, lang: str, band: tuple | None = None) -> None:
    """Target and red threshold as named line traces (in the legend, testable)."""
    t = _t(lang)
    if not x:
        return
    if band and not any(is_missing(b) for b in band):
        for i, b in enumerate(band):
            fig.add_trace(go.Scatter(x=[x[0], x[-1]], y=[b, b], mode="lines", name=t("fig.band"),
                                     showlegend=i == 0, legendgroup="band",
                                     line={"color": st_status.COLOURS["green"], "dash": "dash", "width": 2}))
        return
    if not is_missing(target):
        fig.add_trace(go.Scatter(x=[x[0], x[-1]], y=[target, target], mode="lines", name=t("fig.target"),
                                 line={"color": st_status.COLOURS["green"], "dash": "dash", "width": 2}))
    if not is_missing(red):
        fig.add_trace(go.Scatter(x=[x[0], x[-1]], y=[red, red], mode="lines", name=t("fig.red_threshold"),
                                 line={"color": st_status.COLOURS["red"], "dash": "dot", "width": 2}))


def ranking_bar(ranking: pd.DataFrame, measure: dict, lang: str = "sv", period_label: str = "") -> go.Figure:
    """Horizontal bars (best first at the top), coloured by status, with the target line
    (or target band) and the red threshold as vertical lines."""
    t = _t(lang)
    ncol = name_col(lang)
    d = ranking.reset_index(drop=True)
    names = [str(v) for v in d[ncol].fillna(d["name_sv"])] if ncol in d else list(d["committee_code"])
    unit = measure.get("unit")
    missing = d["value"].isna()
    # a committee without a value still gets its row: icon and word at zero, never a silent gap
    # values under the display rule: never shown equal to the target or threshold they differ from
    tg = d["target"] if "target" in d else pd.Series([measure.get("target")] * len(d))
    rd = d["red_threshold"] if "red_threshold" in d else pd.Series([measure.get("red_threshold")] * len(d))
    texts = [f"{st_status.icon(s)} {st_status.word(s, lang)}" if m else format_value_vs(v, unit, [a, b], lang) + f" {st_status.icon(s)}"
             for v, s, m, a, b in zip(d["value"], d["status"], missing, tg, rd)]
    fig = go.Figure(go.Bar(
        x=d["value"].where(~missing, 0), y=names, orientation="h", name=t("label.value"),
        marker={"color": [st_status.colour(s) for s in d["status"]]},
        text=texts, textposition="outside", cliponaxis=False,
        customdata=[st_status.word(s, lang) for s in d["status"]],
        hovertemplate="%{y}: %{text} (%{customdata})<extra></extra>",
    ))
    target = measure.get("target")
    red = measure.get("red_threshold")
    if "target" in d and d["target"].notna().any():
        target = d["target"].dropna().median()  # committee overrides: the line shows the common target
    if "red_threshold" in d and d["red_threshold"].notna().any():
        red = d["red_threshold"].dropna().median()
    y_span = [names[0], names[-1]] if names else []
    band = (measure.get("band_low"), measure.get("band_high")) if measure.get("direction") == "band" else None
    if y_span:
        if band and not any(is_missing(b) for b in band):
            for i, b in enumerate(band):
                fig.add_trace(go.Scatter(x=[b, b], y=y_span, mode="lines", name=t("fig.band"), showlegend=i == 0,
                                         legendgroup="band", line={"color": st_status.COLOURS["green"], "dash": "dash", "width": 2}))
        else:
            if not is_missing(target):
                fig.add_trace(go.Scatter(x=[target, target], y=y_span, mode="lines", name=t("fig.target"),
                                         line={"color": st_status.COLOURS["green"], "dash": "dash", "width": 2}))
            if not is_missing(red):
                fig.add_trace(go.Scatter(x=[red, red], y=y_span, mode="lines", name=t("fig.red_threshold"),
                                         line={"color": st_status.COLOURS["red"], "dash": "dot", "width": 2}))
    # a committee's own target (an override) is marked on its bar
    if "target_overridden" in d and d["target_overridden"].fillna(False).astype(bool).any():
        o = d[d["target_overridden"].fillna(False).astype(bool)]
        fig.add_trace(go.Scatter(x=o["target"], y=[names[i] for i in o.index], mode="markers", name=t("explorer.override_note"),
                                 marker={"symbol": "diamond", "size": 11, "color": "#1a1a1a", "line": {"color": "white", "width": 1}},
                                 customdata=[format_value(v, unit, lang) for v in o["target"]],
                                 hovertemplate="%{y}: " + t("explorer.override_note") + " %{customdata}<extra></extra>"))
    label = measure.get(ncol) or measure.get("name_sv") or measure.get("measure_id", "")
    # the axis spans the values, target and threshold (not 0–100): near-equal bars stay apart
    span = [float(v) for v in list(d["value"].dropna()) + [target, red] if not is_missing(v)]
    if span and unit_kind(unit) == "percent" and min(span) > 20:
        lo, hi = min(span), max(span)
        pad = max(0.5, (hi - lo) * 0.08)
        fig.update_xaxes(range=[max(0.0, lo - pad), min(100.0, hi + pad) + pad * 2])
    fig.update_xaxes(title_text=axis_unit_title(label, unit, lang), rangemode="tozero" if unit_kind(unit) != "percent" else None)
    fig.update_yaxes(title_text=t("label.committee"), autorange="reversed")
    title = t("explorer.ranking_title", measure=label, period=period_label)
    return _base_layout(fig, title, lang, height=max(320, 100 + 24 * len(names)))


def series_lines(series: pd.DataFrame, measure: dict, names: dict[str, str], lang: str = "sv") -> go.Figure:
    """One line per committee (and CITY / PEER:<group> when present) over time, with the
    target and red threshold (or target band)."""
    t = _t(lang)
    ncol = name_col(lang)
    unit = measure.get("unit")
    fig = go.Figure()
    periods = sorted(series["period"].dropna().unique().tolist()) if len(series) else []
    x_all = [format_period(p, lang) for p in periods]
    for i, (code, g) in enumerate(series.groupby("committee_code", sort=False)):
        g = g.sort_values("period")
        label = names.get(code, code)
        dash = "dot" if str(code).startswith(("CITY", "PEER:")) else "solid"
        fig.add_trace(go.Scatter(
            x=[format_period(p, lang) for p in g["period"]], y=g["value"], mode="lines+markers", name=label,
            line={"color": LINE_COLOURS[i % len(LINE_COLOURS)], "dash": dash},
            customdata=[format_value(v, unit, lang) for v in g["value"]],
            hovertemplate=f"{label}<br>%{{x}}: %{{customdata}}<extra></extra>",
        ))
    target = measure.get("target")
    red = measure.get("red_threshold")
    band = (measure.get("band_low"), measure.get("band_high")) if measure.get("direction") == "band" else None
    _add_hlines(fig, x_all, target, red, lang, band=band)
    fig.update_xaxes(title_text=t("fig.period"), categoryorder="array", categoryarray=x_all)
    label = measure.get(ncol) or measure.get("name_sv") or measure.get("measure_id", "")
    fig.update_yaxes(title_text=axis_unit_title(label, unit, lang))
    return _base_layout(fig, t("explorer.series_title", measure=label), lang, height=420)
