"""The committee report and the city report as PDF (ReportLab platypus): A4, the committee's name,
period and data version in every page's header, tables that break across pages with their header
row repeated (Table(repeatRows=1)), charts as vector drawings (reportlab.graphics), status as icon +
word with a colour tint (never colour alone).

Output is deterministic (rl_config.invariant): the same report data gives the same bytes, which is
what lets a closed period's report be compared before and after a data revision."""
from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path
from typing import Callable

from reportlab import rl_config
from reportlab.graphics.shapes import Drawing, Line, PolyLine, Circle, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (BaseDocTemplate, CondPageBreak, Frame, KeepTogether, PageBreak, PageTemplate,
                                Paragraph, Spacer, Table, TableStyle)
from xml.sax.saxutils import escape

from reports import fmt
from reports.model import PERSPECTIVES
from reports.texts import status_label, translator

rl_config.invariant = 1

COLOURS = {"green": "#0072B2", "yellow": "#E69F00", "red": "#D55E00", "grey": "#999999"}
TINTS = {"green": "#CCE3F0", "yellow": "#FAECCC", "red": "#F7DFCC", "grey": "#EBEBEB"}
HEADER_BG = colors.HexColor("#1F3A5F")
GRID = colors.HexColor("#B0B7C3")
WIDTH = A4[0] - 30 * mm  # frame width with 15 mm margins

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu")]


@lru_cache(maxsize=1)
def fonts() -> tuple[str, str]:
    """DejaVu Sans (Debian's fonts-dejavu-core: has å ä ö and the status icons ✔ ▲ ✖ ○), else the
    Bitstream Vera that ships with ReportLab (same metrics, fewer symbols)."""
    for d in FONT_DIRS:
        regular, bold = d / "DejaVuSans.ttf", d / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            pdfmetrics.registerFont(TTFont("Report", str(regular)))
            pdfmetrics.registerFont(TTFont("Report-Bold", str(bold)))
            break
    else:
        pdfmetrics.registerFont(TTFont("Report", "Vera.ttf"))
        pdfmetrics.registerFont(TTFont("Report-Bold", "VeraBd.ttf"))
    from reportlab.lib.fonts import addMapping
    addMapping("Report", 0, 0, "Report")
    addMapping("Report", 1, 0, "Report-Bold")
    addMapping("Report", 0, 1, "Report")
    addMapping("Report", 1, 1, "Report-Bold")
    return "Report", "Report-Bold"


@lru_cache(maxsize=1)
def styles() -> dict[str, ParagraphStyle]:
    regular, bold = fonts()
    base = ParagraphStyle("base", fontName=regular, fontSize=8.5, leading=10.5)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=9.5),
        "num": ParagraphStyle("num", parent=base, fontSize=8, leading=9.5, alignment=TA_RIGHT),
        "head": ParagraphStyle("head", parent=base, fontName=bold, fontSize=8, leading=9.5, textColor=colors.white),
        "headnum": ParagraphStyle("headnum", parent=base, fontName=bold, fontSize=8, leading=9.5,
                                  textColor=colors.white, alignment=TA_RIGHT),
        "headsmall": ParagraphStyle("headsmall", parent=base, fontName=bold, fontSize=7, leading=8.5,
                                    textColor=colors.white),
        "headsmallnum": ParagraphStyle("headsmallnum", parent=base, fontName=bold, fontSize=7, leading=8.5,
                                       textColor=colors.white, alignment=TA_RIGHT),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=17, leading=21, spaceAfter=2),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=11, leading=14, spaceAfter=6),
        "h1": ParagraphStyle("h1", parent=base, fontName=bold, fontSize=12.5, leading=16, spaceBefore=8, spaceAfter=4,
                             textColor=HEADER_BG),
        "h2": ParagraphStyle("h2", parent=base, fontName=bold, fontSize=9.5, leading=12, spaceBefore=6, spaceAfter=2),
        "banner": ParagraphStyle("banner", parent=base, fontName=bold, fontSize=9, leading=12, textColor=colors.white,
                                 backColor=colors.HexColor("#8A2E00"), borderPadding=(3, 4, 3, 4), spaceAfter=6),
        "card_score": ParagraphStyle("card_score", parent=base, fontName=bold, fontSize=18, leading=22),
    }


