"""One settings module: every path and environment switch of the product is decided here.

| setting | environment variable | default |
|---|---|---|
| published warehouse | SCORECARD_WAREHOUSE | `<repo>/data/warehouse.duckdb` |
| staging copy, lock, spill dir | — | `<warehouse>.staging`, `<warehouse>.lock`, `<warehouse>.staging.tmp` |
| follow-up store (what people write) | SCORECARD_FOLLOWUP_URL | `sqlite:///<warehouse stem>.followup.sqlite` |
| demo login ("Demoläge") without an OIDC provider | SCORECARD_DEMO_LOGIN (`1` allow, `0` forbid) | only on the demo warehouse |
| drill-down records limited to the user's committees | SCORECARD_DRILLDOWN_RESTRICTED (`1`/`0`) | `0` (open to every analyst) |
| OIDC claim carrying the user's groups | SCORECARD_OIDC_GROUPS_CLAIM | `groups` |
| ILS mapping (measure → indicator id, committee → unit id) | SCORECARD_ILS_MAPPING | `<repo>/reports/ils_mapping.yaml` |
| DuckDB memory for loads | SCORECARD_ETL_MEMORY_LIMIT | 60 % of RAM |
| local extension of contracts' allowed values | SCORECARD_ALLOWED_VALUES | `<warehouse dir>/allowed_values.yaml` (optional) |
| ITSM instance of an incident export without a source_system column and without --system | SCORECARD_ITSM_SYSTEM | `servicenow` |
| seed files (reference data the product owns) | — | `<repo>/seeds/` |
| plausible dates: earliest | SCORECARD_EARLIEST_DATE | 2000-01-01 |
| plausible dates: months after the current one | SCORECARD_FUTURE_MONTHS | 1 (a contract column may allow more: `future_months`) |
| "today" for the plausibility window (tests, re-runs of old loads) | SCORECARD_TODAY | the current date |
| strict translations (a missing key or bad placeholder raises) | SCORECARD_I18N_STRICT | off (on in the tests) |
| the app server's start-up cache (parsed hyphenation patterns, the component scan's answer) | SCORECARD_CACHE_DIR | `<repo>/data/cache/` |
| warm loader's Unix socket (`python -m etl loader`) | SCORECARD_LOADER_SOCKET | `<warehouse>.loader/loader.sock` (a temp-dir path when that is too long for a socket) |
| `python -m etl load` uses a listening warm loader | SCORECARD_LOADER (`0` never) | on |
| where the loader client writes the child's exit and resource use (benchmarks) | SCORECARD_LOADER_REPORT | — (not written) |

Every module asks this one for a path; none reads these variables itself.
"""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent
DEFAULT_WAREHOUSE = REPO_ROOT / "data" / "warehouse.duckdb"


SEED_DIR = REPO_ROOT / "seeds"


def seed_dir() -> Path:
    """Reference data that is not a source delivery: `<name>.csv` with its contract `<name>.yaml`."""
    return SEED_DIR


def warehouse_path() -> Path:
    """The published warehouse file."""
    return Path(os.environ.get("SCORECARD_WAREHOUSE") or DEFAULT_WAREHOUSE)


def staging_path(warehouse: Path | None = None) -> Path:
    """The copy a publish works in before it replaces the published file."""
    wh = Path(warehouse or warehouse_path())
    return wh.with_name(wh.name + ".staging")


def fact_store_path(warehouse: Path | None = None) -> Path:
    """The Parquet fact store beside the warehouse catalog: `warehouse.duckdb` → `warehouse.parquet/`
    (docs/storage.md)."""
    wh = Path(warehouse or warehouse_path())
    return wh.with_name(wh.stem + ".parquet")


def fact_store_retention() -> tuple[int, float]:
    """How long superseded fact-store versions are kept: (the newest N versions, seconds after they were
    superseded). Env SCORECARD_STORE_KEEP_VERSIONS (default 3), SCORECARD_STORE_KEEP_SECONDS (default 600)."""
    versions = int(os.environ.get("SCORECARD_STORE_KEEP_VERSIONS") or 3)
    seconds = float(os.environ.get("SCORECARD_STORE_KEEP_SECONDS") or 600)
    return max(versions, 1), max(seconds, 0.0)


def cache_dir() -> Path:
    """Where the app server keeps what it would otherwise work out again at every start (ui/startcache.py:
    parsed hyphenation patterns, Streamlit's component scan); each entry is keyed by the files it was made
    from and made again when they change. Deleting the directory is always safe."""
    return Path(os.environ.get("SCORECARD_CACHE_DIR") or REPO_ROOT / "data" / "cache")


def lock_path(warehouse: Path | None = None) -> Path:
    """The lock file that keeps publishing to one writer at a time."""
    wh = Path(warehouse or warehouse_path())
    return wh.with_name(wh.name + ".lock")


def followup_store_url(warehouse: Path | str | None = None) -> str:
    """SQLAlchemy URL of the follow-up store: SCORECARD_FOLLOWUP_URL (e.g. a PostgreSQL URL for an
    installation with several app replicas), else a SQLite file next to the warehouse."""
    env = os.environ.get("SCORECARD_FOLLOWUP_URL")
    if env:
        return env
    wh = Path(warehouse) if warehouse else warehouse_path()
    return f"sqlite:///{wh.with_name(wh.stem + '.followup.sqlite')}"


def _flag(name: str) -> bool | None:
    value = (os.environ.get(name) or "").strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    return None


