"""The start page's alerts: the measures of the user's committees (reporter/chair grants) that turned red
since the previous publish. Its own small module so that the city overview — the first page after a start —
does not import the follow-up cycle and the report renderers (ui/cycle_panel.py) it never uses."""
from __future__ import annotations

import streamlit as st

from ui import status as S


def render_alerts(ctx) -> None:
    """On the start page: the measures of the user's committees (reporter/chair grants) that turned red
    since the previous publish. Nothing without a login or without such measures."""
    from reports.alerts import alerts
    from ui.auth import current_identity

    identity = current_identity()
    if identity is None:
        return
    mine = {g.committee for g in identity.grants if g.role in ("reporter", "chair") and g.committee}
    if not mine:
        return
    df = ctx.q(alerts)
    df = df[df["committee_code"].isin(mine)]
    if df.empty:
        return
    t, fmt, lang = ctx.t, ctx.fmt, ctx.lang
    lines = []
    for r in df.itertuples():
        name = r.name_sv if lang == "sv" else (r.name_en or r.name_sv)
        mname = r.measure_name_sv if lang == "sv" else r.measure_name_en
        lines.append(f"- {S.icon('red')} **{name}** · " + t(
            "cycle.alerts.row", measure=f"{r.measure_id} {mname}", value=fmt.value(r.value, r.unit) + " " + S.word("red", lang),
            was_word=S.word(r.previous_status, lang).lower(), was_value=fmt.value(r.previous_value, r.unit),
            was_period=fmt.period(r.previous_period)))
    st.warning(f"**{t('cycle.alerts.title')}**\n\n" + "\n".join(lines))