def p(text, style: str = "cell") -> Paragraph:
    return Paragraph(escape("" if text is None else str(text)).replace("\n", "<br/>"), styles()[style])


def name_of(obj: dict, lang: str, prefix: str = "name") -> str:
    return obj.get(f"{prefix}_{lang}") or obj.get(f"{prefix}_sv") or ""


def sparkline(trend: list[dict], width: float = 11.5 * mm, height: float = 5.5 * mm) -> Drawing:
    """The measure's last tertials as a vector line; the last point in its status colour."""
    d = Drawing(width, height)
    pts = [(i, t["value"]) for i, t in enumerate(trend) if t.get("value") is not None]
    if len(pts) >= 1:
        n = max(len(trend) - 1, 1)
        lo, hi = min(v for _, v in pts), max(v for _, v in pts)
        span = (hi - lo) or 1.0
        xy = [(1.5 + i / n * (width - 3), 1.5 + (v - lo) / span * (height - 3)) for i, v in pts]
        if len(xy) > 1:
            d.add(PolyLine([c for pt in xy for c in pt], strokeColor=colors.HexColor("#444444"), strokeWidth=0.8))
        last = trend[pts[-1][0]]
        d.add(Circle(xy[-1][0], xy[-1][1], 1.3, fillColor=colors.HexColor(COLOURS.get(last["status"], "#999999")),
                     strokeColor=None))
    return d


def perspective_chart(report: dict, lang: str, width: float = WIDTH, height: float = 52 * mm) -> Drawing:
    """Horizontal bars: the committee's score per perspective (0–100), the peer median as a tick."""
    t = translator(lang)
    regular, bold = fonts()
    d = Drawing(width, height)
    label_w, top = 48 * mm, height - 12
    d.add(String(0, height - 8, t("chart.perspectives"), fontName=bold, fontSize=8.5))
    bar_w = width - label_w - 30 * mm
    row_h = (top - 14) / len(report["perspectives"])
    for i, ps in enumerate(report["perspectives"]):
        y = top - (i + 1) * row_h + 3
        d.add(String(0, y + row_h / 2 - 5, t(f"perspective.{ps['perspective']}"), fontName=regular, fontSize=7.5))
        d.add(Rect(label_w, y, bar_w, row_h - 6, fillColor=colors.HexColor("#F3F4F6"), strokeColor=None))
        if ps.get("score") is not None:
            d.add(Rect(label_w, y, bar_w * ps["score"] / 100, row_h - 6,
                       fillColor=colors.HexColor(COLOURS.get(ps["status"], "#999999")), strokeColor=None))
        if ps.get("peer_median_score") is not None:
            x = label_w + bar_w * ps["peer_median_score"] / 100
            d.add(Line(x, y - 2, x, y + row_h - 4, strokeColor=colors.black, strokeWidth=1.4))
        d.add(String(label_w + bar_w + 4, y + row_h / 2 - 5,
                     f"{fmt.score(ps.get('score'), lang)}  {status_label(ps['status'], lang)}", fontName=regular,
                     fontSize=7.5))
    axis_y = top - len(report["perspectives"]) * row_h - 1
    for v in (0, 25, 50, 75, 100):
        x = label_w + bar_w * v / 100
        d.add(Line(x, axis_y, x, axis_y - 2, strokeColor=colors.black, strokeWidth=0.4))
        d.add(String(x - 3, axis_y - 9, fmt.score(v, lang), fontName=regular, fontSize=6.5))
    d.add(Line(width - 45 * mm, height - 9, width - 45 * mm, height - 2, strokeColor=colors.black, strokeWidth=1.4))
    d.add(String(width - 43 * mm, height - 8, "= " + t("label.peer_median"), fontName=regular, fontSize=7))
    return d


