"""`python -m etl …` is the documented command line; it is the orchestration's (`pipeline.cli`),
because a load publishes only after the measures are built. This alias is the one place in etl/
that names a layer above it (tests/test_layers.py allows exactly this file). A `load` goes to the warm
loader of its warehouse when one listens (pipeline/loader.py), decided before anything heavy is imported."""
import sys

from pipeline.loader import dispatch

sys.exit(dispatch(sys.argv[1:]))
