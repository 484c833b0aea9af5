"""The app server as `make run` starts it: `streamlit run serve.py` serves app.py — the same entry point,
pages and settings as `streamlit run app.py` — and warms the server process up before it takes its first
request (ui/warmup.py: imports, translations, Babel data, the follow-up store, the warehouse and the start
page's queries, all through the app's own functions and caches). The server starts listening only when
the warm-up is done, so "You can now view your Streamlit app" means the first Stadsöversikt is fast; the
warm-up's time per step is logged. It uses Streamlit's st.App with a lifespan hook (Streamlit ≥ 1.53)."""
from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

import streamlit as st

LOG = logging.getLogger("scorecard.serve")


@asynccontextmanager
async def lifespan(_app):
    from ui.warmup import summary, warm_up

    timings = await asyncio.to_thread(warm_up)
    print(f"  Stadens it-styrkort: {summary(timings)}", flush=True)
    yield


app = st.App("app.py", lifespan=lifespan)
