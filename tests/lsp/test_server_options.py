"""``winlang lsp --schema FILE``: one schema for every file, even outside any project."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls", reason="the `lsp` extra is not installed")
pytest_lsp = pytest.importorskip("pytest_lsp")

from lsprotocol import types as lsp  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

from tests.lsp.test_server import open_document  # noqa: E402

SCHEMA = Path(__file__).resolve().parents[2] / "campaigns" / "schema.json"

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_lsp.fixture(
    scope="module",
    config=ClientServerConfig(
        server_command=[sys.executable, "-m", "winlang", "lsp", "--schema", str(SCHEMA)]
    ),
)
async def client(lsp_client: LanguageClient):
    capabilities = client_capabilities("neovim")
    await lsp_client.initialize_session(lsp.InitializeParams(capabilities=capabilities))
    yield
    await lsp_client.shutdown_session()


async def test_a_file_outside_any_project_is_checked_against_the_schema(
    client: LanguageClient, tmp_path: Path
):
    text = 'campaign "alone"\ntemplate t sms "Hi"\nwhen ordrs > 1 then send sms t\n'
    uri = await open_document(client, tmp_path / "alone.win", text)
    (finding,) = client.diagnostics[uri]
    assert finding.code == "E201"
    assert finding.message == "unknown name `ordrs`\nhint: did you mean `orders`?"


async def test_positions_in_utf8_when_the_editor_asks_for_them(
    client: LanguageClient, tmp_path: Path
):
    # Neovim offers UTF-8 first: columns count bytes, so `고객님` before the name takes 9
    text = 'campaign "ko"\ntemplate t sms "고객님 {first_nme}"\nwhen orders > 1 then send sms t\n'
    uri = await open_document(client, tmp_path / "ko.win", text)
    (finding,) = client.diagnostics[uri]
    assert finding.code == "E401"
    before = text.split("\n")[1][: text.split("\n")[1].index("{first_nme}")]
    assert finding.range.start == lsp.Position(line=1, character=len(before.encode("utf-8")))
    assert finding.range.end.character - finding.range.start.character == len("{first_nme}")
