from __future__ import annotations

import json
from importlib.metadata import EntryPoint

from click.testing import CliRunner

from winlang import plugins as plugin_module
from winlang.cli.plugins import plugins


def test_lists_the_builtins_with_their_channels():
    result = CliRunner().invoke(plugins, ["--format", "json"])
    data = json.loads(result.stdout)
    by_name = {p["name"]: p for p in data["plugins"]}
    channels = by_name["winlang.channels.builtin"]
    assert channels["channels"] == ["console", "outbox", "smtp", "webhook"]
    assert channels["distribution"] == "winlang"
    assert "winlang_data_source" in by_name["winlang.sources.builtin"]["hooks"]
    assert result.exit_code == (1 if data["broken"] else 0)


def test_a_broken_plugin_is_named_with_its_error_and_exits_1(monkeypatch):
    broken = EntryPoint("ghost", "winlang_no_such_module.plugin", "winlang")
    monkeypatch.setattr(plugin_module, "entry_points", lambda group: [broken])
    result = CliRunner().invoke(plugins, [])
    assert result.exit_code == 1
    assert "outbox" in result.stdout
    assert "ghost" in result.stderr and "ModuleNotFoundError" in result.stderr
