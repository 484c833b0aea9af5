"""Opening the follow-up store without Alembic when it is already at head (issue 16, the cold start):
the head revision read from the migration scripts' headers is Alembic's own head; a store at head is opened
without importing Alembic; a store below head (an older installation) and a new store are still migrated —
on SQLite and on PostgreSQL (conftest.store_url)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st
from sqlalchemy import inspect, text

from conftest_helpers import ADMIN, READER

ROOT = Path(__file__).resolve().parents[2]


def alembic_heads(migrations: Path) -> list[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations))
    return list(ScriptDirectory.from_config(cfg).get_heads())


def test_head_revision_is_alembics_own_head():
    """Fails when a migration is added that the header reader does not see as Alembic does."""
    from followup.store import MIGRATIONS, head_revision

    head_revision.cache_clear()
    assert alembic_heads(MIGRATIONS) == [head_revision()] == ["0003_project_stages"]


def _write_scripts(root: Path, chain: list[tuple[str, str]]) -> Path:
    """Migration scripts in Alembic's layout: (file stem, header lines) each."""
    versions = root / "versions"
    versions.mkdir(parents=True)
    for stem, header in chain:
        (versions / f"{stem}.py").write_text(f'"""A migration.\n\nRevision ID: x\nRevises: y\n"""\n{header}\n'
                                             "branch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n"
                                             "    pass\n\n\ndef downgrade():\n    pass\n", encoding="utf-8")
    return root


def test_head_revision_reads_plain_and_annotated_headers_and_gives_up_on_branches(tmp_path):
    from followup.store import head_revision

    plain = _write_scripts(tmp_path / "plain", [
        ("b", 'revision = "b2"\ndown_revision = "a1"'),
        ("a", 'revision = "a1"\ndown_revision = None'),
        ("c", "revision = 'c3'\ndown_revision = 'b2'")])
    assert head_revision(plain) == "c3" and alembic_heads(plain) == ["c3"]
    # Alembic's newer script template annotates the names
    annotated = _write_scripts(tmp_path / "annotated", [
        ("a", 'revision: str = "a1"\ndown_revision: Union[str, None] = None'),
        ("b", 'revision: str = "b2"\ndown_revision: Union[str, None] = "a1"')])
    assert head_revision(annotated) == "b2"
    # two heads (a branch): not one plain head, so Alembic decides
    branch = _write_scripts(tmp_path / "branch", [
        ("a", 'revision = "a1"\ndown_revision = None'),
        ("b", 'revision = "b2"\ndown_revision = "a1"'),
        ("c", 'revision = "c3"\ndown_revision = "a1"')])
    assert head_revision(branch) is None and sorted(alembic_heads(branch)) == ["b2", "c3"]
    # a merge revision (a tuple of parents)
    merge = _write_scripts(tmp_path / "merge", [
        ("a", 'revision = "a1"\ndown_revision = None'),
        ("b", 'revision = "b2"\ndown_revision = "a1"'),
        ("c", 'revision = "c3"\ndown_revision = "a1"'),
        ("d", 'revision = "d4"\ndown_revision = ("b2", "c3")')])
    assert head_revision(merge) is None and alembic_heads(merge) == ["d4"]
    # a parent that no script defines, a script without a revision line
    assert head_revision(_write_scripts(tmp_path / "orphan", [("b", 'revision = "b2"\ndown_revision = "a1"')])) is None
    assert head_revision(_write_scripts(tmp_path / "none", [("a", 'down_revision = None')])) is None


@settings(max_examples=25, deadline=None)
@given(ids=st.lists(st.from_regex(r"[0-9a-f]{12}", fullmatch=True), min_size=1, max_size=8, unique=True),
       order=st.randoms(use_true_random=False))
