"""Property-based tests (Hypothesis): rules that hold for all inputs — goalpost scoring and its SQL twin,
period arithmetic, NPV and payback."""
from __future__ import annotations

import datetime as dt
import math

import duckdb
from hypothesis import assume, given, settings, strategies as st

import periods as P
from metrics import scoring
from metrics.portfolio import npv, payback_years

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def anchors(draw, direction=None):
    """(direction, target, red) with target and red at least 0.01 apart, in the declared order."""
    direction = direction or draw(st.sampled_from(["higher", "lower"]))
    a = draw(st.floats(min_value=-1e4, max_value=1e4, allow_nan=False))
    gap = draw(st.floats(min_value=0.01, max_value=1e4, allow_nan=False))
    return (direction, a + gap, a) if direction == "higher" else (direction, a, a + gap)


# ---- scoring --------------------------------------------------------------------------------

@given(anchors(), finite, finite)
def test_score_is_monotonic_in_the_better_direction(anchor, x, y):
    direction, target, red = anchor
    lo, hi = sorted((x, y))
    s_lo, s_hi = scoring.score(lo, direction, target, red), scoring.score(hi, direction, target, red)
    assert 0 <= s_lo <= 100 and 0 <= s_hi <= 100
    if direction == "higher":
        assert s_lo <= s_hi + 1e-9
    else:
        assert s_lo >= s_hi - 1e-9


@given(anchors())
def test_score_is_0_50_100_at_the_anchors(anchor):
    direction, target, red = anchor
    floor = 2 * red - target
    assert math.isclose(scoring.score(target, direction, target, red), 100, abs_tol=1e-6)
    assert math.isclose(scoring.score(red, direction, target, red), 50, abs_tol=1e-6)
    assert math.isclose(scoring.score(floor, direction, target, red), 0, abs_tol=1e-6)


@given(anchors(direction="higher"), finite)
def test_lower_is_better_mirrors_higher_is_better(anchor, x):
    """Reflecting value and anchors (v → −v) turns a higher-is-better measure into a lower-is-better one with
    the same score and the same light."""
    _, target, red = anchor
    assert math.isclose(scoring.score(x, "higher", target, red), scoring.score(-x, "lower", -target, -red),
                        abs_tol=1e-6)
    assert scoring.status(x, "higher", target, red) == scoring.status(-x, "lower", -target, -red)


@given(finite, st.floats(min_value=-100, max_value=100), st.floats(min_value=0, max_value=50))
def test_band_score_is_100_inside_and_falls_50_a_point_outside(x, low, width):
    high = low + width
    s = scoring.score(x, "band", band_low=low, band_high=high)
    outside = max(low - x, x - high, 0)
    assert math.isclose(s, max(0.0, 100 - 50 * outside), abs_tol=1e-6)
    assert (scoring.status(x, "band", band_low=low, band_high=high) == "green") == (outside == 0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(anchors(), finite, st.integers(0, 50), st.integers(0, 40)), min_size=1, max_size=20))
def test_sql_score_and_status_equal_the_python_reference(cases):
    """The build applies the rules in SQL (scoring.SCORE_SQL, STATUS_SQL): same score and light as Python."""
    rows = [(v, d, t, r, n, m) for (d, t, r), v, n, m in cases]
    con = duckdb.connect()
    con.execute("CREATE TABLE c(value DOUBLE, direction VARCHAR, target DOUBLE, red_threshold DOUBLE, "
                "band_low DOUBLE, band_high DOUBLE, n_obs DOUBLE, min_n INTEGER, i INTEGER)")
    con.executemany("INSERT INTO c VALUES (?, ?, ?, ?, NULL, NULL, ?, ?, ?)",
                    [(v, d, t, r, n, m, i) for i, (v, d, t, r, n, m) in enumerate(rows)])
    got = con.execute(f"SELECT {scoring.SCORE_SQL}, {scoring.STATUS_SQL} FROM c ORDER BY i").fetchall()
    for (v, d, t, r, n, m), (sql_score, sql_status) in zip(rows, got):
        assert sql_status == scoring.status(v, d, t, r, n_obs=n, min_n=m)
        if n < m:
            assert sql_score is None
        else:
            assert math.isclose(sql_score, scoring.score(v, d, t, r), abs_tol=1e-6)


# ---- periods --------------------------------------------------------------------------------

months_ = st.builds(lambda y, m: dt.date(y, m, 1), st.integers(1990, 2100), st.integers(1, 12))


@given(months_)
def test_every_month_is_in_exactly_one_period_of_each_grain(month):
    for grain in P.GRAINS:
        period = P.period_of(month, grain)
        assert month in P.months(period)
        neighbours = [P.previous(period), P.next_period(period)]
        assert all(month not in P.months(n) for n in neighbours)
    year = P.period_of(month, "year")
    assert sorted(m for g in ("quarter",) for p in P.period_range(f"{year}-Q1", f"{year}-Q4") for m in P.months(p)) \
        == P.months(year)
    assert sorted(m for p in P.period_range(f"{year}-T1", f"{year}-T3") for m in P.months(p)) == P.months(year)


@given(months_, st.sampled_from(P.GRAINS), st.lists(st.integers(-10**6, 10**6), min_size=36, max_size=36))
def test_sums_over_sub_periods_equal_the_period_s_sum(month, grain, values):
    """A monthly series summed per quarter (or tertial, or month) and then over the year equals the year's sum."""
    year = P.period_of(month, "year")
    series = {m: v for m, v in zip(P.months(year), values)}
    subs = P.period_range(P.period_of(P.first_month(year), grain), P.period_of(P.last_month(year), grain))
    assert sum(sum(series[m] for m in P.months(s)) for s in subs) == sum(series.values())


