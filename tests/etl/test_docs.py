"""docs/contracts.md documents every contract exactly as the YAML says."""
from etl.contracts import load_contracts
from etl.docgen import DOC, generated_section, render_contract, render_sources


def test_generated_source_tables_match_the_contracts():
    assert generated_section(DOC.read_text(encoding="utf-8")) == render_sources()


def test_every_source_and_column_is_documented():
    text = DOC.read_text(encoding="utf-8")
    for contract in load_contracts().values():
        assert f"### `{contract.source}`" in text
        for name in contract.column_names:
            assert f"| `{name}` |" in text


def test_contract_rendering():
    rendered = render_contract(load_contracts()["licences"])
    assert rendered.splitlines()[:3] == [
        "### `licences` — Licence statistics (Licensstatistik)", "",
        "Table `fact_licences` · key `month, committee_code, product` · revision scope `month` · "
        "period `month` (month) · max_bad_share 0.05"]
    assert "| `used_90d` | integer | licences | required, not empty | ≥ 0; not above `paid` |  |" in rendered
