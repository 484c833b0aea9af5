"""Projekt / Project: the dated process from need to effect, the benefit calculation (by benefit class, with
its low–high range), the expected effect on the scorecard's measures against the measured change, planned vs
realised benefit against the approved plan and the latest re-plan, cost against grant and the council's
decisions for one project."""
import hashlib
import uuid
from datetime import date

import pandas as pd
import streamlit as st

from followup.identity import PermissionDenied, allowed
from followup.stages import StageRuleError
from followup.store import StoreError

from metrics import portfolio_query as pq
from ui import portfolio_figures as figs
from ui.auth import current_identity, refusal
from ui.page import setup_page
from ui.tables import quantity_cells, show_table

ctx = setup_page("project", needs_period=False)
t, fmt = ctx.t, ctx.fmt
st.caption(t("council.intro.project"))

plist = ctx.q(pq.projects)
if plist.empty:
    st.info(t("council.empty.no_projects"))
    st.stop()
ids = list(plist.project_id)
names = dict(zip(plist.project_id, plist.name))
wanted = st.query_params.get("project")
default = ids.index(wanted) if wanted in ids else 0
c1, c2 = st.columns([2, 1])
pid = c1.selectbox(t("council.label.project"), ids, index=default, format_func=lambda p: f"{p} · {names[p]}",
                   key="project_pick")
months = ctx.q(pq.as_of_months)
as_of = c2.selectbox(t("council.label.as_of"), months or [None], format_func=fmt.period, key="project_as_of")
p = plist[plist.project_id == pid].iloc[0]
if st.query_params.get("project") != pid:
    st.query_params["project"] = pid          # the address can be shared as a deep link

st.header(f"{pid} · {p['name']}")
portfolio_label = f"{int(p.portfolio_id)}. {p.portfolio_en if ctx.lang == 'en' else p.portfolio_sv}"
info = {
    t("council.label.portfolio"): f"[{portfolio_label}](portfolios?portfolio={int(p.portfolio_id)})",
    t("council.label.status"): t(f"council.status.{p.status}"),
    t("council.label.tier"): t(f"council.tier.{p.tier}"),
    t("council.label.owner"): p.committee_en if ctx.lang == "en" else p.committee_sv,
    t("council.label.benefit_owner"): p.benefit_owner,
    t("council.label.period"): f"{fmt.date(p.start_date)} – {fmt.date(p.end_date)}",
    t("council.label.goals"): "; ".join(f"{g} {t('council.goal.' + g)}" for g in str(p.council_goals).split(";") if g),
}
if isinstance(p.learning_goals, str) and p.learning_goals:
    info[t("council.label.learning_goals")] = p.learning_goals
if isinstance(p.exit_plan, str) and p.exit_plan:
    info[t("council.label.exit_plan")] = p.exit_plan
st.markdown("\n".join(f"- **{k}:** {v}" for k, v in info.items()))

# ---- the process from need to effect ------------------------------------------------------------------
st.subheader(t("council.section.timeline"))
history = pq.stage_history(ctx.wh, pid)          # recorded stages come from the follow-up store: not cached
if history.empty:
    st.info(t("council.label.no_stages"))
else:
    tl = ctx.q(pq.stage_timeline, pid)
    row = tl.iloc[0] if not tl.empty else None
    s1, s2, s3 = st.columns(3)
    s1.metric(t("council.label.current_stage"), t(f"council.stage.{history.stage.iloc[-1]}"))
    months_text = lambda v: "–" if pd.isna(v) else t("council.label.months_value", value=fmt.number(v, 1))  # noqa: E731
    s2.metric(t("council.label.lead_need"), months_text(None if row is None else row.need_to_decision_months))
    s3.metric(t("council.label.lead_application"),
              months_text(None if row is None else row.application_to_decision_months))
    st.plotly_chart(figs.timeline_figure(history, t, ctx.lang), width="stretch")
    show_table(pd.DataFrame({
        t("council.col.stage"): [t(f"council.stage.{s}") for s in history.stage],
        t("council.col.entered_on"): [fmt.date(d) for d in history.entered_on],
        t("council.col.person"): history.person,
        t("council.col.days_in_stage"): ["" if pd.isna(v) else fmt.number(v) for v in history.days_in_stage],
        t("council.label.stage_note"): history.note.fillna(""),
        t("council.col.recorded_by_login"): [r if s == "recorded" else t("council.label.stage_source_loaded")
                                             for s, r in zip(history.source, history.recorded_by)],
    }), "project_stages")

