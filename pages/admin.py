"""Roller och målvärden / Roles and targets: administrators grant and revoke roles and change targets
(with a reason); every change is a new row in the follow-up store, with who and when from the login."""
import hashlib
import uuid
from datetime import date

import pandas as pd
import streamlit as st

from followup import roles, targets
from followup.identity import COMMITTEE_ROLES, ROLES, PermissionDenied
from followup.store import StoreError, get_store
from metrics import query
from settings import followup_store_url
from ui.auth import refusal, require
from ui.page import setup_page
from ui.tables import show_table

ctx = setup_page("admin", needs_period=False)
t, fmt = ctx.t, ctx.fmt
identity = require(ctx, "roles.grant")
store = get_store(followup_store_url(getattr(ctx.wh, "path", None)))
if "_admin_flash" in st.session_state:
    st.success(st.session_state.pop("_admin_flash"))

com = ctx.q(query.committees)
ncol = "name_sv" if ctx.lang == "sv" else "name_en"
cnames = dict(zip(com.committee_code, com[ncol]))
cat = ctx.q(query.measure_catalog)
mnames = dict(zip(cat.measure_id, cat[ncol]))
directions = dict(zip(cat.measure_id, cat.direction))


def _request_id(*parts) -> str:
    if "_admin_session" not in st.session_state:
        st.session_state["_admin_session"] = uuid.uuid4().hex
    return hashlib.sha256("\x1f".join(map(str, (st.session_state["_admin_session"], *parts))).encode()).hexdigest()[:40]


def _done(message: str) -> None:
    st.session_state["_admin_flash"] = message
    st.rerun()


tab_roles, tab_targets = st.tabs([t("admin.tab.roles"), t("admin.tab.targets")])

with tab_roles:
    st.caption(t("admin.roles.intro"))
    with st.form("admin_grant_form"):
        principal = st.text_input(t("admin.roles.principal"), key="admin_principal")
        role = st.selectbox(t("admin.roles.role"), [r for r in ROLES if r != "reader"],
                            format_func=lambda r: t(f"role.{r}"), key="admin_role")
        committees = st.multiselect(t("admin.roles.committees"), list(cnames), format_func=lambda c: cnames[c],
                                    key="admin_committees", placeholder=t("admin.roles.choose_committees"))
        grant = st.form_submit_button(t("admin.roles.grant"), key="admin_grant")
    if grant:
        try:
            written = roles.grant(identity, principal, role, committees, store=store,
                                  request_id=_request_id("grant", principal, role, sorted(committees)))
        except roles.GrantError as err:
            st.error(t(f"admin.roles.error.{err.code}"))
        except PermissionDenied as err:
            st.error(refusal(ctx, err))
        except StoreError as err:
            st.error(t("auth.store_error", error=str(err)))
        else:
            _done(t("admin.roles.granted", n=len(written)))

    st.subheader(t("admin.roles.current"))
    current = roles.grants(store)
    if current.empty:
        st.info(t("admin.roles.none"))
    else:
        def scope_name(code, r):
            if isinstance(code, str):
                return cnames.get(code, code)
            return t("admin.all_city") if r == "analyst" else "–"
        show_table(pd.DataFrame({
            t("admin.col.principal"): current.principal,
            t("admin.col.role"): [t(f"role.{r}") for r in current.role],
            t("admin.col.committee"): [scope_name(c, r) for c, r in zip(current.committee_code, current.role)],
            t("admin.col.granted_by"): current.author,
            t("admin.col.granted_at"): [fmt.date(d, with_time=True) for d in current.recorded_at],
        }), "admin_grants")
        labels = {int(r.entity_id): f"{r.principal} · {t('role.' + r.role)} · {scope_name(r.committee_code, r.role)}"
                  for r in current.itertuples()}
        with st.form("admin_revoke_form"):
            chosen = st.selectbox(t("admin.roles.revoke_choice"), list(labels), format_func=lambda k: labels[k],
                                  key="admin_revoke_choice")
            reason = st.text_input(t("admin.roles.reason"), key="admin_revoke_reason")
            revoke = st.form_submit_button(t("admin.roles.revoke"), key="admin_revoke")
        if revoke:
            row = current[current.entity_id == chosen].iloc[0]
            try:
                roles.revoke(identity, row.principal, row.role,
                             [row.committee_code] if isinstance(row.committee_code, str) else [],
                             reason=reason or None, store=store)
            except roles.GrantError as err:
                st.error(t(f"admin.roles.error.{err.code}"))
            except PermissionDenied as err:
                st.error(refusal(ctx, err))
            else:
                _done(t("admin.roles.revoked"))

