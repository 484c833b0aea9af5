"""Orchestration above `etl/` and `metrics/`: load → build → publish.

`etl/` reads, validates and loads sources; `metrics/` builds the models and marts and reads them;
this package is the only one that calls both (`pipeline.publish`, and the command line
`python -m pipeline`, also reachable as `python -m etl`).
"""
