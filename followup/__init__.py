"""The follow-up store: everything people write (docs/followup.md).

Council decisions, role grants, target changes — and, built on the same pattern, the follow-up
cycle's analyses and actions — live in one SQL database reached through SQLAlchemy: a SQLite file
(WAL) next to the warehouse by default, PostgreSQL by URL (`SCORECARD_FOLLOWUP_URL`) for
installations with several app replicas. The ETL never writes or replaces it.

Modules:
* `followup.store`    — engine from URL, Alembic migrations, the append-only versioned table
                        pattern (`Versioned`), `Store.append` / `current` / `history`.
* `followup.identity` — `Identity` (email, name, grants with committee scopes), roles,
                        permissions, `check()` / `allowed()` / `scope()`.
* `followup.roles`    — role grants (grant / revoke / list) and claims → identity.
* `followup.council`  — the development council's decisions.
* `followup.targets`  — target changes made by administrators.
* `followup.audit`    — who did what, when, over every versioned table.
* `python -m followup` — users grant|revoke|list, audit, migrate.

This package never imports etl/, metrics/, pipeline/ or ui/ (tests/test_layers.py); callers pass
in what they know from the warehouse (e.g. a project's status).
"""
