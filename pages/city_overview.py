"""Stadsöversikt / City overview: how many committees are green/yellow/red/grey overall and per
perspective; a grid of committees × five perspectives + overall index (the city as a whole first),
every cell a link to the committee's scorecard at that perspective; the city's trend; the biggest
changes (values of both periods)."""
import streamlit as st

from metrics import query
from ui import charts, overview, views
from ui.alerts import render_alerts
from ui import status as S
from ui.page import setup_page, status_legend
from ui.tables import download_buttons, show_table

ctx = setup_page("city_overview")
render_alerts(ctx)  # measures of the user's committees that turned red since the previous publish
t, lang = ctx.t, ctx.lang
period_label = ctx.fmt.period(ctx.period)

groups = overview.peer_groups(ctx.q(query.committees))
c1, c2 = st.columns([2, 3])
peer = ctx.choice("peer", t("label.peer_group"), [None] + groups, None, container=c1, key="overview_peer",
                  format_func=lambda g: t("label.all_peer_groups") if g is None else t(f"peer_group.{g}"))

data = overview.load(ctx.q, ctx.grain, ctx.period, peer)  # the same calls the server's warm-up makes (ui/warmup.py)
df = data.table
c2.markdown(f"**{t('overview.n_committees', n=len(df))}** · {t('label.period_of', period=period_label)}")

if df.empty:
    st.info(t("label.no_rows"))
    st.stop()

# headline numbers: overall, then per perspective (a committee red on one perspective counts there)
m = st.columns(4)
for i, s in enumerate(S.STATUSES):
    m[i].metric(f"{S.icon(s)} {t('label.overall_score')}: {S.word(s, lang)}", ctx.fmt.number(int((df["overall_status"] == s).sum())))
st.subheader(t("overview.status_counts"))
counts = views.status_counts(df, lang)
show_table(counts, "overview_counts", numeric=[c for c in counts.columns if c != t("label.perspective")], cards=False)
st.caption(t("overview.status_counts_help"))

# the grid: the city as a whole, then one row per committee; colour + icon + word in every cell, and
# every cell leads to the committee's scorecard at that perspective (a plain link: shareable)
city = data.city.assign(name_sv=t("overview.city_row"), name_en=t("overview.city_row"),
                        peer_group=groups[0] if groups else "")
st.subheader(t("overview.heatmap_title", period=period_label))
st.caption(t("overview.grid_caption"))
status_legend(ctx)
city_disp, city_stat = views.overview_table(city, lang)
city_disp[t("label.peer_group")] = "–"
city_stat[t("label.peer_group")] = ""
show_table(city_disp, "overview_city", statuses=city_stat, numeric=[t("label.n_red"), t("label.n_grey")])
disp, stat = views.overview_table(df, lang)
links = views.overview_links(df, lang, ctx.link)
show_table(disp, "overview_table", links=links, statuses=stat, numeric=[t("label.n_red"), t("label.n_grey")])

export = views.overview_export(df, lang)
download_buttons(export, f"stadsoversikt_{ctx.period}", t, lang, key="overview",
                 meta=ctx.export_meta(t("nav.city_overview"), [(t("label.peer_group"), t(f"peer_group.{peer}"))] if peer else None))

# the city over time
ct = data.trend
if ct is not None and not ct.empty:
    st.vega_lite_chart(charts.city_trend(ct, lang), key="overview_city_trend", theme=None, width="stretch")

# open a committee's scorecard (also the way in on a phone)
st.subheader(t("overview.open"))
names = dict(zip(df["committee_code"], df[ctx.name_col].fillna(df["name_sv"])))
o1, o2 = st.columns([3, 1])
code = o1.selectbox(t("label.committee"), list(names), format_func=lambda c: names[c], key=ctx.key("overview_open_committee"),
                    label_visibility="collapsed")
if o2.button(t("label.open_scorecard"), key="overview_open", type="primary"):
    st.session_state["_committee"] = code
    st.switch_page("pages/committee_scorecard.py", query_params={**ctx.shared(), "committee": code})

with st.container():
    st.subheader(t("overview.movers"))
    mv = data.movers
    if mv is None or mv.empty:
        st.info(t("overview.no_movers"))
    else:
        if peer is not None:
            mv = mv[mv["committee_code"].isin(df["committee_code"])]
        mt = views.movers_table(mv, lang, data.catalog)
        mlinks = {t("label.committee"): [ctx.link("committee_scorecard", committee=c) for c in mv["committee_code"]],
                  t("label.measure"): [ctx.link("measure_explorer", measure=m, committee=c)
                                       for m, c in zip(mv["measure_id"], mv["committee_code"])]}
        show_table(mt, "overview_movers", links=mlinks, numeric=[c for c in mt.columns[2:]])
        st.caption(t("overview.movers_help"))
        download_buttons(mt, f"forandringar_{ctx.period}", t, lang, key="movers",
                         meta=ctx.export_meta(t("overview.movers")))
