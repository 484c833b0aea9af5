"""Rådets beslut / Council decisions: the log, a form where the council's secretary records a decision
(recorded-by from the login), and edit/withdraw as new versions with the history shown."""
import hashlib
import uuid
from datetime import date

import pandas as pd
import streamlit as st

from followup.council import DecisionError
from followup.identity import PermissionDenied, allowed
from followup.store import StoreError
from metrics import portfolio_query as pq
from ui.auth import current_identity, refusal
from ui.page import setup_page
from ui.tables import show_table

ctx = setup_page("council_decisions", needs_period=False)
t, fmt = ctx.t, ctx.fmt
st.caption(t("council.intro.council_decisions"))
identity = current_identity()
if "_cd_flash" in st.session_state:
    st.success(st.session_state.pop("_cd_flash"))
may_record = allowed(identity, "council.record")

plist = ctx.q(pq.projects)
if plist.empty:
    st.info(t("council.empty.no_projects"))
    st.stop()
names = dict(zip(plist.project_id, plist.name))
ids = list(plist.project_id)


def _show_problems(err: Exception) -> None:
    if isinstance(err, DecisionError):
        for code, _ in err.problems:
            st.error(t(f"council.error.{code}"))
    elif isinstance(err, PermissionDenied):
        st.error(refusal(ctx, err))
    else:
        st.error(t("council.error.store", error=str(err)))


def _request_id(*parts) -> str:
    """The same submission (same session, same content) is one request: a double click stores it once."""
    if "_cd_session" not in st.session_state:
        st.session_state["_cd_session"] = uuid.uuid4().hex
    return hashlib.sha256("\x1f".join(map(str, (st.session_state["_cd_session"], *parts))).encode()).hexdigest()[:40]


if may_record:
    st.subheader(t("council.label.new_decision"))
    with st.form("council_decision_form", clear_on_submit=False):
        pid = st.selectbox(t("council.label.project"), ids, format_func=lambda p: f"{p} · {names[p]}", key="cd_project")
        decision = st.selectbox(t("council.label.decision"), list(pq.DECISIONS),
                                format_func=lambda d: t(f"council.decision.{d}"), key="cd_decision")
        decision_date = st.date_input(t("council.label.decision_date"), value=date.today(), max_value=date.today(),
                                      format="YYYY-MM-DD", key="cd_date")
        rationale = st.text_area(t("council.label.rationale"), key="cd_rationale")
        st.caption(t("council.label.recorded_as", name=identity.name, email=identity.email))
        submitted = st.form_submit_button(t("council.label.submit"), key="cd_submit")
    if submitted:
        try:
            row = pq.record_decision(ctx.wh, identity, pid, decision, rationale, decision_date,
                                     request_id=_request_id("new", pid, decision, decision_date, rationale))
        except (DecisionError, PermissionDenied, StoreError, OSError) as err:
            _show_problems(err)
        else:
            st.success(t("council.label.saved", decision=t(f"council.decision.{row['decision']}"),
                         project=row["project_id"]))
else:
    st.info(t("council.label.read_only"))

st.subheader(t("council.label.log"))
flt = st.selectbox(t("council.label.filter_project"), [None, *ids],
                   format_func=lambda p: t("council.label.all_projects") if p is None else f"{p} · {names[p]}",
                   key="cd_filter")
log = pq.decision_log(ctx.wh, flt)
if log.empty:
    st.info(t("council.empty.no_decisions"))
    st.stop()
show_table(pd.DataFrame({
    t("council.col.decision_date"): [fmt.date(d) for d in log.decision_date],
    t("council.label.project"): [f"{p} · {n}" for p, n in zip(log.project_id, log.project_name.fillna(""))],
    t("council.col.decision"): [t(f"council.decision.{d}") for d in log.decision],
    t("council.col.rationale"): log.rationale,
    t("council.col.recorded_by"): log.recorded_by,
    t("council.col.recorded_at"): [fmt.date(d, with_time=True) for d in log.recorded_at],
    t("council.col.version"): [f"{int(v)} · {t('change.' + c)}" for v, c in zip(log.version, log.change)],
}), "council_decision_log")

labels = {int(r.decision_id): f"{fmt.date(r.decision_date)} · {r.project_id} · {t('council.decision.' + r.decision)}"
          for r in log.itertuples()}
st.subheader(t("council.label.history"))
chosen = st.selectbox(t("council.label.choose_decision"), list(labels), format_func=lambda k: labels[k],
                      key="cd_chosen")
hist = pq.decision_history(ctx.wh, chosen)
show_table(pd.DataFrame({
    t("council.col.version"): hist.version.astype(int),
    t("council.col.change"): [t(f"change.{c}") for c in hist.change],
    t("council.col.decision"): [t(f"council.decision.{d}") for d in hist.decision],
    t("council.col.decision_date"): [fmt.date(d) for d in hist.decision_date],
    t("council.col.rationale"): hist.rationale,
    t("council.col.reason"): hist.reason.fillna("–"),
    t("council.col.recorded_by"): hist.recorded_by,
    t("council.col.recorded_at"): [fmt.date(d, with_time=True) for d in hist.recorded_at],
}), "council_decision_history")

if may_record:
    last = hist.iloc[-1]
    with st.form(f"council_change_form_{chosen}"):
        st.markdown(f"**{t('council.label.change_decision')}**")
        new_decision = st.selectbox(t("council.label.decision"), list(pq.DECISIONS),
                                    index=list(pq.DECISIONS).index(last.decision),
                                    format_func=lambda d: t(f"council.decision.{d}"), key=f"cd_edit_decision_{chosen}")
        new_rationale = st.text_area(t("council.label.rationale"), value=last.rationale, key=f"cd_edit_rationale_{chosen}")
        reason = st.text_input(t("council.label.change_reason"), key=f"cd_edit_reason_{chosen}")
        c1, c2 = st.columns(2)
        save = c1.form_submit_button(t("council.label.save_edit"), key=f"cd_save_edit_{chosen}")
        withdraw = c2.form_submit_button(t("council.label.withdraw"), key=f"cd_withdraw_{chosen}")
    if save or withdraw:
        try:
            if save:
                row = pq.edit_decision(ctx.wh, identity, chosen, reason=reason, decision=new_decision,
                                       rationale=new_rationale, request_id=_request_id("edit", chosen, new_decision, new_rationale, reason))
            else:
                row = pq.withdraw_decision(ctx.wh, identity, chosen, reason=reason,
                                           request_id=_request_id("withdraw", chosen, reason))
        except (DecisionError, PermissionDenied, StoreError, LookupError, OSError) as err:
            _show_problems(err)
        else:
            st.session_state["_cd_flash"] = (t("council.label.saved_edit", version=row["version"]) if save
                                             else t("council.label.saved_withdraw"))
            st.rerun()  # the log and the history above show the new version
