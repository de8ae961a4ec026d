"""docs/tracking.md stays true: its settings load, its campaign checks cleanly with them, its
SMS is what a run renders, its measurements are the renderer's, its commands exist."""

from __future__ import annotations

import re
import subprocess

import pytest
from click.testing import CliRunner

from tests.docs_helpers import CONFIG, REPO, SCHEMA, code_blocks
from tests.serve.test_links import rendered
from winlang.cli import cli
from winlang.deliver.render import render_message
from winlang.diagnostics import render_text
from winlang.links import Tracking
from winlang.parse import parse_campaign
from winlang.project import check_source, open_project

PAGE = REPO / "docs" / "tracking.md"
BLOCKS = list(code_blocks(PAGE))


def block(tag: str, index: int = 0) -> str:
    return [b.text for b in BLOCKS if b.tag == tag][index]


@pytest.fixture
def project(tmp_path):
    config = tmp_path / "winlang.toml"
    config.write_text(CONFIG.read_text(encoding="utf-8") + "\n" + block("toml"), "utf-8")
    return open_project(config, SCHEMA)


def test_the_settings_load(project) -> None:
    assert not project.diagnostics, [render_text(d) for d in project.diagnostics]
    assert project.config.tracking.base_url == "https://go.example.com"
    assert project.config.tracking.require_unsubscribe == ("sms",)


def test_the_campaign_checks_cleanly_with_them(project) -> None:
    from winlang.diagnostics import SourceText

    result = check_source(SourceText("tracking.md", block("win")), project, REPO / "campaigns")
    assert not result.diagnostics, [render_text(d) for d in result.diagnostics]


def test_the_sms_is_what_a_run_renders() -> None:
    campaign = parse_campaign(block("win")).campaign
    message = render_message(
        campaign="back",
        link="https://shop.example.com/back",
        rule="hello",
        customer_id=42,
        template=campaign.templates[0],
        channel="sms",
        kind="sms",
        to="+40700000042",
        fields={"first_name": "Ana"},
        params={},
        tracking=Tracking("https://go.example.com", b"docs-example-secret"),
    )
    assert message.text == block("text", 0).strip()
    assert (len(message.text), message.parts) == (123, 1)
    assert "123 characters, one part" in PAGE.read_text(encoding="utf-8")


def test_the_measurements_are_the_renderers() -> None:
    rows = re.findall(r"^\| `(.+?)` \(UCS-2\) \| (\d+) characters, (\d) parts? \| (\d+) "
                      r"characters, (\d) parts? \|$", PAGE.read_text("utf-8"), re.M)  # fmt: skip
    assert len(rows) == 2
    for template, long_length, long_parts, short_length, short_parts in rows:
        name = "지민" if "님" in template else "Ioana"
        long = rendered(template, name, None)
        short = rendered(template, name, Tracking("https://go.example.com", b"x"))
        assert (len(long.text), long.parts) == (int(long_length), int(long_parts))
        assert (len(short.text), short.parts) == (int(short_length), int(short_parts))


def test_the_secret_command_makes_a_long_random_secret() -> None:
    command = block("sh").strip() + '\nprintf %s "$WINLANG_TRACKING_SECRET"'
    made = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=True)
    assert re.fullmatch(r"[0-9a-f]{64}", made.stdout)


def test_the_serve_command_takes_its_options() -> None:
    command = block("text", 1).strip().split()
    assert command[:2] == ["winlang", "serve"]
    help_text = CliRunner().invoke(cli, ["serve", "--help"]).output
    for option in command[2::2]:
        assert option in help_text
