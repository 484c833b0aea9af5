"""The follow-up cycle's rules in the store: reporters write analyses and actions for their own
committee, a report with a red measure unexplained cannot be submitted, the chair approves or returns,
a reporter of another committee can do none of it; every write keeps its author and its history."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given, settings, strategies as st

from followup import cycle as C
from followup.identity import PermissionDenied
from reports import cycle as RC


def test_reporter_analyses_submit_blocked_until_every_red_measure_is_explained_then_chair_approves(
        any_store, people, demo_wh, period, red_committee):
    code, red = red_committee
    anna = people("anna@stad.se", "Anna Rapportör", ("reporter", code))
    cecilia = people("cecilia@stad.se", "Cecilia Ordförande", ("chair", code))
    assert C.state(code, period, any_store) == "not_started"

    C.write_analysis(anna, code, period, "measure", red[0], "Orsaken är en ny mätmetod.", "at_risk", store=any_store)
    assert C.state(code, period, any_store) == "draft"
    with pytest.raises(C.CycleError) as refused:
        RC.submit(anna, demo_wh, code, period, any_store)
    assert refused.value.code == "unexplained"
    assert refused.value.measures == red[1:]  # exactly the red measures still without analysis
    assert C.state(code, period, any_store) == "draft"  # nothing written

    for m in red[1:]:
        C.write_analysis(anna, code, period, "measure", m, f"Analys av {m}: åtgärder pågår.", "off_track", store=any_store)
    step = RC.submit(anna, demo_wh, code, period, any_store)
    assert step["author"] == "anna@stad.se" and step["author_name"] == "Anna Rapportör"
    assert C.state(code, period, any_store) == "submitted"

    # a submitted report is locked for the reporters
    with pytest.raises(C.CycleError) as locked:
        C.write_analysis(anna, code, period, "measure", red[0], "Ändrad text", store=any_store)
    assert locked.value.code == "locked"
    # a reporter cannot approve
    with pytest.raises(PermissionDenied):
        C.approve(anna, code, period, store=any_store)

    C.approve(cecilia, code, period, store=any_store)
    wf = C.workflow(code, period, any_store)
    assert wf["state"] == "approved"
    assert wf["approved_by"] == "Cecilia Ordförande"
    assert [s["state"] for s in wf["steps"]] == ["submitted", "approved"]
    assert [s["actor_email"] for s in wf["steps"]] == ["anna@stad.se", "cecilia@stad.se"]

    # the report data carries it all
    report = RC.live_report(demo_wh, code, period, any_store)
    texts = {a["subject_id"]: a["text"] for a in report["cycle"]["analyses"]}
    assert set(texts) == set(red) and texts[red[0]] == "Orsaken är en ny mätmetod."
    assert report["cycle"]["workflow"]["approved_by"] == "Cecilia Ordförande"


def test_a_reporter_of_another_committee_can_do_none_of_it(store, people, demo_wh, period, red_committee):
    code, red = red_committee
    other = "BROMMA" if code != "BROMMA" else "FARSTA"
    bertil = people("bertil@stad.se", "Bertil", ("reporter", other), ("chair", other))
    anna = people("anna@stad.se", "Anna", ("reporter", code))
    for m in red:
        C.write_analysis(anna, code, period, "measure", m, "Förklaring.", store=store)
    attempts = [
        lambda: C.write_analysis(bertil, code, period, "measure", red[0], "Intrång", store=store),
        lambda: C.write_analysis(bertil, code, period, "committee", code, "Intrång", store=store),
        lambda: C.add_action(bertil, code, period, "Intrång", "Bertil", store=store),
        lambda: RC.submit(bertil, demo_wh, code, period, store),
        lambda: C.approve(bertil, code, period, store=store),
        lambda: C.return_report(bertil, code, period, "nej", store=store),
        lambda: C.set_deadline(bertil, period, date(2026, 9, 15), store=store),
        lambda: RC.close(bertil, demo_wh, period, store),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert store.count(C.CycleAnalysis) == len(red)  # only Anna's
    assert store.count(C.CycleAction) == 0
    assert store.count(C.CycleStep) == 0
    assert C.state(code, period, store) == "draft"
    # Bertil may of course report for his own committee
    C.write_analysis(bertil, other, period, "committee", other, "Egen nämnd.", store=store)
    assert C.analyses(other, period, store)[0]["author"] == "Bertil"


def test_return_with_a_comment_reopens_for_the_reporters(store, people, demo_wh, period, red_committee):
    code, red = red_committee
    anna = people("anna@stad.se", "Anna", ("reporter", code))
    chair = people("c@stad.se", "Ordförande", ("chair", code))
    for m in red:
        C.write_analysis(anna, code, period, "measure", m, "Första text.", store=store)
    RC.submit(anna, demo_wh, code, period, store)
    with pytest.raises(C.CycleError):
        C.return_report(chair, code, period, "   ", store=store)  # a return needs its comment
    C.return_report(chair, code, period, "Utveckla analysen av tillgängligheten.", store=store)
    assert C.state(code, period, store) == "returned"
    assert C.steps(code, period, store)[-1]["comment"] == "Utveckla analysen av tillgängligheten."
    C.write_analysis(anna, code, period, "measure", red[0], "Andra text.", "on_track", store=store)
    # history: the edit is a new version of the same analysis, both kept with their author
    hist = C.analysis_history(code, period, "measure", red[0], store)
    assert hist["text"].tolist() == ["Första text.", "Andra text."]
    assert hist["version"].tolist() == [1, 2]
    assert set(hist["author"]) == {"anna@stad.se"}
    RC.submit(anna, demo_wh, code, period, store)
    C.approve(chair, code, period, store=store)
    assert [s["state"] for s in C.steps(code, period, store)] == ["submitted", "returned", "submitted", "approved"]


def test_actions_carry_over_until_done(any_store, people):
    code = "SKARHOLMEN"
    anna = people("anna@stad.se", "Anna", ("reporter", code))
    a = C.add_action(anna, code, "2026-T1", "Digitalisera bygglovsansökan", "Karin K", "2026-12-31", "E3", "in_progress",
                     store=any_store)
    b = C.add_action(anna, code, "2026-T1", "Utbilda handläggare", "Lars L", None, None, store=any_store)
    assert [x["what"] for x in C.actions(code, "2025-T3", any_store)] == []  # not before it was decided
    assert {x["entity_id"] for x in C.actions(code, "2026-T1", any_store)} == {a["entity_id"], b["entity_id"]}
    assert {x["entity_id"] for x in C.actions(code, "2026-T2", any_store)} == {a["entity_id"], b["entity_id"]}
    C.update_action(anna, b["entity_id"], "2026-T2", status="done", store=any_store)
    t2 = {x["entity_id"]: x for x in C.actions(code, "2026-T2", any_store)}
    assert t2[b["entity_id"]]["status"] == "done"  # shown done in the period it was done
    assert [x["entity_id"] for x in C.actions(code, "2026-T3", any_store)] == [a["entity_id"]]  # and no later
    # the earlier period still shows it as it was then
    assert {x["entity_id"]: x["status"] for x in C.actions(code, "2026-T1", any_store)}[b["entity_id"]] == "planned"
    carried = C.actions(code, "2027-T1", any_store)[0]
    assert (carried["what"], carried["responsible"], carried["due_date"], carried["period_created"]) == \
        ("Digitalisera bygglovsansökan", "Karin K", "2026-12-31", "2026-T1")


def test_deadline_and_who_has_not_reported(store, people):
    admin = people("admin@stad.se", "Admin", ("admin", None))
    anna = people("anna@stad.se", "Anna", ("reporter", "FARSTA"))
    chair = people("c@stad.se", "C", ("chair", "FARSTA"))
    C.set_deadline(admin, "2026-T2", date(2026, 9, 15), store=store)
    C.set_deadline(admin, "2026-T2", "2026-09-20", store=store)  # a change is a new version
    assert C.deadline("2026-T2", store) == date(2026, 9, 20)
    C.write_analysis(anna, "FARSTA", "2026-T2", "committee", "FARSTA", "Allt väl.", store=store)
    C.submit(anna, "FARSTA", "2026-T2", [], store=store)
    C.approve(chair, "FARSTA", "2026-T2", store=store)
    C.write_analysis(people("b@stad.se", "B", ("reporter", "BROMMA")), "BROMMA", "2026-T2", "committee", "BROMMA", "Utkast.",
                     store=store)
    df = C.reporting_status("2026-T2", ["BROMMA", "FARSTA", "ALVSJO"], store).set_index("committee_code")
    assert df["state"].to_dict() == {"BROMMA": "draft", "FARSTA": "approved", "ALVSJO": "not_started"}
    assert df.loc["FARSTA", "approved_by"] == "C" and df.loc["FARSTA", "submitted_by"] == "Anna"
    assert df["overdue"].to_dict() == {"BROMMA": date.today() > date(2026, 9, 20), "FARSTA": False,
                                       "ALVSJO": date.today() > date(2026, 9, 20)}


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory):
    from followup.store import Store

    s = Store(f"sqlite:///{tmp_path_factory.mktemp('hyp') / 'f.sqlite'}")
    yield s
    s.dispose()


_example = iter(range(10**6))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["2026-T1", "2026-T2", "2026-T3", "2027-T1"]),
                          st.sampled_from(["planned", "in_progress", "done"])), min_size=1, max_size=5))
def test_an_action_shows_in_a_period_exactly_until_the_period_it_was_done(shared_store, updates):
    """For any sequence of status changes: an action created in 2026-T1 is listed in period P iff its
    latest version written in or before P is not 'done', or was written in P itself."""
    from followup.identity import Grant, Identity

    code = f"C{next(_example)}"  # one committee per example: the examples share a store
    anna = Identity(email="anna@stad.se", name="Anna", grants=frozenset({Grant("reporter", code)}), source="demo")
    updates = sorted(updates)  # written in period order, as time goes
    a = C.add_action(anna, code, "2026-T1", "Åtgärd", "Anna", store=shared_store)
    for when, status in updates:
        C.update_action(anna, a["entity_id"], when, status=status, store=shared_store)
    for p in ["2026-T1", "2026-T2", "2026-T3", "2027-T1", "2027-T2"]:
        written = [("2026-T1", "planned")] + [u for u in updates if u[0] <= p]
        last_period, last_status = written[-1]
        expected = last_status != "done" or last_period == p
        assert (len(C.actions(code, p, shared_store)) == 1) == expected, (p, updates)


def test_close_freezes_and_refuses_later_writes(any_store, people, demo_wh, period, red_committee):
    code, red = red_committee
    admin = people("admin@stad.se", "Admin Adminsson", ("admin", None))
    anna = people("anna@stad.se", "Anna", ("reporter", code))
    C.write_analysis(anna, code, period, "measure", red[0], "Före stängning.", store=any_store)
    with pytest.raises(PermissionDenied):
        RC.close(anna, demo_wh, period, any_store)
    row = RC.close(admin, demo_wh, period, any_store)
    assert row["data_version"] == demo_wh.meta()["version"]
    assert C.is_closed(period, any_store)
    with pytest.raises(C.CycleError) as closed:
        C.write_analysis(anna, code, period, "measure", red[0], "Efter stängning.", store=any_store)
    assert closed.value.code == "closed"
    with pytest.raises(C.CycleError):
        RC.close(admin, demo_wh, period, any_store)
    frozen = C.snapshot(code, period, any_store)
    assert frozen["cycle"]["closed"]["closed_by"] == "Admin Adminsson"
    assert [a["text"] for a in frozen["cycle"]["analyses"]] == ["Före stängning."]
    live = RC.live_report(demo_wh, code, period, any_store)
    assert [m["value"] for m in frozen["measures"]] == [m["value"] for m in live["measures"]]
    assert RC.changes_since_close(frozen, live) == []
    # a later period is still open
    assert C.snapshot(code, "2099-T1", any_store) is None
    assert isinstance(datetime.fromisoformat(frozen["cycle"]["closed"]["closed_at"]), datetime)
