"""Page timings in a real browser: every app page against Streamlit's own floor, in one run.

    .venv/bin/python -m benchmarks.pages [--warehouse PATH] [--rounds 5] [--out FILE]

Starts the app and a baseline app (benchmarks/blank_app.py: two pages that only show a heading) on
free ports and drives headless Chromium until Streamlit reports the script finished and the page's
heading is shown. For every page: `open` — a full browser load of the page's URL (cold: the first
one after the server started; warm: again, caches filled), and `navigate` — a click on its link in
the sidebar from another page, warm, which is what a user does. p50/p95 per page, and the ratio to
the same figure for the baseline pages. Target: warm ≤ 1 s per page.

Cold start (issue 16): the server is started as `make run` starts it (the recipe is read from the
Makefile, on a free port), and the clock runs from starting that process until Stadsöversikt is finished
in Chromium (the browser is already open): Streamlit reports the script finished, the heading is shown
and the status table (data-key=overview_table) is visible. Target ≤ 2 s. Repeated --cold-runs times, each
with a new server; then warm reloads of the same page in the same server. The report generation times
(benchmarks/reports.py) are measured in the same run on the same warehouse (--no-reports skips them)."""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
FINISHED = """(title) => {
    const app = document.querySelector("[data-testid='stApp']");
    const h1 = document.querySelector("[data-testid='stMain'] h1");
    return app && app.getAttribute('data-test-script-state') === 'notRunning' && h1
        && (title ? h1.innerText.trim() === title : h1.innerText.trim().length > 0);
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(script: str, warehouse: Path):
    port = _free_port()
    env = dict(os.environ, SCORECARD_WAREHOUSE=str(warehouse), GX_ANALYTICS_ENABLED="false")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(30)  # a busy machine
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def app_pages() -> list[tuple[str, str, str]]:
    """(url path, sidebar link text, heading) of every page in the app's own navigation, so a new page is
    benchmarked too. In the app a page's heading is its navigation title."""
    from ui.i18n import translate
    from ui.nav import NAV

    # Streamlit serves the default page at the root URL only
    return [("" if default else Path(path).stem, translate(key, "sv"), translate(key, "sv")) for _, pages in NAV
            for path, key, _icon, default in pages if (ROOT / path).exists()]


def time_open(page, url: str) -> float:
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_function(FINISHED, arg=None, timeout=60_000)
    return time.perf_counter() - t0


STATUS_TABLE = "[data-key='overview_table']"
COLD_TARGET_S = 2.0


def make_run_command(port: int) -> list[str]:
    """The `make run` recipe's streamlit command, with this interpreter and the given port."""
    import re
    import shlex

    lines = (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
    recipe: list[str] = []
    for i, line in enumerate(lines):
        if re.match(r"^run\s*:", line):
            for ln in lines[i + 1:]:
                if not ln.startswith("\t"):
                    break
                recipe.append(ln.strip())
            break
    cmd = next((ln for ln in recipe if "streamlit run" in ln), None)
    if cmd is None:
        raise RuntimeError("Makefile: no `streamlit run` line in the `run` recipe")
    args = shlex.split(cmd.replace("$(PY)", shlex.quote(sys.executable)))
    if "--server.port" in args:
        args[args.index("--server.port") + 1] = str(port)
    else:
        args += ["--server.port", str(port)]
    return args


def process_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system, all threads) a running process has used so far: on a shared machine
    the wall time of a cold start mostly measures other people's work, this does not."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _wait_overview(page, heading: str, marks: dict | None = None, t0: float = 0.0) -> None:
    page.wait_for_function(FINISHED, arg=heading, timeout=120_000)
    if marks is not None:
        marks["script_finished_s"] = round(time.perf_counter() - t0, 3)
    try:
        page.locator(STATUS_TABLE).first.wait_for(state="visible", timeout=60_000)
    except Exception as err:  # e.g. a login screen: say what the page shows instead
        shown = page.locator("[data-testid='stMain']").inner_text()[:300].replace("\n", " ")
        raise RuntimeError(f"{heading} finished without its status table ({STATUS_TABLE}); the page shows: {shown}") from err


