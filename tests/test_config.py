"""``winlang.toml``: every value is validated, and a bad one is reported at its key's line; a
mistake inside a derived field's expression points into winlang.toml, at the exact column."""

from __future__ import annotations

from pathlib import Path

import pytest

from winlang.config import Config, find_config, load_config, resolve_sqlite
from winlang.diagnostics import Diagnostic
from winlang.project import open_project

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "campaigns" / "schema.json"


def load(tmp_path: Path, text: str, name: str = "winlang.toml") -> tuple[Config, list[Diagnostic]]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    config, diagnostics = load_config(path)
    return config, list(diagnostics)


def with_fields(tmp_path: Path, text: str) -> list[Diagnostic]:
    """The findings of a whole project (configuration, schema, derived fields)."""
    path = tmp_path / "winlang.toml"
    path.write_text(text, encoding="utf-8")
    return list(open_project(path, SCHEMA).diagnostics)


def underlined(text: str, finding: Diagnostic) -> str:
    line = text.splitlines()[finding.line - 1]
    return line[finding.column - 1 : finding.end_column - 1]


# ---- the repository's own configuration --------------------------------------------------------


def test_repository_config_is_clean() -> None:
    config, diagnostics = load_config(REPO / "winlang.toml")
    assert diagnostics == ()
    assert config.store.url == f"sqlite:///{REPO / 'demo' / 'shop.db'}"
    assert config.state_url == f"sqlite:///{REPO / 'demo' / 'winlang-state.db'}"
    assert config.store.schema == REPO / "campaigns" / "schema.json"
    assert set(config.fields) >= {"days_since_purchase"}
    assert {c: config.channels[c].plugin for c in ("sms", "email", "push")} == dict.fromkeys(
        ("sms", "email", "push"), "outbox"
    )
    assert config.channels["sms"].settings["path"] == "outbox/sms.jsonl"
    assert config.limits.sms_max_parts == 3
    assert config.timezone == "UTC"
    assert open_project(REPO / "winlang.toml").diagnostics == ()


def test_defaults_without_a_file() -> None:
    config, diagnostics = load_config(None)
    assert diagnostics == ()
    assert set(config.channels) == {"email", "sms", "push"}
    assert config.channels["sms"].address == "phone"
    assert config.channels["sms"].consent == "consent_sms"
    assert config.channels["push"].address == "push_token"
    assert config.channels["email"].consent == "consent_email"


# ---- bad values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "line", "shown"),
    [
        ("[store]\nurl = 5\n", "E703", 2, "5"),
        ('[store]\nurl = "sqlite:///x.db"\ncustomers = true\n', "E703", 3, "true"),
        ('[limits]\nsms_max_parts = "3"\n', "E703", 2, '"3"'),
        ("[limits]\nsms_max_parts = 0\n", "E703", 2, "0"),
        ("[limits]\n\nsms_placeholder_length = -1\n", "E703", 3, "-1"),
        ("[limits]\nglobal_cap = [3]\n", "E703", 2, "[3]"),
        ('[events]\ntypes = "cart_add"\n', "E703", 2, '"cart_add"'),
        ('[defaults]\ntimezone = "Mars/Olympus"\n', "E609", 2, '"Mars/Olympus"'),
        ('[fields]\n"Bad Name" = "orders"\n', "E704", 2, '"orders"'),
        ("[fields]\ncount_orders = 5\n", "E704", 2, "5"),
        ('[channels.chat]\naddress = "phone"\nconsent = "consent_sms"\n', "E708", 1, None),
        (
            '[channels.chat]\nplugin = "console"\nkind = "pigeon"\n'
            'address = "phone"\nconsent = "consent_sms"\n',
            "E708",
            3,
            '"pigeon"',
        ),
        ('[channels.chat]\nplugin = "console"\n', "E708", 1, None),
        ("[channels]\nchat = 5\n", "E708", 2, "5"),
    ],
)
def test_bad_value_is_reported_at_its_key(
    tmp_path: Path, text: str, code: str, line: int, shown: str | None
) -> None:
    _, diagnostics = load(tmp_path, text)
    assert [d.code for d in diagnostics][:1] == [code]
    finding = diagnostics[0]
    assert finding.file.endswith("winlang.toml")
    assert finding.line == line
    assert finding.line_text == text.splitlines()[line - 1]
    if shown is not None:
        assert underlined(text, finding) == shown


def test_unknown_keys_warn_with_a_suggestion(tmp_path: Path) -> None:
    text = '[limits]\nsms_max_part = 2\n\n[stores]\nurl = "x"\n'
    _, diagnostics = load(tmp_path, text)
    assert sorted((d.code, d.line) for d in diagnostics) == [("W702", 2), ("W702", 4)]
    by_line = {d.line: d for d in diagnostics}
    assert by_line[2].hint == "did you mean `sms_max_parts`?"
    assert underlined(text, by_line[2]) == "sms_max_part"
    assert by_line[4].hint == "did you mean `store`?"


