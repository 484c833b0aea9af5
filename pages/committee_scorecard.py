"""Nämndens styrkort / Committee scorecard: five perspective cards, the 15 measures with
value, target, status, score, trend, peer median and city value, flags in words, and a radar
of the perspective scores against the peer-group median. ?committee=CODE opens a committee."""
import streamlit as st

from metrics import query
from ui import data, figures, views
from ui.cycle_panel import render_panel as follow_up_cycle
from ui import status as S
from ui.page import setup_page, status_legend
from ui.formatting import unit_label
from ui.tables import download_buttons

ctx = setup_page("committee_scorecard")
t, lang, fmt = ctx.t, ctx.lang, ctx.fmt

committees = ctx.q(query.committees)
codes = committees["committee_code"].tolist()
names = dict(zip(committees["committee_code"], committees[ctx.name_col].fillna(committees["name_sv"])))

# committee: ?committee= wins on arrival, then the session's choice, then the first one
qp = st.query_params.get("committee")
if qp in names and st.session_state.get("_committee_qp") != qp:
    st.session_state["_committee"] = qp
    st.session_state["_committee_qp"] = qp
    for _l in ("sv", "en"):
        st.session_state.pop(f"scorecard_committee_{_l}", None)
current = st.session_state.get("_committee")
if current not in names:
    current = codes[0] if codes else None
if current is None:
    st.info(t("label.no_rows"))
    st.stop()


ck = ctx.key("scorecard_committee")
if ck in st.session_state and st.session_state[ck] not in names:
    del st.session_state[ck]


def _on_pick() -> None:
    st.session_state["_committee"] = st.session_state[ck]


code = st.selectbox(t("scorecard.pick"), codes, index=codes.index(current),
                    format_func=lambda c: names[c], key=ck, on_change=_on_pick)
st.session_state["_committee"] = code
if st.query_params.get("committee") != code:
    st.query_params["committee"] = code
    st.session_state["_committee_qp"] = code

crow = committees.set_index("committee_code").loc[code]
st.caption(f"{t('label.peer_group')}: {t('peer_group.' + str(crow['peer_group']))} · {t('label.period_of', period=fmt.period(ctx.period))}")

overall = ctx.q(query.overall, code, ctx.grain, ctx.period) or {}
if overall.get("score") is None or overall.get("score") != overall.get("score"):
    st.markdown(f"**{t('scorecard.overall_missing')}** {S.icon('grey')}")
else:
    st.markdown("#### " + t("scorecard.overall", score=fmt.score(overall["score"]),
                            status=S.label(overall.get("status"), lang)))

# five perspective cards
ps = ctx.q(query.perspective_scores, code, ctx.grain, ctx.period).set_index("perspective")
cards = st.columns(5)
for col, p in zip(cards, views.PERSPECTIVES):
    with col.container(border=True):
        r = ps.loc[p] if p in ps.index else {}
        st.markdown(f"**{t('perspective.' + p)}**")
        st.markdown(f"<span style='font-size:2rem;font-weight:600'>{fmt.score(r.get('score'))}</span>",
                    unsafe_allow_html=True)
        flag = bool(r.get("red_flag")) if r.get("red_flag") == r.get("red_flag") and r.get("red_flag") is not None else False
        st.markdown(S.badge_html(r.get("status"), lang) + (f" &nbsp;{S.RED_FLAG} {t('label.red_flag_short')}" if flag else ""),
                    unsafe_allow_html=True)
        n = r.get("n_measures")
        st.caption(t("scorecard.n_measures", n=fmt.number(n)) + " · " + t("label.peer_median") + ": "
                   + fmt.score(r.get("peer_median_score")))
status_legend(ctx)

# the 15 measures
st.subheader(t("scorecard.measures"))
sc = ctx.q(query.scorecard, code, ctx.grain, ctx.period)
catalog = ctx.q(query.measure_catalog)
n_trend = 24 if ctx.grain == "month" else 8
trends = ctx.q(data.trends, code, sc["measure_id"].tolist(), ctx.grain, n_trend)
disp, stat = views.scorecard_table(sc, lang, ctx.period, catalog, trends)
st.dataframe(
    views.style_statuses(disp, stat), hide_index=True, key="scorecard_table", row_height=38,
    height=38 * (len(disp) + 1) + 3,  # all 15 measures without scrolling
    column_config={
        t("label.trend"): st.column_config.LineChartColumn(t("label.trend"), width="small",
                                                           help=t("scorecard.trend_caption", n=n_trend, grain=t("grain." + ctx.grain).lower())),
        t("label.flags"): st.column_config.TextColumn(t("label.flags"), width="large"),
        t("label.measure"): st.column_config.TextColumn(t("label.measure"), width="medium"),
    },
)
st.caption(t("scorecard.trend_caption", n=n_trend, grain=t("grain." + ctx.grain).lower()))
download_buttons(sc, f"styrkort_{code}_{ctx.period}", t, lang, key="scorecard")

left, right = st.columns([1, 1])
with left:
    st.plotly_chart(ctx.fig(figures.radar, ps.reset_index(), lang, names[code]), key="scorecard_radar",
                    config={"displayModeBar": False}, theme=None)
with right:
    st.subheader(t("scorecard.indicators"))
    ind = ctx.q(query.indicators, code, ctx.grain, ctx.period)
    if ind is None or ind.empty:
        st.info(t("label.no_rows"))
    else:
        idisp = ind.assign(**{
            t("label.indicator"): ind[ctx.name_col].fillna(ind["name_sv"]),
            t("label.value"): [fmt.value(v, u) if "%" in str(u) or "SEK" in str(u) else
                               f"{fmt.number(v, 1)} {unit_label(u, lang)}".strip() for v, u in zip(ind["value"], ind["unit"])],
        })[[t("label.indicator"), t("label.value")]]
        st.dataframe(idisp, hide_index=True, key="scorecard_indicators", height=35 * (len(idisp) + 1) + 3)
        download_buttons(ind, f"indikatorer_{code}_{ctx.period}", t, lang, key="indicators")

follow_up_cycle(ctx, code)  # analyses, actions, approval, period close, report downloads (ui/cycle_panel.py)