def measure_cold_start(browser, warehouse: Path, runs: int, warm_rounds: int) -> dict:
    """Server start (as `make run`) → finished Stadsöversikt with its status table, `runs` times."""
    heading = next(h for path, _link, h in app_pages() if path == "")
    env = dict(os.environ, SCORECARD_WAREHOUSE=str(warehouse), GX_ANALYTICS_ENABLED="false")
    out = {"command": None, "runs": []}
    warm: list[float] = []
    for i in range(runs):
        port = _free_port()
        cmd = make_run_command(port)
        out["command"] = " ".join(cmd[1:]).replace(str(port), "PORT")
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        url = f"http://127.0.0.1:{port}/"
        marks: dict = {}
        # the frontend is loaded (HTML, scripts, fonts) when it opens its websocket to the server
        page.on("websocket", lambda _ws: marks.setdefault("websocket_s", round(time.perf_counter() - t0, 3)))
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            healthy = None
            while time.perf_counter() - t0 < 120:
                try:
                    with urllib.request.urlopen(url + "_stcore/health", timeout=1):
                        healthy = time.perf_counter() - t0
                        marks["server_cpu_at_answer_s"] = process_cpu_s(proc.pid)
                        break
                except OSError:
                    if proc.poll() is not None:
                        raise RuntimeError(f"the server exited with {proc.returncode} before it answered")
                    time.sleep(0.02)
            if healthy is None:
                raise RuntimeError("the server did not answer within 120 s")
            page.goto(url)
            _wait_overview(page, heading, marks, t0)
            total = time.perf_counter() - t0
            cpu = process_cpu_s(proc.pid)
            # websocket_s: the browser has loaded the frontend; script_finished_s: Streamlit reports the script
            # finished (the rest up to total_s is the browser drawing until the status table is visible)
            out["runs"].append({"server_up_s": round(healthy, 3), "first_page_s": round(total - healthy, 3),
                                "total_s": round(total, 3), "server_cpu_s": cpu,
                                "loadavg": round(os.getloadavg()[0], 2), **marks})
            if i == runs - 1:
                for _ in range(warm_rounds):
                    t1 = time.perf_counter()
                    page.goto(url)
                    _wait_overview(page, heading)
                    warm.append(time.perf_counter() - t1)
        finally:
            page.close()
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    totals = [r["total_s"] for r in out["runs"]]
    out.update({"page": heading, "cold_p50_s": round(statistics.median(totals), 3), "cold_max_s": round(max(totals), 3),
                "server_up_p50_s": round(statistics.median(r["server_up_s"] for r in out["runs"]), 3),
                "server_cpu_p50_s": (round(statistics.median(r["server_cpu_s"] for r in out["runs"]), 3)
                                     if all(r["server_cpu_s"] is not None for r in out["runs"]) else None),
                "target_s": COLD_TARGET_S, "met": statistics.median(totals) <= COLD_TARGET_S})
    for mark in ("server_cpu_at_answer_s", "websocket_s", "script_finished_s"):
        values = [r[mark] for r in out["runs"] if r.get(mark) is not None]
        if len(values) == len(out["runs"]):
            out[mark.removesuffix("_s") + "_p50_s"] = round(statistics.median(values), 3)
    if warm:
        out["warm"] = percentiles(warm)
    return out


def time_navigate(page, link_text: str, heading: str) -> float:
    link = page.locator("[data-testid='stSidebarNav'] a", has_text=link_text).first
    t0 = time.perf_counter()
    link.click()
    page.wait_for_function(FINISHED, arg=heading, timeout=60_000)
    return time.perf_counter() - t0


def percentiles(values: list[float]) -> dict:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_s": round(statistics.median(ordered), 3), "p95_s": round(p95, 3)}


def measure_site(page, url: str, pages: list[tuple[str, str, str]], rounds: int) -> dict:
    stats = {}
    for path, *_ in pages:
        cold = time_open(page, f"{url}/{path}")
        warm = [time_open(page, f"{url}/{path}") for _ in range(rounds)]
        stats[path] = {"open_cold_s": round(cold, 3), "open": percentiles(warm)}
    nav: dict[str, list[float]] = {path: [] for path, *_ in pages}
    for _ in range(rounds):
        for path, link_text, heading in pages:
            nav[path].append(time_navigate(page, link_text, heading))
    for path, values in nav.items():
        stats[path]["navigate"] = percentiles(values)
    return stats


