"""Issue 14: long record lists as HTML tables — sorting by what a cell means (Swedish numbers as
numbers, missing last), pages of PAGE_SIZE rows that together hold every row once, and the paged,
sortable table on a real Streamlit script (AppTest)."""
from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st_
from streamlit.testing.v1 import AppTest

from app_tables import all_pages, table
from ui.formatting import format_number
from ui.tables import (PAGE_SIZE, collation_key, display_frame, numeric_columns, page_bounds, sort_key,
                       sorted_positions)


def test_sort_key_reads_swedish_numbers_units_and_missing():
    assert sort_key("1\u00a0234,5 tkr") == (0, 1234.5, "")
    assert sort_key("−3") == (0, -3.0, "")          # the typographic minus of format_number
    assert sort_key("12,0 %") == (0, 12.0, "")
    assert sort_key("5,0 mnkr") == (0, 5.0, "")
    assert sort_key(7) == (0, 7.0, "")
    assert sort_key("2026-05-01")[0] == 1            # a date is not the number 2026
    assert sort_key("Östermalm") == (1, 0.0, collation_key("Östermalm"))   # Swedish alphabetical order
    for missing in ("–", "", None, float("nan")):
        assert sort_key(missing)[0] == 2


def test_sorted_positions_by_hand():
    values = ["10", "9", "–", "1\u00a0000", "2,5"]
    assert sorted_positions(values) == [4, 1, 0, 3, 2]               # 2,5 < 9 < 10 < 1 000, missing last
    assert sorted_positions(values, descending=True) == [3, 0, 1, 4, 2]  # missing stays last
    assert sorted_positions(["b", "A", "a"]) == [1, 2, 0]            # case-blind, ties keep their order
    assert sorted_positions(["b", "A", "a"], descending=True) == [0, 1, 2]


@settings(max_examples=200, deadline=None)
@given(st_.lists(st_.one_of(st_.none(), st_.floats(-1e9, 1e9, allow_nan=False)), max_size=40),
       st_.integers(0, 2), st_.booleans())
def test_sorting_shown_numbers_orders_like_their_values(values, decimals, descending):
    shown = [format_number(v, decimals, "sv") for v in values]  # "–" for None
    order = sorted_positions(shown, descending)
    assert sorted(order) == list(range(len(values)))  # a permutation: no row lost or doubled
    present = [round(values[i], decimals) for i in order if values[i] is not None]
    assert present == sorted(present, reverse=descending)
    n_missing = sum(v is None for v in values)
    assert all(values[i] is None for i in order[len(order) - n_missing:])


