"""Roles and permissions (followup.identity, followup.roles), the command line and the audit log —
store tests on both backends."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from followup import audit, roles
from followup.__main__ import main
from followup.identity import (COMMITTEE_PERMISSIONS, PERMISSIONS, ROLES, Grant, Identity, PermissionDenied,
                               allowed, check, scope)
from conftest_helpers import ADMIN, READER, REPORTER_A

COMMITTEES = ["SKARHOLMEN", "FARSTA", "BROMMA", "KS"]
grants_st = st.frozensets(st.builds(Grant, st.sampled_from(ROLES), st.one_of(st.none(), st.sampled_from(COMMITTEES))),
                          max_size=6)


@hsettings(max_examples=300, deadline=None)
@given(grants=grants_st, permission=st.sampled_from(sorted(PERMISSIONS)), committee=st.sampled_from(COMMITTEES))
def test_allowed_scope_and_check_agree_for_all_grants(grants, permission, committee):
    ident = Identity("x@stad.se", "X", grants)
    ok = allowed(ident, permission, committee)
    # the rule: some grant of a role holding the permission, for this committee or not committee-bound
    expected = any(g.role in PERMISSIONS[permission] and
                   (permission not in COMMITTEE_PERMISSIONS or g.committee in (None, committee))
                   for g in ident.grants)
    assert ok == expected
    sc = scope(ident, permission)
    assert ok == (sc is None or committee in sc)
    if ok:
        check(ident, permission, committee)
    else:
        with pytest.raises(PermissionDenied):
            check(ident, permission, committee)
    # everyone logged in reads; nobody without an e-mail does anything
    assert allowed(ident, "scorecard.read")
    assert not allowed(Identity("", "", grants), permission, committee)


def test_reader_is_default_and_scopes():
    assert READER.roles == {"reader"}
    assert REPORTER_A.committees("reporter") == frozenset({"SKARHOLMEN"})
    assert scope(REPORTER_A, "committee.report") == frozenset({"SKARHOLMEN"})
    assert scope(READER, "committee.report") == frozenset()
    assert scope(ADMIN, "targets.change") is None and scope(READER, "targets.change") == frozenset()


def test_grant_revoke_and_identity_by_email_and_group(store):
    assert roles.grant(ADMIN, "Anna.Berg@stad.se", "chair", ["SKARHOLMEN", "FARSTA"], store=store)
    assert roles.grant(ADMIN, "anna.berg@stad.se", "chair", ["SKARHOLMEN"], store=store) == []   # held already
    roles.grant(ADMIN, "group:it-analytiker", "analyst", [], store=store)
    ident = roles.identity_for("ANNA.BERG@stad.se", "Anna", ["it-analytiker", "alla"], store=store)
    assert ident.email == "anna.berg@stad.se"
    assert ident.grants == {Grant("reader"), Grant("chair", "SKARHOLMEN"), Grant("chair", "FARSTA"), Grant("analyst")}
    assert roles.identity_for("other@stad.se", store=store).grants == {Grant("reader")}
    roles.revoke(ADMIN, "anna.berg@stad.se", "chair", ["FARSTA"], reason="Bytt nämnd", store=store)
    assert roles.identity_for("anna.berg@stad.se", store=store).committees("chair") == frozenset({"SKARHOLMEN"})
    with pytest.raises(roles.GrantError) as err:
        roles.revoke(ADMIN, "anna.berg@stad.se", "chair", ["FARSTA"], store=store)
    assert err.value.code == "nothing_to_revoke"
    # a revoked grant can be granted again: a new entity, the history keeps all
    roles.grant(ADMIN, "anna.berg@stad.se", "chair", ["FARSTA"], store=store)
    hist = store.history(roles.RoleGrant).sort_values("row_id")
    assert list(hist.change) == ["create", "create", "create", "withdraw", "create"]
    assert list(hist.entity_id) == [1, 2, 3, 1, 4]


@pytest.mark.parametrize("principal, role, committees, code", [
    ("not an email", "admin", [], "bad_principal"),
    ("group:", "admin", [], "bad_principal"),
    ("a@stad.se", "emperor", [], "unknown_role"),
    ("a@stad.se", "reporter", [], "committee_needed"),
    ("a@stad.se", "admin", ["KS"], "no_committee"),
])
def test_bad_grants_are_refused(tmp_path, principal, role, committees, code):
    from followup.store import Store

    store = Store(f"sqlite:///{tmp_path / 's.sqlite'}")
    with pytest.raises(roles.GrantError) as err:
        roles.grant(ADMIN, principal, role, committees, store=store)
    assert err.value.code == code
    assert store.count(roles.RoleGrant) == 0


def test_only_an_admin_grants(store):
    with pytest.raises(PermissionDenied):
        roles.grant(REPORTER_A, "x@stad.se", "admin", store=store)
    assert roles.grants(store).empty


def test_cli_users_and_audit(store_url, monkeypatch, capsys):
    from followup.store import reset_stores

    monkeypatch.setenv("SCORECARD_FOLLOWUP_URL", store_url)
    reset_stores()
    assert main(["users", "grant", "Anna.Berg@stad.se", "chair", "--committee", "SKARHOLMEN"]) == 0
    assert main(["users", "grant", "group:it-analytiker", "analyst"]) == 0
    assert main(["users", "grant", "x@stad.se", "reporter"]) == 2
    assert "reporter is granted for one or more committees" in capsys.readouterr().err
    assert main(["users", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[:3] for line in out] == [["anna.berg@stad.se", "chair", "SKARHOLMEN"],
                                                  ["group:it-analytiker", "analyst", "—"]]
    assert main(["users", "revoke", "anna.berg@stad.se", "chair", "--reason", "Ny ordförande"]) == 0
    assert main(["users", "list", "anna.berg@stad.se"]) == 0
    assert "No grants" in capsys.readouterr().out
    assert main(["audit", "--since", date.today().isoformat()]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert "withdraw role_grants #1 v2: principal=anna.berg@stad.se, role=chair, committee_code=SKARHOLMEN — Ny ordförande" in lines[0]
    assert all("(cli)" in line for line in lines)
    assert main(["audit", "--since", (date.today() + timedelta(days=1)).isoformat()]) == 0
    assert capsys.readouterr().out.strip() == "No entries."
    assert main(["migrate"]) == 0
    assert "schema at revision 0003_project_stages" in capsys.readouterr().out  # head: 0001 → 0002_cycle → 0003_project_stages
    reset_stores()


def test_audit_filters(store):
    from followup.models import CouncilDecision

    t0 = datetime(2026, 11, 1, 9, 0)
    roles.grant(ADMIN, "a@stad.se", "secretary", store=store)
    sec = Identity("a@stad.se", "Sekr", frozenset({Grant("secretary")}))
    store.append(CouncilDecision, sec, {"project_id": "P1", "decision": "stop", "decision_date": t0.date(),
                                        "rationale": "x"}, permission="council.record", now=t0)
    log = audit.audit(store)
    assert list(log.table) == ["role_grants", "council_decisions"]   # newest first (the grant is now)
    assert list(audit.audit(store, author="SEKR").table) == ["council_decisions"]
    assert list(audit.audit(store, since=date(2026, 11, 2)).table) == ["role_grants"]
    assert list(audit.audit(store, until=date(2026, 11, 1)).table) == ["council_decisions"]
    assert list(audit.audit(store, table="role_grants").what) == ["principal=a@stad.se, role=secretary"]


def test_every_store_table_has_a_name_on_the_audit_page():
    """The audit page names each kind of write; a table added to the store without a name would fail
    the page in strict translation mode."""
    import followup.models  # noqa: F401
    from followup.store import Base
    from ui.i18n import translation_table

    table = translation_table()
    missing = [n for n in Base.metadata.tables if f"audit.table.{n}" not in table]
    assert missing == []