def measure(warehouse: Path, rounds: int, cold_runs: int = 3, pages: bool = True) -> dict:
    from playwright.sync_api import sync_playwright

    results: dict = {"warehouse": str(warehouse), "rounds": rounds, "loadavg_before": os.getloadavg()[0]}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True)
        if cold_runs:  # first, while no other server of this run has warmed the OS caches for the app
            results["cold_start"] = measure_cold_start(browser, warehouse, cold_runs, rounds)
        if not pages:
            browser.close()
            return results
        page = browser.new_page(viewport={"width": 1600, "height": 1100})
        with streamlit_server("benchmarks/blank_app.py", warehouse) as url:
            base = measure_site(page, url, [("ett", "Ett", "Baseline ett"), ("tva", "Två", "Baseline två")], rounds)
        floor = {kind: statistics.median(s[kind]["p50_s"] for s in base.values()) for kind in ("open", "navigate")}
        results["baseline"] = {"open_p50_s": round(floor["open"], 3), "navigate_p50_s": round(floor["navigate"], 3)}
        with streamlit_server("app.py", warehouse) as url:
            results["pages"] = measure_site(page, url, app_pages(), rounds)
        browser.close()
    for s in results["pages"].values():
        for kind in ("open", "navigate"):
            s[kind]["ratio_p50_to_baseline"] = round(s[kind]["p50_s"] / floor[kind], 2)
        s["meets_1s_warm"] = s["navigate"]["p95_s"] <= 1.0
    return results


def print_table(results: dict) -> None:
    c = results.get("cold_start")
    if c:
        runs = ", ".join(f"{r['total_s']:.2f}" for r in c["runs"])
        cpu = f", server CPU {c['server_cpu_p50_s']:.2f} s" if c.get("server_cpu_p50_s") is not None else ""
        steps = "".join(f", {label} {c[k]:.2f} s" for k, label in (("websocket_p50_s", "frontend loaded (websocket) after"),
                                                                   ("script_finished_p50_s", "script finished after"))
                        if c.get(k) is not None)
        print(f"cold start ({c['command']}) → finished {c['page']} with its status table: p50 {c['cold_p50_s']:.2f} s "
              f"(runs {runs} s; server answering after {c['server_up_p50_s']:.2f} s{steps}{cpu}), target ≤ {c['target_s']:g} s: "
              f"{'met' if c['met'] else 'NOT met'}" + (f"; warm reload p50 {c['warm']['p50_s']:.2f} s, "
                                                       f"p95 {c['warm']['p95_s']:.2f} s" if c.get("warm") else ""))
    r = results.get("reports")
    if r:
        print("reports: " + ", ".join(f"{k} {v:.2f} s" for k, v in r.items() if k.endswith("_s") and isinstance(v, float)))
    if "baseline" not in results:
        return
    b = results["baseline"]
    print(f"{'page':22} {'open cold':>9} {'open p50':>9} {'× floor':>7} {'nav p50':>8} {'nav p95':>8} {'× floor':>7}  ≤1 s warm")
    print(f"{'(streamlit floor)':22} {'':>9} {b['open_p50_s']:9.2f} {1:7.2f} {b['navigate_p50_s']:8.2f} {'':>8} {1:7.2f}")
    for name, s in results["pages"].items():
        o, n = s["open"], s["navigate"]
        print(f"{name or '(start page)':22} {s['open_cold_s']:9.2f} {o['p50_s']:9.2f} {o['ratio_p50_to_baseline']:7.2f} "
              f"{n['p50_s']:8.2f} {n['p95_s']:8.2f} {n['ratio_p50_to_baseline']:7.2f}  {'yes' if s['meets_1s_warm'] else 'NO'}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.pages", description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", type=Path, default=None, help="default: SCORECARD_WAREHOUSE or data/warehouse.duckdb")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "pages.json")
    ap.add_argument("--cold-runs", type=int, default=3, help="server starts timed to a finished Stadsöversikt (0 skips)")
    ap.add_argument("--no-reports", action="store_true", help="skip the report generation times")
    ap.add_argument("--skip-pages", action="store_true", help="only the cold start (and reports), not every page")
    ap.add_argument("--report-repeat", type=int, default=3)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from metrics.warehouse import warehouse_path

    warehouse = args.warehouse or warehouse_path()
    if not warehouse.exists():
        print(f"error: no warehouse at {warehouse}; run `make run` or `python -m etl demo` first", file=sys.stderr)
        return 2
    results = measure(warehouse, args.rounds, args.cold_runs, pages=not args.skip_pages)
    if not args.no_reports:  # the follow-up cycle's report generation, same warehouse, same run
        from benchmarks import reports

        results["reports"] = reports.run(reports.parse(["--warehouse", str(warehouse),
                                                        "--repeat", str(args.report_repeat)]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
