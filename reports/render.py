"""Report data → file bytes, by format; and the parallel --all run."""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable, Iterable

FORMATS = ("pdf", "docx", "xlsx")


def render(report: dict, fmt: str, lang: str = "sv") -> bytes:
    if fmt == "pdf":
        from reports.pdf import committee_pdf
        return committee_pdf(report, lang)
    if fmt == "docx":
        from reports.docx_report import committee_docx
        return committee_docx(report, lang)
    if fmt == "xlsx":
        from reports.xlsx_report import committee_xlsx
        return committee_xlsx(report, lang)
    raise ValueError(f"format must be one of {', '.join(FORMATS)}")


def file_name(code: str, period: str, fmt: str, lang: str = "sv") -> str:
    stem = "tertialrapport" if lang == "sv" else "tertial_report"
    return f"{stem}_{code}_{period}.{fmt}"


# ---- --all: one process per core, each with its own warehouse connection and store -------------------
_worker: dict = {}


def _init(warehouse: str, store_url: str | None, period: str, live: bool) -> None:
    from followup.store import Store
    from metrics.warehouse import Warehouse
    from reports.model import WarehouseContext

    wh = Warehouse(Path(warehouse)).pin()
    _worker.update(wh=wh, store=Store(store_url, migrate=False) if store_url else None, live=live,
                   ctx=WarehouseContext(wh, period))


def _one(args: tuple[str, str, str, str, str]) -> str:
    code, period, fmt, lang, out_dir = args
    from reports import cycle, model

    wh, store, ctx = _worker["wh"], _worker["store"], _worker["ctx"]
    if store is not None:
        report = cycle.report(wh, code, period, store, live=_worker["live"], ctx=ctx)
    else:
        report = model.committee_report(wh, code, period, ctx=ctx)
    path = Path(out_dir) / file_name(code, period, fmt, lang)
    path.write_bytes(render(report, fmt, lang))
    return str(path)


def render_all(codes: Iterable[str], period: str, fmt: str, lang: str, out_dir: Path, warehouse: Path,
               store_url: str | None, live: bool = False, workers: int | None = None,
               progress: Callable[[str], None] | None = None) -> list[str]:
    """Every committee's report into out_dir, in `workers` processes (default: the machine's cores)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    codes = list(codes)
    workers = max(1, min(workers or os.cpu_count() or 1, len(codes) or 1))
    jobs = [(c, period, fmt, lang, str(out_dir)) for c in codes]
    written = []
    if workers == 1:
        _init(str(warehouse), store_url, period, live)
        for job in jobs:
            written.append(_one(job))
            if progress:
                progress(job[0])
        return written
    with ProcessPoolExecutor(workers, initializer=_init, initargs=(str(warehouse), store_url, period, live)) as pool:
        for job, path in zip(jobs, pool.map(_one, jobs)):
            written.append(path)
            if progress:
                progress(job[0])
    return written