def test_invalid_toml_is_reported_with_its_position(tmp_path: Path) -> None:
    text = '[store]\nurl = "sqlite:///x.db\n'
    _, diagnostics = load(tmp_path, text)
    (finding,) = diagnostics
    assert finding.code == "E701" and finding.line == 2
    assert finding.message.startswith("invalid TOML")


def test_unreadable_config_is_a_diagnostic(tmp_path: Path) -> None:
    folder = tmp_path / "winlang.toml"
    folder.mkdir()
    config, diagnostics = load_config(folder)
    assert [d.code for d in diagnostics] == ["E701"]
    assert isinstance(config, Config)


def test_invalid_utf8_config_is_a_diagnostic(tmp_path: Path) -> None:
    path = tmp_path / "winlang.toml"
    path.write_bytes(b'[defaults]\ntimezone = "\xff"\n')
    _, diagnostics = load_config(path)
    assert [d.code for d in diagnostics] == ["E701"]


# ---- derived fields -----------------------------------------------------------------------------


def test_derived_field_syntax_error_points_into_the_toml(tmp_path: Path) -> None:
    text = '[fields]\nrecent = "days_since(last_purchase_at"\n'
    (finding,) = with_fields(tmp_path, text)
    assert finding.file.endswith("winlang.toml") and finding.line == 2
    assert finding.message.startswith("derived field `recent`: ")
    assert finding.line_text == 'recent = "days_since(last_purchase_at"'


def test_derived_field_unknown_name_points_at_the_name(tmp_path: Path) -> None:
    text = '[fields]\n\nrecent = "days_since(last_purchas_at) < 30"\n'
    (finding,) = with_fields(tmp_path, text)
    assert (finding.code, finding.line) == ("E201", 3)
    assert underlined(text, finding) == "last_purchas_at"
    assert finding.hint == "did you mean `last_purchase_at`?"


def test_derived_field_type_error_points_at_the_argument(tmp_path: Path) -> None:
    text = '[fields]\nshouting = "lower(orders)"\n'
    (finding,) = with_fields(tmp_path, text)
    assert finding.code == "E308"
    assert underlined(text, finding) == "orders"


def test_derived_field_hiding_a_column(tmp_path: Path) -> None:
    text = '[fields]\norders = "lifetime_value / 10"\n'
    findings = with_fields(tmp_path, text)
    assert [d.code for d in findings] == ["W210"]
    assert findings[0].line == 2


def test_derived_fields_may_use_each_other(tmp_path: Path) -> None:
    text = '[fields]\nweeks = "days / 7"\ndays = "days_since(signup_at)"\n'
    assert with_fields(tmp_path, text) == []


# ---- finding and resolving ----------------------------------------------------------------------


def test_config_is_found_in_a_parent_folder(tmp_path: Path) -> None:
    (tmp_path / "winlang.toml").write_text("", encoding="utf-8")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) == tmp_path / "winlang.toml"


def test_pyproject_tool_table(tmp_path: Path) -> None:
    text = '[project]\nname = "x"\n\n[tool.winlang.limits]\nsms_max_parts = "two"\n'
    path = tmp_path / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    assert find_config(tmp_path) == path
    config, diagnostics = load_config(path)
    (finding,) = diagnostics
    assert (finding.code, finding.line) == ("E703", 5)
    assert config.limits.sms_max_parts == 3


def test_relative_sqlite_urls_resolve_against_the_config_folder(tmp_path: Path) -> None:
    config, _ = load(tmp_path, '[store]\nurl = "sqlite:///data/shop.db"\n')
    assert config.store.url == f"sqlite:///{tmp_path.resolve() / 'data' / 'shop.db'}"
    assert resolve_sqlite("sqlite:////abs/shop.db", tmp_path) == "sqlite:////abs/shop.db"
    assert resolve_sqlite("postgresql://h/db", tmp_path) == "postgresql://h/db"


def test_environment_overrides_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WINLANG_STORE_URL", "postgresql://example/db")
    config, _ = load(tmp_path, '[store]\nurl = "sqlite:///x.db"\n')
    assert config.store.url == "postgresql://example/db"


def test_channel_settings_are_kept(tmp_path: Path) -> None:
    text = (
        '[channels.whatsapp]\nplugin = "webhook"\nkind = "chat"\naddress = "phone"\n'
        'consent = "consent_sms"\nurl = "https://hooks.example.com/wa"\n'
    )
    config, diagnostics = load(tmp_path, text)
    assert diagnostics == []
    channel = config.channels["whatsapp"]
    assert (channel.plugin, channel.kind) == ("webhook", "chat")
    assert channel.settings == {"url": "https://hooks.example.com/wa"}
    assert "sms" in config.channels  # the built-in ones stay