# ---- move the project to its next stage (council secretary) ---------------------------------------------
identity = current_identity()
if "_stage_flash" in st.session_state:
    st.success(st.session_state.pop("_stage_flash"))
if allowed(identity, "council.record"):
    record = pq.stage_record(ctx.wh, pid)
    options = pq.next_stages(record)
    if options:
        st.subheader(t("council.section.stage_form"))
        st.caption(t("council.label.stage_rules"))
        with st.form("stage_form", clear_on_submit=False):
            f1, f2 = st.columns(2)
            stage = f1.selectbox(t("council.label.stage_next"), options, format_func=lambda s: t(f"council.stage.{s}"),
                                 key="stage_next")
            on = f2.date_input(t("council.label.stage_date"), value=date.today(), max_value=date.today(),
                               format="YYYY-MM-DD", key="stage_date")
            person = st.text_input(t("council.label.stage_person"), key="stage_person")
            note = st.text_input(t("council.label.stage_note"), key="stage_note")
            st.caption(t("council.label.stage_recorded_as", name=identity.name, email=identity.email))
            submitted = st.form_submit_button(t("council.label.stage_submit"), key="stage_submit")
        if submitted:
            if "_stage_session" not in st.session_state:
                st.session_state["_stage_session"] = uuid.uuid4().hex
            request_id = hashlib.sha256("\x1f".join(map(str, (st.session_state["_stage_session"], pid, stage, on,
                                                               person, note))).encode()).hexdigest()[:40]
            try:
                pq.record_stage(ctx.wh, identity, pid, stage, on, person, note, request_id=request_id)
            except StageRuleError as err:
                for code, _msg, params in err.problems:
                    named = {k: t(f"council.stage.{v}") if k in ("stage", "expected", "previous") else v
                             for k, v in params.items()}
                    st.error(t(f"council.stage_error.{code}", **named))
            except PermissionDenied as err:
                st.error(refusal(ctx, err))
            except StoreError as err:
                st.error(t("council.error.store", error=str(err)))
            else:
                st.session_state["_stage_flash"] = t("council.label.stage_saved", stage=t(f"council.stage.{stage}"))
                st.rerun()

# ---- benefit calculation ------------------------------------------------------------------------
st.subheader(t("council.section.calculation"))
calc = ctx.q(pq.project_calculation, pid)
def budget_label(over: bool, spent) -> str:
    """Over or within the grant; "–" when the spend is unknown (no ledger lines for that time)."""
    if pd.isna(spent):
        return "–"
    return t("council.label.over_budget") if over else t("council.label.within_budget")


k1, k2, k3, k4 = st.columns(4)
k1.metric(t("council.label.npv"), fmt.money(calc["npv"]),
          help=t("council.label.npv_range", low=fmt.money(calc["npv_low"]), high=fmt.money(calc["npv_high"])))
payback = calc["payback_years"]
k2.metric(t("council.label.payback"),
          t("council.label.no_payback_short") if payback is None
          else t("council.label.payback_years", value=fmt.number(payback, 1)),
          help=t("council.label.no_payback") if payback is None else None)
k3.metric(t("council.label.granted"), fmt.money(p.granted_sek))
k4.metric(t("council.label.spent"), fmt.money(p.spent_sek),
          delta=None if pd.isna(p.spent_sek) else budget_label(p.over_budget, p.spent_sek),
          delta_color="red" if p.over_budget else "off", delta_arrow="off")
st.caption(t("council.label.npv_range", low=fmt.mnkr(calc["npv_low"]), high=fmt.mnkr(calc["npv_high"]))
           + " · " + t("council.label.budget_npv") + ": " + fmt.mnkr(calc["budget_npv"]))
st.caption(t("council.label.npv_counts"))
st.caption(t("council.label.assumptions", rate=fmt.percent(100 * calc["rate"], 0), horizon=calc["horizon_years"],
             go_live=fmt.period(calc["go_live"].strftime("%Y-%m"))).replace(" Se docs/portfolio.md.", "")
           .replace(" See docs/portfolio.md.", ""))
