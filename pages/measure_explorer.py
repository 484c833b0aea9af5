"""Mätetal / Measure explorer: one measure across committees and periods — ranking against the
target, time series with target and red threshold, the definition, and the records behind a value."""
import pandas as pd
import streamlit as st

from metrics import query
from ui import figures, views
from ui import status as S
from followup.identity import drilldown_scope
from ui import state
from ui.auth import current_identity
from ui.page import setup_page
from ui.tables import download_buttons, show_records, show_table

ctx = setup_page("measure_explorer")
t, lang, fmt = ctx.t, ctx.lang, ctx.fmt

catalog = ctx.q(query.measure_catalog)
committees = ctx.q(query.committees)
names = dict(zip(committees["committee_code"], committees[ctx.name_col].fillna(committees["name_sv"])))
mids = catalog["measure_id"].tolist()
mnames = dict(zip(catalog["measure_id"], catalog[ctx.name_col].fillna(catalog["name_sv"])))

c1, c2, c3 = st.columns([2, 1, 1])
measure_id = ctx.choice("measure", t("explorer.pick_measure"), mids, mids[0], container=c1, key="explorer_measure",
                        format_func=lambda m: f"{m} – {mnames[m]}")
# ?committee= (from the scorecard) is the committee the explorer starts from
committee_from_url = st.query_params.get("committee")
if committee_from_url in names:
    st.session_state["_committee"] = committee_from_url
mrow = catalog.set_index("measure_id").loc[measure_id]
measure = {"measure_id": measure_id, **mrow.to_dict()}
unit = measure.get("unit")

# period range (newest first in ctx.periods)
periods_old_first = list(reversed(ctx.periods))
end_idx = periods_old_first.index(ctx.period)
default_from = periods_old_first[max(0, end_idx - (23 if ctx.grain == "month" else 7))]
from_key = ctx.key("explorer_from")
from_options = periods_old_first[: end_idx + 1]
if from_key in st.session_state and st.session_state[from_key] not in from_options:
    del st.session_state[from_key]
from_initial = ctx.initial("explorer_from", default_from)
p_from = c2.selectbox(t("label.period_from"), from_options, key=from_key,
                      index=from_options.index(from_initial if from_initial in from_options else default_from),
                      format_func=fmt.period)
c3.text_input(t("label.period_to"), fmt.period(ctx.period), disabled=True,
              help=t("label.period"))

# selection of committees
s1, s2 = st.columns([1, 3])
mode = s1.radio(t("explorer.selection"), ["all", "peer", "committees"], key=ctx.key("explorer_mode"),
                format_func=lambda m: t({"all": "explorer.sel_all", "peer": "explorer.sel_peer", "committees": "explorer.sel_committees"}[m]))
groups = sorted(committees["peer_group"].dropna().unique().tolist())
if mode == "peer":
    g = s2.selectbox(t("label.peer_group"), groups, key=ctx.key("explorer_peer"), format_func=lambda x: t(f"peer_group.{x}"))
    codes = committees.loc[committees["peer_group"] == g, "committee_code"].tolist()
elif mode == "committees":
    default = [c for c in [st.session_state.get("_committee")] if c in names] or list(names)[:3]
    mkey = ctx.key("explorer_committees")
    if mkey in st.session_state:
        st.session_state[mkey] = [c for c in st.session_state[mkey] if c in names]
    default = [c for c in ctx.initial("explorer_committees", default) if c in names]
    codes = s2.multiselect(t("label.committees"), list(names), default=default, key=mkey,
                           format_func=lambda c: names[c])
else:
    codes = list(names)
if not codes:
    st.info(t("label.no_rows"))
    st.stop()
codes_arg = None if mode == "all" else codes

# lazy tabs: only the open tab is computed and sent (keeps a rerun well under a second)
TABS = {"ranking": t("explorer.ranking"), "series": t("explorer.series"), "definition": t("explorer.definition"),
        "drilldown": t("explorer.drilldown")}
