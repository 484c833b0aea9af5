"""`python -m reports`: the committee and city reports, the ILS export and the alerts.

    python -m reports committee SKARHOLMEN --period 2026-T2 --format pdf --out skarholmen.pdf
    python -m reports committee --all --period 2026-T2 --format pdf --out rapporter/   (a progress bar)
    python -m reports city --period 2026-T2 --out stadens_rapport.pdf
    python -m reports ils --period 2026-T2 --out ils_2026-T2.csv        (or .xlsx)
    python -m reports alerts [--format text|csv] [--committee CODE] [--out FILE]

Swedish by default, --lang en for English. The period defaults to the latest complete tertial. A
closed period is rendered from its close snapshot (--live: today's figures instead); a period not
yet closed is marked preliminary. Exit codes: 0 written, 2 bad usage or nothing to write.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m reports", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("committee", help="one committee's tertial report (or --all)")
    c.add_argument("code", nargs="?", help="committee code, e.g. SKARHOLMEN")
    c.add_argument("--all", action="store_true", help="every committee; --out is a directory")
    c.add_argument("--format", choices=("pdf", "docx", "xlsx"), default="pdf")
    c.add_argument("--workers", type=int, default=None, help="processes for --all (default: the cores)")
    ci = sub.add_parser("city", help="the city's report: the overview and every committee's summary (PDF)")
    il = sub.add_parser("ils", help="indicator values for the ILS import (CSV or XLSX by --out's suffix)")
    il.add_argument("--mapping", default=None, help="mapping file (default: settings.ils_mapping_path())")
    al = sub.add_parser("alerts", help="measures that turned red since the previous publish")
    al.add_argument("--format", choices=("text", "csv"), default="text")
    al.add_argument("--committee", default=None)
    for s in (c, ci, il):
        s.add_argument("--period", default=None, help="tertial, e.g. 2026-T2 (default: the latest complete)")
        s.add_argument("--out", required=True)
    for s in (c, ci):
        s.add_argument("--live", action="store_true", help="a closed period with today's figures, not its snapshot")
    for s in (c, ci, al):
        s.add_argument("--lang", choices=("sv", "en"), default="sv")
    al.add_argument("--out", default=None, help="file (default: standard output)")
    return p


def _store():
    """The follow-up store, or None when it was never created (no analyses, no closes yet)."""
    from followup.store import get_store
    from followup.targets import store_exists
    from settings import followup_store_url

    url = followup_store_url()
    return get_store(url) if store_exists(url) else None


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from metrics import query
    from metrics.warehouse import Warehouse, WarehouseMissing

    wh = Warehouse()
    if not wh.available:
        print(f"error: no warehouse at {wh.path} (run `python -m etl demo` or load data first)", file=sys.stderr)
        return 2
    if args.cmd == "alerts":
        from reports import alerts

        df = alerts.alerts(wh, args.committee)
        text = alerts.to_csv(df, args.lang) if args.format == "csv" else alerts.to_text(df, args.lang)
        if args.out:
            Path(args.out).write_text(text, encoding="utf-8-sig" if args.format == "csv" else "utf-8")
        else:
            sys.stdout.write(text)
        return 0
    wh = wh.pin()  # one published version for the whole run, even if a load publishes meanwhile
    period = args.period or query.latest_complete_period(wh, "tertial")
    try:
        return _run(args, wh, period)
    except (ValueError, WarehouseMissing) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def _run(args, wh, period: str) -> int:
    from followup import cycle as C
    from reports import cycle, model, render

    store = _store()
    closed = store is not None and C.is_closed(period, store)
    if args.cmd == "committee":
        ctx = model.WarehouseContext(wh, period)
        if args.all:
            from tqdm import tqdm

            out_dir = Path(args.out)
            bar = tqdm(total=len(ctx.codes()), unit="nämnd", desc=f"{args.format} {period}", file=sys.stderr)
            written = render.render_all(ctx.codes(), period, args.format, args.lang, out_dir, wh.path,
                                        store.url if store else None, args.live, args.workers,
                                        progress=lambda _code: bar.update())
            bar.close()
            print(f"{len(written)} reports written to {out_dir}")
            return 0
        if not args.code:
            print("error: give a committee code or --all", file=sys.stderr)
            return 2
        if args.code not in ctx.committees.index:
            print(f"error: unknown committee {args.code!r}; committees are {', '.join(ctx.codes())}", file=sys.stderr)
            return 2
        report = (cycle.report(wh, args.code, period, store, live=args.live, ctx=ctx) if store is not None
                  else model.committee_report(wh, args.code, period, ctx=ctx))
        Path(args.out).write_bytes(render.render(report, args.format, args.lang))
        state = "closed (snapshot)" if closed and not args.live else "preliminary"
        print(f"{args.out}: {args.code} {period}, {state}, data version {report['data_version']}")
        return 0
    if args.cmd == "city":
        from reports.pdf import city_pdf

        ctx = model.WarehouseContext(wh, period)
        reports = [(cycle.report(wh, code, period, store, live=args.live, ctx=ctx) if store is not None
                    else model.committee_report(wh, code, period, ctx=ctx)) for code in ctx.codes()]
        city = {"period": period, "data_version": reports[0]["data_version"] if reports else ctx.version,
                "overview": model.city_summary(wh, period), "committees": reports}
        if closed and not args.live:
            city["overview"] = overview_from_snapshots(reports)
        Path(args.out).write_bytes(city_pdf(city, args.lang))
        print(f"{args.out}: city report {period}, {len(reports)} committees")
        return 0
    if args.cmd == "ils":
        from reports import ils

        mapping = ils.load_mapping(args.mapping)
        snapshots = None
        if closed:
            snapshots = {code: C.snapshot(code, period, store) for code in query_codes(wh)}
            snapshots = {k: v for k, v in snapshots.items() if v is not None}
        rows = ils.rows(wh, period, mapping, snapshots)
        out = Path(args.out)
        out.write_bytes(ils.to_xlsx(rows) if out.suffix.lower() == ".xlsx" else ils.to_csv(rows))
        print(f"{out}: {len(rows)} rows, {period}, {'closed' if closed else 'PRELIMINARY (period not closed)'}")
        return 0
    return 2


def query_codes(wh) -> list[str]:
    from metrics import query
    return query.committees(wh)["committee_code"].tolist()


def overview_from_snapshots(reports: list[dict]) -> list[dict]:
    """The city overview of a closed period, from the committees' snapshots (not today's figures)."""
    rows = []
    for r in reports:
        code = r["committee"]["code"]
        row = {"committee_code": code, "name_sv": r["committee"]["name_sv"], "name_en": r["committee"]["name_en"],
               "peer_group": r["committee"]["peer_group"], "overall_score": (r["overall"] or {}).get("score"),
               "overall_status": (r["overall"] or {}).get("status"),
               "n_red_measures": sum(1 for m in r["measures"] if m["status"] == "red")}
        for ps in r["perspectives"]:
            row[f"score_{ps['perspective']}"] = ps.get("score")
            row[f"status_{ps['perspective']}"] = ps.get("status")
        rows.append(row)
    return sorted(rows, key=lambda x: (x["peer_group"], x["name_sv"]))


if __name__ == "__main__":
    sys.exit(main())
