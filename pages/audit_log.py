"""Granskningslogg / Audit log (administrators): every write to the follow-up store — who, when, what,
why — newest first, filterable by time, person and kind."""
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from followup.audit import audit, tables
from followup.store import get_store
from settings import followup_store_url
from ui.auth import require
from ui.page import setup_page
from ui.tables import download_buttons, show_records

ctx = setup_page("audit_log", needs_period=False)
t, fmt = ctx.t, ctx.fmt
require(ctx, "audit.read")
st.caption(t("audit.intro"))
store = get_store(followup_store_url(getattr(ctx.wh, "path", None)))

c1, c2, c3, c4 = st.columns(4)
since = c1.date_input(t("audit.since"), value=date.today() - timedelta(days=30), format="YYYY-MM-DD", key="audit_since")
until = c2.date_input(t("audit.until"), value=date.today(), format="YYYY-MM-DD", key="audit_until")
who = c3.text_input(t("audit.author"), key="audit_who")
kind = c4.selectbox(t("audit.table"), [None, *tables()], key="audit_table",
                    format_func=lambda k: t("audit.all") if k is None else t(f"audit.table.{k}"))

log = audit(store, since=since, until=until, author=who or None, table=kind)
st.markdown(f"**{t('audit.count', n=fmt.number(len(log)))}**")
if log.empty:
    st.info(t("audit.empty"))
    st.stop()
view = pd.DataFrame({
    t("audit.col.at"): [fmt.date(d, with_time=True) for d in log.recorded_at],
    t("audit.col.who"): [f"{n} ({a})" for n, a in zip(log.author_name, log.author)],
    t("audit.col.via"): [t(f"audit.via.{s}") for s in log.author_source],
    t("audit.col.kind"): [t(f"audit.table.{k}") for k in log.table],
    t("audit.col.id"): log.entity_id.astype(int),
    t("audit.col.version"): log.version.astype(int),
    t("audit.col.change"): [t(f"change.{c}") for c in log.change],
    t("audit.col.what"): log.what,
    t("audit.col.reason"): log.reason.fillna("–"),
})
sort_values = view.copy()
sort_values[t("audit.col.at")] = list(log.recorded_at)  # by time, not by the text of the date
show_records(view, "audit_table_view", t, fmt.number, sort_values=sort_values,
             nowrap=[t("audit.col.id"), t("audit.col.version")])
download_buttons(view, f"granskningslogg_{since}_{until}", t, ctx.lang, key="audit")
