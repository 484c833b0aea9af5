"""Plain-text results table."""
from __future__ import annotations


def _n(v, fmt="{:,.0f}") -> str:
    if v is None:
        return "-"
    return fmt.format(v).replace(",", " ")


def _s(v) -> str:
    if v is None:
        return "-"
    return f"{v:.3f}" if v < 10 else f"{v:.1f}"


def _x(v) -> str:
    return "-" if v is None else f"{v:.2f}x"


def _ms(v) -> str:
    return "-" if v is None else (f"{v:.1f}" if v < 100 else f"{v:.0f}")


def table(result: dict) -> str:
    m = result["machine"]
    lines = [f"Machine: {m.get('cpu', '?')}, {m.get('cores')} cores, {m.get('ram_gb')} GB RAM; "
             f"Python {m.get('python')}, duckdb {m.get('duckdb')}, pandas {m.get('pandas')}, "
             f"great_expectations {m.get('great_expectations', '?')}",
             f"Started {result.get('started_at')}, finished {result.get('finished_at')}; "
             f"seed {result['config']['seed']}, end_month {result['config']['end_month'] or 'default'}"]
    for run in result["runs"]:
        sc = run["scale"]
        lines += ["", f"=== scale {sc:g}x  (wall {_s(run.get('wall_seconds'))} s, generate "
                      f"{_s((run.get('generate') or {}).get('seconds'))} s"
                      f"{' (files reused)' if (run.get('generate') or {}).get('reused') else ''}, warehouse "
                      f"{_n((run.get('warehouse_bytes') or 0) / 1e6, '{:,.1f}')} MB)"]
        if run.get("merged_from"):
            src = run["merged_from"]
            lines.append(f"(this scale from {src['file']}, commit {src.get('commit') or '?'}, "
                         f"started {run.get('started_at')})")
        if run.get("naive_skipped"):
            lines.append(f"(naive pipeline not run: {run['naive_skipped']})")
        rows = run.get("rows") or {}
        if rows:
            lines.append("Rows per source file: " + ", ".join(f"{s} {_n(n)}" for s, n in rows.items()))
        er = run.get("etl_ratios") or {}
        if er:
            lines.append("")
            lines.append(f"{'ETL (parse+validate+quarantine+load+publish)':<46}{'rows':>11}{'ETL s':>9}"
                         f"{'rows/s':>10}{'floor s':>9}{'naive s':>9}{'ETL/floor':>10}{'(CPU)':>8}{'ETL/naive':>10}{'(CPU)':>8}"
                         f"{'RSS MB':>8}")
            for s, r in er.items():
                e = (run.get("etl") or {}).get(s, {})
                lines.append(f"{s:<46}{_n(r['rows']):>11}{_s(r['etl_s']):>9}{_n(r.get('etl_rows_per_s')):>10}"
                             f"{_s(r.get('floor_s')):>9}{_s(r.get('naive_s')):>9}{_x(r.get('etl_vs_floor')):>10}"
                             f"{_x(r.get('etl_vs_floor_cpu')):>8}"
                             f"{_x(r.get('etl_vs_naive')):>10}{_x(r.get('etl_vs_naive_cpu')):>8}"
                             f"{_n(e.get('peak_rss_mb')):>8}")
            q = [f"{s}: {e['rows_quarantined']}" for s, e in (run.get("etl") or {}).items()
                 if e.get("big") and e.get("rows_quarantined")]
            if q:
                lines.append("  quarantined rows: " + ", ".join(q))
            bad = [f"{s}: {e['status']}" for s, e in (run.get("etl") or {}).items() if "rejected" in e.get("status", [])]
            if bad:
                lines.append("  REJECTED batches: " + ", ".join(bad))
        mt = run.get("marts")
        if mt:
            lines.append("")
            lines.append(f"Measure build (build_marts) {_s(mt['build_seconds'])} s vs one raw GROUP BY scan of "
                         f"{len(mt['scan']['tables'])} fact tables {_s(mt['scan']['seconds'])} s → "
                         f"{_x(mt.get('ratio_to_scan'))} (CPU {_x(mt.get('ratio_to_scan_cpu'))}; peak RSS {_n(mt.get('peak_rss_mb'))} MB)")
        qs = run.get("queries")
        if qs:
            lines.append("")
            lines.append(f"{'Query layer (ms)':<20}{'rows':>7}{'warm p50':>10}{'warm p95':>10}{'cold p50':>10}"
                         f"{'cold max':>10}")
            for name, v in qs.items():
                lines.append(f"{name:<20}{_n(v['rows']):>7}{_ms(v['warm_p50_ms']):>10}{_ms(v['warm_p95_ms']):>10}"
                             f"{_ms(v['cold_p50_ms']):>10}{_ms(v['cold_max_ms']):>10}")
            p = run.get("query_params") or {}
            lines.append(f"  args: grain {p.get('grain')}, period {p.get('period')}, committee {p.get('committee')}, "
                         f"measure {p.get('measure')}")
        lines.append("")
        lines.append(f"Peak RSS: ETL {_n(run.get('etl_peak_rss_mb'))} MB, query layer "
                     f"{_n(run.get('queries_peak_rss_mb'))} MB, floor {_n(run.get('floor_peak_rss_mb'))} MB, "
                     f"naive {_n(run.get('naive_peak_rss_mb'))} MB, marts {_n((mt or {}).get('peak_rss_mb'))} MB")
        la = run.get("loadavg_1min")
        if la:
            lines.append("Machine load (1-min load average after each step): "
                         + ", ".join(f"{k} {v:.1f}" for k, v in la.items()))
        for step, err in (run.get("errors") or {}).items():
            lines.append(f"  ERROR in {step}: {err.splitlines()[-1] if err else ''}")
    g = result.get("growth") or {}
    if g:
        lines += ["", "Growth per 10x of data (linear = 10; in brackets: raw factor / data factor)"]
        steps = list(g)
        keys = []
        for st in steps:
            for k in g[st]["figures"]:
                if k not in keys:
                    keys.append(k)
        lines.append(f"{'figure':<42}" + "".join(f"{st + ' (data ' + format(g[st]['data_factor'], '.1f') + 'x)':>26}"
                                                   for st in steps))
        for k in keys:
            cells = []
            for st in steps:
                v = g[st]["figures"].get(k)
                if not v:
                    cells.append(f"{'-':>26}")
                    continue
                per10 = "-" if v["per_10x"] is None else f"{v['per_10x']:.1f}"
                data = v.get("data")
                detail = f" ({v['raw']:.1f} / {data:.1f})" if data else f" ({v['raw']:.1f})"
                cells.append(f"{per10 + detail:>26}")
            lines.append(f"{k:<42}" + "".join(cells))
    xv = result.get("xlsx_vs_csv")
    if xv:
        lines += ["", f"Excel vs CSV (same {xv['rows']:,} ledger rows through the ETL, python-calamine): "
                      f"CSV {xv['csv_s']:.2f} s, xlsx {xv['xlsx_s']:.2f} s = {xv['ratio']:.2f}x "
                      f"({'MET' if xv['ratio'] <= xv['target_ratio'] else 'MISS'} target <= {xv['target_ratio']:g}x)"]
    t = result.get("targets") or []
    if t:
        lines += ["", "Targets"]
        for x in t:
            val = x.get("value")
            vs = "-" if val is None else (f"{val:.2f}" if val < 1000 else f"{val:.0f}")
            extra = f"  [{x['figure']}]" if x.get("figure") else ""
            extra += f"  errors: {', '.join(x['errors'])}" if x.get("errors") else ""
            extra += f"  (CPU {x['cpu_ratio']:.2f})" if x.get("cpu_ratio") is not None else ""
            lines.append(f"  {'MET ' if x['met'] else 'MISS'}  {x['target']}: {vs}{extra}")
    return "\n".join(lines)
