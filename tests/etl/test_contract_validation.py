"""Contract files are validated (pydantic): unknown keys rejected, names by pattern, key/scope/period and
column cross-references checked; every message names the file and the key."""
from __future__ import annotations

import pytest
import yaml

from etl.contracts import CONTRACT_DIR, ContractError, parse_contract

DOC = yaml.safe_load((CONTRACT_DIR / "it_costs.yaml").read_text(encoding="utf-8"))


def broken(change) -> dict:
    doc = yaml.safe_load(yaml.safe_dump(DOC))
    change(doc)
    return doc


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(colour="blue"), "colour: Extra inputs are not permitted"),
    (lambda d: d["columns"]["amount_sek"].update(unit_price=1), "columns.amount_sek.unit_price: Extra inputs"),
    (lambda d: d["columns"]["amount_sek"].update(type="money"), "columns.amount_sek.type: Input should be"),
    (lambda d: d.update(source="IT costs"), "source: String should match pattern"),
    (lambda d: d.update(key=["line"]), "key: not columns of the contract: line"),
    (lambda d: d.update(period={"column": "booked", "grain": "month"}), "period.column: 'booked' is not a column"),
    (lambda d: d["columns"]["account"].update(pattern="^(\\d{4}$"), "columns.account.pattern: not a regular expression"),
    (lambda d: d["columns"]["committee_code"].update(references="dim_committees"), "columns.committee_code.references"),
    (lambda d: d["columns"]["month"].update(optional=True), "columns.month: a column is required or optional"),
    (lambda d: d.update(max_bad_share=5), "max_bad_share: Input should be less than or equal to 1"),
])
def test_bad_contracts_name_file_and_key(change, message):
    with pytest.raises(ContractError) as err:
        parse_contract(broken(change), "etl/contracts/it_costs.yaml")
    assert str(err.value).startswith("etl/contracts/it_costs.yaml: ") and message in str(err.value), str(err.value)


def test_every_shipped_contract_is_valid():
    from etl.contracts import load_contracts

    assert len(load_contracts()) == len(list(CONTRACT_DIR.glob("*.yaml")))
    assert parse_contract(DOC).table == "fact_it_costs"
