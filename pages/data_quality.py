"""Datakvalitet / Data quality: latest batch per source, freshness per source and committee
(gaps highlighted), incidents no committee could be attributed (with the values to add to the
mapping), the quarantine with reasons, and the ETL run history."""
import streamlit as st

from metrics import quality_query as qq
from metrics import query
from ui import views
from ui.i18n import translation_table
from ui.page import setup_page
from ui.tables import download_buttons, show_records, show_table

ctx = setup_page("data_quality", needs_period=False)
t, lang, fmt = ctx.t, ctx.lang, ctx.fmt

def _source(s):
    return t(f"source.{s}") if f"source.{s}" in translation_table() else str(s)


def _batch_display(df):
    out = df.copy()
    if "message" in out:  # the loader's message, in the UI language where its facts are in columns
        out["message"] = [views.batch_message(r, lang, counts_shown=True) for r in out.to_dict("records")]
    if "source" in out:
        out["source"] = [_source(s) for s in out["source"]]
    if "status" in out:
        out["status"] = [("⚠ " if s == "rejected" else "") + (t(f"batch_status.{s}") if f"{s}" in ("loaded", "rejected", "unchanged") else str(s))
                         for s in out["status"]]
    for c in ("rows_read", "rows_loaded", "rows_quarantined", "rows_replaced"):
        if c in out:
            out[c] = [fmt.number(v) for v in out[c]]
    for c in ("started_at", "finished_at"):
        if c in out:
            out[c] = [fmt.date(v, with_time=True) for v in out[c]]
    for c in ("periods_min", "periods_max"):
        if c in out:
            out[c] = ["–" if v is None or v != v else (fmt.period(v) if c.startswith("periods") else str(v)) for v in out[c]]
    return views.translate_columns(out, lang)


latest = ctx.q(qq.latest_batches)
fresh = ctx.q(qq.freshness)
quar = ctx.q(qq.quarantine)
hist = ctx.q(qq.batch_history, 200)
unattr = ctx.q(qq.unattributed_incidents)
n_unattr = int(unattr["incidents"].sum()) if len(unattr) else 0

m = st.columns(5)
m[0].metric(t("quality.metric_sources"), fmt.number(len(latest)))
m[1].metric(t("quality.metric_rejected"), fmt.number(int((latest["status"] == "rejected").sum()) if len(latest) else 0))
m[2].metric(t("quality.metric_quarantined"), fmt.number(len(quar)))
m[3].metric(t("quality.metric_gaps"), fmt.number(int(fresh["gap"].sum()) if len(fresh) else 0))
m[4].metric(t("quality.metric_unattributed"), fmt.number(n_unattr))

st.subheader(t("quality.latest_batches"))
if latest.empty:
    st.info(t("label.no_rows"))
else:
    ld = _batch_display(latest)
    show_table(ld, "quality_latest", anywhere=[t("col.file_name"), t("col.message")], numeric=[t(f"col.{c}") for c in ("batch_id", "rows_read", "rows_loaded",
                                                                      "rows_quarantined", "rows_replaced", "finished_at")])
    download_buttons(ld, "senaste_laddningar", t, lang, key="latest", meta=ctx.export_meta(t("quality.latest_batches")))

st.subheader(t("quality.freshness"))
st.caption(t("quality.freshness_help"))
if fresh.empty:
    st.info(t("label.no_rows"))
else:
    names = dict(zip(*[ctx.q(query.committees)[c] for c in ("committee_code", ctx.name_col)]))
    f1, f2 = st.columns([1, 3])
    only_gaps = f1.toggle(t("quality.only_gaps"), value=False, key=ctx.key("quality_only_gaps"))
    sources = sorted(fresh["source"].unique())
    src = f2.selectbox(t("quality.filter_source"), [None] + sources, key=ctx.key("quality_source"),
                       format_func=lambda s: t("quality.all_sources") if s is None else _source(s))
    fv = fresh
    if only_gaps:
        fv = fv[fv["gap"]]
    if src:
        fv = fv[fv["source"] == src]
    fv = fv.reset_index(drop=True)
    fd = fv.assign(
        source=[_source(x) for x in fv["source"]],
        committee_code=[f"{c} – {names.get(c, '')}" for c in fv["committee_code"]],
        latest_period=[fmt.period(p) for p in fv["latest_period"]],
        expected_period=[fmt.period(p) for p in fv["expected_period"]],
        first_period=[fmt.period(p) for p in fv["first_period"]],
        gap=[("⚠ " + t("word.yes")) if g else t("word.no") for g in fv["gap"]],
        months_behind=[fmt.number(v) for v in fv["months_behind"]],
        missing_months=[fmt.number(v) for v in fv["missing_months"]],
    )
    fd = views.translate_columns(fd, lang)
    st.caption(t("quality.gaps", n=fmt.number(int(fresh["gap"].sum()))))
    show_records(fd, "quality_freshness", t, fmt.number, sort_values=views.translate_columns(fv, lang),
                 numeric=[t("col.months_behind"), t("col.missing_months")], nowrap=[t("col.gap")])
    download_buttons(fd, "aktualitet", t, lang, key="freshness", meta=ctx.export_meta(t("quality.freshness")))

