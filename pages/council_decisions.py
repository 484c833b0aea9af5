"""Rådets beslut / Council decisions: the log and a form where the council's secretary records a decision."""
from datetime import date

import pandas as pd
import streamlit as st

from metrics import portfolio_query as pq
from followup.council import DecisionError
from ui.page import setup_page

ctx = setup_page("council_decisions", needs_period=False)
t, fmt = ctx.t, ctx.fmt
st.caption(t("council.intro.council_decisions"))

plist = ctx.q(pq.projects)
if plist.empty:
    st.info(t("council.empty.no_projects"))
    st.stop()
names = dict(zip(plist.project_id, plist.name))
ids = list(plist.project_id)

st.subheader(t("council.label.new_decision"))
with st.form("council_decision_form", clear_on_submit=False):
    pid = st.selectbox(t("council.label.project"), ids, format_func=lambda p: f"{p} · {names[p]}", key="cd_project")
    decision = st.selectbox(t("council.label.decision"), list(pq.DECISIONS),
                            format_func=lambda d: t(f"council.decision.{d}"), key="cd_decision")
    decision_date = st.date_input(t("council.label.decision_date"), value=date.today(), max_value=date.today(),
                                  format="YYYY-MM-DD", key="cd_date")
    rationale = st.text_area(t("council.label.rationale"), key="cd_rationale")
    recorded_by = st.text_input(t("council.label.recorded_by"), key="cd_recorded_by")
    submitted = st.form_submit_button(t("council.label.submit"))

if submitted:
    try:
        row = pq.record_decision(ctx.wh, pid, decision, rationale, recorded_by, decision_date)
    except DecisionError as err:
        for code, _ in err.problems:
            st.error(t(f"council.error.{code}"))
    except OSError as err:
        st.error(t("council.error.store", error=str(err)))
    else:
        st.success(t("council.label.saved", decision=t(f"council.decision.{row['decision']}"), project=row["project_id"]))

st.subheader(t("council.label.log"))
flt = st.selectbox(t("council.label.filter_project"), [None, *ids],
                   format_func=lambda p: t("council.label.all_projects") if p is None else f"{p} · {names[p]}",
                   key="cd_filter")
log = pq.decision_log(ctx.wh, flt)
if log.empty:
    st.info(t("council.empty.no_decisions"))
else:
    st.dataframe(pd.DataFrame({
        t("council.col.decision_date"): [fmt.date(d) for d in log.decision_date],
        t("council.label.project"): [f"{p} · {n}" for p, n in zip(log.project_id, log.project_name.fillna(""))],
        t("council.col.decision"): [t(f"council.decision.{d}") for d in log.decision],
        t("council.col.rationale"): log.rationale,
        t("council.col.recorded_by"): log.recorded_by,
        t("council.col.recorded_at"): [fmt.date(d, with_time=True) for d in log.recorded_at],
    }), hide_index=True, width="stretch")