def grid_style(header_rows: int = 1) -> list:
    return [
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), HEADER_BG),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, GRID),
        ("BOX", (0, 0), (-1, -1), 0.5, GRID),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]


def status_cell(status: str, lang: str, insufficient: bool = False) -> Paragraph:
    return p(status_label(status, lang, insufficient), "cell")


def target_text(m: dict, lang: str) -> str:
    if m.get("direction") == "band" and m.get("band_low") is not None:
        return f"{fmt.number(m['band_low'], 1, lang)}–{fmt.value(m['band_high'], m['unit'], lang)}"
    return fmt.value(m.get("target"), m.get("unit"), lang)


def measure_table(report: dict, lang: str) -> Table:
    t = translator(lang)
    head = [p(t("label.measure_id"), "headsmall"), p(t("label.measure"), "headsmall"), p(t("label.value"), "headsmallnum"),
            p(t("label.target"), "headsmallnum"),
            p(t("label.status"), "headsmall"), p(t("label.peer_median_2l"), "headsmallnum"),
            p(t("label.city_value"), "headsmallnum"), p(t("label.trend"), "headsmall")]
    rows, style = [head], grid_style()
    for persp in PERSPECTIVES:
        rows.append([p(t(f"perspective.{persp}"), "h2")] + [""] * 7)
        r = len(rows) - 1
        style += [("SPAN", (0, r), (-1, r)), ("BACKGROUND", (0, r), (-1, r), colors.HexColor("#E8ECF2"))]
        for m in (m for m in report["measures"] if m["perspective"] == persp):
            value = fmt.value(m["value"], m["unit"], lang)
            if m.get("value_period") and m["value_period"] != report["period"] and m["value"] is not None:
                value += "\n" + fmt.period(m["value_period"], lang)
            note = ""
            if m.get("insufficient_data"):
                note = "\n" + t("note.insufficient", n=fmt.number(m.get("n_obs"), 0, lang), min_n=fmt.number(m.get("min_n"), 0, lang))
            trend = Table([[sparkline(m["trend"]), p(fmt.signed(m.get("change"), 0 if fmt.unit_kind(m["unit"]) == "money" else 1, lang), "num")]],
                          colWidths=[12 * mm, 12 * mm], style=[("LEFTPADDING", (0, 0), (-1, -1), 0),
                                                               ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                                                               ("VALIGN", (0, 0), (-1, -1), "MIDDLE")])
            rows.append([p(m["measure_id"]), p(f"{name_of(m, lang)}{note}"), p(value, "num"), p(target_text(m, lang), "num"),
                         status_cell(m["status"], lang, m.get("insufficient_data")),
                         p(fmt.value(m.get("peer_median"), m["unit"], lang), "num"),
                         p(fmt.value(m.get("city_value"), m["unit"], lang), "num"), trend])
            r = len(rows) - 1
            style += [("BACKGROUND", (4, r), (4, r), colors.HexColor(TINTS.get(m["status"], TINTS["grey"]))),
                      ("LINEBEFORE", (4, r), (4, r), 3, colors.HexColor(COLOURS.get(m["status"], COLOURS["grey"])))]
    style += [("LEFTPADDING", (7, 1), (7, -1), 1), ("RIGHTPADDING", (7, 1), (7, -1), 2)]
    widths = [8 * mm, 53 * mm, 18 * mm, 17 * mm, 21 * mm, 19 * mm, 17 * mm, 27 * mm]
    return Table(rows, colWidths=widths, repeatRows=1, style=TableStyle(style), hAlign="LEFT")


