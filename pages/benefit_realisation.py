"""Nyttorealisering / Benefit realisation: the benefit classes side by side (budget, freed time, not valued in
money), rate per portfolio and per committee, approved plan vs the latest re-plan, benefits due but not
reported, and the disbenefits."""
import pandas as pd
import streamlit as st

from metrics import portfolio_query as pq
from ui import portfolio_figures as figs
from ui.page import setup_page
from ui.tables import quantity_cells, show_table

ctx = setup_page("benefit_realisation", needs_period=False)
t, fmt = ctx.t, ctx.fmt
st.caption(t("council.intro.benefit_realisation"))

months = ctx.q(pq.as_of_months)
if not months:
    st.info(t("council.empty.no_benefits"))
    st.stop()
as_of = st.selectbox(t("council.label.as_of"), months, format_func=fmt.period, key="br_as_of")


def rate_table(df: pd.DataFrame, label: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({
        t("council.col.name"): label,
        t("council.col.n_benefits"): df.n_benefits,
        t("council.col.planned_sek_due"): [fmt.mnkr(v) for v in df.planned_sek_due],
        t("council.col.realised_sek"): [fmt.mnkr(v) for v in df.realised_sek],
        t("council.col.rate"): [fmt.percent(v) for v in df.rate],
    })


st.caption(t("council.label.money_unit"))
st.subheader(t("council.section.classes"))
st.caption(t("council.label.classes_note"))
classes = ctx.q(pq.benefit_classes, as_of)
st.plotly_chart(figs.classes_figure(classes, t, ctx.lang), width="stretch")
yes_no = lambda b: t("council.label.yes") if b else t("council.label.no")  # noqa: E731
show_table(pd.DataFrame({
    t("council.col.class"): [t(f"council.class.{c}") for c in classes.benefit_class],
    t("council.col.n_benefits"): classes.n_benefits,
    t("council.col.planned_sek_due"): [fmt.mnkr(v) if c else "–" for v, c in zip(classes.planned_sek_due, classes.counts_in_i1)],
    t("council.col.range"): [f"{fmt.mnkr(lo)} – {fmt.mnkr(hi)}" if c else "–"
                             for lo, hi, c in zip(classes.low_sek_due, classes.high_sek_due, classes.counts_in_i1)],
    t("council.col.hours"): [fmt.number(v) if c == "time" else "–" for v, c in zip(classes.planned_hours_due, classes.benefit_class)],
    t("council.col.realised_sek"): [fmt.mnkr(v) if c else "–" for v, c in zip(classes.realised_sek, classes.counts_in_i1)],
    t("council.col.rate"): [fmt.percent(v) for v in classes.rate],
    t("council.label.counts_in_i1"): [yes_no(b) for b in classes.counts_in_i1],
    t("council.label.counts_in_budget"): [yes_no(b) for b in classes.counts_in_budget],
}), "benefit_classes")
nonmon = ctx.q(pq.non_monetary_benefits, as_of)
if not nonmon.empty:
    with st.expander(f"{t('council.section.non_monetary')} ({len(nonmon)})"):
        show_table(pd.DataFrame({
            t("council.col.benefit_id"): nonmon.benefit_id,
            t("council.label.project"): nonmon.project_id,
            t("council.col.description"): nonmon.description,
            t("council.col.committee"): nonmon.committee_en if ctx.lang == "en" else nonmon.committee_sv,
            t("council.col.unit"): quantity_cells(nonmon.baseline, nonmon.unit, ctx.lang)[1],
            t("council.col.baseline"): quantity_cells(nonmon.baseline, nonmon.unit, ctx.lang)[0],
            t("council.col.target"): quantity_cells(nonmon.target, nonmon.unit, ctx.lang)[0],
            t("council.col.planned_value_due"): quantity_cells(nonmon.planned_value_due, nonmon.unit, ctx.lang)[0],
            t("council.col.realised_value"): quantity_cells(nonmon.realised_value, nonmon.unit, ctx.lang)[0],
            t("council.col.achieved"): [fmt.percent(v, 0) for v in nonmon.achieved_pct],
        }), "benefit_non_monetary", nowrap=[t("council.label.project")],
            links={t("council.label.project"): [ctx.link("project", project=p) for p in nonmon.project_id]})

st.subheader(t("council.section.versions"))
st.caption(t("council.label.versions_note"))
rp = ctx.q(pq.replan_summary, as_of)
show_table(pd.DataFrame({
    t("council.col.portfolio"): [f"{int(i)}. {n}" for i, n in zip(rp.portfolio_id, rp[ctx.name_col])],
    t("council.col.n_replanned"): rp.n_replanned,
    t("council.col.approved_sek_due"): [fmt.mnkr(v) for v in rp.approved_sek_due],
    t("council.col.latest_sek_due"): [fmt.mnkr(v) for v in rp.latest_sek_due],
    t("council.col.drift_sek"): [fmt.mnkr(v) for v in rp.drift_sek],
    t("council.col.realised_sek"): [fmt.mnkr(v) for v in rp.realised_sek],
    t("council.col.rate_vs_approved"): [fmt.percent(v) for v in rp.rate_vs_approved],
    t("council.col.rate_vs_latest"): [fmt.percent(v) for v in rp.rate_vs_latest],
}), "benefit_versions")

st.subheader(t("council.section.by_portfolio"))
by_p = ctx.q(pq.realisation, as_of, "portfolio")
by_p["label"] = [f"{int(i)}. {n}" for i, n in zip(by_p.portfolio_id, by_p[ctx.name_col])]
st.plotly_chart(figs.realisation_figure(by_p, "label", t, ctx.lang), width="stretch")
show_table(rate_table(by_p, by_p.label), "benefit_by_portfolio")

st.subheader(t("council.section.by_committee"))
by_c = ctx.q(pq.realisation, as_of, "committee")
by_c["label"] = by_c[ctx.name_col].fillna(by_c.owner_committee)
st.plotly_chart(figs.realisation_figure(by_c, "label", t, ctx.lang), width="stretch")
show_table(rate_table(by_c, by_c.label), "benefit_by_committee")

st.subheader(t("council.section.overdue"))
overdue = ctx.q(pq.overdue_benefits, as_of)
if overdue.empty:
    st.success(t("council.empty.no_overdue"))
else:
    show_table(pd.DataFrame({
        t("council.col.benefit_id"): overdue.benefit_id,
        t("council.label.project"): [f"{p} · {n}" for p, n in zip(overdue.project_id, overdue.project_name)],
        t("council.col.kind"): [t(f"council.kind.{k}") + (" (−)" if d else "")
                                for k, d in zip(overdue.kind, overdue.disbenefit)],
        t("council.col.description"): overdue.description,
        t("council.col.committee"): overdue.committee_en if ctx.lang == "en" else overdue.committee_sv,
        t("council.col.first_due_month"): [fmt.period(d.strftime("%Y-%m")) for d in overdue.first_due_month],
        t("council.col.months_overdue"): overdue.months_overdue,
        t("council.col.planned_sek_due"): [fmt.mnkr(v) for v in overdue.planned_sek_due],
        t("council.col.overdue"): t("council.label.overdue"),
    }), "benefit_overdue")

st.subheader(t("council.section.disbenefits"))
dis = ctx.q(pq.disbenefits, as_of)
if dis.empty:
    st.info(t("council.empty.no_disbenefits"))
else:
    show_table(pd.DataFrame({
        t("council.col.benefit_id"): dis.benefit_id,
        t("council.label.project"): [f"{p} · {n}" for p, n in zip(dis.project_id, dis.project_name)],
        t("council.col.description"): dis.description,
        t("council.col.committee"): dis.committee_en if ctx.lang == "en" else dis.committee_sv,
        t("council.col.baseline"): [fmt.quantity(v, u) for v, u in zip(dis.baseline, dis.unit)],
        t("council.col.target"): [fmt.quantity(v, u) for v, u in zip(dis.target, dis.unit)],
        t("council.col.planned_sek_due"): [fmt.mnkr(v) for v in dis.planned_sek_due],
        t("council.col.realised_sek"): [fmt.mnkr(v) for v in dis.realised_sek],
    }), "benefit_disbenefits")
