"""What `make run` starts: `python -m launch streamlit run serve.py [options]` is Streamlit's own command line
(`python -m streamlit run serve.py [options]`, same arguments, same server), with two things done before
Streamlit is imported, both for the first page after a start (docs/benchmark.md "Cold start, session 7"):

1. Python's cyclic garbage collector is off from before Streamlit's import. serve.py switches it off for the
   start-up and back on (after gc.freeze) when the warm-up ends; under `python -m streamlit` that rule could
   only begin after Streamlit's own import had run with the collector walking its new objects again and
   again (0.06–0.07 s of CPU of Streamlit's ~0.4 s import).
2. Streamlit's import does not configure its Plotly theme. Because plotly is installed, importing Streamlit
   imports plotly.graph_objects and builds the "streamlit" Plotly template (0.08–0.1 s of CPU before the server
   answers), though the start page draws no Plotly figure. Plotly is hidden while Streamlit is imported (its
   theme set-up then skips itself, as when plotly is not installed) and the theme is configured — by
   Streamlit's own function, with the same result — when the app first imports plotly for a figure
   (ui/figures.py: `streamlit_plotly_theme()`), before any figure is built.

Everything else is `streamlit run`: `python -m streamlit run app.py` and `python -m streamlit run serve.py`
still work and show the same pages."""
from __future__ import annotations

import gc
import sys
from pathlib import Path


class _HidePlotly:
    """A meta-path finder under which `import plotly…` fails as if plotly were not installed."""

    def find_spec(self, name, path=None, target=None):  # noqa: ARG002
        if name == "plotly" or name.startswith("plotly."):
            raise ModuleNotFoundError(f"No module named {name!r} (hidden while Streamlit is imported)", name=name)
        return None


def import_streamlit():
    """Import Streamlit's command line with the collector off (serve.py switches it back on when its warm-up
    ends, or after its time limit) and plotly hidden; returns streamlit.web.cli."""
    gc.disable()
    if "streamlit" in sys.modules:  # already imported (tests): nothing to hide any more
        from streamlit.web import cli

        return cli
    hider = _HidePlotly()
    sys.meta_path.insert(0, hider)
    try:
        from streamlit.web import cli
    finally:
        sys.meta_path.remove(hider)
    return cli


def serves_warm_app(argv: list[str]) -> bool:
    """True for `streamlit run serve.py …`: serve.py switches the collector back on when its warm-up ends."""
    return len(argv) >= 3 and argv[1] == "run" and Path(argv[2]).name == "serve.py"


def main(argv: list[str]) -> None:
    if not argv or argv[0] != "streamlit":
        sys.exit("usage: python -m launch streamlit run serve.py [streamlit options]")
    cli = import_streamlit()
    if not serves_warm_app(argv):  # any other script or command: nobody would switch the collector back on
        gc.enable()
    sys.argv = argv
    cli.main(args=argv[1:], prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
