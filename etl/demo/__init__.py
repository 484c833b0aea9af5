"""Deterministic demo data generator (see generate.py). Entry point: etl.demo.generate(out_dir, ...)."""
from .generate import LAST_RUN, generate

__all__ = ["generate", "LAST_RUN"]
