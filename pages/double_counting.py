"""Dubbelräkning / Double counting: overlapping benefit claims side by side, flagged when together above
the process's baseline."""
import pandas as pd
import streamlit as st

from metrics import portfolio_query as pq
from ui.page import setup_page

ctx = setup_page("double_counting", needs_period=False)
t, fmt = ctx.t, ctx.fmt
st.caption(t("council.intro.double_counting"))

pairs = ctx.q(pq.double_counting)
if pairs.empty:
    st.success(t("council.empty.no_double_counting"))
    st.stop()
n_flagged = int(pairs.above_baseline.sum())
st.markdown(f"**{t('council.label.n_flagged', n=n_flagged, total=len(pairs))}**")
only = st.checkbox(t("council.label.only_flagged"), value=False, key="dc_only_flagged")
shown = pairs[pairs.above_baseline] if only else pairs

st.dataframe(pd.DataFrame({
    t("council.col.committee"): shown.committee_en if ctx.lang == "en" else shown.committee_sv,
    t("council.col.errand_type"): shown.errand_type,
    t("council.col.kind"): [t(f"council.kind.{k}") for k in shown.kind],
    t("council.label.claim_a"): [f"{b} ({p})" for b, p in zip(shown.benefit_id_a, shown.project_id_a)],
    t("council.label.claim_b"): [f"{b} ({p})" for b, p in zip(shown.benefit_id_b, shown.project_id_b)],
    t("council.col.improvement"): [fmt.quantity(v, u) for v, u in zip(shown.claimed_total, shown.unit)],
    t("council.col.baseline"): [fmt.quantity(v, u) for v, u in zip(shown.process_baseline, shown.unit)],
    t("council.label.status"): [t("council.label.flagged") if f else t("council.label.not_flagged")
                                for f in shown.above_baseline],
}), hide_index=True, width="stretch")


def claim(col, r, side: str) -> None:
    g = lambda k: r[f"{k}_{side}"]  # noqa: E731
    col.markdown(f"**{t('council.label.claim_' + side)}: {g('project_id')} · {g('project_name')}**")
    col.markdown(
        f"- {t('council.col.benefit_id')}: {g('benefit_id')} – {g('description')}\n"
        f"- {t('council.col.baseline')}: {fmt.quantity(g('baseline'), r.unit)}\n"
        f"- {t('council.col.target')}: {fmt.quantity(g('target'), r.unit)}\n"
        f"- {t('council.col.improvement')}: {fmt.quantity(g('improvement'), r.unit)}\n"
        f"- {t('council.col.period')}: {fmt.period(g('first_month').strftime('%Y-%m'))} – "
        f"{fmt.period(g('last_month').strftime('%Y-%m'))}")


for _, r in shown.iterrows():
    committee = r.committee_en if ctx.lang == "en" else r.committee_sv
    with st.container(border=True):
        head = t("council.label.process", committee=committee, errand=r.errand_type, kind=t(f"council.kind.{r.kind}"))
        flag = t("council.label.flagged") if r.above_baseline else t("council.label.not_flagged")
        st.markdown(f"**{head}** — {flag}")
        a, b = st.columns(2)
        claim(a, r, "a")
        claim(b, r, "b")
        text = t("council.label.claimed_vs_baseline", claimed=fmt.quantity(r.claimed_total, r.unit),
                 baseline=fmt.quantity(r.process_baseline, r.unit), first=fmt.period(r.overlap_first.strftime("%Y-%m")),
                 last=fmt.period(r.overlap_last.strftime("%Y-%m")), n=int(r.n_claims))
        (st.error if r.above_baseline else st.info)(text)
