"""Renders the per-source tables of docs/contracts.md from etl/contracts/*.yaml.

`python -m etl.docgen` rewrites the generated section of docs/contracts.md in place.
"""
from __future__ import annotations

from pathlib import Path

from etl.contracts import Column, Contract, load_contracts

DOC = Path(__file__).resolve().parents[1] / "docs" / "contracts.md"
BEGIN = "<!-- BEGIN GENERATED SOURCES (python -m etl.docgen) -->"
END = "<!-- END GENERATED SOURCES -->"


def _rules(col: Column) -> str:
    rules = []
    if col.allowed:
        rules.append("one of " + ", ".join(f"`{v}`" for v in col.allowed))
    if col.min is not None:
        rules.append(f"≥ {col.min:g}")
    if col.max is not None:
        rules.append(f"≤ {col.max:g}")
    if col.pattern:
        rules.append(f"matches `{col.pattern}`")
    if col.not_before:
        rules.append(f"not before `{col.not_before}`")
    if col.not_above:
        rules.append(f"not above `{col.not_above}`")
    if col.references:
        rules.append(f"must exist in `{col.references}`")
    if col.format:
        rules.append(f"format `{col.format}`")
    if col.type in ("date", "month", "timestamp"):
        ahead = "the default window" if col.future_months is None else f"up to {col.future_months} months ahead"
        rules.append(f"plausible date ({ahead})")
    return "; ".join(rules)


def scope_words(c: Contract) -> str:
    """What a re-delivery replaces, in words."""
    names = ", ".join(f"`{s}`" for s in c.scope)
    if list(c.scope) == list(c.key):
        return (f"Re-delivery: upsert by {names}; a row replaces the stored row with the same key, other stored "
                "rows stay.")
    if c.period_column and ("month" in c.scope or "year" in c.scope or c.period_column in c.scope):
        return (f"Re-delivery: period-scoped; replaces every stored row with the same {names} as the delivery, "
                "so rows of those periods that the re-delivery no longer contains are removed (withdrawn).")
    return f"Re-delivery: replaces every stored row with the same {names} as the delivery (rows missing from it are removed)."


def _presence(col: Column) -> str:
    if col.optional:
        return "optional column" + (", value required" if col.required else "")
    return "required, not empty" if col.required else "column required, may be empty"


def render_contract(c: Contract) -> str:
    lines = [f"### `{c.source}` — {c.title_en} ({c.title_sv})", ""]
    if c.description:
        lines += [c.description, ""]
    period = f"`{c.period_column}` ({c.period_grain})" if c.period_column else "—"
    lines += [
        f"Table `{c.table}` · key `{', '.join(c.key)}` · revision scope `{', '.join(c.scope)}` · "
        f"period {period} · max_bad_share {c.max_bad_share:g}",
        "",
        scope_words(c),
        "",
    ]
    extras = []
    if c.preprocess:
        extras.append(f"preprocess `{c.preprocess}`")
    if c.missing_values != ("",):
        extras.append("missing values " + ", ".join(f"`{m}`" if m else "empty" for m in c.missing_values))
    if c.timestamp_format:
        extras.append(f"timestamps `{c.timestamp_format}`")
    if c.drop_columns:
        extras.append("dropped on read, never stored: " + ", ".join(f"`{d}`" for d in c.drop_columns))
    if extras:
        lines += ["; ".join(extras), ""]
    lines += ["| column | type | unit | presence | rules | description |", "|---|---|---|---|---|---|"]
    for col in c.columns:
        lines.append(f"| `{col.name}` | {col.type} | {col.unit or ''} | {_presence(col)} | {_rules(col)} | "
                     f"{(col.description or '').replace('|', '/')} |")
    return "\n".join(lines)


def render_sources() -> str:
    return "\n\n".join(render_contract(c) for c in load_contracts().values())


def generated_section(text: str) -> str:
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip()


def rewrite(doc: Path = DOC) -> None:
    text = doc.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    doc.write_text(f"{head}{BEGIN}\n\n{render_sources()}\n\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    rewrite()