def perspective_cards(report: dict, lang: str) -> Table:
    t = translator(lang)
    cells, style = [], grid_style(0)
    for i, ps in enumerate(report["perspectives"]):
        flag = " ⚑" if ps.get("red_flag") else ""
        cells.append([p(t(f"perspective_short.{ps['perspective']}"), "h2"), p(fmt.score(ps.get("score"), lang), "card_score"),
                      p(status_label(ps["status"], lang) + flag),
                      p(f"{t('label.peer_median')}: {fmt.score(ps.get('peer_median_score'), lang)}", "small")])
        style += [("BACKGROUND", (i, 0), (i, 0), colors.HexColor(TINTS.get(ps["status"], TINTS["grey"]))),
                  ("LINEABOVE", (i, 0), (i, 0), 3, colors.HexColor(COLOURS.get(ps["status"], COLOURS["grey"])))]
    style += [("VALIGN", (0, 0), (-1, -1), "TOP"), ("INNERGRID", (0, 0), (-1, -1), 0.5, colors.white)]
    return Table([cells], colWidths=[WIDTH / 5] * 5, style=TableStyle(style))


def _subject_name(report: dict, kind: str, subject: str, lang: str) -> str:
    t = translator(lang)
    if kind == "measure":
        m = next((m for m in report["measures"] if m["measure_id"] == subject), None)
        return f"{subject} {name_of(m, lang)}" if m else subject
    if kind == "perspective":
        return t(f"perspective.{subject}")
    return t("subject.committee")


def analysis_block(report: dict, a: dict, lang: str) -> list:
    t = translator(lang)
    out = []
    meta = []
    if a.get("assessment"):
        meta.append(f"{t('label.assessment')}: {t('assessment.' + a['assessment'])}")
    if a.get("author"):
        meta.append(f"{t('label.author')}: {a['author']}" + (f", {a['written_at'][:10]}" if a.get("written_at") else ""))
    out.append(p(a.get("text") or "", "base"))
    if meta:
        out.append(p(" · ".join(meta), "small"))
    return out


def actions_table(actions: list[dict], lang: str, with_subject: Callable[[dict], str] | None = None) -> Table:
    t = translator(lang)
    head = [p(t("label.action"), "head"), p(t("label.responsible"), "head"), p(t("label.due"), "head"),
            p(t("label.action_status"), "head"), p(t("label.since"), "head")]
    rows = [head]
    for a in actions:
        what = a["what"] if with_subject is None else f"{with_subject(a)}: {a['what']}"
        rows.append([p(what), p(a.get("responsible")), p(a.get("due_date") or fmt.MISSING),
                     p(t("action." + a.get("status", "planned"))), p(fmt.period(a.get("period_created"), lang))])
    return Table(rows, colWidths=[78 * mm, 35 * mm, 22 * mm, 20 * mm, 25 * mm], repeatRows=1,
                 style=TableStyle(grid_style()), hAlign="LEFT")


def analyses_section(report: dict, lang: str) -> list:
    t = translator(lang)
    cyc = report["cycle"]
    flow: list = [Paragraph(t("section.analyses"), styles()["h1"])]
    analyses = {(a["subject_kind"], a["subject_id"]): a for a in cyc["analyses"]}
    actions = cyc["actions"]
    committee = analyses.get(("committee", report["committee"]["code"]))
    flow.append(Paragraph(t("section.committee_analysis"), styles()["h2"]))
    flow += analysis_block(report, committee, lang) if committee else [p(t("note.no_analysis"), "small")]
    for persp in PERSPECTIVES:
        flow.append(CondPageBreak(30 * mm))
        flow.append(Paragraph(t(f"perspective.{persp}"), styles()["h2"]))
        pa = analyses.get(("perspective", persp))
        if pa:
            flow += analysis_block(report, pa, lang)
        for m in (m for m in report["measures"] if m["perspective"] == persp):
            ma = analyses.get(("measure", m["measure_id"]))
            macts = [a for a in actions if a.get("measure_id") == m["measure_id"]]
            if not ma and not macts and m["status"] not in ("red", "yellow"):
                continue
            head = p(f"{m['measure_id']} {name_of(m, lang)} — {fmt.value(m['value'], m['unit'], lang)} · "
                     f"{status_label(m['status'], lang, m.get('insufficient_data'))}", "base")
            block = [Spacer(1, 3), head]
            block += analysis_block(report, ma, lang) if ma else [p(t("note.no_analysis"), "small")]
            flow.append(KeepTogether(block))
            if macts:
                flow.append(actions_table(macts, lang))
    general = [a for a in actions if not a.get("measure_id")]
    if general:
        flow.append(Paragraph(t("label.actions"), styles()["h2"]))
        flow.append(actions_table(general, lang))
    return flow


