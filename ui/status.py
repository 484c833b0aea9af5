"""Status presentation: icon + word + colour (never colour alone).

Palette after Okabe & Ito (colour-blind safe): green status → blue, yellow → orange,
red → vermillion, grey → grey. The status itself always comes from the marts."""
from __future__ import annotations

from typing import Any

from ui.i18n import translate

STATUSES = ("green", "yellow", "red", "grey")

COLOURS = {
    "green": "#0072B2",   # Okabe–Ito blue
    "yellow": "#E69F00",  # orange
    "red": "#D55E00",     # vermillion
    "grey": "#999999",
}
# tints for table cell backgrounds (text stays dark and readable). Red and yellow differ in
# lightness as well as hue (red is clearly darker), so they stay apart for colour-blind viewers and
# in greyscale: relative luminance green 0.63, yellow 0.80, red 0.49, grey 0.76 — and every cell
# also carries its icon and word.
TINTS = {
    "green": "#B3D4EC",
    "yellow": "#FDE6A6",
    "red": "#F2A98A",
    "grey": "#E2E2E2",
}
ICONS = {"green": "✔", "yellow": "▲", "red": "✖", "grey": "○"}
RED_FLAG = "⚑"


def norm(status: Any) -> str:
    s = str(status).lower() if status is not None else "grey"
    return s if s in STATUSES else "grey"


def word(status: Any, lang: str = "sv") -> str:
    return translate(f"status.{norm(status)}", lang)


def icon(status: Any) -> str:
    return ICONS[norm(status)]


def colour(status: Any) -> str:
    return COLOURS[norm(status)]


def tint(status: Any) -> str:
    return TINTS[norm(status)]


def label(status: Any, lang: str = "sv") -> str:
    """'✔ Grön' – icon and word, for tables and heatmap cells."""
    return f"{icon(status)} {word(status, lang)}"


def badge_html(status: Any, lang: str = "sv", text: str | None = None) -> str:
    s = norm(status)
    body = text if text is not None else label(s, lang)
    return (
        f'<span style="background:{TINTS[s]};border-left:4px solid {COLOURS[s]};'
        f'padding:1px 6px;border-radius:3px;white-space:nowrap">{body}</span>'
    )


def cell_style(status: Any) -> str:
    """CSS for a pandas Styler cell showing a status."""
    s = norm(status)
    return f"background-color: {TINTS[s]}; border-left: 4px solid {COLOURS[s]}; color: #1a1a1a"
