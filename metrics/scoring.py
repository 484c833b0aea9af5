"""Goalpost scoring on fixed anchors, traffic lights and roll-up rules.

The pure functions here are the reference; the build applies the same rules set-wise in SQL — the
expressions below for a measure's score and light, metrics/mart_scores.py for perspective and overall
scores — and property tests (tests/metrics/test_properties.py) check that SQL and reference agree for
any inputs.
"""
from __future__ import annotations

import math

GREEN, YELLOW, RED, GREY = "green", "yellow", "red", "grey"
PERSPECTIVE_MIN_SHARE = 2 / 3   # a perspective needs ≥ 2 of its 3 measures scored
OVERALL_MIN_SHARE = 4 / 5       # the overall index needs ≥ 4 of the 5 perspectives
SCORE_GREEN, SCORE_YELLOW = 90.0, 50.0
BAND_POINTS_PER_STEP = 1.0      # band: 50 at one point outside, 0 at two


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def score(value, direction: str, target=None, red=None, band_low=None, band_high=None):
    """0–100 or None. Higher/lower: linear through floor F = 2R − T (0), R (50) and T (100),
    clamped to 0–100; the same line serves lower-is-better because T < R mirrors it.
    Band: 100 inside, minus 50 per point outside."""
    if _missing(value):
        return None
    if direction == "band":
        outside = band_distance(value, band_low, band_high)
        return max(0.0, 100.0 - 50.0 * outside / BAND_POINTS_PER_STEP)
    raw = 50.0 + 50.0 * (value - red) / (target - red)
    return min(100.0, max(0.0, raw))


def band_distance(value, band_low, band_high) -> float:
    return max(band_low - value, value - band_high, 0.0)


def status(value, direction: str, target=None, red=None, band_low=None, band_high=None,
           n_obs=None, min_n: int = 0) -> str:
    """Traffic light from the raw value; grey when there is no value or too few observations."""
    if _missing(value) or (n_obs is not None and n_obs < min_n):
        return GREY
    if direction == "band":
        outside = band_distance(value, band_low, band_high)
        return GREEN if outside == 0 else YELLOW if outside <= BAND_POINTS_PER_STEP else RED
    better = (lambda a, b: a >= b) if direction == "higher" else (lambda a, b: a <= b)
    if better(value, target):
        return GREEN
    if better(red, value):
        return RED
    return YELLOW


def score_status(score_value) -> str:
    """Colour of a perspective or overall score."""
    if _missing(score_value):
        return GREY
    return GREEN if score_value >= SCORE_GREEN else YELLOW if score_value >= SCORE_YELLOW else RED


def min_required(n_members: int, share: float) -> int:
    return math.ceil(n_members * share - 1e-9)


def perspective_score(scores: list, weights: list | None = None, n_members: int | None = None):
    """Weighted mean of the members' scores if at least 2/3 of them have one, else None."""
    weights = weights or [1.0] * len(scores)
    n_members = n_members or len(scores)
    present = [(s, w) for s, w in zip(scores, weights) if not _missing(s)]
    if len(present) < min_required(n_members, PERSPECTIVE_MIN_SHARE):
        return None
    return sum(s * w for s, w in present) / sum(w for _, w in present)


def red_flag(statuses: list[str]) -> bool:
    return RED in statuses


def overall_score(perspective_scores: list, n_perspectives: int = 5):
    present = [s for s in perspective_scores if not _missing(s)]
    if len(present) < min_required(n_perspectives, OVERALL_MIN_SHARE):
        return None
    return sum(present) / len(present)


# ---- the same rules as SQL expressions over columns value, direction, target, red_threshold,
# band_low, band_high, n_obs, min_n (used set-wise by the build) ----

BAND_DISTANCE_SQL = "GREATEST(band_low - value, value - band_high, 0)"

SCORE_SQL = f"""CASE
    WHEN value IS NULL OR n_obs < min_n THEN NULL
    WHEN direction = 'band' THEN GREATEST(0, 100 - 50 * {BAND_DISTANCE_SQL} / {BAND_POINTS_PER_STEP})
    ELSE LEAST(100, GREATEST(0, 50 + 50 * (value - red_threshold) / (target - red_threshold)))
END"""

STATUS_SQL = f"""CASE
    WHEN value IS NULL OR n_obs < min_n THEN 'grey'
    WHEN direction = 'band' THEN CASE WHEN {BAND_DISTANCE_SQL} = 0 THEN 'green'
                                      WHEN {BAND_DISTANCE_SQL} <= {BAND_POINTS_PER_STEP} THEN 'yellow'
                                      ELSE 'red' END
    WHEN direction = 'higher' THEN CASE WHEN value >= target THEN 'green'
                                        WHEN value <= red_threshold THEN 'red' ELSE 'yellow' END
    ELSE CASE WHEN value <= target THEN 'green' WHEN value >= red_threshold THEN 'red' ELSE 'yellow' END
END"""


def score_status_sql(column: str) -> str:
    return (f"CASE WHEN {column} IS NULL THEN 'grey' WHEN {column} >= {SCORE_GREEN} THEN 'green' "
            f"WHEN {column} >= {SCORE_YELLOW} THEN 'yellow' ELSE 'red' END")
