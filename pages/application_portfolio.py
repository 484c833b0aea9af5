"""Applikationsportfölj / Application portfolio: every system with owner committee, tier, lifecycle, critical
flag, users, use, availability, incidents and cost (direct, and central services distributed by key);
possible duplicates (the same kind owned by several committees); innovation pilots and their exit."""
import pandas as pd
import streamlit as st

from metrics import portfolio_query as pq
from ui import portfolio_figures as figs
from ui.page import setup_page
from ui.tables import show_table

ctx = setup_page("application_portfolio", needs_period=False)
t, fmt = ctx.t, ctx.fmt
st.caption(t("council.intro.application_portfolio"))

years = ctx.q(pq.system_years)
systems_all = ctx.q(pq.application_portfolio, years[0] if years else None)
if systems_all.empty:
    st.info(t("guard.no_data"))
    st.stop()
committees = (systems_all[["owner_committee", "committee_sv", "committee_en"]].drop_duplicates()
              .sort_values("committee_en" if ctx.lang == "en" else "committee_sv"))
committee_name = dict(zip(committees.owner_committee,
                          committees.committee_en if ctx.lang == "en" else committees.committee_sv))
c1, c2, c3 = st.columns([2, 1, 1])
committee = c1.selectbox(t("council.label.committee_filter"), [None, *committee_name],
                         format_func=lambda c: t("council.label.all_committees") if c is None else committee_name[c],
                         key="ap_committee")
tier = c2.selectbox(t("council.label.tier_filter"), [None, *pq.TIERS],
                    format_func=lambda x: t("council.label.all_tiers") if x is None else t(f"council.tier.{x}"),
                    key="ap_tier")
year = c3.selectbox(t("council.label.year"), years or [None], format_func=lambda y: "–" if y is None else str(y),
                    key="ap_year")
systems = ctx.q(pq.application_portfolio, year)
if committee is not None:
    systems = systems[systems.owner_committee == committee]
if tier is not None:
    systems = systems[systems.tier == tier]
pil = ctx.q(pq.pilots)

m1, m2, m3 = st.columns(3)
m1.metric(t("council.label.n_systems"), fmt.number(len(systems)))
m2.metric(t("council.label.n_duplicates"), fmt.number(int(systems.possible_duplicate.sum())))
m3.metric(t("council.label.n_overdue_pilots"), fmt.number(int(pil.overdue.sum())))

# ---- systems ---------------------------------------------------------------------------------------------
st.subheader(t("council.section.systems"))
only_dupes = st.checkbox(t("council.label.only_duplicates"), value=False, key="ap_only_dupes")
shown = systems[systems.possible_duplicate] if only_dupes else systems


def lifecycle(x) -> str:
    return t(f"council.lifecycle.{x}") if isinstance(x, str) else t("council.lifecycle.unknown")


def flags(r) -> str:
    out = []
    if r.critical:
        out.append(t("council.label.critical"))
    if r.possible_duplicate:
        out.append(t("council.label.duplicate"))
    if r.central_service:
        out.append(t("council.label.central", by=t(f"council.key.{r.distribution_key}")))
    return " · ".join(out)


show_table(pd.DataFrame({
    t("council.col.system"): shown.name,
    t("council.col.committee"): shown.committee_en if ctx.lang == "en" else shown.committee_sv,
    t("council.col.tier"): [t(f"council.tier.{x}") for x in shown.tier],
    t("council.col.lifecycle"): [lifecycle(x) for x in shown.lifecycle],
    t("council.label.status"): [flags(r) for r in shown.itertuples()],
    t("council.col.users"): [f"{fmt.number(a)} / {fmt.number(i)}" if not pd.isna(a) else f"– / {fmt.number(i)}"
                             for a, i in zip(shown.active_users, shown.intended_users)],
    t("council.col.use_pct"): [fmt.percent(v, 0) for v in shown.use_pct],
    t("council.col.availability"): [fmt.percent(v, 2) for v in shown.availability_pct],
    t("council.col.incidents"): [fmt.number(v) for v in shown.incidents],
    t("council.col.direct_cost"): [fmt.mnkr(v, 2) for v in shown.direct_cost_sek],
}), "apps_systems")
st.caption(t("council.label.money_unit"))

# ---- possible duplicates ------------------------------------------------------------------------------------
st.subheader(t("council.section.duplicates"))
dup = systems_all[systems_all.possible_duplicate]
if dup.empty:
    st.success(t("council.label.no"))
else:
    name = "committee_en" if ctx.lang == "en" else "committee_sv"
    g = (dup.groupby("system_kind").agg(n=("owner_committee", "nunique"), owners=(name, lambda s: ", ".join(sorted(set(s)))),
                                        cost=("direct_cost_sek", "sum"))
         .reset_index().sort_values(["n", "system_kind"], ascending=[False, True]))
    show_table(pd.DataFrame({
        t("council.col.system_kind"): g.system_kind,
        t("council.col.n_owners"): g.n,
        t("council.col.direct_cost"): [fmt.mnkr(v, 1) for v in g.cost],
        t("council.col.owners"): g.owners,
    }), "apps_duplicates")

# ---- pilots ----------------------------------------------------------------------------------------------
st.subheader(t("council.section.pilots"))
if pil.empty:
    st.info(t("council.label.no"))
else:
    pil = pil.sort_values(["overdue", "ended", "exit_date"], ascending=[False, True, True])
    show_table(pd.DataFrame({
        t("council.label.status"): [t("council.label.pilot_overdue") if o else t("council.label.pilot_ended") if e
                                    else t("council.label.pilot_on_time") for o, e in zip(pil.overdue, pil.ended)],
        t("council.col.kind_of"): [t(f"council.label.pilot_kind_{k}") for k in pil.kind],
        t("council.col.pilot"): [f"{i} · {n}" for i, n in zip(pil.id, pil.name)],
        t("council.col.committee"): pil.committee_en if ctx.lang == "en" else pil.committee_sv,
        t("council.col.exit_date"): [fmt.date(d) for d in pil.exit_date],
        t("council.col.exit_plan"): pil.exit_plan.fillna("–"),
    }), "apps_pilots")

# ---- central cost distribution ------------------------------------------------------------------------------
if year is not None:
    st.subheader(t("council.section.cost_distribution"))
    st.caption(t("council.label.cost_note"))
    cost = ctx.q(pq.committee_it_cost, year)
    cost = cost[cost.it_cost_sek != 0]
    if committee is not None:
        cost = cost[cost.committee_code == committee]
    st.plotly_chart(figs.cost_distribution_figure(cost, t, ctx.lang), width="stretch")
    show_table(pd.DataFrame({
        t("council.col.committee"): cost[ctx.name_col],
        t("council.col.direct_cost"): [fmt.mnkr(v) for v in cost.direct_sek],
        t("council.col.distributed_cost"): [fmt.mnkr(v) for v in cost.distributed_sek],
        t("council.col.total_cost"): [fmt.mnkr(v) for v in cost.it_cost_sek],
        t("council.col.distributed_pct"): [fmt.percent(v) for v in cost.distributed_pct],
    }), "apps_cost_distribution")
    pools = ctx.q(pq.central_pools, year)
    if not pools.empty:
        show_table(pd.DataFrame({
            t("council.col.system"): pools.name,
            t("council.col.distribution_key"): [t(f"council.key.{k}") for k in pools.distribution_key],
            t("council.col.pool"): [fmt.mnkr(v, 2) for v in pools.pool_sek],
            t("council.col.distributed_total"): [fmt.mnkr(v, 2) for v in pools.distributed_sek],
        }), "apps_central_pools")