tab_key = ctx.key("explorer_tab")
tab_from_url = state.from_url("tab")
if tab_from_url in TABS:
    st.session_state[tab_key] = TABS[tab_from_url]
tab_rank, tab_series, tab_def, tab_drill = st.tabs(list(TABS.values()), key=tab_key, on_change="rerun")
open_tab = next((k for k, v in TABS.items() if v == st.session_state.get(tab_key)), "ranking")
state.write(tab=None if open_tab == "ranking" else open_tab, committee=st.session_state.get("_committee") if committee_from_url else None)

if tab_rank.open:
  with tab_rank:
    rk = ctx.q(query.measure_ranking, measure_id, ctx.grain, ctx.period, committee_codes=codes_arg)
    if rk.empty:
        st.info(t("label.no_rows"))
    else:
        with st.container(key="wide_only_ranking"):  # on a phone the cards below carry the ranking
            st.plotly_chart(ctx.fig(figures.ranking_bar, rk, measure, lang, fmt.period(ctx.period)), key="explorer_ranking_fig",
                            config={"displayModeBar": False}, theme=None)
        override = t("explorer.override_note")
        rdisp = rk.assign(**{
            t("label.committee"): rk[ctx.name_col].fillna(rk["name_sv"]),
            t("label.value"): [views.shown_value({**r, "unit": unit}, lang) for r in rk.to_dict("records")],
            t("label.target"): [fmt.value(v, unit) + (f" ({override.lower()})" if o is True else "")
                                for v, o in zip(rk["target"], rk["target_overridden"])],
            t("label.status"): [S.label(s, lang) for s in rk["status"]],
            t("label.score"): [fmt.score(v) for v in rk["score"]],
            t("label.n_obs"): [fmt.number(v) for v in rk["n_obs"]],
        })[[t("label.committee"), t("label.value"), t("label.target"), t("label.status"), t("label.score"), t("label.n_obs")]]
        rstat = rdisp.copy()
        rstat[:] = ""
        rstat[t("label.status")] = [S.norm(s) for s in rk["status"]]
        rlinks = {t("label.committee"): [ctx.link("committee_scorecard", committee=c) for c in rk["committee_code"]],
                  t("label.value"): [ctx.link("measure_explorer", measure=measure_id, tab="drilldown", drill_committee=c,
                                              drill_period=ctx.period) for c in rk["committee_code"]]}
        st.caption(t("explorer.click_help"))
        show_table(rdisp, "explorer_ranking_table", links=rlinks, statuses=rstat,
                   numeric=[t("label.value"), t("label.score"), t("label.n_obs")])
        rexp = pd.DataFrame({
            t("label.committee"): rk[ctx.name_col].fillna(rk["name_sv"]).values,
            t("label.value"): rk["value"].round(2).values, t("label.unit"): views.measure_unit_text(unit, lang),
            t("label.target"): rk["target"].values, t("label.red_threshold"): rk["red_threshold"].values,
            t("label.status"): [S.word(s, lang) for s in rk["status"]],
            t("label.score"): pd.to_numeric(rk["score"], errors="coerce").round(0).astype("Int64").values,
            t("label.n_obs"): pd.to_numeric(rk["n_obs"], errors="coerce").round(0).astype("Int64").values,
            override: [t("word.yes") if o is True else t("word.no") for o in rk["target_overridden"]],
        })
        download_buttons(rexp, f"rangordning_{measure_id}_{ctx.period}", t, lang, key="ranking",
                         meta=ctx.export_meta(f"{measure_id} {mnames[measure_id]}"), formats={t("label.score"): "score"})

