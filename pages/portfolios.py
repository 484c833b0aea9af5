"""Portföljer / Portfolios: frame vs granted vs spent, balance across the focus areas, lead time from need and
application to the council's decision, approved plan vs re-plans, projects by status."""
import pandas as pd
import streamlit as st

from metrics import portfolio_query as pq
from ui import portfolio_figures as figs
from ui.i18n import count_key
from ui.page import setup_page
from ui.tables import show_table, show_table_groups

ctx = setup_page("portfolios", needs_period=False)
t, fmt = ctx.t, ctx.fmt
st.caption(t("council.intro.portfolios"))

ports = ctx.q(pq.portfolios)
all_projects = ctx.q(pq.projects)
if all_projects.empty:
    st.info(t("council.empty.no_projects"))
    st.stop()
port_name = {int(r.portfolio_id): f"{int(r.portfolio_id)}. {r[ctx.name_col]}" for _, r in ports.iterrows()}

wanted = st.query_params.get("portfolio")
if wanted and "pf_portfolio" not in st.session_state and wanted.isdigit() and int(wanted) in port_name:
    st.session_state["pf_portfolio"] = int(wanted)        # deep link from a project: ?portfolio=3
c1, c2 = st.columns(2)
portfolio = c1.selectbox(t("council.label.portfolio"), [None, *port_name],
                         format_func=lambda p: t("council.label.all_portfolios") if p is None else port_name[p],
                         key="pf_portfolio")
year = c2.selectbox(t("council.label.year"), [None, *ctx.q(pq.years)],
                    format_func=lambda y: t("council.label.all_years") if y is None else str(y), key="pf_year")

if portfolio is None:
    st.query_params.pop("portfolio", None)
elif st.query_params.get("portfolio") != str(portfolio):
    st.query_params["portfolio"] = str(portfolio)

# ---- frame vs granted vs spent -----------------------------------------------------------------
st.subheader(t("council.section.frames"))
years_df = ctx.q(pq.portfolio_years)
if portfolio is not None:
    years_df = years_df[years_df.portfolio_id == portfolio]
st.plotly_chart(figs.frames_figure(years_df, t, ctx.lang), width="stretch")
shown = years_df if year is None else years_df[years_df.year == year]
n_years = shown.groupby("portfolio_id").year.nunique()
# on a phone a collapsed section per portfolio (70 year rows as cards were 18 000 px), one table on a wide screen
show_table_groups(pd.DataFrame({
    t("council.col.year"): shown.year.astype(str),
    t("council.col.portfolio"): [port_name[int(p)] for p in shown.portfolio_id],
    t("council.col.frame_sek"): [fmt.mnkr(v) for v in shown.frame_sek],
    t("council.col.granted_sek"): [fmt.mnkr(v) for v in shown.granted_sek],
    t("council.col.granted_pct"): [fmt.percent(v) for v in shown.granted_pct],
    t("council.col.spent_sek"): [fmt.mnkr(v) for v in shown.spent_sek],
    t("council.col.spent_pct"): [fmt.percent(v) for v in shown.spent_pct],
}), "portfolios_frames", groups=[int(p) for p in shown.portfolio_id],
    labels={p: t(count_key("council.label.group_years", n_years[p]), portfolio=port_name[p],
                 n=fmt.number(n_years[p])) for p in port_name if p in n_years.index},
    group_column=t("council.col.portfolio"))
first_year = ctx.q(pq.ledger_first_year)
note = t("council.label.money_unit")
if first_year is not None and (years_df.year < first_year).any():
    note += " " + t("council.label.spend_unknown", year=first_year)
st.caption(note)

# ---- lead time from need and application to decision ----------------------------------------------------
st.subheader(t("council.section.lead_time"))
lead = ctx.q(pq.lead_times)
lead = lead[lead.portfolio_id == (0 if portfolio is None else portfolio)]
if lead.empty:
    st.info(t("council.label.no_stages"))
