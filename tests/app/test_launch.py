"""launch.py, what `make run` starts: Streamlit's own command line, imported with the collector off and without
Streamlit's Plotly theme set-up, which ui/plotly_theme.py then does before the first figure — so every Plotly
figure comes out exactly as under `python -m streamlit`."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FIGURE_STATE = """
import json, sys
import plotly.io as pio
theme_at_start = "streamlit" in pio.templates
import plotly.graph_objects as go
import ui.figures, ui.portfolio_figures
fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))  # no template of its own: Plotly's default applies
print(json.dumps({"theme_at_start": theme_at_start, "default": pio.templates.default,
                  "streamlit": pio.templates["streamlit"].to_plotly_json(), "figure": fig.to_plotly_json(),
                  "gc": __import__("gc").isenabled(), "plotly_hidden": any(type(f).__name__ == "_HidePlotly" for f in sys.meta_path)},
                 sort_keys=True, default=str))
"""


def _run(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=180,
                         env=dict(os.environ, GX_ANALYTICS_ENABLED="false"))
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_figures_are_the_same_as_under_streamlits_own_command_line():
    plain = _run("import streamlit.web.cli\n" + FIGURE_STATE)
    launched = _run("import launch\nlaunch.import_streamlit()\n" + FIGURE_STATE)
    assert plain["theme_at_start"] is True  # Streamlit's import configured it
    assert launched["theme_at_start"] is False  # launch.py: not at Streamlit's import …
    assert launched["default"] == plain["default"] == "streamlit"  # … but before the first figure
    assert launched["streamlit"] == plain["streamlit"]
    assert launched["figure"] == plain["figure"]
    assert launched["figure"]["layout"]["template"] == plain["streamlit"]
    assert launched["plotly_hidden"] is False  # only hidden during Streamlit's import
    assert launched["gc"] is False  # the collector is off until serve.py's warm-up ends


def test_launch_is_streamlits_command_line():
    plain = subprocess.run([sys.executable, "-m", "streamlit", "--version"], cwd=ROOT, capture_output=True, text=True,
                           timeout=120)
    launched = subprocess.run([sys.executable, "-m", "launch", "streamlit", "--version"], cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
    assert plain.returncode == launched.returncode == 0, launched.stderr
    assert launched.stdout == plain.stdout and "Streamlit, version" in plain.stdout
    wrong = subprocess.run([sys.executable, "-m", "launch", "run", "serve.py"], cwd=ROOT, capture_output=True,
                           text=True, timeout=60)
    assert wrong.returncode != 0 and "usage: python -m launch streamlit run serve.py" in wrong.stderr


def test_the_collector_stays_off_only_for_serve_py():
    import launch

    assert launch.serves_warm_app(["streamlit", "run", "serve.py", "--server.port", "1"])
    assert launch.serves_warm_app(["streamlit", "run", "/x/serve.py"])
    assert not launch.serves_warm_app(["streamlit", "run", "app.py"])  # no warm-up to switch it back on
    assert not launch.serves_warm_app(["streamlit", "--version"])
    assert not launch.serves_warm_app(["streamlit", "hello"])