def approval_section(report: dict, lang: str) -> list:
    t = translator(lang)
    wf = report["cycle"]["workflow"]
    flow = [Paragraph(t("section.approval"), styles()["h1"]),
            p(f"{t('label.workflow_state')}: {t('state.' + wf.get('state', 'not_started'))}", "base")]
    if wf.get("approved_by"):
        flow.append(p(f"{t('label.approved_by')}: {wf['approved_by']}, {(wf.get('approved_at') or '')[:16].replace('T', ' ')}", "base"))
    else:
        flow.append(p(t("note.not_approved"), "small"))
    steps = wf.get("steps") or []
    if steps:
        rows = [[p(t("label.workflow_state"), "head"), p(t("label.author"), "head"), p(t("label.written_at"), "head"),
                 p(t("label.comment"), "head")]]
        for s in steps:
            rows.append([p(t("state." + s["state"])), p(s.get("actor")), p((s.get("at") or "")[:16].replace("T", " ")),
                         p(s.get("comment") or "")])
        flow.append(Spacer(1, 3))
        flow.append(Table(rows, colWidths=[28 * mm, 45 * mm, 30 * mm, 77 * mm], repeatRows=1,
                          style=TableStyle(grid_style()), hAlign="LEFT"))
    closed = report["cycle"].get("closed")
    if closed:
        flow.append(Spacer(1, 3))
        flow.append(p(f"{t('label.closed')}: {closed.get('closed_by')}, {(closed.get('closed_at') or '')[:16].replace('T', ' ')}", "base"))
    return flow


def definitions_section(report: dict, lang: str) -> list:
    t = translator(lang)
    head = [p(t("label.measure"), "head"), p(t("label.description"), "head"), p(t("label.formula"), "head"),
            p(t("label.source"), "head"), p(t("label.target"), "headnum"), p(t("label.red_threshold"), "headnum")]
    rows = [head]
    for d in report["definitions"]:
        target = target_text(d, lang)
        if d.get("direction") == "band":
            red = t("note.within")
        else:
            red = fmt.value(d.get("red_threshold"), d.get("unit"), lang)
        rows.append([p(f"{d['measure_id']} {name_of(d, lang)}\n({t('note.' + d['direction']) if d['direction'] != 'band' else t('note.within')})", "small"),
                     p(name_of(d, lang, "description"), "small"), p(name_of(d, lang, "formula"), "small"),
                     p(name_of(d, lang, "source"), "small"), p(target, "num"), p(red, "num")])
    flow = [PageBreak(), Paragraph(t("section.definitions"), styles()["h1"]),
            Table(rows, colWidths=[30 * mm, 46 * mm, 50 * mm, 20 * mm, 17 * mm, 17 * mm], repeatRows=1,
                  style=TableStyle(grid_style() + [("VALIGN", (0, 0), (-1, -1), "TOP")]), hAlign="LEFT")]
    flow += sources_section(report, lang)
    return flow


def latest_per_source(batches: list[dict]) -> list[dict]:
    seen, out = set(), []
    for b in sorted(batches, key=lambda b: (b["source"], -int(b["batch_id"]))):
        if b["source"] not in seen:
            seen.add(b["source"])
            out.append(b)
    return out