else:
    last = lead.sort_values("decision_year").iloc[-1]
    st.markdown(t("council.label.lead_now", year=int(last.decision_year),
                  need=t("council.label.months_value", value=fmt.number(last.need_to_decision_months, 1)),
                  application=t("council.label.months_value", value=fmt.number(last.application_to_decision_months, 1)),
                  n=int(last.n_decisions)))
    st.plotly_chart(figs.lead_time_figure(lead, t, ctx.lang), width="stretch")
    show_table(pd.DataFrame({
        t("council.col.decision_year"): lead.decision_year.astype(int).astype(str),
        t("council.col.n_decisions"): lead.n_decisions,
        t("council.col.need_to_decision"): [t("council.label.months_value", value=fmt.number(v, 1))
                                            for v in lead.need_to_decision_months],
        t("council.col.application_to_decision"): [t("council.label.months_value", value=fmt.number(v, 1))
                                                   for v in lead.application_to_decision_months],
    }), "portfolios_lead_time")

# ---- balance across the five focus areas -------------------------------------------------------
st.subheader(t("council.section.balance"))
balance = ctx.q(pq.portfolio_balance, year)
st.plotly_chart(figs.balance_figure(balance, t, ctx.lang), width="stretch")
show_table(pd.DataFrame({
    t("council.col.portfolio"): [port_name[int(p)] for p in balance.portfolio_id],
    t("council.col.frame_sek"): [fmt.mnkr(v) for v in balance.frame_sek],
    t("council.col.granted_sek"): [fmt.mnkr(v) for v in balance.granted_sek],
    t("council.col.granted_share"): [fmt.percent(v) for v in balance.granted_share],
    t("council.col.spent_sek"): [fmt.mnkr(v) for v in balance.spent_sek],
    t("council.label.n_projects"): balance.n_projects,
}), "portfolios_balance")

# ---- projects by status and tier ---------------------------------------------------------------
st.subheader(t("council.section.status"))
st.plotly_chart(figs.status_figure(ctx.q(pq.projects_by_status), t, ctx.lang), width="stretch")
plist = ctx.q(pq.projects, portfolio)
m1, m2 = st.columns(2)
m1.metric(t("council.label.n_projects"), fmt.number(len(plist)))
m2.metric(t("council.label.n_over_budget"), fmt.number(int(plist.over_budget.sum())))
st.subheader(t("council.section.project_list"))


def project_group(p: int) -> str:
    """A portfolio's section head on a phone: its name, its number of projects and of those over the grant."""
    mine = plist[plist.portfolio_id == p]
    label = t(count_key("council.label.group_projects", len(mine)), portfolio=port_name[p], n=fmt.number(len(mine)))
    over = int(mine.over_budget.sum())
    return t("council.label.group_over_budget", group=label, n=fmt.number(over)) if over else label


# one table on a wide screen; on a phone a collapsed section per portfolio (80 projects as cards were 24 000 px)
show_table_groups(pd.DataFrame({
    t("council.col.project_id"): plist.project_id,
    t("council.col.name"): plist.name,
    t("council.col.portfolio"): [port_name[int(x)] for x in plist.portfolio_id],
    t("council.col.status"): [t(f"council.status.{s}") for s in plist.status],
    t("council.col.tier"): [t(f"council.tier.{s}") for s in plist.tier],
    t("council.col.committee"): plist.committee_en if ctx.lang == "en" else plist.committee_sv,
    t("council.col.granted_sek"): [fmt.mnkr(v) for v in plist.granted_sek],
    t("council.col.spent_sek"): [fmt.mnkr(v) for v in plist.spent_sek],
    t("council.col.over_budget"): [t("council.label.over_budget") if o else t("council.label.within_budget")
                                   for o in plist.over_budget],
}), "portfolios_projects", groups=[int(p) for p in plist.portfolio_id],
    labels={p: project_group(p) for p in port_name if (plist.portfolio_id == p).any()},
    group_column=t("council.col.portfolio"),
    nowrap=[t("council.col.project_id")],
    links={c: [ctx.link("project", project=pid) for pid in plist.project_id]
           for c in (t("council.col.project_id"), t("council.col.name"))})
