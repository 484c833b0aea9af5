"""The data of Stadsöversikt, loaded in one place: the page (pages/city_overview.py) and the server's
warm-up at start (ui/warmup.py) call the same `load`, so the warm-up fills exactly the cache entries
the first real page run reads (same query functions, same arguments, same warehouse version)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pandas as pd

TREND_PERIODS = {"month": 24}   # periods in the city's trend; 8 for the other grains
MOVERS = 10                      # rows in "largest changes"


@dataclass
class OverviewData:
    committees: pd.DataFrame
    peer_groups: list[str]
    table: pd.DataFrame          # query.city_overview: one row per committee (of the peer group)
    city: pd.DataFrame           # query.city_row: the city as a whole
    trend: pd.DataFrame          # query.city_trend
    movers: pd.DataFrame         # query.movers
    catalog: pd.DataFrame        # query.measure_catalog


def peer_groups(committees: pd.DataFrame) -> list[str]:
    return sorted(committees["peer_group"].dropna().unique().tolist())


def load(q: Callable[..., Any], grain: str, period: str, peer: str | None = None) -> OverviewData:
    """`q(fn, *args, **kwargs)` is the page's cached query call (PageContext.q / ui.data.cached)."""
    from metrics import query

    committees = q(query.committees)
    return OverviewData(
        committees=committees,
        peer_groups=peer_groups(committees),
        table=q(query.city_overview, grain, period, peer_group=peer),
        city=q(query.city_row, grain, period),
        trend=q(query.city_trend, grain, period, TREND_PERIODS.get(grain, 8)),
        movers=q(query.movers, grain, period, n=MOVERS),
        catalog=q(query.measure_catalog),
    )
