"""Display frames for the pages: query-layer frames → translated, formatted tables.

Pure functions (no Streamlit), so tests can check them directly. Status and scores are taken
from the marts as they are; this module only words, formats and colours them."""
from __future__ import annotations

from typing import Any

import pandas as pd

from ui import status as S
from ui.formatting import format_number, format_period, format_score, format_value, is_missing
from ui.i18n import name_col, translator

PERSPECTIVES = ("external", "internal", "maturity", "cost", "quality")


def _bool(x: Any) -> bool:
    return False if is_missing(x) else bool(x)


def score_cell(score: Any, status: Any, lang: str, red_flag: Any = False) -> str:
    """'72 ▲ Gul ⚑' – score, status icon and word, red flag."""
    s = f"{format_score(score, lang)} {S.icon(status)} {S.word(status, lang)}"
    return s + (f" {S.RED_FLAG}" if _bool(red_flag) else "")


def overview_table(df: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per committee → (display frame, frame of statuses for colouring the same cells)."""
    t = translator(lang)
    ncol = name_col(lang)
    disp = pd.DataFrame({t("label.committee"): df[ncol].fillna(df["name_sv"]).astype(str).values,
                         t("label.peer_group"): [t(f"peer_group.{g}") for g in df["peer_group"]]})
    stat = pd.DataFrame(index=disp.index, columns=disp.columns, data="")
    for p in PERSPECTIVES:
        col = t(f"perspective_short.{p}")
        disp[col] = [score_cell(a, b, lang, c) for a, b, c in zip(df[f"score_{p}"], df[f"status_{p}"], df[f"red_flag_{p}"])]
        stat[col] = [S.norm(x) for x in df[f"status_{p}"]]
    col = t("label.overall_score")
    disp[col] = [score_cell(a, b, lang) for a, b in zip(df["overall_score"], df["overall_status"])]
    stat[col] = [S.norm(x) for x in df["overall_status"]]
    disp[t("label.n_red")] = df["n_red_measures"].fillna(0).astype(int).values
    disp[t("label.n_grey")] = df["n_grey_measures"].fillna(0).astype(int).values
    stat[t("label.n_red")] = ""
    stat[t("label.n_grey")] = ""
    return disp, stat


def style_statuses(disp: pd.DataFrame, stat: pd.DataFrame):
    """pandas Styler colouring the cells named in `stat` (status words stay in the text)."""
    def _css(_: pd.DataFrame) -> pd.DataFrame:
        return stat.map(lambda s: S.cell_style(s) if s else "")
    return disp.style.apply(_css, axis=None)


def movers_table(df: pd.DataFrame, lang: str, catalog: pd.DataFrame | None = None) -> pd.DataFrame:
    t = translator(lang)
    ncol = name_col(lang)
    if "measure_id" in df.columns:
        names = {}
        if catalog is not None and len(catalog):
            names = dict(zip(catalog["measure_id"], catalog[ncol]))
        what_label = t("label.measure")
        what = [f"{m} {names.get(m, '')}".strip() for m in df["measure_id"]]
    else:
        what_label = t("label.perspective")
        what = [t(f"perspective.{p}") for p in df["perspective"]]
    return pd.DataFrame({
        t("label.committee"): df[ncol].fillna(df["name_sv"]).astype(str).values,
        what_label: what,
        t("label.previous_score"): [format_score(x, lang) for x in df["previous_score"]],
        t("label.score"): [format_score(x, lang) for x in df["score"]],
        t("label.change"): [("+" if not is_missing(x) and x > 0 else "") + format_number(x, 0, lang) for x in df["change"]],
    })


def flags_text(row: Any, lang: str, period: str, min_n: Any = None) -> str:
    """The flags of one scorecard row in words."""
    t = translator(lang)
    out = []
    if _bool(row.get("insufficient_data")):
        out.append(t("flag.insufficient_data", n_obs=format_number(row.get("n_obs"), 0, lang),
                     min_n=format_number(min_n, 0, lang)))
    elif is_missing(row.get("value")):
        out.append(t("flag.no_value"))
    vp = row.get("value_period")
    if _bool(row.get("carried_forward")):
        out.append(t("flag.carried_forward", period=format_period(vp, lang)))
    elif not is_missing(row.get("value")) and not is_missing(vp) and vp and str(vp) != str(period):
        out.append(t("flag.other_period", period=format_period(vp, lang)))
    if _bool(row.get("target_overridden")):
        out.append(t("flag.target_overridden"))
    return "; ".join(out)


def target_text(row: Any, lang: str, catalog_row: Any = None) -> str:
    unit = row.get("unit")
    if row.get("direction") == "band" and catalog_row is not None:
        lo, hi = catalog_row.get("band_low"), catalog_row.get("band_high")
        if not is_missing(lo) and not is_missing(hi):
            return f"{format_number(lo, 0, lang)}–{format_value(hi, unit, lang)}"
    return format_value(row.get("target"), unit, lang) if not is_missing(row.get("target")) else "–"


def scorecard_table(sc: pd.DataFrame, lang: str, period: str, catalog: pd.DataFrame | None = None,
                    trends: dict[str, list] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """15 measure rows → (display frame, status frame). The trend column holds a list of values
    (for st.column_config.LineChartColumn)."""
    t = translator(lang)
    ncol = name_col(lang)
    cat = catalog.set_index("measure_id") if catalog is not None and len(catalog) else None
    rows, stats = [], []
    for _, r in sc.iterrows():
        crow = cat.loc[r["measure_id"]] if cat is not None and r["measure_id"] in cat.index else None
        unit = r.get("unit")
        rows.append({
            t("label.measure_id"): r["measure_id"],
            t("label.measure"): r.get(ncol) if not is_missing(r.get(ncol)) else r.get("name_sv"),
            t("label.perspective"): t(f"perspective_short.{r['perspective']}"),
            t("label.value"): format_value(r.get("value"), unit, lang),
            t("label.target"): target_text(r, lang, crow),
            t("label.status"): S.label(r.get("status"), lang),
            t("label.score"): format_score(r.get("score"), lang),
            t("label.trend"): [None if is_missing(v) else float(v) for v in (trends or {}).get(r["measure_id"], [])],
            t("label.peer_median"): format_value(r.get("peer_median"), unit, lang),
            t("label.city_value"): format_value(r.get("city_value"), unit, lang),
            t("label.flags"): flags_text(r, lang, period, None if crow is None else crow.get("min_n")),
        })
        stats.append({t("label.status"): S.norm(r.get("status"))})
    disp = pd.DataFrame(rows)
    stat = pd.DataFrame("", index=disp.index, columns=disp.columns)
    if len(disp):
        stat[t("label.status")] = [s[t("label.status")] for s in stats]
    return disp, stat


def translate_columns(df: pd.DataFrame, lang: str, prefix: str = "col.") -> pd.DataFrame:
    """Rename raw columns with translations `col.<name>` where they exist."""
    from ui.i18n import translation_table

    table = translation_table()
    t = translator(lang)
    return df.rename(columns={c: t(prefix + c) for c in df.columns if prefix + c in table})


def translate_records(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Records for display (drill-downs): values with a translation `value.<column>.<value>` translated,
    true/false as yes/no words, missing as '–', then the column names (`col.<name>`)."""
    from ui.i18n import translation_table

    table = translation_table()
    t = translator(lang)
    out = df.copy()
    for c in out.columns:
        values = [None if v is pd.NA else v for v in out[c].tolist()]
        if str(out[c].dtype) in ("bool", "boolean") or any(isinstance(v, bool) or type(v).__name__ == "bool_"
                                                         for v in values):
            out[c] = ["–" if is_missing(v) else t("word.yes") if bool(v) else t("word.no") for v in values]
        elif any(f"value.{c}.{v}" in table for v in set(values) if isinstance(v, str)):
            out[c] = ["–" if is_missing(v) else t(f"value.{c}.{v}") if f"value.{c}.{v}" in table else v
                      for v in values]
    return translate_columns(out, lang)
