"""Stadsöversikt / City overview: committees × five perspectives, overall index, red measures,
biggest movers, and a way into a committee's scorecard."""
import streamlit as st

from metrics import query
from ui import figures, views
from ui.cycle_panel import render_alerts
from ui import status as S
from ui.page import setup_page, status_legend
from ui.tables import download_buttons

ctx = setup_page("city_overview")
render_alerts(ctx)  # measures of the user's committees that turned red since the previous publish
t, lang = ctx.t, ctx.lang
period_label = ctx.fmt.period(ctx.period)

committees = ctx.q(query.committees)
groups = sorted(committees["peer_group"].dropna().unique().tolist())
c1, c2 = st.columns([2, 3])
peer_initial = ctx.initial("overview_peer", None)
peer = c1.selectbox(t("label.peer_group"), [None] + groups, key=ctx.key("overview_peer"),
                    index=([None] + groups).index(peer_initial) if peer_initial in groups else 0,
                    format_func=lambda g: t("label.all_peer_groups") if g is None else t(f"peer_group.{g}"))

df = ctx.q(query.city_overview, ctx.grain, ctx.period, peer_group=peer)
c2.markdown(f"**{t('overview.n_committees', n=len(df))}** · {t('label.period_of', period=period_label)}")

if df.empty:
    st.info(t("label.no_rows"))
    st.stop()

# headline numbers
m = st.columns(4)
for i, s in enumerate(("green", "yellow", "red", "grey")):
    m[i].metric(f"{S.icon(s)} {t('label.overall_score')}: {S.word(s, lang)}", ctx.fmt.number(int((df["overall_status"] == s).sum())))

st.plotly_chart(ctx.fig(figures.overview_heatmap, df, lang, period_label), key="overview_heatmap", config={"displayModeBar": False}, theme=None)
st.caption(t("overview.caption"))
status_legend(ctx)

# table: one row per committee
st.subheader(t("overview.table"))
disp, _ = views.overview_table(df, lang)  # colours are in the heatmap above; cells carry icon + word
n_red_max = max(1, int(df["n_red_measures"].fillna(0).max()))
st.dataframe(disp, hide_index=True, key="overview_table", height=35 * (len(disp) + 1) + 3,
             column_config={  # red measures per committee as an in-table bar (a separate chart cost ~0.3 s)
                 t("label.n_red"): st.column_config.ProgressColumn(t("label.n_red"), format="%d", min_value=0,
                                                                   max_value=n_red_max, color="#D55E00"),
             })
export = df.copy()
download_buttons(export, f"stadsoversikt_{ctx.period}", t, lang, key="overview")

# open a committee's scorecard
st.subheader(t("overview.open"))
names = dict(zip(df["committee_code"], df[ctx.name_col].fillna(df["name_sv"])))
o1, o2 = st.columns([3, 1])
code = o1.selectbox(t("label.committee"), list(names), format_func=lambda c: names[c], key=ctx.key("overview_open_committee"),
                    label_visibility="collapsed")
if o2.button(t("label.open_scorecard"), key="overview_open", type="primary"):
    st.session_state["_committee"] = code
    st.switch_page("pages/committee_scorecard.py", query_params={"committee": code})

with st.container():
    st.subheader(t("overview.movers"))
    mv = ctx.q(query.movers, ctx.grain, ctx.period, n=10)
    if mv is None or mv.empty:
        st.info(t("overview.no_movers"))
    else:
        if peer is not None:
            mv = mv[mv["committee_code"].isin(df["committee_code"])]
        catalog = ctx.q(query.measure_catalog)
        mt = views.movers_table(mv, lang, catalog)
        st.dataframe(mt, hide_index=True, key="overview_movers")
        download_buttons(mt, f"forandringar_{ctx.period}", t, lang, key="movers")
