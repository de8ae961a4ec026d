"""[tracking] in winlang.toml: what it takes, and one clear finding for each mistake."""

from __future__ import annotations

import pytest

from winlang.config import TrackingSettings, load_config


def load(tmp_path, text: str):
    path = tmp_path / "winlang.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_without_the_table_there_is_no_tracking(tmp_path) -> None:
    config, found = load(tmp_path, '[state]\nurl = "sqlite:///s.db"\n')
    assert config.tracking is None and found == ()


def test_the_table_is_read(tmp_path) -> None:
    text = '[tracking]\nbase_url = "http://127.0.0.1:8000"\nrequire_unsubscribe = ["email"]\n'
    config, found = load(tmp_path, text)
    assert found == ()
    assert config.tracking == TrackingSettings("http://127.0.0.1:8000", ("email",))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "`base_url` is missing"),
        ("base_url = 8000", "`base_url` must be a web address in quotes"),
        ('base_url = "go.example.com"', "is not a web address"),
        ('base_url = "https://go.example.com/?a=1"', "a base URL has no query or fragment"),
        ('base_url = "https://go.example.com"\nrequire_unsubscribe = "sms"', "must be a list"),
        ('base_url = "https://go.example.com"\nbase_ulr = "x"', "unknown key `base_ulr`"),
    ],
)
def test_each_mistake_is_one_finding(tmp_path, body: str, message: str) -> None:
    _, found = load(tmp_path, f"[tracking]\n{body}\n")
    assert len(found) == 1 and message in found[0].message, found
    assert found[0].line >= 1