with tab_targets:
    st.caption(t("admin.targets.intro"))
    scorable = [m for m in cat.measure_id if directions.get(m) != "band"]
    with st.form("admin_target_form"):
        c1, c2, c3 = st.columns(3)
        code = c1.selectbox(t("label.committee"), list(cnames), format_func=lambda c: cnames[c], key="admin_t_committee")
        measure = c2.selectbox(t("admin.targets.measure"), scorable, format_func=lambda m: f"{m} · {mnames[m]}",
                               key="admin_t_measure")
        year = c3.number_input(t("admin.targets.year"), min_value=2000, max_value=2100, value=date.today().year,
                               step=1, key="admin_t_year")
        d1, d2 = st.columns(2)
        target = d1.number_input(t("admin.targets.target"), value=None, step=0.1, format="%.1f", key="admin_t_target")
        red = d2.number_input(t("admin.targets.red"), value=None, step=0.1, format="%.1f", key="admin_t_red")
        reason = st.text_area(t("admin.targets.reason"), key="admin_t_reason")
        save = st.form_submit_button(t("admin.targets.save"), key="admin_t_save")
    if save:
        try:
            targets.change_target(identity, code, int(year), measure, target, red, reason, committees=cnames,
                                  directions=directions, store=store,
                                  request_id=_request_id("target", code, year, measure, target, red, reason))
        except targets.TargetError as err:
            for c, _ in err.problems:
                st.error(t(f"followup.target.error.{c}"))
        except PermissionDenied as err:
            st.error(refusal(ctx, err))
        else:
            _done(t("admin.targets.saved"))

    st.subheader(t("admin.targets.current"))
    cur = targets.current_targets(store)
    if cur.empty:
        st.info(t("admin.targets.none"))
    else:
        show_table(pd.DataFrame({
            t("label.committee"): [cnames.get(c, c) for c in cur.committee_code],
            t("admin.targets.year"): cur.year.astype(int).astype(str),
            t("admin.targets.measure"): [f"{m} · {mnames.get(m, m)}" for m in cur.measure_id],
            t("admin.targets.target"): [fmt.number(v, 1) for v in cur.target],
            t("admin.targets.red"): [fmt.number(v, 1) for v in cur.red_threshold],
            t("admin.col.changed_by"): cur.changed_by_name,
            t("admin.col.changed_at"): [fmt.date(d, with_time=True) for d in cur.changed_at],
            t("audit.col.reason"): cur.reason,
        }), "admin_targets")
        tl = {int(r.entity_id): f"{cnames.get(r.committee_code, r.committee_code)} · {int(r.year)} · {r.measure_id}"
              for r in cur.itertuples()}
        with st.form("admin_target_withdraw_form"):
            chosen = st.selectbox(t("admin.targets.withdraw_choice"), list(tl), format_func=lambda k: tl[k],
                                  key="admin_tw_choice")
            wreason = st.text_input(t("admin.roles.reason"), key="admin_tw_reason")
            withdraw = st.form_submit_button(t("admin.targets.withdraw"), key="admin_tw")
        if withdraw:
            try:
                targets.withdraw_target(identity, chosen, wreason, store=store)
            except targets.TargetError as err:
                for c, _ in err.problems:
                    st.error(t(f"followup.target.error.{c}"))
            except PermissionDenied as err:
                st.error(refusal(ctx, err))
            else:
                _done(t("admin.targets.withdrawn"))
    if st.button(t("admin.targets.publish"), key="admin_publish", type="primary"):
        with st.spinner(t("admin.targets.publish")):
            try:
                published = targets.publish_now(getattr(ctx.wh, "path", None))
            except Exception as err:  # the published warehouse is untouched by a failed publish
                st.error(t("admin.targets.publish_failed", error=str(err)))
            else:
                st.cache_data.clear()
                _done(t("admin.targets.published", published=fmt.date(published, with_time=True)))
