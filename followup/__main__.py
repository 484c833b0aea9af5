"""`python -m followup`: users grant|revoke|list, audit, migrate (docs/followup.md).

    python -m followup users grant anna.berg@stad.se chair --committee SKARHOLMEN
    python -m followup users grant group:it-analytiker analyst
    python -m followup users revoke anna.berg@stad.se chair --committee SKARHOLMEN --reason "Ny ordförande"
    python -m followup users list [EMAIL]
    python -m followup audit [--since 2026-11-01] [--until DATE] [--author TEXT] [--table NAME]
    python -m followup migrate

The command line is the operator's tool (whoever can run it can already reach the store): its writes
are recorded with the operating-system user and host as the author (source 'cli').
Exit codes: 0 done, 2 bad usage or refused.
"""
from __future__ import annotations

import argparse
import getpass
import socket
import sys
from datetime import date

from followup.identity import ROLES, Grant, Identity


def operator() -> Identity:
    user = getpass.getuser()
    return Identity(email=f"{user}@{socket.gethostname()}", name=f"{user} (kommandorad)",
                    grants=frozenset({Grant("admin")}), source="cli")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m followup", description="The follow-up store: users and audit log.")
    sub = p.add_subparsers(dest="cmd", required=True)
    users = sub.add_parser("users", help="role grants").add_subparsers(dest="users_cmd", required=True)
    for name in ("grant", "revoke"):
        c = users.add_parser(name)
        c.add_argument("principal", help="e-mail address or group:<name>")
        c.add_argument("role", choices=ROLES)
        c.add_argument("--committee", action="append", default=[], metavar="CODE",
                       help="committee code (repeatable); needed for reporter and chair, optional for analyst")
        if name == "revoke":
            c.add_argument("--reason", default=None)
    ls = users.add_parser("list")
    ls.add_argument("principal", nargs="?")
    au = sub.add_parser("audit", help="who did what, when")
    au.add_argument("--since", type=_date)
    au.add_argument("--until", type=_date)
    au.add_argument("--author")
    au.add_argument("--table")
    sub.add_parser("migrate", help="bring the store's schema to the newest version")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from followup import roles
    from followup.audit import audit
    from followup.store import StoreError, get_store, safe_url

    try:
        store = get_store()
        if args.cmd == "migrate":
            from followup.store import current_revision

            print(f"{safe_url(store.url)}: schema at revision {current_revision(store.engine)}")
            return 0
        if args.cmd == "audit":
            df = audit(store, since=args.since, until=args.until, author=args.author, table=args.table)
            if df.empty:
                print("No entries.")
                return 0
            for r in df.itertuples():
                reason = f" — {r.reason}" if isinstance(r.reason, str) and r.reason else ""
                print(f"{r.recorded_at:%Y-%m-%d %H:%M:%S} UTC  {r.author} ({r.author_source})  {r.change} "
                      f"{r.table} #{r.entity_id} v{r.version}: {r.what}{reason}")
            return 0
        if args.users_cmd == "list":
            df = roles.grants(store, args.principal)
            if df.empty:
                print("No grants (every logged-in user is a reader).")
            for r in df.itertuples():
                scope = r.committee_code if isinstance(r.committee_code, str) else "—"
                print(f"{r.principal:40} {r.role:10} {scope:14} granted by {r.author} {r.recorded_at:%Y-%m-%d %H:%M}")
            return 0
        if args.users_cmd == "grant":
            written = roles.grant(operator(), args.principal, args.role, args.committee, store=store)
            print(f"Granted {len(written)} (already held: {max(len(args.committee), 1) - len(written)}).")
            return 0
        if args.users_cmd == "revoke":
            written = roles.revoke(operator(), args.principal, args.role, args.committee, reason=args.reason,
                                   store=store)
            print(f"Revoked {len(written)}.")
            return 0
    except (roles.GrantError, PermissionError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except StoreError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 2


if __name__ == "__main__":
    sys.exit(main())
