"""Nämndens styrkort / Committee scorecard: five perspective cards, the 15 measures with value,
unit, target, status, score, change since the previous period, trend, peer median and city value,
flags in words, and a radar of the perspective scores against the peer-group median.
?committee=CODE&perspective=P opens a committee at a perspective; every measure leads to the
measure explorer, every value to its records."""
import streamlit as st

from metrics import periods as P
from metrics import query
from ui import data, figures, views
from ui.cycle_panel import render_panel as follow_up_cycle
from ui import status as S
from ui.formatting import format_indicator
from ui.page import setup_page, status_legend
from ui.tables import download_buttons, show_table

ctx = setup_page("committee_scorecard")
t, lang, fmt = ctx.t, ctx.lang, ctx.fmt

committees = ctx.q(query.committees)
codes = committees["committee_code"].tolist()
names = dict(zip(committees["committee_code"], committees[ctx.name_col].fillna(committees["name_sv"])))
if not codes:
    st.info(t("label.no_rows"))
    st.stop()

code = ctx.choice("committee", t("scorecard.pick"), codes, st.session_state.get("_committee"),
                  key="scorecard_committee", format_func=lambda c: names[c])
focus = ctx.choice("perspective", t("label.perspective"), [None] + list(views.PERSPECTIVES), None, kind="radio",
                   key="scorecard_perspective", horizontal=True,
                   format_func=lambda p: t("label.all_perspectives") if p is None else t(f"perspective_short.{p}"))

crow = committees.set_index("committee_code").loc[code]
st.caption(f"{t('label.peer_group')}: {t('peer_group.' + str(crow['peer_group']))} · {t('label.period_of', period=fmt.period(ctx.period))}")

overall = ctx.q(query.overall, code, ctx.grain, ctx.period) or {}
if overall.get("score") is None or overall.get("score") != overall.get("score"):
    st.markdown(f"**{t('scorecard.overall_missing')}** {S.icon('grey')}")
else:
    st.markdown("#### " + t("scorecard.overall", score=fmt.score(overall["score"]),
                            status=S.label(overall.get("status"), lang)))

# five perspective cards (the chosen perspective framed)
ps = ctx.q(query.perspective_scores, code, ctx.grain, ctx.period).set_index("perspective")
cards = st.columns(5)
for col, p in zip(cards, views.PERSPECTIVES):
    with col.container(border=True, key=f"card_{p}" + ("_focus" if p == focus else "")):
        r = ps.loc[p] if p in ps.index else {}
        st.markdown(f"**[{t('perspective.' + p)}]({ctx.link('committee_scorecard', committee=code, perspective=p)})**"
                    + (" ◀" if p == focus else ""))
        st.markdown(f"<span style='font-size:2rem;font-weight:600'>{fmt.score(r.get('score'))}</span>",
                    unsafe_allow_html=True)
        flag = bool(r.get("red_flag")) if r.get("red_flag") == r.get("red_flag") and r.get("red_flag") is not None else False
        st.markdown(S.badge_html(r.get("status"), lang) + (f" &nbsp;{S.RED_FLAG} {t('label.red_flag_short')}" if flag else ""),
                    unsafe_allow_html=True)
        n = r.get("n_measures")
        st.caption(t("scorecard.n_measures", n=fmt.number(n)) + " · " + t("label.peer_median") + ": "
                   + fmt.score(r.get("peer_median_score")))
if focus:
    st.html(f"<style>.st-key-card_{focus}_focus{{outline:3px solid {S.COLOURS['green']};outline-offset:2px}}</style>")
status_legend(ctx)

# the 15 measures (or the chosen perspective's three)
st.subheader(t("scorecard.measures") + (f" – {t('perspective.' + focus)}" if focus else ""))
st.caption(t("scorecard.click_help"))
sc = ctx.q(query.scorecard, code, ctx.grain, ctx.period)
previous_period = P.previous(ctx.period)
prev = ctx.q(query.scorecard, code, ctx.grain, previous_period) if previous_period in ctx.periods else None
catalog = ctx.q(query.measure_catalog)
n_trend = 24 if ctx.grain == "month" else 8
trends = ctx.q(data.trends, code, sc["measure_id"].tolist(), ctx.grain, n_trend)
shown = sc[sc["perspective"] == focus].reset_index(drop=True) if focus else sc
disp, stat = views.scorecard_table(shown, lang, ctx.period, catalog, trends, prev,
                                   previous_period if prev is not None else None)
trend_col = t("label.trend")
disp[trend_col] = [views.sparkline(v) for v in disp[trend_col]]
# the perspective is in the cards above and in the measure's letter (E, I, M, C, Q); its width goes to the notes
disp = disp.drop(columns=[t("label.perspective")])
stat = stat.drop(columns=[t("label.perspective")])
links = {
    t("label.measure"): [ctx.link("measure_explorer", measure=m, committee=code) for m in shown["measure_id"]],
    t("label.measure_id"): [ctx.link("measure_explorer", measure=m, committee=code) for m in shown["measure_id"]],
    t("label.value"): [ctx.link("measure_explorer", measure=m, committee=code, tab="drilldown", drill_committee=code,
                                drill_period=ctx.period) for m in shown["measure_id"]],
}
show_table(disp, "scorecard_table", links=links, statuses=stat, nowrap=[t("label.measure_id"), trend_col],

           numeric=[t("label.value"), t("label.target"), t("label.score"), t("label.peer_median"), t("label.city_value"),
                    [c for c in disp.columns if c.startswith(t("label.change"))][0]])
st.caption(t("scorecard.trend_caption", n=n_trend, grain=t("grain." + ctx.grain).lower()))
download_buttons(views.scorecard_export(sc, lang, ctx.period, catalog, prev), f"styrkort_{code}_{ctx.period}", t, lang,
                 key="scorecard", meta=ctx.export_meta(t("nav.committee_scorecard"), [(t("label.committee"), names[code])]),
                 formats={t("label.score"): "score"})

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
            t("label.value"): [format_indicator(v, u, lang) for v, u in zip(ind["value"], ind["unit"])],
        })[[t("label.indicator"), t("label.value")]]
        show_table(idisp, "scorecard_indicators", numeric=[t("label.value")])
        iexp = ind.assign(**{t("label.indicator"): ind[ctx.name_col].fillna(ind["name_sv"]),
                             t("label.value"): ind["value"].round(1),
                             t("label.unit"): [views.measure_unit_text(u, lang) for u in ind["unit"]]})[
            [t("label.indicator"), t("label.value"), t("label.unit")]]
        download_buttons(iexp, f"indikatorer_{code}_{ctx.period}", t, lang, key="indicators",
                         meta=ctx.export_meta(t("scorecard.indicators"), [(t("label.committee"), names[code])]))

follow_up_cycle(ctx, code)  # analyses, actions, approval, period close, report downloads (ui/cycle_panel.py)
