"""The committee report as PDF, Word and Excel, written by `python -m reports committee` from the demo
warehouse and a follow-up store with analyses, an action and an approval. The PDF is read back with
pdftotext and rendered with pdftoppm (Debian's poppler-utils); the expected values come from
measure_values, formatted here by hand (Swedish: no-break space thousands, decimal comma)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from cycle_helpers import ROOT, ensure_poppler, flat, pdf_text

ANALYSES = {
    "committee": "Nämnden bedömer att it-arbetet i stort går enligt plan men tillgängligheten måste förbättras.",
    "red0": "Tillgängligheten sjönk efter två längre avbrott i verksamhetssystemet under juni; leverantören har åtgärdat felet.",
    "red1": "Mätetalet påverkas av omorganisationen; en ny rutin för ärendehantering införs under hösten.",
    "external": "Det externa perspektivet utvecklas positivt tack vare nya e-tjänster.",
}


def sv(value: float, unit: str) -> str:
    """The Swedish display of a measure value, written independently of reports.fmt."""
    if "%" in unit:
        return f"{value:,.1f}".replace(",", " ").replace(".", ",") + " %"
    if "SEK" in unit:
        return f"{value:,.0f}".replace(",", " ") + " kr"
    return f"{value:,.1f}".replace(",", " ").replace(".", ",")


@pytest.fixture(scope="module")
def written(tmp_path_factory, demo_warehouse, red_committee, period):
    """Analyses, an action and an approval in a store; the report in all three formats (and English)."""
    from followup import cycle as C
    from followup.identity import Grant, Identity
    from followup.store import Store, reset_stores
    from metrics.warehouse import Warehouse
    from reports import cycle as RC

    code, red = red_committee
    d = tmp_path_factory.mktemp("report")
    url = f"sqlite:///{d / 'followup.sqlite'}"
    store = Store(url)
    anna = Identity("anna.berg@stad.se", "Anna Berg", frozenset({Grant("reporter", code)}), "demo")
    chair = Identity("karl.ek@stad.se", "Karl Ek", frozenset({Grant("chair", code)}), "demo")
    C.write_analysis(anna, code, period, "committee", code, ANALYSES["committee"], "at_risk", store=store)
    C.write_analysis(anna, code, period, "perspective", "external", ANALYSES["external"], "on_track", store=store)
    C.write_analysis(anna, code, period, "measure", red[0], ANALYSES["red0"], "off_track", store=store)
    for m in red[1:]:
        C.write_analysis(anna, code, period, "measure", m, ANALYSES["red1"], "at_risk", store=store)
    C.add_action(anna, code, period, "Byt leverantör för drift av verksamhetssystemet", "Eva Lund", "2026-12-31", red[0],
                 "in_progress", store=store)
    RC.submit(anna, Warehouse(demo_warehouse), code, period, store)
    C.approve(chair, code, period, store=store)
    store.dispose()
    reset_stores()
    env = dict(os.environ, SCORECARD_WAREHOUSE=str(demo_warehouse), SCORECARD_FOLLOWUP_URL=url)
    files = {}
    for fmt_, lang in (("pdf", "sv"), ("docx", "sv"), ("xlsx", "sv"), ("pdf", "en")):
        out = d / f"report_{lang}.{fmt_}"
        proc = subprocess.run([sys.executable, "-m", "reports", "committee", code, "--period", period, "--format", fmt_,
                               "--out", str(out), "--lang", lang], cwd=ROOT, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        files[(fmt_, lang)] = out
    return {"files": files, "code": code, "red": red, "dir": d}


@pytest.fixture(scope="module")
def expected(demo_wh, written, period):
    from metrics import query

    code = written["code"]
    name = query.committees(demo_wh).set_index("committee_code").loc[code, "name_sv"]
    sc = query.scorecard(demo_wh, code, "tertial", period)
    values = demo_wh.df("SELECT measure_id, v.value, d.unit FROM measure_values v JOIN measure_catalog d USING (measure_id) "
                        "WHERE v.committee_code = ? AND v.grain = 'tertial' AND v.period = ? AND v.value IS NOT NULL",
                        [code, period])
    return {"name": name, "names_sv": sc["name_sv"].tolist(), "names_en": sc["name_en"].tolist(),
            "values": {r.measure_id: sv(r.value, r.unit) for r in values.itertuples()},
            "version": demo_wh.meta()["version"], "sc": sc}


def test_pdf_text_has_the_committee_all_measures_values_and_analyses(written, expected, period):
    text = pdf_text(written["files"][("pdf", "sv")])
    body = flat(text)
    assert expected["name"] in body
    assert len(expected["names_sv"]) == 15
    for name in expected["names_sv"]:
        assert name in body, name
    assert len(expected["values"]) >= 10
    for measure_id, value in expected["values"].items():
        assert value in body, (measure_id, value)
    for analysis in ANALYSES.values():
        assert analysis in body, analysis
    assert "Byt leverantör för drift av verksamhetssystemet" in body and "Eva Lund" in body
    assert "Godkänd av: Karl Ek" in body
    assert "Bilaga: definitioner" in body
    # a status is an icon and a word
    red_name = expected["sc"].set_index("measure_id").loc[written["red"][0], "name_sv"]
    assert f"{written['red'][0]} {red_name}" in body and "✖ Röd" in body


def test_every_pdf_page_names_committee_period_and_data_version_and_tables_repeat_their_header(written, expected, period):
    text = pdf_text(written["files"][("pdf", "sv")])
    pages = [p for p in text.split("\f") if p.strip()]
    assert len(pages) >= 3
    year, tertial = period.split("-")
    for i, page in enumerate(pages, start=1):
        head = flat(page.strip().splitlines()[0])
        assert expected["name"] in head and f"{tertial} {year}" in head and f"Dataversion {expected['version']}" in head, (i, head)
        assert f"Sida {i}" in flat(page)
    # the measure table's rows that fall on a later page come under a repeated header row
    for page in pages[1:]:
        body = flat(page)
        if any(f"{m} " in body and "Median jämf.grupp" in body for m in ("Q3",)):
            assert body.index("Mätetal Värde Mål Status") < body.index("Q3 ")


def test_pdf_pages_render(written, tmp_path):
    ensure_poppler()
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(written["files"][("pdf", "sv")]), str(tmp_path / "page")], check=True)
    pngs = sorted(tmp_path.glob("page-*.png"))
    assert len(pngs) >= 3
    from PIL import Image

    for png in pngs:
        img = Image.open(png).convert("L")
        assert img.size[0] < img.size[1]  # A4 portrait
        assert img.getextrema()[0] < 100  # something dark was drawn on every page


def test_pdf_in_english(written, expected):
    body = flat(pdf_text(written["files"][("pdf", "en")]))
    for name in expected["names_en"]:
        assert name in body, name
    assert "Approved by: Karl Ek" in body and "Appendix: definitions" in body


def test_docx_has_the_same_content(written, expected):
    doc = Document(str(written["files"][("docx", "sv")]))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [c.text for c in row.cells]
        # the header row repeats on every page
        assert table.rows[0]._tr.trPr.xpath("./w:tblHeader")
    body = flat("\n".join(parts))
    assert expected["name"] in body
    for name in expected["names_sv"]:
        assert name in body, name
    for measure_id, value in expected["values"].items():
        assert value in body, (measure_id, value)
    for analysis in ANALYSES.values():
        assert analysis in body
    assert "Godkänd av: Karl Ek" in body
    header = flat(doc.sections[0].header.paragraphs[0].text)
    assert expected["name"] in header and f"Dataversion {expected['version']}" in header
    assert round(doc.sections[0].page_width.mm) == 210 and round(doc.sections[0].page_height.mm) == 297


def test_xlsx_cells_are_numbers_with_number_formats(written, expected, demo_wh, period):
    wb = load_workbook(written["files"][("xlsx", "sv")])
    assert wb.sheetnames == ["Mätetal", "Perspektiv", "Analyser", "Åtgärder", "Om rapporten"]
    ws = wb["Mätetal"]
    assert ws.freeze_panes == "A2"
    head = [c.value for c in ws[1]]
    col = {name: i for i, name in enumerate(head)}
    mv = demo_wh.df("SELECT measure_id, value, target FROM measure_values WHERE committee_code = ? AND grain = 'tertial' "
                    "AND period = ?", [written["code"], period]).set_index("measure_id")
    rows = list(ws.iter_rows(min_row=2))
    assert len(rows) == 15
    checked = 0
    for row in rows:
        mid = row[col["Id"]].value
        cell = row[col["Värde"]]
        if mid in mv.index and mv.loc[mid, "value"] == mv.loc[mid, "value"]:
            assert isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool) \
                    and cell.value == pytest.approx(mv.loc[mid, "value"])  # openpyxl reads 100.0 back as 100
            assert cell.number_format != "General" and "0.0" in cell.number_format or "0" in cell.number_format
            checked += 1
        else:
            assert cell.value is None  # no value is empty, never 0
    assert checked >= 10
    pct = next(r for r in rows if r[col["Id"]].value == "E1")[col["Värde"]]
    assert pct.number_format == '#,##0.0" %"'
    analyses = [r[1].value for r in wb["Analyser"].iter_rows(min_row=2)]
    assert set(ANALYSES.values()) <= set(analyses)
    actions = list(wb["Åtgärder"].iter_rows(min_row=2))
    assert actions[0][1].value == "Byt leverantör för drift av verksamhetssystemet"
    assert actions[0][3].is_date and actions[0][3].value.year == 2026
    about = {r[0].value: r[1].value for r in wb["Om rapporten"].iter_rows(min_row=2, max_row=8)}
    assert about["Dataversion"] == int(expected["version"])
    assert about["Godkänd av"] == "Karl Ek"
    batch_ids = [r[1].value for r in wb["Om rapporten"].iter_rows(min_row=11) if isinstance(r[1].value, int)]
    loaded = demo_wh.df("SELECT batch_id FROM etl_batches WHERE status = 'loaded'")["batch_id"].tolist()
    assert sorted(batch_ids) == sorted(loaded)