def sources_section(report: dict, lang: str) -> list:
    t = translator(lang)
    rows = [[p(t("label.source"), "head"), p(t("label.batch"), "headnum"), p(t("label.file"), "head"),
             p(t("label.rows"), "headnum"), p(t("label.periods"), "head"), p(t("label.loaded_at"), "head")]]
    for b in latest_per_source(report["batches"]):
        span = "–".join(x for x in (b.get("periods_min"), b.get("periods_max")) if x) or fmt.MISSING
        rows.append([p(b["source"], "small"), p(str(b["batch_id"]), "num"), p(b["file_name"], "small"),
                     p(fmt.number(b.get("rows_loaded"), 0, lang), "num"), p(span, "small"),
                     p((b.get("finished_at") or "")[:16].replace("T", " "), "small")])
    return [Paragraph(t("label.sources"), styles()["h2"]),
            p(f"{t('label.data_version')} {report['data_version']} · {t('label.published_at')} "
              f"{report['published_at'][:16].replace('T', ' ')}", "small"), Spacer(1, 2),
            Table(rows, colWidths=[32 * mm, 16 * mm, 50 * mm, 20 * mm, 30 * mm, 32 * mm], repeatRows=1,
                  style=TableStyle(grid_style()), hAlign="LEFT")]


def status_banner(report: dict, lang: str) -> list:
    t = translator(lang)
    if report["cycle"].get("closed"):
        return []
    return [Paragraph(escape(t("label.preliminary")), styles()["banner"])]


def committee_flow(report: dict, lang: str, with_appendix: bool = True) -> list:
    t = translator(lang)
    c = report["committee"]
    overall = report["overall"] or {}
    peer = t(f"peer_group.{c['peer_group']}") if f"peer_group.{c['peer_group']}" in _known_keys() else c["peer_group"]
    wf_state = report["cycle"]["workflow"].get("state", "not_started")
    flow = [Paragraph(escape(name_of(c, lang)), styles()["title"]),
            Paragraph(escape(f"{t('title.committee')} · {fmt.period(report['period'], lang)}"), styles()["subtitle"])]
    flow += status_banner(report, lang)
    flow.append(p(f"{t('label.peer_group')}: {peer} · {t('label.workflow_state')}: {t('state.' + wf_state)} · "
                  f"{t('label.overall')}: {fmt.score(overall.get('score'), lang)} "
                  f"{status_label(overall.get('status') or 'grey', lang)}", "base"))
    flow += [Paragraph(t("section.perspectives"), styles()["h1"]), perspective_cards(report, lang), Spacer(1, 4),
             perspective_chart(report, lang),
             Paragraph(t("section.measures"), styles()["h1"]), measure_table(report, lang),
             p(t("note.trend", n=len(report["measures"][0]["trend"]) if report["measures"] else 0), "small")]
    flow += analyses_section(report, lang)
    flow += approval_section(report, lang)
    if with_appendix:
        flow += definitions_section(report, lang)
    return flow


@lru_cache(maxsize=1)
def _known_keys() -> frozenset:
    from reports.texts import TEXTS
    return frozenset(TEXTS)


class ReportDoc(BaseDocTemplate):
    def __init__(self, out, header: Callable[[], str], lang: str, **kw):
        super().__init__(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=20 * mm,
                         bottomMargin=15 * mm, **kw)
        self.header_text = header
        self.lang = lang
        frame = Frame(self.leftMargin, self.bottomMargin, self.width, self.height, id="body")
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self._decorate)])

    def _decorate(self, canvas, doc) -> None:
        regular, bold = fonts()
        t = translator(self.lang)
        canvas.saveState()
        canvas.setFont(regular, 7.5)
        canvas.setFillColor(colors.HexColor("#333333"))
        canvas.drawString(15 * mm, A4[1] - 11 * mm, self.header_text())
        canvas.setStrokeColor(GRID)
        canvas.line(15 * mm, A4[1] - 13 * mm, A4[0] - 15 * mm, A4[1] - 13 * mm)
        canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, f"{t('label.page')} {doc.page}")
        canvas.restoreState()


