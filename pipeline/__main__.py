"""`python -m pipeline ARGS`: a `load` goes to the warm loader of its warehouse when one listens (decided
before pandas, DuckDB or Great Expectations are imported), everything else to `pipeline.cli.main`."""
import sys

from pipeline.loader import dispatch

sys.exit(dispatch(sys.argv[1:]))
