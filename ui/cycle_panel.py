"""The follow-up cycle on the committee scorecard: analyses and actions next to the figures, the
report's workflow (submit, approve, return), the period close notice with what changed since, and the
report downloads. Called from pages/committee_scorecard.py with one line.

Who may do what is decided by followup.cycle (inside the write); this module only hides what would be
refused. The acting identity comes from the login (ui.auth.current_identity); a reader sees
everything read-only."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from followup import cycle as C
from followup.identity import PermissionDenied, allowed
from reports import cycle as RC
from reports import model as RM
from reports.render import file_name, render
from ui import status as S
from ui.alerts import render_alerts  # noqa: F401  (the start page's alerts live in ui/alerts.py)
from ui.tables import collation_key, show_table


def current_identity(ctx):
    """Who is using the app: the login's identity (ui.auth, resolved by setup_page's login guard)."""
    from ui.auth import current_identity as logged_in

    return logged_in()


def _store(create: bool):
    from followup.store import get_store
    from followup.targets import store_exists
    from settings import followup_store_url

    url = followup_store_url()
    return get_store(url) if (create or store_exists(url)) else None


def _error(ctx, err: Exception) -> None:
    if isinstance(err, PermissionDenied):
        st.error(err.message(ctx.lang))
    elif isinstance(err, C.CycleError):
        extra = ", ".join(err.measures)
        st.error(ctx.t(f"cycle.error.{err.code}", measures=extra))
    else:
        st.error(str(err))


def render_panel(ctx, code: str) -> None:
    t, fmt, lang = ctx.t, ctx.fmt, ctx.lang
    st.subheader(t("cycle.title"))
    if ctx.grain != "tertial":
        st.info(t("cycle.only_tertial"))
        return
    period = ctx.period
    identity = current_identity(ctx)
    may_report = allowed(identity, "committee.report", code)
    may_approve = allowed(identity, "committee.approve", code)
    store = _store(create=may_report or may_approve)
    live = RC.live_report(ctx.wh, code, period, store) if store is not None else RM.committee_report(ctx.wh, code, period)
    cyc = live["cycle"]
    wf = cyc["workflow"]
    closed = cyc.get("closed")
    deadline = C.deadline(period, store) if store is not None else None

    line = f"**{t('cycle.state')}:** {t('cycle.state.' + wf['state'])}"
    if wf.get("approved_by"):
        line += f" · {t('cycle.approved_by', who=wf['approved_by'], at=fmt.date(wf['approved_at'], with_time=True))}"
    if deadline:
        line += f" · {t('cycle.deadline', date=fmt.date(deadline))}"
    st.markdown(line)
    returned = [s for s in wf["steps"] if s["state"] == "returned"]
    if wf["state"] == "returned" and returned:
        st.warning(t("cycle.returned_with", who=returned[-1]["actor"], comment=returned[-1]["comment"] or ""))

    if closed:
        frozen = C.snapshot(code, period, store)
        st.info(t("cycle.closed", who=closed["closed_by"], at=fmt.date(closed["closed_at"], with_time=True)))
        changes = RC.changes_since_close(frozen, live)
        if changes:
            st.warning(t("cycle.changed_since_close", n=len(changes)))
            show_table(pd.DataFrame({
                t("label.measure"): [f"{c['measure_id']} {c['name_' + lang] or c['name_sv']}" for c in changes],
                t("cycle.value_at_close"): [f"{fmt.value(c['old_value'], c['unit'])} {S.label(c['old_status'], lang)}" for c in changes],
                t("cycle.value_now"): [f"{fmt.value(c['new_value'], c['unit'])} {S.label(c['new_status'], lang)}" for c in changes],
            }), "cycle_changes")
        cyc = frozen["cycle"] if frozen else cyc
    editable = (store is not None and may_report and not closed and wf["state"] in C.EDITABLE_STATES)

    # analyses next to the figures: red and yellow measures first, then any other measure with an analysis
    analyses = {(a["subject_kind"], a["subject_id"]): a for a in cyc["analyses"]}
    measures = [m for m in live["measures"] if m["status"] in ("red", "yellow") or ("measure", m["measure_id"]) in analyses]
    measures.sort(key=lambda m: {"red": 0, "yellow": 1}.get(m["status"], 2))
    st.markdown(f"**{t('cycle.analyses')}**")
    if not measures:
        st.caption(t("cycle.no_red_yellow"))
    subjects = [("committee", code, t("cycle.subject.committee"))] + \
               [("measure", m["measure_id"], f"{m['measure_id']} {m['name_' + lang] or m['name_sv']} — "
                 f"{fmt.value(m['value'], m['unit'])} · {S.label(m['status'], lang)}") for m in measures] + \
               [("perspective", p, t(f"perspective.{p}")) for p in RM.PERSPECTIVES]
    for kind, sid, label in subjects:
        a = analyses.get((kind, sid))
        if kind == "perspective" and not a and not editable:
            continue
        required = kind == "measure" and any(m["measure_id"] == sid and m["status"] == "red" for m in measures)
        title = label + (f" · {t('cycle.required')}" if required and not a else "")
        with st.expander(title, expanded=bool(required and not a and editable)):
            if a:
                st.markdown(a["text"])
                st.caption(" · ".join(x for x in (
                    t("cycle.assessment." + a["assessment"]) if a.get("assessment") else "",
                    t("cycle.written_by", who=a["author"], at=fmt.date(a["written_at"], with_time=True))) if x))
            elif not editable:
                st.caption(t("cycle.no_analysis"))
            if editable:
                with st.form(f"cycle_analysis_{kind}_{sid}_{lang}"):
                    text = st.text_area(t("cycle.analysis_text"), value=a["text"] if a else "", key=f"cyc_text_{kind}_{sid}_{lang}")
                    options = [None, *C.ASSESSMENTS]
                    current = a.get("assessment") if a else None
                    assess = st.selectbox(t("cycle.assessment"), options, index=options.index(current),
                                          format_func=lambda x: t("cycle.assessment.none") if x is None else t("cycle.assessment." + x),
                                          key=f"cyc_assess_{kind}_{sid}_{lang}")
                    if st.form_submit_button(t("cycle.save")):
                        try:
                            C.write_analysis(identity, code, period, kind, sid, text, assess, store=store)
                            st.rerun()
                        except Exception as err:  # shown to the user, nothing saved
                            _error(ctx, err)

    # actions (carried over until done)
    st.markdown(f"**{t('cycle.actions')}**")
    acts = cyc["actions"]
    if acts:
        show_table(pd.DataFrame({
            t("cycle.action.what"): [a["what"] for a in acts],
            t("label.measure"): [a.get("measure_id") or "–" for a in acts],
            t("cycle.action.responsible"): [a["responsible"] for a in acts],
            t("cycle.action.due"): [fmt.date(a["due_date"]) for a in acts],
            t("cycle.action.status"): [t("cycle.action.status." + a["status"]) for a in acts],
            t("cycle.action.since"): [fmt.period(a["period_created"]) for a in acts],
        }), "cycle_actions")
    else:
        st.caption(t("cycle.no_actions"))
    if editable:
        with st.form(f"cycle_new_action_{lang}", clear_on_submit=True):
            st.markdown(t("cycle.action.new"))
            what = st.text_input(t("cycle.action.what"))
            c1, c2, c3 = st.columns(3)
            responsible = c1.text_input(t("cycle.action.responsible"))
            due = c2.date_input(t("cycle.action.due"), value=None, format="YYYY-MM-DD")
            mnames = {m["measure_id"]: f"{m['measure_id']} {m['name_' + lang] or m['name_sv']}" for m in live["measures"]}
            mid = c3.selectbox(t("label.measure"), [None, *mnames],
                               format_func=lambda x: t("cycle.action.no_measure") if x is None else mnames[x])
            if st.form_submit_button(t("cycle.save")):
                try:
                    C.add_action(identity, code, period, what, responsible, due, mid, store=store)
                    st.rerun()
                except Exception as err:
                    _error(ctx, err)
        if acts:
            with st.form(f"cycle_action_status_{lang}"):
                pick = st.selectbox(t("cycle.action.pick"), [a["entity_id"] for a in acts],
                                    format_func=lambda i: next(a["what"] for a in acts if a["entity_id"] == i))
                new_status = st.selectbox(t("cycle.action.status"), list(C.ACTION_STATUSES),
                                          format_func=lambda s: t("cycle.action.status." + s))
                if st.form_submit_button(t("cycle.save")):
                    try:
                        C.update_action(identity, pick, period, status=new_status, store=store)
                        st.rerun()
                    except Exception as err:
                        _error(ctx, err)

    # workflow
    if store is not None and not closed:
        cols = st.columns(3)
        if may_report and wf["state"] in C.EDITABLE_STATES:
            missing = RM.red_without_analysis(live)
            if missing:
                cols[0].caption(t("cycle.error.unexplained", measures=", ".join(missing)))
            if cols[0].button(t("cycle.submit"), key="cycle_submit", disabled=bool(missing)):
                try:
                    RC.submit(identity, ctx.wh, code, period, store)
                    st.rerun()
                except Exception as err:
                    _error(ctx, err)
        if may_approve and wf["state"] == "submitted":
            if cols[1].button(t("cycle.approve"), key="cycle_approve", type="primary"):
                try:
                    C.approve(identity, code, period, store=store)
                    st.rerun()
                except Exception as err:
                    _error(ctx, err)
        if may_approve and wf["state"] in ("submitted", "approved"):
            with cols[2].form(f"cycle_return_{lang}"):
                comment = st.text_input(t("cycle.return_comment"))
                if st.form_submit_button(t("cycle.return")):
                    try:
                        C.return_report(identity, code, period, comment, store=store)
                        st.rerun()
                    except Exception as err:
                        _error(ctx, err)

    # the committee report
    st.markdown(f"**{t('cycle.report')}**")
    key = f"cycle_report_{code}_{period}_{lang}"
    if st.button(t("cycle.prepare_report"), key=f"cycle_prepare_{lang}"):
        report = RC.report(ctx.wh, code, period, store) if store is not None else live
        st.session_state[key] = {f: render(report, f, lang) for f in ("pdf", "docx", "xlsx")}
    files = st.session_state.get(key)
    if files:
        cols = st.columns(3)
        mimes = {"pdf": "application/pdf",
                 "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        for col, f in zip(cols, ("pdf", "docx", "xlsx")):
            col.download_button(t(f"cycle.download.{f}"), files[f], file_name=file_name(code, period, f, lang),
                                mime=mimes[f], key=f"cycle_dl_{f}_{lang}")


def render_reporting_status(ctx) -> None:
    """The city director's view: who has not reported for the period; administrators set the deadline
    and close the period here."""
    import datetime as dt

    from metrics import query

    t, fmt, lang = ctx.t, ctx.fmt, ctx.lang
    st.caption(t("reporting.intro"))
    if ctx.grain != "tertial":
        st.info(t("cycle.only_tertial"))
        return
    identity = current_identity(ctx)
    is_admin = allowed(identity, "period.close")
    store = _store(create=is_admin)
    committees = ctx.q(query.committees)
    codes = committees["committee_code"].tolist()
    if store is not None:
        status = C.reporting_status(ctx.period, codes, store)
        closed = C.closed_info(ctx.period, store)
    else:
        status = pd.DataFrame({"committee_code": codes, "state": "not_started", "submitted_at": None,
                               "submitted_by": None, "approved_at": None, "approved_by": None, "deadline": None,
                               "overdue": False})
        closed = None
    names = dict(zip(committees["committee_code"], committees[ctx.name_col].fillna(committees["name_sv"])))
    not_reported = status[~status["state"].isin(["submitted", "approved"])]
    st.markdown(f"### {t('reporting.not_reported', n=len(not_reported), total=len(status))}")
    due = status["deadline"].iloc[0] if len(status) else None
    st.caption(t("cycle.deadline", date=fmt.date(due)) if due else t("reporting.no_deadline"))
    if closed:
        st.info(t("reporting.closed", at=fmt.date(closed["closed_at"], with_time=True), who=closed["closed_by"],
                  version=closed["data_version"]))
    order = {"returned": 0, "not_started": 1, "draft": 2, "submitted": 3, "approved": 4}
    status = status.assign(_o=status["state"].map(order),
                           _name=[collation_key(names.get(c, c), lang) for c in status["committee_code"]])
    status = status.sort_values(["_o", "_name"], kind="stable")
    show_table(pd.DataFrame({
        t("label.committee"): [names.get(c, c) for c in status["committee_code"]],
        t("cycle.state"): [t("cycle.state." + s) for s in status["state"]],
        t("reporting.submitted_at"): [fmt.date(x, with_time=True) if x else "–" for x in status["submitted_at"]],
        t("reporting.submitted_by"): [x or "–" for x in status["submitted_by"]],
        t("reporting.approved_at"): [fmt.date(x, with_time=True) if x else "–" for x in status["approved_at"]],
        t("reporting.approved_by"): [x or "–" for x in status["approved_by"]],
        t("reporting.overdue"): [t("reporting.overdue_yes") if o else "" for o in status["overdue"]],
    }), "reporting_table", nowrap=[t("reporting.overdue")])
    if is_admin and store is not None and not closed:
        c1, c2 = st.columns(2)
        with c1.form(f"reporting_deadline_{lang}"):
            day = st.date_input(t("reporting.deadline"), value=due or dt.date.today(), format="YYYY-MM-DD")
            if st.form_submit_button(t("reporting.set_deadline")):
                try:
                    C.set_deadline(identity, ctx.period, day, store=store)
                    st.rerun()
                except Exception as err:
                    _error(ctx, err)
        with c2:
            st.caption(t("reporting.close_help"))
            if st.button(t("reporting.close"), key="reporting_close", type="primary"):
                try:
                    RC.close(identity, ctx.wh, ctx.period, store)
                    st.rerun()
                except Exception as err:
                    _error(ctx, err)