if tab_series.open:
  with tab_series:
    # the city and peer-group lines ('CITY', 'PEER:<group>') come from the marts like committees
    if mode == "all":
        series_codes = ["CITY"] + [f"PEER:{g}" for g in groups]
    elif mode == "peer":
        series_codes = list(codes) + [f"PEER:{g}", "CITY"]
    else:
        series_codes = list(codes) + ["CITY"]
    ser = ctx.q(query.measure_series, measure_id, ctx.grain, p_from, ctx.period, series_codes)
    if ser.empty:
        st.info(t("label.no_rows"))
    else:
        labels = dict(names)
        labels["CITY"] = t("label.city")
        for g in groups:
            labels[f"PEER:{g}"] = t("label.peer_value") + " – " + t(f"peer_group.{g}").lower()  # pooled, not a median
        st.plotly_chart(ctx.fig(figures.series_lines, ser, measure, labels, lang), key="explorer_series_fig",
                        config={"displayModeBar": False}, theme=None)
        sdisp = ser.assign(**{
            t("label.committee"): [labels.get(c, c) for c in ser["committee_code"]],
            t("label.period"): [fmt.period(p) for p in ser["period"]],
            t("label.value"): [views.shown_value({**r, "unit": unit}, lang) for r in ser.to_dict("records")],
            t("label.status"): [S.label(s, lang) for s in ser["status"]],
            t("label.score"): [fmt.score(v) for v in ser["score"]],
        })[[t("label.committee"), t("label.period"), t("label.value"), t("label.status"), t("label.score")]]
        sstat = sdisp.copy()
        sstat[:] = ""
        sstat[t("label.status")] = [S.norm(x) for x in ser["status"]]
        slinks = {t("label.value"): [ctx.link("measure_explorer", measure=measure_id, tab="drilldown", drill_committee=c,
                                              drill_period=p) if c in names else None
                                     for c, p in zip(ser["committee_code"], ser["period"])]}
        show_table(sdisp, "explorer_series_table", statuses=sstat, links=slinks,
                   numeric=[t("label.value"), t("label.score")])
        sexp = pd.DataFrame({t("label.committee"): [labels.get(c, c) for c in ser["committee_code"]],
                             t("label.period"): [fmt.period(p) for p in ser["period"]],
                             t("label.value"): ser["value"].round(2).values, t("label.unit"): views.measure_unit_text(unit, lang),
                             t("label.status"): [S.word(x, lang) for x in ser["status"]],
                             t("label.score"): pd.to_numeric(ser["score"], errors="coerce").round(0).astype("Int64").values})
        download_buttons(sexp, f"tidsserie_{measure_id}", t, lang, key="series",
                         meta=ctx.export_meta(f"{measure_id} {mnames[measure_id]} – {t('explorer.series')}",
                                              [(t("label.period_from"), fmt.period(p_from))]), formats={t("label.score"): "score"})

if tab_def.open:
  with tab_def:
    desc = measure.get(f"description_{lang}") or measure.get("description_sv") or ""
    st.markdown(f"### {measure_id} {mnames[measure_id]}")
    if desc:
        st.markdown(desc)
    direction = str(measure.get("direction"))
    os_ = str(measure.get("objective_subjective") or "").upper()[:1]
    cost = str(measure.get("production_cost") or "").upper()[:1]
    if direction == "band":
        target_txt = t("explorer.band", low=fmt.number(measure.get("band_low"), 1), high=fmt.number(measure.get("band_high"), 1))
    else:
        target_txt = f"{fmt.value(measure.get('target'), unit)} · {t('label.red_threshold')}: {fmt.value(measure.get('red_threshold'), unit)}"
    rows = [
        (t("label.perspective"), t(f"perspective.{measure.get('perspective')}")),
        (t("explorer.formula"), measure.get(f"formula_{lang}") or measure.get("formula_sv") or "–"),
        (t("explorer.unit"), views.measure_unit_text(unit, lang)),
        (t("explorer.direction"), t(f"explorer.direction.{direction}") if direction in ("higher", "lower", "band") else direction),
        (t("label.target"), target_txt),
        (t("explorer.source"), measure.get(f"source_{lang}") or measure.get("source_sv") or "–"),
        (t("explorer.objective_subjective"), t("explorer.objective") if os_ == "O" else t("explorer.subjective") if os_ == "S" else str(measure.get("objective_subjective"))),
        (t("explorer.frequency"), t(f"frequency.{measure.get('frequency')}") if f"{measure.get('frequency')}" in ("month", "quarter", "tertial", "year") else str(measure.get("frequency"))),
        (t("explorer.production_cost"), t(f"explorer.cost.{cost}") if cost in ("L", "M", "H") else str(measure.get("production_cost"))),
        (t("explorer.min_n"), fmt.number(measure.get("min_n")) if measure.get("min_n") == measure.get("min_n") else "–"),
    ]
    ddf = pd.DataFrame(rows, columns=[t("explorer.definition"), t("label.value")])
    st.table(ddf.set_index(t("explorer.definition")))
    download_buttons(ddf, f"definition_{measure_id}", t, lang, key="definition")