def test_head_revision_of_any_linear_chain_is_its_last_revision(tmp_path_factory, ids, order):
    """Whatever the file names and their order on disk, a linear chain's head is its last revision —
    and Alembic agrees."""
    from followup.store import head_revision

    chain = [(f"{i:03d}_{rid}", f'revision = "{rid}"\ndown_revision = {json.dumps(ids[i - 1]) if i else "None"}')
             for i, rid in enumerate(ids)]
    names = [f"m{n}" for n in range(len(chain))]
    order.shuffle(names)  # file names that do not follow the chain
    root = _write_scripts(tmp_path_factory.mktemp("chain"), [(n, h) for n, (_, h) in zip(names, chain)])
    assert head_revision(root) == ids[-1]
    assert alembic_heads(root) == [ids[-1]]


def _open_in_a_fresh_process(url: str) -> dict:
    """Open the store as the app's warm-up does, in a new interpreter (nothing imported yet)."""
    code = ("import json, sys\n"
            "from followup.store import get_store\n"
            "from followup.roles import identity_for\n"
            f"store = get_store({url!r})\n"
            "ident = identity_for('lasare@stad.se', store=store)\n"
            "print(json.dumps({'alembic': sorted(m for m in sys.modules if m == 'alembic' or m.startswith('alembic.')),\n"
            "                  'grants': sorted([g.role, g.committee] for g in ident.grants)}))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_store_at_head_is_opened_without_importing_alembic(store):
    from followup.roles import grant
    from followup.store import current_revision

    grant(ADMIN, READER.email, "analyst", ["SKARHOLMEN"], store=store)
    opened = _open_in_a_fresh_process(store.url)
    assert opened == {"alembic": [], "grants": [["analyst", "SKARHOLMEN"], ["reader", None]]}
    assert current_revision(store.engine) == "0003_project_stages"


def test_a_store_below_head_is_still_migrated_and_keeps_its_rows(store_url):
    """An installation from before the project stages (0002_cycle): opening it migrates it to head."""
    from followup.models import RoleGrant
    from followup.store import Store, at_head, current_revision, make_engine, stored_revisions, upgrade

    engine = make_engine(store_url)
    upgrade(engine, "0002_cycle")
    assert stored_revisions(engine) == {"0002_cycle"} and not at_head(engine)
    assert "project_stages" not in inspect(engine).get_table_names()
    with engine.begin() as con:  # a grant written by the older version
        con.execute(text("INSERT INTO role_grants (entity_id, version, change, author, author_name, author_source, "
                         "recorded_at, principal, role) VALUES (1, 1, 'create', 'admin@stad.se', 'Admin', 'cli', "
                         "'2026-01-05 10:00:00', 'lasare@stad.se', 'secretary')"))
    engine.dispose()
    opened = _open_in_a_fresh_process(store_url)  # the app's open: migrates (and so needs Alembic)
    assert opened["grants"] == [["reader", None], ["secretary", None]] and "alembic" in opened["alembic"]
    s = Store(store_url)
    try:
        assert current_revision(s.engine) == "0003_project_stages" and at_head(s.engine)
        assert "project_stages" in inspect(s.engine).get_table_names()
        assert list(s.current(RoleGrant).principal) == ["lasare@stad.se"]
    finally:
        s.dispose()


def test_a_new_store_is_created_at_head(store_url):
    from followup.store import Store, current_revision, make_engine, stored_revisions

    engine = make_engine(store_url)
    assert stored_revisions(engine) is None  # no alembic_version table yet
    engine.dispose()
    s = Store(store_url)
    try:
        assert stored_revisions(s.engine) == {"0003_project_stages"}
        assert current_revision(s.engine) == "0003_project_stages"
        assert {"role_grants", "project_stages", "cycle_analyses"} <= set(inspect(s.engine).get_table_names())
    finally:
        s.dispose()


@pytest.mark.parametrize("found", [None, "0001"])
def test_at_head_is_false_for_a_new_or_older_store(tmp_path, found):
    from followup.store import at_head, make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 's.sqlite'}")
    if found:
        upgrade(engine, found)
    assert at_head(engine) is False
    engine.dispose()