if not calc["totals"]["development_cost"]:
    st.warning(t("council.label.no_development_cost"))
flows = calc["flows"]
st.plotly_chart(figs.flows_figure(flows, t, ctx.lang), width="stretch")
show_table(pd.DataFrame({
    t("council.col.year"): flows.calendar_year.astype(str),
    t("council.col.budget_benefit"): [fmt.mnkr(v) for v in flows.budget_benefit],
    t("council.col.time_benefit"): [fmt.mnkr(v) for v in flows.time_benefit],
    t("council.col.development_cost"): [fmt.mnkr(v) for v in flows.development_cost],
    t("council.col.running_cost"): [fmt.mnkr(v) for v in flows.running_cost],
    t("council.col.net"): [fmt.mnkr(v) for v in flows.net],
    t("council.col.present_value"): [fmt.mnkr(v) for v in flows.present_value],
}), "project_calculation")

# ---- expected effect on the scorecard ---------------------------------------------------------------
st.subheader(t("council.section.perspectives"))
exp = ctx.q(pq.project_expectations, pid)
if exp.empty:
    st.info(t("council.label.no_expectations"))
else:
    st.plotly_chart(figs.expectations_figure(exp, t, ctx.lang), width="stretch")

    def result(r) -> str:
        if pd.isna(r.measured_after):
            return t("council.label.not_measured_yet")
        return t("council.label.moved_as_expected") if r.direction_ok else t("council.label.moved_wrong_way")

    show_table(pd.DataFrame({
        t("council.col.measure"): [f"{m} {n}" for m, n in zip(exp.measure_id, exp[ctx.name_col].fillna(""))],
        t("council.col.perspective"): [t(f"perspective.{x}") if isinstance(x, str) else "" for x in exp.perspective],
        t("council.col.committee"): exp.committee_en if ctx.lang == "en" else exp.committee_sv,
        t("council.col.baseline"): [f"{fmt.value(v, u)} ({y})" for v, u, y in zip(exp.baseline, exp.unit, exp.baseline_year)],
        t("council.col.expected_target"): [fmt.value(v, u) for v, u in zip(exp.target, exp.unit)],
        t("council.col.measured_before"): [fmt.value(v, u) for v, u in zip(exp.measured_before, exp.unit)],
        t("council.col.measured_after"): ["–" if pd.isna(v) else f"{fmt.value(v, u)} ({int(y)})"
                                          for v, u, y in zip(exp.measured_after, exp.unit, exp.after_year)],
        t("council.col.expected_change"): [fmt.number(v, 1) for v in exp.expected_change],
        t("council.col.measured_change"): [fmt.number(v, 1) for v in exp.measured_change],
        t("council.col.achieved"): [fmt.percent(v, 0) for v in exp.achieved_pct],
        t("council.col.result"): [result(r) for r in exp.itertuples()],
    }), "project_perspectives")

# ---- planned vs realised ------------------------------------------------------------------------
st.subheader(t("council.section.curves"))
curves = ctx.q(pq.benefit_curves, pid)
if curves.empty:
    st.info(t("council.empty.no_curves"))
else:
    st.plotly_chart(figs.curves_figure(curves, t, ctx.lang), width="stretch")

st.subheader(t("council.section.benefits"))
benefits = ctx.q(pq.project_benefits, pid, as_of) if as_of else pd.DataFrame()
if benefits.empty:
    st.info(t("council.empty.no_benefits"))
