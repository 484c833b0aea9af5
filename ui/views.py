"""Display frames for the pages: query-layer frames → translated, formatted tables.

Pure functions (no Streamlit), so tests can check them directly. Status and scores are taken
from the marts as they are; this module only words, formats and colours them."""
from __future__ import annotations

from typing import Any

import pandas as pd

from ui import status as S
from ui.formatting import (MISSING, NBSP, format_number, format_period, format_score, format_value,  # noqa: F401
                           format_value_vs, is_missing, measure_unit_text, unit_kind, value_decimals)
from metrics.query import perspectives
from ui.i18n import name_col, translator

PERSPECTIVES = tuple(p["code"] for p in perspectives())  # the seed seeds/perspectives.csv, in order


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


def overview_export(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The overview for a spreadsheet: one name column, scores as whole numbers, statuses as words."""
    t = translator(lang)
    ncol = name_col(lang)
    out = pd.DataFrame({t("label.committee"): df[ncol].fillna(df["name_sv"]).astype(str).values,
                        t("label.peer_group"): [t(f"peer_group.{g}") for g in df["peer_group"]]})
    for p in PERSPECTIVES + ("overall",):
        name = t("label.overall_score") if p == "overall" else t(f"perspective_short.{p}")
        sc = df["overall_score"] if p == "overall" else df[f"score_{p}"]
        st_ = df["overall_status"] if p == "overall" else df[f"status_{p}"]
        out[f"{name} – {t('label.score').lower()}"] = pd.to_numeric(sc, errors="coerce").round(0).astype("Int64").values
        out[f"{name} – {t('label.status').lower()}"] = [S.word(x, lang) for x in st_]
    out[t("label.n_red")] = df["n_red_measures"].fillna(0).astype(int).values
    out[t("label.n_grey")] = df["n_grey_measures"].fillna(0).astype(int).values
    return out


def style_statuses(disp: pd.DataFrame, stat: pd.DataFrame):
    """pandas Styler colouring the cells named in `stat` (status words stay in the text)."""
    def _css(_: pd.DataFrame) -> pd.DataFrame:
        return stat.map(lambda s: S.cell_style(s) if s else "")
    return disp.style.apply(_css, axis=None)


def overview_links(df: pd.DataFrame, lang: str, link: Any) -> dict[str, list[str]]:
    """hrefs for the overview table: the committee name → its scorecard, a perspective cell → the
    scorecard at that perspective. `link(page, **params)` makes an href (ui.state.link)."""
    t = translator(lang)
    codes = list(df["committee_code"])
    out = {t("label.committee"): [link("committee_scorecard", committee=c) for c in codes]}
    for p in PERSPECTIVES:
        out[t(f"perspective_short.{p}")] = [link("committee_scorecard", committee=c, perspective=p) for c in codes]
    out[t("label.overall_score")] = [link("committee_scorecard", committee=c) for c in codes]
    return out


def status_counts(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """How many committees are green / yellow / red / grey on the overall index and on each
    perspective (the headline: a committee red on one perspective is counted there)."""
    t = translator(lang)
    rows = []
    for p in ("overall",) + PERSPECTIVES:
        col = "overall_status" if p == "overall" else f"status_{p}"
        stat = [S.norm(x) for x in df[col]]
        row = {t("label.perspective"): t("label.overall_score") if p == "overall" else t(f"perspective_short.{p}")}
        for s in S.STATUSES:
            row[S.label(s, lang)] = format_number(stat.count(s), 0, lang)
        rows.append(row)
    return pd.DataFrame(rows)


def movers_table(df: pd.DataFrame, lang: str, catalog: pd.DataFrame | None = None) -> pd.DataFrame:
    """The biggest changes since the previous period in values (with the unit) and in score,
    the previous period named in the column heading."""
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
    prev_label = format_period(df["previous_period"].iloc[0], lang) if "previous_period" in df and len(df) else ""
    out = {
        t("label.committee"): df[ncol].fillna(df["name_sv"]).astype(str).values,
        what_label: what,
    }
    if "value" in df.columns:
        units = df["unit"] if "unit" in df else [None] * len(df)
        out[t("label.value_in", period=prev_label)] = [
            f"{format_value(v, u, lang)} {S.icon(s)}" for v, u, s in zip(df["previous_value"], units, df["previous_status"])]
        out[t("label.value_now")] = [f"{format_value(v, u, lang)} {S.icon(s)}" for v, u, s in zip(df["value"], units, df["status"])]
        out[t("label.change")] = [_signed_value(v - p, u, lang) for v, p, u in zip(df["value"], df["previous_value"], units)]
    out[t("label.previous_score")] = [format_score(x, lang) for x in df["previous_score"]]
    out[t("label.score")] = [format_score(x, lang) for x in df["score"]]
    out[t("label.score_change")] = [_signed(x, 0, lang) for x in df["change"]]
    return pd.DataFrame(out)


def _signed(x: Any, decimals: int, lang: str) -> str:
    if is_missing(x):
        return MISSING
    s = format_number(x, decimals, lang)
    return ("+" + s) if round(float(x), decimals) > 0 else s


def _signed_value(x: Any, unit: Any, lang: str) -> str:
    """A change in a measure's unit: "+2,3 procentenheter" for percent, "+1 200 kr", "+0,4"."""
    if is_missing(x):
        return MISSING
    kind = unit_kind(unit)
    d = value_decimals(unit)
    s = _signed(x, d, lang)
    if kind == "percent":
        return s + (f"{NBSP}p.e." if lang == "sv" else f"{NBSP}pp")
    if kind == "money":
        return s + (f"{NBSP}kr" if lang == "sv" else f"{NBSP}SEK")
    return s


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list) -> str:
    """A text sparkline of a measure's recent values, oldest first ("▂▃▅▇"); a gap is "·", fewer
    than two values give "–". Text, so it wraps, copies and reads on any screen."""
    vals = [None if is_missing(v) else float(v) for v in (values or [])]
    present = [v for v in vals if v is not None]
    if len(present) < 2:
        return MISSING
    lo, hi = min(present), max(present)
    span = hi - lo
    return "".join("·" if v is None else SPARK[3 if span == 0 else min(7, int((v - lo) / span * 7 + 0.5))] for v in vals)


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
    return format_value(row.get("target"), unit, lang) if not is_missing(row.get("target")) else MISSING


