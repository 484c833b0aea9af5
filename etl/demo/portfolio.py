"""Demo data for portfolios, projects and benefits. PLACEHOLDER interface (owned by portfolio work)."""
from __future__ import annotations

import pandas as pd


def build_portfolio(rng, committees: pd.DataFrame, eservices: pd.DataFrame, end_month: str) -> dict[str, pd.DataFrame]:
    """Return frames keyed by contract source name: portfolio_frames, projects, project_grants,
    benefits, benefit_plans, benefit_realisations (columns exactly as in etl/contracts/), plus
    'project_spend' [project_id, month 'YYYY-MM', committee_code, amount_sek, cost_class, supplier_type]
    that the ledger generator turns into IT cost lines with project_id set."""
    return {}
