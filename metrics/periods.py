"""Kept so that `from metrics import periods` keeps working: the period module is the top-level `periods.py`
(etl/ may not import metrics/, and it needs the same calendar arithmetic)."""
from periods import *  # noqa: F401,F403
from periods import GRAINS, MONTHS_PER, RANK, label_sql, start_sql  # noqa: F401
