"""Rapporteringsläge / Reporting status: for the city director, which committees have not yet
submitted or had approved their tertial report; administrators set the deadline and close the period."""
from ui.cycle_panel import render_reporting_status
from ui.page import setup_page

ctx = setup_page("reporting_status")
render_reporting_status(ctx)