else:
    show_table(pd.DataFrame({
        t("council.col.benefit_id"): benefits.benefit_id,
        t("council.col.kind"): [t(f"council.kind.{k}") + (" (−)" if d else "")
                                for k, d in zip(benefits.kind, benefits.disbenefit)],
        t("council.col.class"): [t(f"council.class.{c}") if isinstance(c, str) else "" for c in benefits.benefit_class],
        t("council.col.description"): benefits.description,
        t("council.col.baseline"): [fmt.quantity(v, u) for v, u in zip(benefits.baseline, benefits.unit)],
        t("council.col.target"): [fmt.quantity(v, u) for v, u in zip(benefits.target, benefits.unit)],
        t("council.col.planned_sek_due"): [fmt.mnkr(v) for v in benefits.planned_sek_due],
        t("council.col.realised_sek"): [fmt.mnkr(v) for v in benefits.realised_sek],
        t("council.col.rate"): [fmt.percent(v) for v in benefits.rate],
        t("council.col.overdue"): [t("council.label.overdue") if o else "" for o in benefits.overdue],
    }), "project_benefits")
    versions = ctx.q(pq.plan_versions, as_of, pid)
    if not versions.empty:
        st.subheader(t("council.section.versions"))
        st.caption(t("council.label.versions_note"))
        show_table(pd.DataFrame({
            t("council.col.benefit_id"): versions.benefit_id,
            t("council.col.plan_version"): [t("council.label.not_replanned") if v == 1 else
                                       t("council.label.replanned", date=fmt.date(d), version=int(v))
                                       for v, d in zip(versions.latest_version, versions.replanned_on)],
            t("council.col.approved_sek_due"): [fmt.mnkr(v) for v in versions.approved_sek_due],
            t("council.col.latest_sek_due"): [fmt.mnkr(v) for v in versions.latest_sek_due],
            t("council.col.drift_sek"): [fmt.mnkr(v) for v in versions.drift_sek],
            t("council.col.realised_sek"): [fmt.mnkr(v) for v in versions.realised_sek],
            t("council.col.rate_vs_approved"): [fmt.percent(v) for v in versions.rate_vs_approved],
            t("council.col.rate_vs_latest"): [fmt.percent(v) for v in versions.rate_vs_latest],
        }), "project_versions")
    nonmon = ctx.q(pq.non_monetary_benefits, as_of, pid)
    if not nonmon.empty:
        st.subheader(t("council.section.non_monetary"))
        show_table(pd.DataFrame({
            t("council.col.benefit_id"): nonmon.benefit_id,
            t("council.col.description"): nonmon.description,
            t("council.col.unit"): quantity_cells(nonmon.baseline, nonmon.unit, ctx.lang)[1],
            t("council.col.baseline"): quantity_cells(nonmon.baseline, nonmon.unit, ctx.lang)[0],
            t("council.col.target"): quantity_cells(nonmon.target, nonmon.unit, ctx.lang)[0],
            t("council.col.planned_value_due"): quantity_cells(nonmon.planned_value_due, nonmon.unit, ctx.lang)[0],
            t("council.col.realised_value"): quantity_cells(nonmon.realised_value, nonmon.unit, ctx.lang)[0],
            t("council.col.achieved"): [fmt.percent(v, 0) for v in nonmon.achieved_pct],
        }), "project_non_monetary")
    overdue = benefits[benefits.overdue]
    st.subheader(t("council.section.overdue"))
    if overdue.empty:
        st.success(t("council.empty.no_overdue"))
    else:
        for _, b in overdue.iterrows():
            st.warning(f"{t('council.label.overdue')}: {b.benefit_id} · {b.description} · "
                       f"{t('council.col.planned_sek_due')} {fmt.money(b.planned_sek_due)}")

# ---- cost against grant -------------------------------------------------------------------------
st.subheader(t("council.section.cost"))
cost = ctx.q(pq.project_cost, pid)
if not cost.empty:
    st.plotly_chart(figs.cost_figure(cost, t, ctx.lang), width="stretch")
    show_table(pd.DataFrame({
        t("council.col.year"): cost.year.astype(str),
        t("council.col.granted_sek"): [fmt.mnkr(v) for v in cost.granted_sek],
        t("council.col.spent_sek"): [fmt.mnkr(v) for v in cost.spent_sek],
        t("council.col.over_budget"): [budget_label(o, s) for o, s in zip(cost.over_grant, cost.spent_sek)],
    }), "project_cost")

# ---- decisions (council store: read fresh, not cached) ------------------------------------------
st.subheader(t("council.section.decisions"))
log = pq.decision_log(ctx.wh, pid)
if log.empty:
    st.info(t("council.empty.no_decisions"))
else:
    show_table(pd.DataFrame({
        t("council.col.decision_date"): [fmt.date(d) for d in log.decision_date],
        t("council.col.decision"): [t(f"council.decision.{d}") for d in log.decision],
        t("council.col.rationale"): log.rationale,
        t("council.col.recorded_by"): log.recorded_by,
    }), "project_decisions")
