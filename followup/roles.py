"""Role grants (the role table) and claims → identity.

A grant gives a role to a principal: an e-mail address, or `group:<name>` for everyone whose login
carries that group in its group claim (Azure AD / Entra ID `groups`, or another IdP's). Grants are
rows of the versioned table `role_grants`; a revoke withdraws the grant (the history keeps both).
Every logged-in user is a reader without any grant.
"""
from __future__ import annotations

from typing import Iterable

import pandas as pd

from followup.identity import COMMITTEE_ROLES, ROLES, Grant, Identity
from followup.models import RoleGrant
from followup.store import Store, get_store
from followup.storeread import principals_for


class GrantError(ValueError):
    """A grant or revoke that cannot be done; `code` has a translation admin.roles.error.<code>."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


def normalise_principal(principal: str) -> str:
    p = (principal or "").strip()
    if p.lower().startswith("group:"):
        name = p[6:].strip()
        if not name:
            raise GrantError("bad_principal", "a group principal needs a name: group:<name>")
        return "group:" + name
    if "@" not in p or " " in p or len(p) > 320:
        raise GrantError("bad_principal", f"{principal!r} is neither an e-mail address nor group:<name>")
    return p.lower()


def _check_role(role: str, committees: Iterable[str]) -> list[str | None]:
    if role not in ROLES:
        raise GrantError("unknown_role", f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    codes = sorted({c.strip() for c in committees if c and c.strip()})
    if role in COMMITTEE_ROLES and not codes:
        raise GrantError("committee_needed", f"the role {role} is granted for one or more committees (--committee CODE)")
    if role in ("reader", "secretary", "admin") and codes:
        raise GrantError("no_committee", f"the role {role} is not committee-bound; give no committee")
    return list(codes) or [None]


def grants(store: Store | None = None, principal: str | None = None) -> pd.DataFrame:
    """Current grants: [entity_id, principal, role, committee_code, author, recorded_at]."""
    store = store or get_store()
    where = RoleGrant.principal == normalise_principal(principal) if principal else None
    df = store.current(RoleGrant, where=where)
    return df[["entity_id", "principal", "role", "committee_code", "author", "recorded_at"]].sort_values(
        ["principal", "role", "committee_code"], na_position="first", ignore_index=True)


def grant(actor: Identity, principal: str, role: str, committees: Iterable[str] = (), *,
          store: Store | None = None, request_id: str | None = None) -> list[dict]:
    """Grant `role` (for each committee) to `principal`; a grant already held is not written again.
    Needs the permission roles.grant. Returns the rows written."""
    store = store or get_store()
    principal = normalise_principal(principal)
    written = []
    for code in _check_role(role, committees):
        def not_held(session, _previous, new, code=code):
            q = session.query(RoleGrant).filter(RoleGrant.principal == principal, RoleGrant.role == role)
            q = q.filter(RoleGrant.committee_code.is_(None) if code is None else RoleGrant.committee_code == code)
            for row in q.all():
                latest = session.query(RoleGrant).filter(RoleGrant.entity_id == row.entity_id).order_by(
                    RoleGrant.version.desc()).first()
                if latest.change != "withdraw":
                    raise _AlreadyHeld()
        try:
            written.append(store.append(RoleGrant, actor, {"principal": principal, "role": role,
                                                           "committee_code": code},
                                        permission="roles.grant", validate=not_held,
                                        request_id=f"{request_id}:{code}" if request_id else None))
        except _AlreadyHeld:
            pass
    return written


class _AlreadyHeld(Exception):
    pass


def revoke(actor: Identity, principal: str, role: str, committees: Iterable[str] = (), *,
           reason: str | None = None, store: Store | None = None) -> list[dict]:
    """Withdraw the grants of `role` to `principal` (for the committees given, or all of that role).
    Needs roles.grant. Raises GrantError when there is nothing to revoke."""
    store = store or get_store()
    principal = normalise_principal(principal)
    if role not in ROLES:
        raise GrantError("unknown_role", f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    current = grants(store, principal)
    current = current[current.role == role]
    codes = {c.strip() for c in committees if c and c.strip()}
    if codes:
        current = current[current.committee_code.isin(codes)]
    if current.empty:
        raise GrantError("nothing_to_revoke", f"{principal} holds no grant of {role}"
                         + (f" for {', '.join(sorted(codes))}" if codes else ""))
    return [store.append(RoleGrant, actor, {}, entity_id=int(eid), change="withdraw", reason=reason,
                         permission="roles.grant") for eid in current.entity_id]


def identity_for(email: str, name: str | None = None, groups: Iterable[str] = (), *, source: str = "oidc",
                 extra: Iterable[Grant] = (), store: Store | None = None) -> Identity:
    """The identity of a login: the grants held by the e-mail or by any of its groups (+ `extra`)."""
    store = store or get_store()
    principals = principals_for(email, groups)
    email = principals[0]
    df = store.current(RoleGrant, where=RoleGrant.principal.in_(principals))
    found = {Grant(r.role, None if pd.isna(r.committee_code) else r.committee_code) for r in df.itertuples()}
    return Identity(email=email, name=(name or email), grants=frozenset(found) | frozenset(extra), source=source)
