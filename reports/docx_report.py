"""The committee report as a Word document (python-docx): A4, the committee's name, period and data
version in the page header, the same sections and numbers as the PDF. Every table's first row is a
header row that Word repeats on each page (w:tblHeader) and rows do not split across pages."""
from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from reports import fmt
from reports.model import PERSPECTIVES
from reports.pdf import TINTS, header_line, latest_per_source, name_of, target_text
from reports.texts import status_label, translator


def _shade(cell, hex_colour: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), hex_colour.lstrip("#"))
    tc_pr.append(shd)


def _header_row(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    for tag in ("w:tblHeader", "w:cantSplit"):
        el = OxmlElement(tag)
        el.set(qn("w:val"), "true")
        tr_pr.append(el)


def _no_split(row) -> None:
    el = OxmlElement("w:cantSplit")
    el.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(el)


def table(doc, head: list[str], rows: list[list[str]], widths_mm: list[float], numeric: set[int] = frozenset(),
          tints: dict[tuple[int, int], str] | None = None):
    tbl = doc.add_table(rows=1, cols=len(head))
    tbl.style = "Table Grid"
    tbl.alignment = WD_TABLE_ALIGNMENT.LEFT
    hdr = tbl.rows[0]
    _header_row(hdr)
    for i, text in enumerate(head):
        cell = hdr.cells[i]
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
        run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
        _shade(cell, "#1F3A5F")
    for r, values in enumerate(rows, start=1):
        row = tbl.add_row()
        _no_split(row)
        for i, text in enumerate(values):
            cell = row.cells[i]
            cell.text = "" if text is None else str(text)
            if i in numeric:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if tints and (r, i) in tints:
                _shade(cell, tints[(r, i)])
    for i, w in enumerate(widths_mm):
        for row in tbl.rows:
            row.cells[i].width = Mm(w)
    return tbl


def committee_docx(report: dict, lang: str = "sv") -> bytes:
    t = translator(lang)
    doc = Document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Mm(210), Mm(297)
    sec.left_margin = sec.right_margin = Mm(15)
    sec.top_margin, sec.bottom_margin = Mm(20), Mm(15)
    style = doc.styles["Normal"]
    style.font.name = "Calibri"
    style.font.size = Pt(9)
    doc.core_properties.title = f"{name_of(report['committee'], lang)} {fmt.period(report['period'], lang)}"
    doc.core_properties.language = "sv-SE" if lang == "sv" else "en-GB"
    hp = sec.header.paragraphs[0]
    hp.text = header_line(report, lang)
    hp.runs[0].font.size = Pt(7.5)
    # page number field in the footer
    fp = sec.footer.paragraphs[0]
    fp.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    fp.add_run(f"{t('label.page')} ")
    run = fp.add_run()
    for tag, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if tag:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), tag)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)

    c, cyc = report["committee"], report["cycle"]
    overall = report["overall"] or {}
    doc.add_heading(name_of(c, lang), level=0)
    doc.add_paragraph(f"{t('title.committee')} · {fmt.period(report['period'], lang)}")
    if not cyc.get("closed"):
        par = doc.add_paragraph()
        r = par.add_run(t("label.preliminary"))
        r.bold = True
        r.font.color.rgb = RGBColor(0x8A, 0x2E, 0x00)
    doc.add_paragraph(f"{t('label.peer_group')}: {t('peer_group.' + c['peer_group'])} · {t('label.workflow_state')}: "
                      f"{t('state.' + cyc['workflow'].get('state', 'not_started'))} · {t('label.overall')}: "
                      f"{fmt.score(overall.get('score'), lang)} {status_label(overall.get('status') or 'grey', lang)}")

    doc.add_heading(t("section.perspectives"), level=1)
    rows, tints = [], {}
    for i, ps in enumerate(report["perspectives"], start=1):
        rows.append([t(f"perspective.{ps['perspective']}"), fmt.score(ps.get("score"), lang),
                     status_label(ps["status"], lang) + (" ⚑" if ps.get("red_flag") else ""),
                     fmt.score(ps.get("peer_median_score"), lang)])
        tints[(i, 2)] = TINTS.get(ps["status"], TINTS["grey"])
    table(doc, [t("label.perspective"), t("label.score"), t("label.status"), t("label.peer_median")], rows,
          [70, 25, 45, 40], numeric={1, 3}, tints=tints)

    doc.add_heading(t("section.measures"), level=1)
    rows, tints = [], {}
    for persp in PERSPECTIVES:
        for m in (m for m in report["measures"] if m["perspective"] == persp):
            value = fmt.value(m["value"], m["unit"], lang)
            if m.get("value_period") and m["value_period"] != report["period"] and m["value"] is not None:
                value += f" ({fmt.period(m['value_period'], lang)})"
            trend = " ".join(fmt.value(x["value"], m["unit"], lang) for x in m["trend"][-3:])
            rows.append([f"{m['measure_id']} {name_of(m, lang)}", value, target_text(m, lang),
                         status_label(m["status"], lang, m.get("insufficient_data")),
                         fmt.value(m.get("peer_median"), m["unit"], lang), fmt.value(m.get("city_value"), m["unit"], lang),
                         f"{fmt.signed(m.get('change'), 0 if fmt.unit_kind(m['unit']) == 'money' else 1, lang)}"])
            tints[(len(rows), 3)] = TINTS.get(m["status"], TINTS["grey"])
    table(doc, [t("label.measure"), t("label.value"), t("label.target"), t("label.status"), t("label.peer_median"),
                t("label.city_value"), t("label.change")], rows, [50, 22, 20, 28, 22, 20, 18], numeric={1, 2, 4, 5, 6},
          tints=tints)

    doc.add_heading(t("section.analyses"), level=1)
    analyses = {(a["subject_kind"], a["subject_id"]): a for a in cyc["analyses"]}
    measures = {m["measure_id"]: m for m in report["measures"]}

    def write_analysis(title: str, a: dict | None) -> None:
        doc.add_heading(title, level=2)
        if not a:
            doc.add_paragraph(t("note.no_analysis"))
            return
        doc.add_paragraph(a.get("text") or "")
        meta = []
        if a.get("assessment"):
            meta.append(f"{t('label.assessment')}: {t('assessment.' + a['assessment'])}")
        if a.get("author"):
            meta.append(f"{t('label.author')}: {a['author']}, {(a.get('written_at') or '')[:10]}")
        if meta:
            doc.add_paragraph(" · ".join(meta)).runs[0].font.size = Pt(8)

    write_analysis(t("section.committee_analysis"), analyses.get(("committee", c["code"])))
    for kind, subject in sorted(k for k in analyses if k[0] != "committee"):
        if kind == "measure":
            m = measures.get(subject, {})
            title = f"{subject} {name_of(m, lang)} — {fmt.value(m.get('value'), m.get('unit'), lang)} · " \
                    f"{status_label(m.get('status', 'grey'), lang, m.get('insufficient_data'))}"
        else:
            title = t(f"perspective.{subject}")
        write_analysis(title, analyses[(kind, subject)])
    if cyc["actions"]:
        doc.add_heading(t("label.actions"), level=2)
        table(doc, [t("label.measure"), t("label.action"), t("label.responsible"), t("label.due"), t("label.action_status"),
                    t("label.since")],
              [[a.get("measure_id") or "", a["what"], a.get("responsible") or "", a.get("due_date") or fmt.MISSING,
                t("action." + a.get("status", "planned")), fmt.period(a.get("period_created"), lang)] for a in cyc["actions"]],
              [15, 70, 35, 22, 18, 20])

    doc.add_heading(t("section.approval"), level=1)
    wf = cyc["workflow"]
    doc.add_paragraph(f"{t('label.workflow_state')}: {t('state.' + wf.get('state', 'not_started'))}")
    if wf.get("approved_by"):
        doc.add_paragraph(f"{t('label.approved_by')}: {wf['approved_by']}, {(wf.get('approved_at') or '')[:16].replace('T', ' ')}")
    else:
        doc.add_paragraph(t("note.not_approved"))
    if wf.get("steps"):
        table(doc, [t("label.workflow_state"), t("label.author"), t("label.written_at"), t("label.comment")],
              [[t("state." + s["state"]), s.get("actor") or "", (s.get("at") or "")[:16].replace("T", " "), s.get("comment") or ""]
               for s in wf["steps"]], [30, 45, 30, 75])
    if cyc.get("closed"):
        cl = cyc["closed"]
        doc.add_paragraph(f"{t('label.closed')}: {cl.get('closed_by')}, {(cl.get('closed_at') or '')[:16].replace('T', ' ')}")

    doc.add_page_break()
    doc.add_heading(t("section.definitions"), level=1)
    table(doc, [t("label.measure"), t("label.description"), t("label.formula"), t("label.source"), t("label.target"),
                t("label.red_threshold")],
          [[f"{d['measure_id']} {name_of(d, lang)}", name_of(d, lang, "description"), name_of(d, lang, "formula"),
            name_of(d, lang, "source"), target_text(d, lang),
            t("note.within") if d["direction"] == "band" else fmt.value(d.get("red_threshold"), d.get("unit"), lang)]
           for d in report["definitions"]], [28, 45, 50, 25, 16, 16], numeric={4, 5})
    doc.add_heading(t("label.sources"), level=2)
    doc.add_paragraph(f"{t('label.data_version')} {report['data_version']} · {t('label.published_at')} "
                      f"{report['published_at'][:16].replace('T', ' ')}")
    table(doc, [t("label.source"), t("label.batch"), t("label.file"), t("label.rows"), t("label.loaded_at")],
          [[b["source"], str(b["batch_id"]), b["file_name"], fmt.number(b.get("rows_loaded"), 0, lang),
            (b.get("finished_at") or "")[:16].replace("T", " ")] for b in latest_per_source(report["batches"])],
          [35, 18, 60, 25, 42], numeric={1, 3})
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