st.subheader(t("quality.unattributed"))
st.caption(t("quality.unattributed_help"))
if unattr.empty:
    st.info(t("quality.unattributed_none"))
else:
    st.caption(t("quality.unattributed_count", n=fmt.number(n_unattr)))
    missing = t("quality.missing_value")
    ud = unattr.assign(
        period=[fmt.period(p) for p in unattr["period"]],
        **{c: [missing if v is None or v != v else v for v in unattr[c]]
           for c in ("location", "assignment_group", "cmdb_ci")},
        incidents=[fmt.number(v) for v in unattr["incidents"]],
        resolved=[fmt.number(v) for v in unattr["resolved"]],
    )
    show_records(views.translate_columns(ud, lang), "quality_unattributed", t, fmt.number,
                 sort_values=views.translate_columns(unattr, lang), numeric=[t("col.incidents"), t("col.resolved")],
                 anywhere=[t("col.cmdb_ci"), t("col.location"), t("col.assignment_group")])
    download_buttons(unattr, "incidenter_utan_namnd", t, lang, key="unattributed")

st.subheader(t("quality.quarantine"))
st.caption(t("quality.quarantine_count", n=fmt.number(len(quar))))
if quar.empty:
    st.info(t("label.no_rows"))
else:
    batches = sorted(quar["batch_id"].unique().tolist(), reverse=True)
    b = st.selectbox(t("quality.batch"), [None] + batches, key=ctx.key("quality_batch"),
                     format_func=lambda x: t("quality.all_batches") if x is None else str(x))
    qv = quar if b is None else quar[quar["batch_id"] == b]
    qd = qv.assign(source=[_source(x) for x in qv["source"]],
                   reason=[views.quarantine_reason(r, lang) for r in qv.to_dict("records")],
                   rule=[t(f"rule.{r}") if f"rule.{r}" in translation_table() else t("rule.other") for r in qv["rule"]],
                   column_name=[t(f"col.{c}") if f"col.{c}" in translation_table() else str(c) for c in qv["column_name"]],
                   source_row=[fmt.number(v) for v in qv["source_row"]])
    show_records(views.translate_columns(qd.drop(columns=["raw_values"], errors="ignore"), lang), "quality_quarantine",
                 t, fmt.number, sort_values=views.translate_columns(qv.drop(columns=["raw_values"], errors="ignore"), lang),
                 anywhere=[t("col.file_name"), t("col.reason")],
                 numeric=[t("col.batch_id"), t("col.source_row")])
    download_buttons(views.translate_columns(qd, lang), "karantan", t, lang, key="quarantine",
                     meta=ctx.export_meta(t("quality.quarantine")))

st.subheader(t("quality.history"))
if hist.empty:
    st.info(t("label.no_rows"))
else:
    cols = [c for c in ("batch_id", "source", "file_name", "status", "rows_read", "rows_loaded", "rows_quarantined",
                        "rows_replaced", "periods_min", "periods_max", "finished_at", "message") if c in hist]
    show_table(_batch_display(hist[cols]), "quality_history", anywhere=[t("col.file_name"), t("col.message")],
               numeric=[t(f"col.{c}") for c in ("batch_id", "rows_read", "rows_loaded", "rows_quarantined", "rows_replaced",
                                                 "finished_at")])
    download_buttons(_batch_display(hist[cols]), "korhistorik", t, lang, key="history",
                     meta=ctx.export_meta(t("quality.history")))
