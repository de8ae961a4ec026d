"""The store's layout against ``[store]``: the facts check and run share
(:mod:`winlang.store_layout`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from winlang.channels.settings import Settings, without_secrets
from winlang.config import Store
from winlang.contracts.errors import ChannelError
from winlang.schema import schema_from_json
from winlang.store_layout import (
    address_type_problem,
    consent_type_problem,
    layout_problems,
)
from winlang.types import SCALARS

CUSTOMERS = '"customers": {"id": "number", "timezone": "text", "consent_sms": "bool"}'
EVENTS = '"events": {"customer_id": "number", "type": "text", "occurred_at": "timestamp"}'


def problems(schema: str, **columns: str) -> list[tuple[str, tuple[str, ...]]]:
    found = layout_problems(schema_from_json("{" + schema + "}"), Store(columns=columns))
    return [(p.message, p.key) for p in found]


def test_the_default_layout_fits() -> None:
    assert problems(f"{CUSTOMERS}, {EVENTS}") == []


def test_a_store_without_events_fits_when_none_are_mapped() -> None:
    assert problems(CUSTOMERS) == []


def test_the_id_column_must_exist_and_be_a_number_or_text() -> None:
    ((message, key),) = problems('"customers": {"ref": "text"}')
    assert message == "the store's `customers` table has no column `id` (the default `id` column)"
    assert key == ("store", "customers")
    ((message, key),) = problems('"customers": {"id": "bool"}')
    assert "customer ids are numbers or text" in message


def test_a_mapped_column_points_at_its_key() -> None:
    ((message, key),) = problems(f"{CUSTOMERS}, {EVENTS}", timezone="tz")
    assert (
        message == "the store's `customers` table has no column `tz` (the mapped `timezone` column)"
    )
    assert key == ("store", "columns", "timezone")


def test_an_unmapped_zone_column_may_be_absent_but_not_of_another_type() -> None:
    assert problems('"customers": {"id": "number"}') == []
    ((message, _),) = problems('"customers": {"id": "number", "timezone": "number"}')
    assert "holds number values; it must hold IANA zone names as text" in message


def test_events_need_their_customer_type_and_time_columns() -> None:
    found = problems(f'{CUSTOMERS}, "events": {{"who": "number", "type": "text"}}')
    assert [m.split("`")[3] for m, _ in found] == ["customer_id", "occurred_at"]
    found = problems(f"{CUSTOMERS}, {EVENTS}", channel="via")
    assert [k for _, k in found] == [("store", "columns", "channel")]


def test_mapped_event_columns_need_an_events_table() -> None:
    ((message, key),) = problems(CUSTOMERS, occurred_at="at")
    assert "no events table `events`" in message
    assert key == ("store", "columns", "occurred_at")


@pytest.mark.parametrize(
    ("kind", "usable"),
    [("bool", True), ("number", True), ("text", False), ("timestamp", False), ("date", False)],
)
def test_consent_is_boolean_or_a_number(kind: str, usable: bool) -> None:
    problem = consent_type_problem("sms", "opt", SCALARS[kind])
    assert (problem is None) == usable
    if problem:
        assert f"the consent column `opt` of channel `sms` holds {kind} values" in problem


def test_an_address_is_text() -> None:
    assert address_type_problem("sms", "mobile", SCALARS["text"]) is None
    assert "holds number values" in address_type_problem("sms", "mobile", SCALARS["number"])
    assert address_type_problem("sms", "mobile", None) is None  # absence is E708's


def test_secrets_are_only_needed_outside_without_secrets(monkeypatch) -> None:
    monkeypatch.delenv("NO_SUCH_VARIABLE", raising=False)
    read = Settings("sms", "webhook", {"secret_env": "NO_SUCH_VARIABLE"})
    with pytest.raises(ChannelError, match="NO_SUCH_VARIABLE, which is not set") as raised:
        read.secret("secret_env")
    assert raised.value.key == "secret_env"
    with without_secrets():
        assert read.secret("secret_env") == "<NO_SUCH_VARIABLE>"
    with pytest.raises(ChannelError):
        read.secret("secret_env")


def test_an_output_file_is_not_a_folder_nor_under_a_file(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x")
    read = Settings("sms", "outbox", {"root": str(tmp_path)})
    assert read.output_file("path", "new/folder/sms.jsonl") == tmp_path / "new/folder/sms.jsonl"
    with pytest.raises(ChannelError, match="which is a folder"):
        read.output_file("path", ".")
    with pytest.raises(ChannelError, match="is a file, not a folder"):
        read.output_file("path", "plain/sms.jsonl")
    with pytest.raises(ChannelError, match="which is not a file"):
        Settings("e", "smtp", {"root": str(tmp_path), "ca": "no.pem"}).existing_file("ca")