def header_line(report: dict, lang: str) -> str:
    t = translator(lang)
    closed = report["cycle"].get("closed")
    state = t("label.closed") if closed else t("label.preliminary").split(" –")[0]
    return (f"{name_of(report['committee'], lang)} · {t('title.committee')} {fmt.period(report['period'], lang)} · "
            f"{t('label.data_version')} {report['data_version']} · {state}")


def committee_pdf(report: dict, lang: str = "sv") -> bytes:
    buf = io.BytesIO()
    c = report["committee"]
    doc = ReportDoc(buf, lambda: header_line(report, lang), lang,
                    title=f"{name_of(c, lang)} {fmt.period(report['period'], lang)}", author="", subject="",
                    creator="stadens it-styrkort")
    doc.build(committee_flow(report, lang))
    return buf.getvalue()


def city_pdf(city: dict, lang: str = "sv") -> bytes:
    """The city report: the overview of every committee × perspective, then each committee's summary
    (cards, measure table, analyses and approval) — the definitions once at the end."""
    t = translator(lang)
    buf = io.BytesIO()
    current = {"name": t("section.overview")}

    def header() -> str:
        return (f"{t('title.city')} {fmt.period(city['period'], lang)} · {current['name']} · "
                f"{t('label.data_version')} {city['data_version']}")

    doc = ReportDoc(buf, header, lang, title=f"{t('title.city')} {fmt.period(city['period'], lang)}", creator="stadens it-styrkort")
    flow: list = [Paragraph(escape(t("title.city")), styles()["title"]),
                  Paragraph(escape(fmt.period(city["period"], lang)), styles()["subtitle"]),
                  Paragraph(t("section.overview"), styles()["h1"]), overview_table(city, lang)]

    class Marker(Spacer):
        def __init__(self, name):
            super().__init__(0, 0)
            self.name = name

        def draw(self):
            current["name"] = self.name

    for report in city["committees"]:
        flow += [PageBreak(), Marker(name_of(report["committee"], lang))]
        flow += committee_flow(report, lang, with_appendix=False)
    if city["committees"]:
        flow += [Marker(t("section.definitions"))] + definitions_section(city["committees"][0], lang)
    doc.build(flow)
    return buf.getvalue()


def overview_table(city: dict, lang: str) -> Table:
    t = translator(lang)
    head = [p(t("label.committee"), "headsmall")] + [p(t(f"perspective_short.{x}"), "headsmall") for x in PERSPECTIVES] \
        + [p(t("label.overall_short"), "headsmall"), p(t("label.n_red_short"), "headsmall"),
           p(t("label.report_short"), "headsmall")]
    rows, style = [head], grid_style()
    states = {r["committee"]["code"]: r["cycle"]["workflow"].get("state", "not_started") for r in city["committees"]}
    for row in city["overview"]:
        cells = [p(row.get(f"name_{lang}") or row["name_sv"], "small")]
        for i, x in enumerate(PERSPECTIVES):
            cells.append(p(f"{fmt.score(row.get(f'score_{x}'), lang)} {status_label(row.get(f'status_{x}') or 'grey', lang)}", "small"))
            r = len(rows)
            style.append(("BACKGROUND", (1 + i, r), (1 + i, r), colors.HexColor(TINTS.get(row.get(f"status_{x}") or "grey"))))
        cells.append(p(f"{fmt.score(row.get('overall_score'), lang)} {status_label(row.get('overall_status') or 'grey', lang)}", "small"))
        cells.append(p(fmt.number(row.get("n_red_measures"), 0, lang), "num"))
        cells.append(p(t("state." + states.get(row["committee_code"], "not_started")), "small"))
        rows.append(cells)
    return Table(rows, colWidths=[40 * mm] + [19 * mm] * 5 + [19 * mm, 10 * mm, 16 * mm], repeatRows=1,
                 style=TableStyle(style), hAlign="LEFT")
