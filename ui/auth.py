"""Who is using the app: login through OpenID Connect (st.login / st.user) or, without a configured
provider, the clearly marked demo login ("Demoläge"). Called by ui.page.setup_page before any data
is shown; pages read the result with current_identity().

* OIDC: `[auth]` in .streamlit/secrets.toml (see .streamlit/secrets.toml.example) — Entra ID / Azure AD
  or any OpenID Connect provider. Streamlit keeps the session in its signed, HTTP-only cookie. The
  e-mail claim is the user's key; the groups claim (settings.oidc_groups_claim) is matched against
  role grants to `group:<name>` (followup.roles). Every logged-in user is at least a reader.
* Demo login: only when no `[auth]` is configured AND (the warehouse is the demo one — warehouse_meta
  origin = demo — or SCORECARD_DEMO_LOGIN=1), and never when SCORECARD_DEMO_LOGIN=0. A picker of
  named demo users, one per role; the default is the reader, never the administrator.
* Otherwise the app refuses to show anything and says how to configure a login.
Nothing about the login (tokens, claims) is written to URLs or logs.
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from followup.identity import Grant, Identity, PermissionDenied
from ui.nav import IDENTITY_KEY  # (one place: the navigation reads it too)

DEMO_KEY = "_demo_user"
# Streamlit forgets a widget's state when a page without that widget runs (each page renders its own
# sidebar picker), so the choice is also kept under a plain key that survives a page switch.
DEMO_KEPT_KEY = "_demo_user_kept"

# (key, e-mail, name, grants): one demo user per role; .invalid addresses can never be real ones
DEMO_USERS: list[tuple[str, str, str, tuple[Grant, ...]]] = [
    ("reader", "lasare@demo.stad.invalid", "Lena Läsare", ()),
    ("chair", "ordforande.skarholmen@demo.stad.invalid", "Sara Lindqvist", (Grant("chair", "SKARHOLMEN"),)),
    ("reporter", "rapportor.skarholmen@demo.stad.invalid", "Omar Hassan", (Grant("reporter", "SKARHOLMEN"),)),
    ("analyst", "analytiker@demo.stad.invalid", "Karin Ek",
     (Grant("analyst", "SKARHOLMEN"), Grant("analyst", "FARSTA"))),
    ("secretary", "sekreterare@demo.stad.invalid", "Johan Berg", (Grant("secretary"),)),
    ("admin", "admin@demo.stad.invalid", "Eva Holm", (Grant("admin"),)),
]
DEMO_DEFAULT = "reader"


def auth_configured() -> bool:
    """True when .streamlit/secrets.toml (or another secrets file) has an [auth] section."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def login_provider() -> str | None:
    """None for one unnamed provider ([auth] with client_id), else the first named one ([auth.<name>])."""
    try:
        section = st.secrets["auth"]
        if "client_id" in section:
            return None
        return next((k for k, v in section.items() if hasattr(v, "keys") and "client_id" in v), None)
    except Exception:
        return None


def demo_allowed(wh: Any) -> bool:
    """Demo login: impossible once [auth] is configured; else the explicit setting, else only on the
    demo warehouse."""
    from settings import demo_login_setting

    if auth_configured():
        return False
    setting = demo_login_setting()
    if setting is not None:
        return setting
    try:
        return wh.meta().get("origin") == "demo"
    except Exception:
        return False


def current_identity() -> Identity | None:
    """The identity resolved for this script run by login_guard (None before it ran)."""
    return st.session_state.get(IDENTITY_KEY)


def _store_url(wh: Any) -> str:
    from settings import followup_store_url

    return followup_store_url(getattr(wh, "path", None))


def demo_identity(key: str, wh: Any) -> Identity:
    from followup.storeread import login_identity  # SQLAlchemy only when the store needs opening (issue 16)

    _, email, name, grants = next(u for u in DEMO_USERS if u[0] == key)
    return login_identity(_store_url(wh), email, name, source="demo", extra=grants)


def oidc_identity(wh: Any) -> Identity | None:
    from followup.storeread import login_identity
    from settings import oidc_groups_claim

    if not st.user.is_logged_in:
        return None
    email = st.user.get("email") or (st.user.get("preferred_username") if "@" in str(
        st.user.get("preferred_username") or "") else None)
    if not email:
        return Identity(email="", name="")
    groups = st.user.get(oidc_groups_claim()) or []
    if isinstance(groups, str):
        groups = [groups]
    return login_identity(_store_url(wh), str(email), str(st.user.get("name") or email), [str(g) for g in groups],
                          source="oidc")


def role_lines(identity: Identity, t, committee_names: dict[str, str]) -> list[str]:
    """'Nämndordförande/godkännare – Skärholmens stadsdelsnämnd' etc., readers last."""
    lines = []
    for g in sorted(identity.grants, key=lambda g: (g.role == "reader", g.role, g.committee or "")):
        role = t(f"role.{g.role}")
        lines.append(f"{role} – {committee_names.get(g.committee, g.committee)}" if g.committee else role)
    return lines