def demo_login_setting() -> bool | None:
    """SCORECARD_DEMO_LOGIN: True allows the demo login on any warehouse, False forbids it, None (unset)
    allows it only on the demo warehouse. Never allowed once an OIDC provider is configured ([auth] in
    .streamlit/secrets.toml) — ui/auth.py decides that."""
    return _flag("SCORECARD_DEMO_LOGIN")


def drilldown_restricted() -> bool:
    """SCORECARD_DRILLDOWN_RESTRICTED=1: drill-down records and their exports are limited to the
    committees of the analyst's grant (city-wide analysts see all). Default: not restricted."""
    return bool(_flag("SCORECARD_DRILLDOWN_RESTRICTED"))


def oidc_groups_claim() -> str:
    """The ID-token / userinfo claim with the user's groups (Entra ID: `groups`), matched against
    role grants to `group:<name>`."""
    return os.environ.get("SCORECARD_OIDC_GROUPS_CLAIM") or "groups"


def ils_mapping_path() -> Path:
    """The ILS mapping file read by `python -m reports ils` (docs/ils.md)."""
    return Path(os.environ.get("SCORECARD_ILS_MAPPING") or REPO_ROOT / "reports" / "ils_mapping.yaml")


def etl_memory_limit() -> str | None:
    """DuckDB's share of memory during a load: SCORECARD_ETL_MEMORY_LIMIT (e.g. '8GB'), else 60 % of
    RAM. DuckDB's default (80 %) leaves too little for the pandas chunks Great Expectations checks;
    above the limit DuckDB spills to `<staging>.tmp`."""
    configured = os.environ.get("SCORECARD_ETL_MEMORY_LIMIT")
    if configured:
        return configured
    try:
        total_kb = int(next(line.split()[1] for line in open("/proc/meminfo") if line.startswith("MemTotal")))
    except (OSError, StopIteration, ValueError):
        return None  # DuckDB's default
    return f"{int(total_kb * 0.6 / 1024)}MB"


def i18n_strict() -> bool:
    """SCORECARD_I18N_STRICT=1: a translation lookup with a missing key or a bad placeholder raises
    (the app and browser tests run this way); otherwise the key is shown and the page goes on."""
    return os.environ.get("SCORECARD_I18N_STRICT", "").strip().lower() in ("1", "true", "yes", "on")


def allowed_values_override_path(warehouse: Path | str | None = None) -> Path:
    """The installation's own additions to the contracts' allowed values (YAML: source → column →
    list of extra values), so that a city can accept e.g. its own ServiceNow states without editing
    the product: SCORECARD_ALLOWED_VALUES, else `allowed_values.yaml` next to the warehouse. The
    file is optional."""
    env = os.environ.get("SCORECARD_ALLOWED_VALUES")
    if env:
        return Path(env)
    wh = Path(warehouse) if warehouse else warehouse_path()
    return wh.with_name("allowed_values.yaml")


def default_itsm_system() -> str:
    """The ITSM instance an incident export belongs to when it has no source_system column and the
    load gives no --system: SCORECARD_ITSM_SYSTEM, else 'servicenow'."""
    return os.environ.get("SCORECARD_ITSM_SYSTEM") or "servicenow"


def plausible_dates() -> tuple[date, date, int]:
    """(earliest date, today, months after today's month) for the contracts' plausibility rule: a
    date, month or timestamp outside earliest … end of (current month + months) is quarantined."""
    earliest = date.fromisoformat(os.environ.get("SCORECARD_EARLIEST_DATE") or "2000-01-01")
    today = os.environ.get("SCORECARD_TODAY")
    future = int(os.environ.get("SCORECARD_FUTURE_MONTHS") or 1)
    return earliest, date.fromisoformat(today) if today else date.today(), future


# A Unix socket's path must fit in sun_path (108 bytes with its terminating zero on Linux).
_SOCKET_PATH_MAX = 107


def loader_socket_path(warehouse: Path | str | None = None) -> Path:
    """The Unix socket of the warm loader of this warehouse (`python -m etl loader`, pipeline/loader.py):
    SCORECARD_LOADER_SOCKET, else `loader.sock` in `<warehouse>.loader/` beside the warehouse (the loader
    makes that directory 0700 and the socket 0600). The warehouse path is resolved, so a client naming the
    same warehouse by a relative path or a symlink finds the same loader. Where that path is too long for a
    Unix socket, `<tempdir>/scorecard-loader-<uid>/<hash of the warehouse path>.sock` instead."""
    env = os.environ.get("SCORECARD_LOADER_SOCKET")
    if env:
        return Path(env)
    wh = Path(warehouse or warehouse_path()).resolve()
    path = wh.with_name(wh.name + ".loader") / "loader.sock"
    if len(os.fsencode(str(path))) <= _SOCKET_PATH_MAX:
        return path
    import hashlib
    import tempfile

    digest = hashlib.sha256(os.fsencode(str(wh))).hexdigest()[:24]
    return Path(tempfile.gettempdir()) / f"scorecard-loader-{os.getuid()}" / f"{digest}.sock"


def loader_enabled() -> bool:
    """SCORECARD_LOADER=0: `python -m etl load` never hands its work to a warm loader (as `--no-loader`);
    default: it does when one listens for its warehouse."""
    return _flag("SCORECARD_LOADER") is not False


def loader_report_path() -> Path | None:
    """SCORECARD_LOADER_REPORT: a file the loader client writes after a load served by a warm loader, with
    the child's pid, exit status and resource use (CPU, peak RSS) — the child is not the client's own
    process, so the benchmark (benchmarks/delivery.py --loader) reads its CPU time here."""
    env = os.environ.get("SCORECARD_LOADER_REPORT")
    return Path(env) if env else None
