"""Identities, roles and permissions (docs/followup.md "Roles").

An `Identity` is who is acting: e-mail (the key), display name, and grants — (role, committee)
pairs where committee None means city-wide / not committee-bound. Every logged-in user is a
reader. The permission check is `check(identity, permission, committee)`: it raises
`PermissionDenied` with a clear message (Swedish and English) and is called by the store's write
functions and the query layer, not only by pages hiding widgets.

| role | sv | may |
|---|---|---|
| reader | läsare | see scorecards (everyone logged in) |
| reporter | rapportör | write follow-up for its committees |
| chair | ordförande/godkännare | write and approve follow-up for its committees |
| analyst | analytiker | drill down to records for its committees, or city-wide |
(When the installation restricts drill-down — SCORECARD_DRILLDOWN_RESTRICTED=1 — records are shown
only for the committees of a user's analyst, chair or reporter grants; city-wide analysts see all.)
| secretary | rådets sekreterare | record the development council's decisions |
| admin | administratör | grant roles, change targets, close periods, read the audit log |
"""
from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("reader", "reporter", "chair", "analyst", "secretary", "admin")
# Roles that only mean something for named committees (a grant of these needs --committee).
COMMITTEE_ROLES = frozenset({"reporter", "chair"})
# Roles that may be committee-scoped or city-wide (no committee = the whole city).
SCOPABLE_ROLES = COMMITTEE_ROLES | {"analyst"}

ROLE_NAMES = {
    "reader": {"sv": "Läsare", "en": "Reader"},
    "reporter": {"sv": "Rapportör för nämnd", "en": "Committee reporter"},
    "chair": {"sv": "Nämndordförande/godkännare", "en": "Committee chair/approver"},
    "analyst": {"sv": "Analytiker", "en": "Analyst"},
    "secretary": {"sv": "Utvecklingsrådets sekreterare", "en": "Council secretary"},
    "admin": {"sv": "Administratör", "en": "Administrator"},
}

# permission → roles that hold it. Committee-bound permissions need the grant's committee to match
# (or the grant to be city-wide, for analysts).
PERMISSIONS: dict[str, frozenset[str]] = {
    "scorecard.read": frozenset(ROLES),
    "committee.report": frozenset({"reporter", "chair"}),
    "committee.approve": frozenset({"chair"}),
    "drilldown.read": frozenset({"analyst", "chair", "reporter"}),
    "council.record": frozenset({"secretary"}),
    "targets.change": frozenset({"admin"}),
    "roles.grant": frozenset({"admin"}),
    "period.close": frozenset({"admin"}),
    "audit.read": frozenset({"admin"}),
}
COMMITTEE_PERMISSIONS = frozenset({"committee.report", "committee.approve", "drilldown.read"})

PERMISSION_NAMES = {
    "scorecard.read": {"sv": "se styrkorten", "en": "see the scorecards"},
    "committee.report": {"sv": "rapportera", "en": "report"},
    "committee.approve": {"sv": "godkänna", "en": "approve"},
    "drilldown.read": {"sv": "se underliggande poster", "en": "see the underlying records"},
    "council.record": {"sv": "registrera rådets beslut", "en": "record council decisions"},
    "targets.change": {"sv": "ändra målvärden", "en": "change targets"},
    "roles.grant": {"sv": "tilldela roller", "en": "grant roles"},
    "period.close": {"sv": "stänga perioder", "en": "close periods"},
    "audit.read": {"sv": "läsa granskningsloggen", "en": "read the audit log"},
}


@dataclass(frozen=True, order=True)
class Grant:
    role: str
    committee: str | None = None  # None: city-wide / not committee-bound

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; roles are {', '.join(ROLES)}")


@dataclass(frozen=True)
class Identity:
    """Who is acting. `source` is 'oidc', 'demo' or 'cli' (shown in the audit log)."""
    email: str
    name: str
    grants: frozenset[Grant] = field(default_factory=frozenset)
    source: str = "oidc"

    def __post_init__(self):
        object.__setattr__(self, "email", (self.email or "").strip().lower())
        object.__setattr__(self, "grants", frozenset(self.grants) | {Grant("reader")})

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(g.role for g in self.grants)

    @property
    def author(self) -> str:
        """What the store writes as the author: the e-mail (unique, from the login)."""
        return self.email

    def committees(self, role: str) -> frozenset[str] | None:
        """Committees this identity holds `role` for; None when it holds it city-wide."""
        held = [g for g in self.grants if g.role == role]
        if any(g.committee is None for g in held):
            return None
        return frozenset(g.committee for g in held)


class PermissionDenied(PermissionError):
    """A write or read outside the identity's rights. `message(lang)` is the text for the user."""

    def __init__(self, identity: Identity | None, permission: str, committee: str | None = None):
        self.identity, self.permission, self.committee = identity, permission, committee
        super().__init__(self.message("en"))

    def message(self, lang: str = "sv") -> str:
        who = self.identity.email if self.identity and self.identity.email else (
            "okänd användare" if lang == "sv" else "unknown user")
        what = PERMISSION_NAMES.get(self.permission, {}).get(lang, self.permission)
        if lang == "sv":
            where = f" för nämnden {self.committee}" if self.committee else ""
            return f"{who} har inte behörighet att {what}{where}. Inget sparades."
        where = f" for committee {self.committee}" if self.committee else ""
        return f"{who} is not allowed to {what}{where}. Nothing was saved."


def allowed(identity: Identity | None, permission: str, committee: str | None = None) -> bool:
    """True when `identity` holds `permission` (for `committee`, when the permission is committee-bound).

    A committee-bound permission asked without a committee is true only for a city-wide grant."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    if identity is None or not identity.email:
        return False
    for g in identity.grants:
        if g.role not in PERMISSIONS[permission]:
            continue
        if permission not in COMMITTEE_PERMISSIONS or g.committee is None:
            return True
        if committee is not None and g.committee == committee:
            return True
    return False


def check(identity: Identity | None, permission: str, committee: str | None = None) -> None:
    """Raise PermissionDenied unless `allowed(identity, permission, committee)`."""
    if not allowed(identity, permission, committee):
        raise PermissionDenied(identity, permission, committee)


def scope(identity: Identity | None, permission: str) -> frozenset[str] | None:
    """Committees `identity` may use `permission` for: None = all (city-wide), an empty set = none."""
    if identity is None or permission not in PERMISSIONS:
        return frozenset()
    if permission not in COMMITTEE_PERMISSIONS:
        return None if allowed(identity, permission) else frozenset()
    found: set[str] = set()
    for g in identity.grants:
        if g.role in PERMISSIONS[permission]:
            if g.committee is None:
                return None
            found.add(g.committee)
    return frozenset(found)


def drilldown_scope(identity: Identity | None) -> frozenset[str] | None:
    """Committees whose records `identity` may drill down to: None (all) when the installation does not
    restrict drill-down (settings.drilldown_restricted), else scope(identity, 'drilldown.read')."""
    from settings import drilldown_restricted

    if not drilldown_restricted():
        return None
    return scope(identity, "drilldown.read")