def shown_value(row: Any, lang: str) -> str:
    """A measure value under the display rule: never shown equal to a target or threshold it is
    not equal to (see ui.formatting.format_value_vs)."""
    refs = [row.get("target"), row.get("red_threshold"), row.get("band_low"), row.get("band_high")]
    return format_value_vs(row.get("value"), row.get("unit"), refs, lang)


def measure_with_unit(name: Any, unit: Any, lang: str) -> str:
    """A measure's name with its unit where the value does not show it: "E-tjänstemognad (index
    0–100)", "It-kostnad per användare (kr/användare/år)"; percent values carry their "%"."""
    if unit_kind(unit) == "percent" or is_missing(unit) or not str(unit).strip():
        return str(name)
    return f"{name} ({measure_unit_text(unit, lang)})"


def scorecard_table(sc: pd.DataFrame, lang: str, period: str, catalog: pd.DataFrame | None = None,
                    trends: dict[str, list] | None = None, previous: pd.DataFrame | None = None,
                    previous_period: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """15 measure rows → (display frame, status frame). The trend column holds a list of values
    (rendered as a sparkline); `previous` (the scorecard of the previous period) gives the change."""
    t = translator(lang)
    ncol = name_col(lang)
    cat = catalog.set_index("measure_id") if catalog is not None and len(catalog) else None
    prev = previous.set_index("measure_id")["value"].to_dict() if previous is not None and len(previous) else {}
    rows, stats = [], []
    for _, r in sc.iterrows():
        crow = cat.loc[r["measure_id"]] if cat is not None and r["measure_id"] in cat.index else None
        unit = r.get("unit")
        pv = prev.get(r["measure_id"])
        rows.append({
            t("label.measure_id"): r["measure_id"],
            t("label.measure"): measure_with_unit(r.get(ncol) if not is_missing(r.get(ncol)) else r.get("name_sv"), unit, lang),
            t("label.perspective"): t(f"perspective_short.{r['perspective']}"),
            t("label.value"): shown_value(r, lang),
            t("label.target"): target_text(r, lang, crow),
            t("label.status"): S.label(r.get("status"), lang),
            t("label.score"): format_score(r.get("score"), lang),
            t("label.change_since", period=format_period(previous_period, lang) if previous_period else MISSING):
                _signed_value(r.get("value") - pv, unit, lang) if not is_missing(pv) and not is_missing(r.get("value")) else MISSING,
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


def scorecard_export(sc: pd.DataFrame, lang: str, period: str, catalog: pd.DataFrame | None = None,
                     previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """The scorecard for a spreadsheet: one name column, values as numbers at their displayed
    precision (at least), units and statuses in words, scores as whole numbers."""
    from ui.formatting import decimals_to_explain

    t = translator(lang)
    ncol = name_col(lang)
    cat = catalog.set_index("measure_id") if catalog is not None and len(catalog) else None
    prev = previous.set_index("measure_id")["value"].to_dict() if previous is not None and len(previous) else {}
    rows = []
    for _, r in sc.iterrows():
        crow = cat.loc[r["measure_id"]] if cat is not None and r["measure_id"] in cat.index else None
        unit = r.get("unit")
        d = decimals_to_explain(r.get("value"), [r.get("target"), r.get("red_threshold")], value_decimals(unit))
        v = None if is_missing(r.get("value")) else round(float(r["value"]), d)
        pv = prev.get(r["measure_id"])
        rows.append({
            t("label.measure_id"): r["measure_id"],
            t("label.measure"): r.get(ncol) if not is_missing(r.get(ncol)) else r.get("name_sv"),
            t("label.perspective"): t(f"perspective_short.{r['perspective']}"),
            t("label.value"): v,
            t("label.unit"): measure_unit_text(unit, lang),
            t("label.target"): None if is_missing(r.get("target")) else float(r["target"]),
            t("label.red_threshold"): None if is_missing(r.get("red_threshold")) else float(r["red_threshold"]),
            t("label.status"): S.word(r.get("status"), lang),
            t("label.score"): None if is_missing(r.get("score")) else int(round(float(r["score"]))),
            t("label.change"): None if is_missing(pv) or v is None else round(float(r["value"]) - float(pv), d),
            t("label.peer_median"): None if is_missing(r.get("peer_median")) else round(float(r["peer_median"]), d),
            t("label.city_value"): None if is_missing(r.get("city_value")) else round(float(r["city_value"]), d),
            t("label.flags"): flags_text(r, lang, period, None if crow is None else crow.get("min_n")),
        })
    out = pd.DataFrame(rows)
    for c in (t("label.value"), t("label.target"), t("label.red_threshold"), t("label.change"),
              t("label.peer_median"), t("label.city_value")):
        out[c] = pd.to_numeric(out[c], errors="coerce")
    out[t("label.score")] = pd.to_numeric(out[t("label.score")], errors="coerce").astype("Int64")
    return out


def records_export(dd: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Records behind a value for a spreadsheet: translated headings and coded values, yes/no in
    words (translate_records), numbers kept as numbers."""
    return translate_records(dd, lang)


def records_table(dd: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Records behind a value for the screen: translated headings, Swedish numbers and dates,
    yes/no in words, "–" for a missing value (never None/nan)."""
    from ui.formatting import format_date
    from ui.i18n import translation_table

    table = translation_table()
    t = translator(lang)
    out = pd.DataFrame(index=dd.index)
    for c in dd.columns:
        s = dd[c]
        if pd.api.types.is_bool_dtype(s) or (s.dtype == object and s.notna().any() and set(s.dropna().unique()) <= {True, False}):
            out[c] = [MISSING if is_missing(v) else t("word.yes") if v else t("word.no") for v in s]
        elif pd.api.types.is_integer_dtype(s) and not c.endswith("_id") and c not in ("year", "line_id", "number", "account"):
            out[c] = [format_number(v, 0, lang) for v in s]
        elif pd.api.types.is_float_dtype(s):
            whole = s.dropna().eq(s.dropna().round(0)).all()
            out[c] = [format_number(v, 0 if whole else 2, lang) for v in s]
        elif pd.api.types.is_datetime64_any_dtype(s):
            out[c] = [format_date(v, lang, with_time=True) for v in s]
        else:  # coded values with a translation `value.<column>.<value>` in words (see translate_records)
            out[c] = [MISSING if is_missing(v) else t(f"value.{c}.{v}") if f"value.{c}.{v}" in table else str(v)
                      for v in s]
    return translate_columns(out, lang)


def batch_message(row: Any, lang: str, counts_shown: bool = False) -> str:
    """A load's message in the UI language. For a loaded or unchanged batch the message is rebuilt
    from its counts (the loader writes English); a rejected batch keeps the loader's own diagnosis
    (file, row, column and reason), which names the data as it is. `counts_shown`: the table shows
    the counts in their own columns, so only what they do not say is returned ("–" if nothing)."""
    import re

    t = translator(lang)
    msg = row.get("message")
    status = str(row.get("status") or "")
    file = str(row.get("file_name") or "")
    if status == "unchanged":
        return t("quality.message_unchanged", file=file)
    if status != "loaded" or is_missing(row.get("rows_loaded")):
        return MISSING if is_missing(msg) or msg == "" else str(msg)
    out = "" if counts_shown else t("quality.message_loaded", file=file, loaded=format_number(row.get("rows_loaded"), 0, lang),
            quarantined=format_number(row.get("rows_quarantined") or 0, 0, lang),
            replaced=format_number(row.get("rows_replaced") or 0, 0, lang))
    m = re.search(r"(\d+) event rows collapsed to (\d+) records", str(msg or ""))
    if m:
        out += (" " if out else "") + t("quality.message_collapsed", events=format_number(int(m.group(1)), 0, lang),
                       records=format_number(int(m.group(2)), 0, lang))
    return out or MISSING


def quarantine_reason(row: Any, lang: str) -> str:
    """A quarantined row's reason in the UI language, from its structured fields (file, row,
    column, rule, raw value) — the loader's own text is English."""
    import json

    from ui.i18n import translation_table

    t = translator(lang)
    rule = str(row.get("rule") or "")
    column = str(row.get("column_name") or "")
    value = ""
    try:
        raw = json.loads(row.get("raw_values") or "{}")
        value = raw.get(column)
    except (TypeError, ValueError, AttributeError):
        pass
    value = MISSING if value is None else str(value)
    args = {"file": str(row.get("file_name") or ""), "row": format_number(row.get("source_row"), 0, lang),
            "column": t(f"col.{column}") if f"col.{column}" in translation_table() else column, "value": value}
    if f"reason.{rule}" in translation_table() and rule != "other":
        return t(f"reason.{rule}", **args)
    return t("reason.other", detail=str(row.get("reason") or ""), **args)


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
