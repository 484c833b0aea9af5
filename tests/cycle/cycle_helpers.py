"""Helpers of the report tests (tests/cycle is on pytest's pythonpath)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def ensure_poppler() -> None:
    """pdftotext/pdftoppm come from Debian's poppler-utils (the Makefile installs it for `make test`)."""
    assert shutil.which("pdftotext") and shutil.which("pdftoppm"), \
        "poppler-utils is missing: apt-get install poppler-utils (make test does this)"


def pdf_text(path: Path) -> str:
    ensure_poppler()
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def flat(text: str) -> str:
    """Whitespace collapsed (pdftotext writes a no-break space as a space and wraps table cells)."""
    return " ".join(text.replace("\u00a0", " ").split())
