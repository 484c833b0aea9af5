"""Dubbelräkning / Double counting: overlapping benefit claims in one compact table (flagged pairs first), each
pair linked to both projects; one chosen pair shown side by side."""
import pandas as pd
import streamlit as st

from metrics import portfolio_query as pq
from ui.page import setup_page
from ui.tables import show_table

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
shown = shown.reset_index(drop=True)


def month(d) -> str:
    return fmt.period(pd.Timestamp(d).strftime("%Y-%m"))


show_table(pd.DataFrame({
    t("council.label.status"): [t("council.label.flagged") if f else t("council.label.not_flagged")
                                for f in shown.above_baseline],
    t("council.col.committee"): shown.committee_en if ctx.lang == "en" else shown.committee_sv,
    t("council.col.errand_type"): shown.errand_type,
    t("council.col.kind"): [t(f"council.kind.{k}") for k in shown.kind],
    # each project with its benefit in the claim: "P0001 (B0003)" (one column fewer: the table fits at 1280 px)
    t("council.col.project_a"): [f"{p} ({b})" for p, b in zip(shown.project_id_a, shown.benefit_id_a)],
    t("council.col.project_b"): [f"{p} ({b})" for p, b in zip(shown.project_id_b, shown.benefit_id_b)],
    t("council.col.improvement"): [fmt.quantity(v, u) for v, u in zip(shown.claimed_total, shown.unit)],
    t("council.col.baseline"): [fmt.quantity(v, u) for v, u in zip(shown.process_baseline, shown.unit)],
    t("council.col.overlap"): [f"{month(a)} – {month(b)}" for a, b in zip(shown.overlap_first, shown.overlap_last)],
    t("council.col.claims"): shown.n_claims,
}), "double_counting_pairs",
    links={t("council.col.project_a"): [ctx.link("project", project=p) for p in shown.project_id_a],
           t("council.col.project_b"): [ctx.link("project", project=p) for p in shown.project_id_b]})

# ---- one pair side by side ---------------------------------------------------------------------------------
labels = [f"{r.benefit_id_a} ({r.project_id_a}) ↔ {r.benefit_id_b} ({r.project_id_b}) · {r.errand_type}"
          for r in shown.itertuples()]
if labels:
    pick = st.selectbox(t("council.label.pick_pair"), range(len(labels)),
                        format_func=lambda i: labels[i], key="dc_pair")
    r = shown.iloc[pick]

    def claim(col, side: str) -> None:
        g = lambda k: r[f"{k}_{side}"]  # noqa: E731
        col.markdown(f"**{t('council.label.claim_' + side)}: [{g('project_id')} · {g('project_name')}]"
                     f"(project?project={g('project_id')})**")
        col.markdown(
            f"- {t('council.col.benefit_id')}: {g('benefit_id')} – {g('description')}\n"
            f"- {t('council.col.baseline')}: {fmt.quantity(g('baseline'), r.unit)}\n"
            f"- {t('council.col.target')}: {fmt.quantity(g('target'), r.unit)}\n"
            f"- {t('council.col.improvement')}: {fmt.quantity(g('improvement'), r.unit)}\n"
            f"- {t('council.col.period')}: {month(g('first_month'))} – {month(g('last_month'))}")

    committee = r.committee_en if ctx.lang == "en" else r.committee_sv
    with st.container(border=True):
        head = t("council.label.process", committee=committee, errand=r.errand_type, kind=t(f"council.kind.{r.kind}"))
        flag = t("council.label.flagged") if r.above_baseline else t("council.label.not_flagged")
        st.markdown(f"**{head}** — {flag}")
        a, b = st.columns(2)
        claim(a, "a")
        claim(b, "b")
        text = t("council.label.claimed_vs_baseline", claimed=fmt.quantity(r.claimed_total, r.unit),
                 baseline=fmt.quantity(r.process_baseline, r.unit), first=month(r.overlap_first),
                 last=month(r.overlap_last), n=int(r.n_claims))
        (st.error if r.above_baseline else st.info)(text)
