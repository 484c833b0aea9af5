"""Goalpost scoring, traffic lights and roll-up rules (pure functions), and the SQL twins."""
from __future__ import annotations

import itertools

import duckdb
import pytest

from metrics import scoring as s


def test_availability_example_scores_70():
    # 50 + 50 × (99.2 − 99.0) / (99.5 − 99.0) = 70
    assert s.score(99.2, "higher", target=99.5, red=99.0) == pytest.approx(70.0)


def test_anchors_floor_and_cap():
    # T 80, R 60 → floor F = 2 × 60 − 80 = 40
    assert s.score(40, "higher", 80, 60) == 0
    assert s.score(30, "higher", 80, 60) == 0           # below the floor
    assert s.score(60, "higher", 80, 60) == pytest.approx(50)
    assert s.score(70, "higher", 80, 60) == pytest.approx(75)
    assert s.score(80, "higher", 80, 60) == pytest.approx(100)
    assert s.score(95, "higher", 80, 60) == 100         # capped


def test_lower_is_better_mirrors():
    # C2: T 40 000, R 48 000 → floor 56 000
    assert s.score(40_000, "lower", 40_000, 48_000) == pytest.approx(100)
    assert s.score(35_000, "lower", 40_000, 48_000) == 100
    assert s.score(44_000, "lower", 40_000, 48_000) == pytest.approx(75)
    assert s.score(48_000, "lower", 40_000, 48_000) == pytest.approx(50)
    assert s.score(56_000, "lower", 40_000, 48_000) == 0
    assert s.score(60_000, "lower", 40_000, 48_000) == 0
    assert s.status(44_000, "lower", 40_000, 48_000) == "yellow"
    assert s.status(48_000, "lower", 40_000, 48_000) == "red"
    assert s.status(39_000, "lower", 40_000, 48_000) == "green"


def test_band_scoring_and_status():
    band = dict(band_low=3, band_high=5)
    assert s.score(4, "band", **band) == 100 and s.status(4, "band", **band) == "green"
    assert s.score(3, "band", **band) == 100 and s.score(5, "band", **band) == 100
    assert s.score(5.5, "band", **band) == pytest.approx(75) and s.status(5.5, "band", **band) == "yellow"
    assert s.score(2, "band", **band) == pytest.approx(50) and s.status(2, "band", **band) == "yellow"
    assert s.score(1.5, "band", **band) == pytest.approx(25) and s.status(1.5, "band", **band) == "red"
    assert s.score(7, "band", **band) == 0 and s.score(9, "band", **band) == 0


def test_status_higher_is_better():
    assert s.status(99.5, "higher", 99.5, 99.0) == "green"
    assert s.status(99.2, "higher", 99.5, 99.0) == "yellow"
    assert s.status(99.0, "higher", 99.5, 99.0) == "red"


def test_grey_on_missing_or_too_few():
    assert s.score(None, "higher", 80, 60) is None
    assert s.status(None, "higher", 80, 60) == "grey"
    assert s.status(float("nan"), "higher", 80, 60) == "grey"
    assert s.status(95, "higher", 80, 60, n_obs=29, min_n=30) == "grey"
    assert s.status(95, "higher", 80, 60, n_obs=30, min_n=30) == "green"


def test_perspective_needs_two_of_three():
    assert s.perspective_score([80, None, None]) is None
    assert s.perspective_score([80, 60, None]) == pytest.approx(70)
    assert s.perspective_score([80, 60, 100]) == pytest.approx(80)
    assert s.perspective_score([80, 60, 100], weights=[2, 1, 1]) == pytest.approx(80)  # (160 + 60 + 100) / 4
    assert s.perspective_score([100, 0, None], weights=[3, 1, 1]) == pytest.approx(75)


def test_overall_needs_four_of_five():
    assert s.overall_score([80, 60, None, None, 100]) is None
    assert s.overall_score([80, 60, 70, None, 100]) == pytest.approx(77.5)


def test_score_colours_and_red_flag():
    assert s.score_status(90) == "green" and s.score_status(89.9) == "yellow"
    assert s.score_status(50) == "yellow" and s.score_status(49.9) == "red"
    assert s.score_status(None) == "grey"
    assert s.red_flag(["green", "red", "grey"]) and not s.red_flag(["green", "yellow", "grey"])


CASES = [
    ("higher", 80.0, 60.0, None, None), ("lower", 40_000.0, 48_000.0, None, None), ("band", None, None, 3.0, 5.0),
    ("higher", 99.5, 99.0, None, None),
]
VALUES = [None, 0.0, 2.0, 3.0, 4.5, 5.0, 5.9, 6.0, 7.5, 40.0, 55.0, 60.0, 70.0, 80.0, 99.0, 99.2, 99.5, 100.0,
          40_000.0, 44_000.0, 48_000.0, 52_000.0, 60_000.0]


def test_sql_matches_python():
    rows = [(v, d, t, r, lo, hi, n, 30) for (d, t, r, lo, hi), v, n in itertools.product(CASES, VALUES, [10, 30])]
    con = duckdb.connect()
    con.execute("""CREATE TABLE x (value DOUBLE, direction VARCHAR, target DOUBLE, red_threshold DOUBLE,
                   band_low DOUBLE, band_high DOUBLE, n_obs DOUBLE, min_n INTEGER)""")
    con.executemany("INSERT INTO x VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    got = con.execute(f"SELECT {s.SCORE_SQL}, {s.STATUS_SQL} FROM x").fetchall()
    for (v, d, t, r, lo, hi, n, min_n), (sql_score, sql_status) in zip(rows, got):
        expected_status = s.status(v, d, t, r, lo, hi, n_obs=n, min_n=min_n)
        expected_score = None if expected_status == "grey" else s.score(v, d, t, r, lo, hi)
        assert sql_status == expected_status, (v, d)
        assert (sql_score is None and expected_score is None) or sql_score == pytest.approx(expected_score), (v, d)
