"""Portföljer / Portfolios: frame vs granted vs spent, balance across the focus areas, projects by status."""
import pandas as pd
import streamlit as st

from metrics import portfolio_query as pq
from ui import portfolio_figures as figs
from ui.page import setup_page

ctx = setup_page("portfolios", needs_period=False)
t, fmt = ctx.t, ctx.fmt
st.caption(t("council.intro.portfolios"))

ports = ctx.q(pq.portfolios)
all_projects = ctx.q(pq.projects)
if all_projects.empty:
    st.info(t("council.empty.no_projects"))
    st.stop()
port_name = {int(r.portfolio_id): f"{int(r.portfolio_id)}. {r[ctx.name_col]}" for _, r in ports.iterrows()}

c1, c2 = st.columns(2)
portfolio = c1.selectbox(t("council.label.portfolio"), [None, *port_name],
                         format_func=lambda p: t("council.label.all_portfolios") if p is None else port_name[p],
                         key="pf_portfolio")
year = c2.selectbox(t("council.label.year"), [None, *ctx.q(pq.years)],
                    format_func=lambda y: t("council.label.all_years") if y is None else str(y), key="pf_year")

# ---- frame vs granted vs spent -----------------------------------------------------------------
st.subheader(t("council.section.frames"))
years_df = ctx.q(pq.portfolio_years)
if portfolio is not None:
    years_df = years_df[years_df.portfolio_id == portfolio]
st.plotly_chart(figs.frames_figure(years_df, t, ctx.lang), width="stretch")
shown = years_df if year is None else years_df[years_df.year == year]
st.dataframe(pd.DataFrame({
    t("council.col.year"): shown.year.astype(str),
    t("council.col.portfolio"): [port_name[int(p)] for p in shown.portfolio_id],
    t("council.col.frame_sek"): [fmt.tkr(v) for v in shown.frame_sek],
    t("council.col.granted_sek"): [fmt.tkr(v) for v in shown.granted_sek],
    t("council.col.granted_pct"): [fmt.percent(v) for v in shown.granted_pct],
    t("council.col.spent_sek"): [fmt.tkr(v) for v in shown.spent_sek],
    t("council.col.spent_pct"): [fmt.percent(v) for v in shown.spent_pct],
}), hide_index=True, width="stretch")

# ---- balance across the five focus areas -------------------------------------------------------
st.subheader(t("council.section.balance"))
balance = ctx.q(pq.portfolio_balance, year)
st.plotly_chart(figs.balance_figure(balance, t, ctx.lang), width="stretch")
st.dataframe(pd.DataFrame({
    t("council.col.portfolio"): [port_name[int(p)] for p in balance.portfolio_id],
    t("council.col.frame_sek"): [fmt.tkr(v) for v in balance.frame_sek],
    t("council.col.granted_sek"): [fmt.tkr(v) for v in balance.granted_sek],
    t("council.col.granted_share"): [fmt.percent(v) for v in balance.granted_share],
    t("council.col.spent_sek"): [fmt.tkr(v) for v in balance.spent_sek],
    t("council.label.n_projects"): balance.n_projects,
}), hide_index=True, width="stretch")

# ---- projects by status and tier ---------------------------------------------------------------
st.subheader(t("council.section.status"))
st.plotly_chart(figs.status_figure(ctx.q(pq.projects_by_status), t, ctx.lang), width="stretch")
plist = ctx.q(pq.projects, portfolio)
m1, m2 = st.columns(2)
m1.metric(t("council.label.n_projects"), fmt.number(len(plist)))
m2.metric(t("council.label.n_over_budget"), fmt.number(int(plist.over_budget.sum())))
st.subheader(t("council.section.project_list"))
st.dataframe(pd.DataFrame({
    t("council.col.project_id"): plist.project_id,
    t("council.col.name"): plist.name,
    t("council.col.portfolio"): plist.portfolio_id.astype(str),
    t("council.col.status"): [t(f"council.status.{s}") for s in plist.status],
    t("council.col.tier"): [t(f"council.tier.{s}") for s in plist.tier],
    t("council.col.committee"): plist.committee_en if ctx.lang == "en" else plist.committee_sv,
    t("council.col.granted_sek"): [fmt.tkr(v) for v in plist.granted_sek],
    t("council.col.spent_sek"): [fmt.tkr(v) for v in plist.spent_sek],
    t("council.col.over_budget"): [t("council.label.over_budget") if o else t("council.label.within_budget")
                                   for o in plist.over_budget],
    t("council.col.link"): [f"project?project={pid}" for pid in plist.project_id],
}), hide_index=True, width="stretch",
    column_config={t("council.col.link"): st.column_config.LinkColumn(display_text=t("council.label.open_project"))})
