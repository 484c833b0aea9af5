from pathlib import Path

import pytest


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """Path of a fresh (not yet existing) published warehouse for one test."""
    return tmp_path / "warehouse.duckdb"