@given(months_, st.integers(-500, 500))
def test_add_months_and_months_between_are_inverse(month, n):
    later = P.add_months(month, n)
    assert later.day == 1 and P.months_between(month, later) == n


@given(months_, st.sampled_from(P.GRAINS))
def test_sql_period_labels_equal_the_python_ones(month, grain):
    con = duckdb.connect()
    label, start = con.execute(f"SELECT {P.label_sql(grain, 'm')}, {P.start_sql(grain, 'm')} FROM (SELECT ?::DATE AS m)",
                               [month]).fetchone()
    assert label == P.period_of(month, grain)
    assert start == P.first_month(label)


@given(months_, st.sampled_from(P.GRAINS))
def test_latest_complete_ends_at_or_before_the_data(month, grain):
    period = P.latest_complete(month, grain)
    assert P.last_month(period) <= month
    assert P.last_month(P.next_period(period)) > month


# ---- NPV and payback ------------------------------------------------------------------------

money = st.floats(min_value=-1e7, max_value=1e7, allow_nan=False)


@given(st.lists(money, min_size=1, max_size=12), st.floats(min_value=0, max_value=0.2))
def test_npv_is_linear_and_undiscounted_at_rate_zero(flows, rate):
    assert math.isclose(npv(flows, 0.0), sum(flows), rel_tol=1e-9, abs_tol=1e-3)
    doubled = [2 * f for f in flows]
    assert math.isclose(npv(doubled, rate), 2 * npv(flows, rate), rel_tol=1e-9, abs_tol=1e-3)
    assert math.isclose(npv([flows[0]] + [0.0] * 5, rate), flows[0], rel_tol=1e-12, abs_tol=1e-9)


@given(st.lists(st.floats(min_value=0, max_value=1e7), min_size=1, max_size=10), st.floats(min_value=0, max_value=0.2))
def test_npv_of_later_positive_flows_never_exceeds_their_sum(flows, rate):
    assert npv([0.0] + flows, rate) <= sum(flows) + 1e-6


@given(st.floats(min_value=1, max_value=1e7), st.lists(st.floats(min_value=1, max_value=1e7), min_size=1, max_size=10))
def test_payback_is_where_the_cumulative_flow_turns_non_negative(cost, gains):
    flows = [-cost] + gains
    years = payback_years(flows)
    if sum(flows) < 0:
        assert years is None
        return
    assert years is not None and 0 < years <= len(gains)
    whole = math.floor(years)
    cum_before = sum(flows[: whole + 1])
    # linear inside the year: cumulative at `years` is zero
    frac = years - whole
    if whole + 1 < len(flows):
        assert math.isclose(cum_before + frac * flows[whole + 1], 0, abs_tol=1e-6 * max(1, cost))
    else:
        assert math.isclose(cum_before, 0, abs_tol=1e-6 * max(1, cost))


@given(st.lists(st.floats(min_value=0, max_value=1e7), min_size=1, max_size=10))
def test_nothing_to_pay_back_gives_none(flows):
    assert payback_years(flows) is None


# ---- perspective and overall scores: the marts' SQL against the Python reference ---------------

score_or_none = st.one_of(st.none(), st.floats(min_value=0, max_value=100))
status_ = st.sampled_from(["green", "yellow", "red", "grey"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["external", "internal", "maturity", "cost", "quality"]),
                          st.floats(min_value=0.5, max_value=3)), min_size=5, max_size=12),
       st.data())
def test_mart_scores_equal_the_python_reference(catalog, data):
    """perspective_scores and overall_scores (metrics/mart_scores.py, SQL) give what scoring.perspective_score,
    red_flag, overall_score and score_status give for the same member scores."""
    from metrics import mart_scores

    codes = ["external", "internal", "maturity", "cost", "quality"]
    catalog = list(catalog) + [(c, 1.0) for c in codes if c not in {p for p, _ in catalog}]
    measures = [(f"X{i}", p, w) for i, (p, w) in enumerate(catalog)]
    members = {m: (data.draw(score_or_none), data.draw(status_)) for m, _, _ in measures}
    con = duckdb.connect()
    con.execute("CREATE TABLE measure_catalog(measure_id VARCHAR, perspective VARCHAR, weight DOUBLE)")
    con.executemany("INSERT INTO measure_catalog VALUES (?, ?, ?)", measures)
    con.execute("CREATE TABLE measure_values(committee_code VARCHAR, peer_group VARCHAR, grain VARCHAR, period VARCHAR, "
                "measure_id VARCHAR, perspective VARCHAR, score DOUBLE, status VARCHAR)")
    con.executemany("INSERT INTO measure_values VALUES ('AAA', 'g', 'year', '2025', ?, ?, ?, ?)",
                    [(m, p, *members[m]) for m, p, _ in measures])
    mart_scores.build(con, ())
    got = dict(con.execute("SELECT perspective, score FROM perspective_scores").fetchall())
    flags = dict(con.execute("SELECT perspective, red_flag FROM perspective_scores").fetchall())
    expected = {}
    for code in codes:
        mine = [(members[m][0], w, members[m][1]) for m, p, w in measures if p == code]
        expected[code] = scoring.perspective_score([s for s, _, _ in mine], [w for _, w, _ in mine])
        assert flags[code] == scoring.red_flag([st_ for _, _, st_ in mine])
        if expected[code] is None:
            assert got[code] is None, code
        else:
            assert math.isclose(got[code], expected[code], abs_tol=1e-9), code
    overall, colour = con.execute("SELECT score, status FROM overall_scores").fetchone()
    reference = scoring.overall_score([expected[c] for c in codes], len(codes))
    assert (overall is None) == (reference is None)
    if reference is not None:
        assert math.isclose(overall, reference, abs_tol=1e-9)
    assert colour == scoring.score_status(reference)