@given(st_.integers(0, 5000), st_.integers(1, 200), st_.integers(-5, 500))
def test_pages_hold_every_row_once(n, size, page):
    lo, hi, p = page_bounds(n, page, size)
    pages = max(1, -(-n // size))
    assert 1 <= p <= pages and 0 <= lo <= hi <= n and hi - lo <= size
    rows = [r for q in range(1, pages + 1) for r in range(*page_bounds(n, q, size)[:2])]
    assert rows == list(range(n))


def test_display_frame_formats_numbers_in_the_ui_language():
    df = pd.DataFrame({"Antal": [1234, 5], "Andel": [0.25, 1.5], "Namn": ["a", "b"], "Ja": [True, False]})
    sv = display_frame(df, "sv")
    assert list(sv["Antal"]) == [format_number(1234, 0, "sv"), "5"]
    assert sv["Antal"][0].replace("\u00a0", " ").replace("\u202f", " ") == "1 234"
    assert list(sv["Andel"]) == ["0,3", "1,5"]
    assert list(display_frame(df, "en")["Antal"]) == ["1,234", "5"]
    assert list(sv["Namn"]) == ["a", "b"]
    assert numeric_columns(sv) == ["Antal", "Andel"]


def _paged_script():
    import pandas as pd
    import streamlit as st

    from ui.i18n import translator
    from ui.formatting import format_number
    from ui.tables import show_records

    n = 120
    raw = pd.DataFrame({"Ärende": [f"INC{i:04d}" for i in range(n)], "Timmar": [(i * 37) % 101 for i in range(n)]})
    shown = raw.assign(Timmar=[format_number(v, 0, "sv") + " h" for v in raw["Timmar"]])
    show_records(shown, "recs", translator("sv"), lambda v: format_number(v, 0, "sv"), sort_values=raw,
                 links={"Ärende": [f"records?id={x}" for x in raw["Ärende"]]})
    st.caption("end")


def test_show_records_pages_sorts_and_keeps_links_with_their_rows():
    at = AppTest.from_function(_paged_script, default_timeout=30)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    first = table(at, "recs")
    assert len(first) == PAGE_SIZE == 50
    assert list(first["Ärende"][:2]) == ["INC0000", "INC0001"]
    assert any("Rad 1–50 av 120 (sida 1 av 3)" in m.value for m in at.markdown)
    assert [b.disabled for b in at.button] == [True, False]  # Föregående, Nästa on page 1
    everything = all_pages(at, "recs")
    assert list(everything["Ärende"]) == [f"INC{i:04d}" for i in range(120)]
    assert any("Rad 101–120 av 120 (sida 3 av 3)" in m.value for m in at.markdown)
    # sort by hours, descending (from page 3): the list starts again at its first page
    at.selectbox(key="_tbl_recs_sort").set_value("Timmar").run()
    at.toggle(key="_tbl_recs_desc").set_value(True).run()
    assert any("Rad 1–50 av 120 (sida 1 av 3)" in m.value for m in at.markdown)
    top = table(at, "recs")
    hours = [(i * 37) % 101 for i in range(120)]
    expected = sorted(range(120), key=lambda i: -hours[i])  # stable: ties keep their order
    assert list(top["Ärende"]) == [f"INC{i:04d}" for i in expected[:50]]
    assert top["Timmar"].iloc[0] == "100 h"
    # a link follows its row through sorting
    html = "".join(h.proto.body for h in at.get("html"))
    i0 = expected[0]
    assert f'<a href="records?id=INC{i0:04d}" target="_self">INC{i0:04d}</a>' in html


def test_a_wide_record_list_becomes_cards_where_it_does_not_fit():
    from ui.tables import RECORD_COLUMNS, html_table, needed_width

    narrow = pd.DataFrame({f"K{i}": ["abc"] for i in range(RECORD_COLUMNS - 1)})
    assert "@container" not in html_table(narrow, "n")  # a table that fits stays a table (cards only on a phone)
    wide = pd.DataFrame({f"Kolumn {i}": ["Stadsbyggnadsnämnden"] for i in range(RECORD_COLUMNS)})
    need = needed_width(wide)
    # per column: the longest word, 20 letters × 6,5 px, + 10 px padding
    assert need == RECORD_COLUMNS * (20 * 6.5 + 10)
    out = html_table(wide, "w")
    assert f'@container (max-width: {need}px)' in out and 'table.sc-cards[data-key="w"] thead{display:none}' in out
    assert "@container" not in html_table(wide, "w", cards=False)


def test_headers_get_soft_hyphens_but_labels_and_cells_keep_their_text():
    from ui.tables import hyphenate, html_table

    assert hyphenate("Nyttorealiseringsgrad").replace("\u00ad", "") == "Nyttorealiseringsgrad"
    assert "\u00ad" in hyphenate("Nyttorealiseringsgrad") and hyphenate("Nytta") == "Nytta"
    out = html_table(pd.DataFrame({"Nyttorealiseringsgrad": ["Stadsbyggnadsnämnden"]}), "k")
    assert 'data-label="Nyttorealiseringsgrad"' in out and ">Stadsbyggnadsnämnden<" in out


def test_collation_key_puts_a_ring_a_umlaut_o_umlaut_after_z_in_swedish():
    from ui.tables import collation_key

    names = ["Östermalm", "Älvsjö", "Åkeshov", "Zinkensdamm", "Ängby", "ärla", "Enskede", "Édouard", "Bromma"]
    assert sorted(names, key=collation_key) == ["Bromma", "Édouard", "Enskede", "Zinkensdamm", "Åkeshov", "Älvsjö",
                                                "Ängby", "ärla", "Östermalm"]
    assert collation_key("Ære") == collation_key("Äre") and collation_key("Øre") == collation_key("Öre")
    # English order knows no letters of their own: Å sorts as A
    assert sorted(["Östermalm", "Zinkensdamm", "Åkeshov", "Bromma"], key=lambda n: collation_key(n, "en")) == \
        ["Åkeshov", "Bromma", "Östermalm", "Zinkensdamm"]


def test_a_record_table_sorts_names_in_swedish_alphabetical_order():
    """The sort control on a record table and the reporting-status order use one collation: å, ä, ö after z
    (plain code points put ä before å)."""
    names = ["Östermalm", "Älvsjö", "Åkeshov", "Zinkensdamm", "bromma", "Enskede"]
    assert [names[i] for i in sorted_positions(names)] == ["bromma", "Enskede", "Zinkensdamm", "Åkeshov", "Älvsjö",
                                                          "Östermalm"]
    assert [names[i] for i in sorted_positions(names, descending=True)][:3] == ["Östermalm", "Älvsjö", "Åkeshov"]


def _grouped_script():
    import pandas as pd
    import streamlit as st

    from ui.tables import show_table_groups

    # 12 projects in three portfolios, listed by id (portfolios interleaved, as the query returns them)
    port = [2, 1, 2, 3, 1, 1, 2, 3, 1, 2, 1, 1]
    names = {1: "1. Tillgänglighet *och* service", 2: "2. Information", 3: "3. Utbildning"}
    df = pd.DataFrame({"Projekt-id": [f"P{i:04d}" for i in range(1, 13)], "Portfölj": [names[p] for p in port],
                       "Beviljat": [f"{i},0\u00a0mnkr" for i in range(1, 13)]})
    labels = {p: f"{names[p]} – {port.count(p)} projekt" for p in (1, 2, 3)}
    show_table_groups(df, "plist", groups=port, labels=labels, group_column="Portfölj",
                      links={"Projekt-id": [f"project?project={x}" for x in df["Projekt-id"]]})
    short = df.head(10)  # GROUP_MIN_ROWS rows: one table on every screen
    show_table_groups(short, "short", groups=port[:10], labels=labels, group_column="Portfölj")
    st.caption("end")


def test_a_long_table_is_one_table_wide_and_a_section_per_group_on_a_phone():
    """Portföljer at 390 px: 80 project cards in one list were 24 000 px. On a phone the rows come in one
    collapsed section per portfolio, in portfolio order, each head naming the portfolio and its count; the rows
    keep their order and their links inside; on a wide screen the one table stays as it was."""
    from app_tables import tables

    from ui.tables import GROUP_MIN_ROWS

    at = AppTest.from_function(_grouped_script, default_timeout=30)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    wide = table(at, "plist")                                          # the one table, every row, every column
    assert list(wide["Projekt-id"]) == [f"P{i:04d}" for i in range(1, 13)]
    assert list(wide.columns) == ["Projekt-id", "Portfölj", "Beviljat"]
    # the wide table and the sections sit in the containers LAYOUT_CSS shows on one screen size each
    wide_block, narrow_block = at.main.children[0], at.main.children[1]
    assert wide_block.proto.id.endswith("-wide_only_plist") and narrow_block.proto.id.endswith("-narrow_only_plist")
    assert ['data-key="plist"' in h.proto.body for h in wide_block.get("html")] == [True]
    assert len(wide_block.expander) == 0 and len(narrow_block.expander) == len(at.expander) == 3
    html_all = [h.proto.body for h in at.get("html")]
    # heads in portfolio order, the name shown as text (Markdown escaped: "1." is no list, *och* no emphasis)
    assert [e.label for e in at.expander] == [r"1\. Tillgänglighet \*och\* service – 6 projekt",
                                             r"2\. Information – 4 projekt", r"3\. Utbildning – 2 projekt"]
    sections = [table(at, f"plist_{n}") for n in (1, 2, 3)]
    assert [list(s["Projekt-id"]) for s in sections] == [["P0002", "P0005", "P0006", "P0009", "P0011", "P0012"],
                                                         ["P0001", "P0003", "P0007", "P0010"], ["P0004", "P0008"]]
    assert all(list(s.columns) == ["Projekt-id", "Beviljat"] for s in sections)   # the head names the portfolio
    assert list(sections[2]["Beviljat"]) == ["4,0\u00a0mnkr", "8,0\u00a0mnkr"]
    # every row once across the sections: nothing hidden that is not a tap away
    assert sorted(pd.concat(sections)["Projekt-id"]) == sorted(wide["Projekt-id"])
    # a link stays with its row inside a section
    section3 = [h for h in html_all if 'data-key="plist_3"' in h][0]
    assert '<a href="project?project=P0004" target="_self">P0004</a>' in section3
    assert 'project?project=P0001' not in section3
    assert all(not e.proto.expanded for e in at.expander)                  # collapsed: a phone sees the heads
    # a table of GROUP_MIN_ROWS rows stays one table everywhere
    assert GROUP_MIN_ROWS == 10 and len([x for x in tables(at) if x.key.startswith("short")]) == 1
    assert list(table(at, "short").columns) == ["Projekt-id", "Portfölj", "Beviljat"]


@given(st_.text())
@settings(max_examples=300, deadline=None)
def test_markdown_text_shows_any_name_as_itself(text):
    """An expander head is Markdown: every ASCII punctuation mark of a name is escaped, so Markdown gives back
    exactly the name (no list number, emphasis, link, formula or heading), whatever the name holds."""
    import re

    from ui.tables import markdown_text

    out = markdown_text(text)
    assert re.sub(r"\\(.)", r"\1", out, flags=re.S) == text             # unescaping gives the name back
    assert not re.search(r"(?<!\\)[`*_\[\]$#]", out.replace("\\\\", ""))  # every mark left is escaped
    assert markdown_text("1. Tillgänglighet – 28 projekt") == r"1\. Tillgänglighet – 28 projekt"
    assert markdown_text("Kostnad $5 *per* [år]") == r"Kostnad \$5 \*per\* \[år\]"


def test_a_group_without_a_section_head_is_an_error_not_a_lost_row():
    import pytest

    from ui.tables import show_table_groups

    df = pd.DataFrame({"Projekt-id": [f"P{i}" for i in range(12)]})
    with pytest.raises(ValueError, match="groups without a section head: \\['3'\\]"):
        show_table_groups(df, "x", groups=[1] * 6 + [2] * 5 + [3], labels={1: "Ett", 2: "Två"})
