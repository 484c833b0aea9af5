"""`python -m etl …` is the documented command line; it is the orchestration's (`pipeline.cli`),
because a load publishes only after the measures are built. This alias is the one place in etl/
that names a layer above it (tests/test_layers.py allows exactly this file)."""
import sys

from pipeline.cli import main

sys.exit(main())
