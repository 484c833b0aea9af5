"""Vega-Lite chart specs (plain dicts) for the pages that must open fast.

The start page's chart is drawn by Streamlit's built-in Vega-Lite renderer (st.vega_lite_chart) rather
than Plotly: the browser then loads a ~0.8 MB chart bundle instead of Plotly's ~4.7 MB one, which on a
loaded 2-core machine cost 3–4 s of the first overview's time to a drawn chart, and the server imports
nothing (a spec is a dict). The look follows ui/figures.py: the same line colours, status colours for the
score limits, titles and axis titles with units, periods and scores formatted in the UI language."""
from __future__ import annotations

from typing import Any

import pandas as pd

from metrics.query import perspectives
from ui import status as S
from ui.formatting import format_period, format_score, is_missing
from ui.i18n import translator
from ui.plotly_theme import FONT_FAMILY  # the one chart font (that module imports plotly only when called)

PERSPECTIVES = tuple(p["code"] for p in perspectives())
# the colours of ui/figures.py (Okabe–Ito); kept here so that this module never imports plotly
LINE_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
OVERALL_COLOUR = "#1a1a1a"
FONT = FONT_FAMILY


def _lines(title: str) -> list[str]:
    """A title in two lines after its colon (Vega does not wrap titles; a phone is 390 px wide)."""
    head, sep, tail = title.partition(": ")
    return [head + sep.rstrip(), tail] if sep else [title]


def city_trend(trend: pd.DataFrame, lang: str = "sv") -> dict[str, Any]:
    """The city's overall index (thick, solid) and five perspective scores (dotted) over the last
    periods, with the green (90) and yellow (50) score limits. `trend` is query.city_trend's frame
    [period, perspective ('overall' for the index), score, status]."""
    t = translator(lang)
    periods = list(dict.fromkeys(trend["period"]))
    x = [format_period(p, lang) for p in periods]
    series = [("overall", t("label.overall_score"))] + [(p, t(f"perspective_short.{p}")) for p in PERSPECTIVES]
    names = [name for _, name in series]
    values = []
    for code, name in series:
        g = trend[trend["perspective"] == code].set_index("period").reindex(periods)
        for label, score, status in zip(x, g["score"], g["status"]):
            status = "grey" if is_missing(status) else str(status)
            missing = is_missing(score)
            values.append({"series": name, "period": label, "score": None if missing else float(score),
                           "shown": f"{format_score(None if missing else score, lang)} {S.icon(status)} {S.word(status, lang)}"})
    lows = [float(v) for v in trend["score"] if not is_missing(v)]
    low = max(0.0, min(lows) - 5) if lows else 0.0  # the axis follows the scores, so changes show
    y_scale = {"domain": [low, 101], "nice": False, "zero": False}
    y_title = t("label.score_axis")
    colours = [OVERALL_COLOUR] + [LINE_COLOURS[(i + 1) % len(LINE_COLOURS)] for i in range(len(PERSPECTIVES))]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "title": {"text": _lines(t("overview.city_trend_title")), "anchor": "start", "font": FONT, "fontSize": 16},
        "height": 340,
        "autosize": {"type": "fit", "contains": "padding"},  # axes, title and legend inside the container width
        "padding": {"left": 4, "right": 8, "top": 4, "bottom": 4},
        "config": {"font": FONT, "axis": {"labelFontSize": 12, "titleFontSize": 13, "gridColor": "#EBEBEB"},
                   "legend": {"labelFontSize": 12, "orient": "bottom", "direction": "horizontal", "title": None,
                              "columns": 3, "symbolType": "stroke",
                              "symbolStrokeWidth": 3, "labelLimit": 0},
                   "view": {"stroke": None}},
        "layer": [
            {"data": {"values": [{"limit": 90, "status": "green"}, {"limit": 50, "status": "yellow"}]},
             "mark": {"type": "rule", "strokeDash": [6, 4], "strokeWidth": 1, "clip": True},
             "encoding": {"y": {"field": "limit", "type": "quantitative", "scale": y_scale, "title": y_title},
                          "color": {"field": "status", "type": "nominal", "legend": None,
                                    "scale": {"domain": ["green", "yellow"], "range": [S.COLOURS["green"], S.COLOURS["yellow"]]}}}},
            {"data": {"values": values},
             "mark": {"type": "line", "point": True, "clip": True},
             "encoding": {
                 "x": {"field": "period", "type": "ordinal", "sort": x, "title": t("fig.period"), "axis": {"labelAngle": 0, "labelOverlap": "greedy"}},
                 "y": {"field": "score", "type": "quantitative", "scale": y_scale, "title": y_title,
                       "axis": {"format": "d"}},
                 "color": {"field": "series", "type": "nominal", "sort": names, "title": None,
                           "scale": {"domain": names, "range": colours}},
                 "strokeWidth": {"field": "series", "type": "nominal", "legend": None,
                                 "scale": {"domain": names, "range": [4] + [1.5] * len(PERSPECTIVES)}},
                 "strokeDash": {"field": "series", "type": "nominal", "legend": None,
                                "scale": {"domain": names, "range": [[1, 0]] + [[2, 3]] * len(PERSPECTIVES)}},
                 "tooltip": [{"field": "series", "title": t("label.perspective")},
                             {"field": "period", "title": t("fig.period")},
                             {"field": "shown", "title": t("label.score")}],
             }},
        ],
        "resolve": {"scale": {"color": "independent"}},
    }