def _committee_names(ctx) -> dict[str, str]:
    try:
        from metrics import query

        df = ctx.q(query.committees)
        col = "name_sv" if ctx.lang == "sv" else "name_en"
        return dict(zip(df["committee_code"], df[col]))
    except Exception:
        return {}


def _keep_demo_choice() -> None:
    """The demo select box's callback: the user's choice becomes the kept one (see login_guard)."""
    st.session_state[DEMO_KEPT_KEY] = st.session_state.get(DEMO_KEY)


def login_guard(ctx) -> Identity:
    """Resolve who is using the app, render the sidebar identity block, or stop the page (login screen,
    refusal). Sets st.session_state['_identity']."""
    t = ctx.t
    st.session_state.pop(IDENTITY_KEY, None)
    if auth_configured():
        identity = oidc_identity(ctx.wh)
        if identity is None:
            st.info(t("auth.please_login"))
            if st.button(t("auth.login"), key="auth_login", type="primary"):
                st.login(login_provider())
            st.stop()
        if not identity.email:
            st.error(t("auth.no_email"))
            if st.button(t("auth.logout"), key="auth_logout_noemail"):
                st.logout()
            st.stop()
    elif demo_allowed(ctx.wh):
        keys = [u[0] for u in DEMO_USERS]
        # The choice lives in DEMO_KEPT_KEY, written only when the user changes the select box (its callback
        # runs before the script). Streamlit drops a widget's state when a page without that widget (or the
        # same key on another page) ends a run, so the box's own key is re-set from the kept choice on every
        # run, before the box is drawn: without this the choice fell back to the first user on the second
        # page change.
        kept = st.session_state.get(DEMO_KEPT_KEY)
        if kept not in keys:
            current = st.session_state.get(DEMO_KEY)
            kept = current if current in keys else DEMO_DEFAULT
            st.session_state[DEMO_KEPT_KEY] = kept
        st.session_state[DEMO_KEY] = kept
        names = {u[0]: u[2] for u in DEMO_USERS}
        box = st.sidebar.container(border=True)
        box.markdown(f"**⚠ {t('auth.demo_title')}**")
        box.caption(t("auth.demo_help"))
        key = box.selectbox(t("auth.demo_user"), keys, key=DEMO_KEY, on_change=_keep_demo_choice,
                            format_func=lambda k: f"{names[k]} · {t('role.' + k)}")
        identity = demo_identity(key, ctx.wh)
        # also in the page itself: on a phone the sidebar is collapsed
        st.caption(f":material/warning: **{t('auth.demo_title')}** · {names[key]} · {t('role.' + key)}",
                   help=t("auth.demo_help"))
    else:
        st.error(t("auth.not_configured"))
        st.markdown(t("auth.not_configured_help"))
        st.stop()
    st.session_state[IDENTITY_KEY] = identity
    _refresh_navigation_for(identity)
    _sidebar_block(ctx, identity)
    return identity


def _refresh_navigation_for(identity: Identity) -> None:
    """The navigation was built before this run knew who is logged in (from the previous run's identity):
    when the identity may use other restricted pages (logged in, another demo user), run once more so
    the sidebar lists exactly the pages this user may open."""
    from ui.nav import NAV_PERMITTED_KEY, permitted_pages

    wanted = permitted_pages(identity)
    if NAV_PERMITTED_KEY in st.session_state and st.session_state[NAV_PERMITTED_KEY] != wanted:
        if st.session_state.get("_nav_rerun_for") != wanted:  # once per change, never a loop
            st.session_state["_nav_rerun_for"] = wanted
            st.rerun()


def _sidebar_block(ctx, identity: Identity) -> None:
    t = ctx.t
    box = st.sidebar.container(key="identity_block")
    box.markdown(f":material/person: **{identity.name}**")
    box.caption(identity.email)
    box.caption(t("auth.roles") + ": " + " · ".join(role_lines(identity, t, _committee_names(ctx))))
    if identity.source == "oidc" and box.button(t("auth.logout"), key="auth_logout"):
        st.session_state.pop(IDENTITY_KEY, None)
        st.logout()


def require(ctx, permission: str, committee: str | None = None) -> Identity:
    """Stop the page with a clear message unless the identity holds `permission`."""
    from followup.identity import allowed

    identity = current_identity()
    if not allowed(identity, permission, committee):
        st.warning(ctx.t("auth.not_allowed", permission=ctx.t(f"auth.permission.{permission}")))
        st.stop()
    return identity


def refusal(ctx, err: PermissionDenied) -> str:
    """The translated message for a refused write (who, what, for which committee; nothing saved)."""
    t = ctx.t
    who = err.identity.email if err.identity and err.identity.email else "?"
    what = t(f"auth.permission.{err.permission}")
    if err.committee:
        name = _committee_names(ctx).get(err.committee, err.committee)
        return t("auth.refused_committee", who=who, permission=what, committee=name)
    return t("auth.refused", who=who, permission=what)