if tab_drill.open:
  with tab_drill:
    st.caption(t("explorer.drilldown_help"))
    d1, d2 = st.columns(2)
    dkey = ctx.key("explorer_drill_committee")
    if dkey in st.session_state and st.session_state[dkey] not in codes:
        del st.session_state[dkey]
    d_url = state.from_url("drill_committee")
    if d_url in codes:
        st.session_state.pop(dkey, None)
    d_initial = d_url if d_url in codes else ctx.initial("explorer_drill_committee", st.session_state.get("_committee"))
    def keep_drill_tab() -> None:  # a browser that joined a fresh server can send a stale tab with the change
        st.session_state[tab_key] = TABS["drilldown"]

    dcode = d1.selectbox(t("label.committee"), codes, key=dkey, format_func=lambda c: names.get(c, c), on_change=keep_drill_tab,
                         index=codes.index(d_initial) if d_initial in codes else 0)
    prange = periods_old_first[periods_old_first.index(p_from): end_idx + 1][::-1]
    pkey = ctx.key("explorer_drill_period")
    if pkey in st.session_state and st.session_state[pkey] not in prange:
        del st.session_state[pkey]
    p_url = state.from_url("drill_period")
    if p_url in prange:
        st.session_state.pop(pkey, None)
    p_initial = p_url if p_url in prange else ctx.initial("explorer_drill_period", prange[0])
    dperiod = d2.selectbox(t("label.period"), prange, key=pkey, format_func=fmt.period, on_change=keep_drill_tab,
                           index=prange.index(p_initial) if p_initial in prange else 0)
    state.write(drill_committee=dcode, drill_period=dperiod)
    dd = ctx.q(query.drilldown, measure_id, dcode, ctx.grain, dperiod, drilldown_scope(current_identity()))
    st.markdown(f"**{names.get(dcode, dcode)} · {fmt.period(dperiod)} · {t('explorer.drilldown_count_one' if len(dd) == 1 else 'explorer.drilldown_count', n=fmt.number(len(dd)))}**")
    if dd.empty:
        st.info(t("label.no_rows"))
    else:
        # on screen without the committee's code (the heading names the committee); the download keeps it
        dd_shown = dd.drop(columns=["committee_code"], errors="ignore")
        ddisp = views.records_table(dd_shown, lang)
        # a page of records at a time (thousands would make the page unreadable); sorted by the raw values
        show_records(ddisp, "explorer_drill_table", t, fmt.number, sort_values=views.translate_columns(dd_shown, lang),
                     keep={tab_key: TABS["drilldown"]},
                     numeric=[c for c, raw in zip(ddisp.columns, dd_shown.columns)
                              if pd.api.types.is_numeric_dtype(dd[raw]) and not pd.api.types.is_bool_dtype(dd[raw])])
        download_buttons(views.records_export(dd, lang), f"underlag_{measure_id}_{dcode}_{dperiod}", t, lang, key="drill",
                         meta=ctx.export_meta(f"{measure_id} {mnames[measure_id]} – {t('explorer.drilldown')}",
                                              [(t("label.committee"), names.get(dcode, dcode)),
                                               (t("label.period"), fmt.period(dperiod))]))
