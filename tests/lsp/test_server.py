"""``winlang lsp`` driven over stdio by a real LSP client (pytest-lsp), on the example
campaigns of campaigns/ and their project (the repository's winlang.toml, which checks against
campaigns/schema.json). One server serves the whole module."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

pytest.importorskip("pygls", reason="the `lsp` extra is not installed")
pytest_lsp = pytest.importorskip("pytest_lsp")

from lsprotocol import types as lsp  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

from winlang.cli import cli  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
CAMPAIGNS = REPO / "campaigns"

pytestmark = pytest.mark.asyncio(loop_scope="module")

BROKEN = """\
campaign "broken"
  link "https://shop.example.com/back"

segment lapsed = days_since_purchase > 90
let markets = ("KR", "MD")

template coupon sms "{first_nme|Hi}, 15% off: {link}"

rule coupon: when lapsed and contry in markets then send sms coupon
rule again: when orders > "two" then send sms cupon
"""


@pytest_lsp.fixture(
    scope="module",
    config=ClientServerConfig(server_command=[sys.executable, "-m", "winlang", "lsp"]),
)
async def client(lsp_client: LanguageClient):
    params = lsp.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        root_uri=REPO.as_uri(),
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


async def open_document(client: LanguageClient, path: Path, text: str | None = None) -> str:
    """Open ``path`` (with ``text`` instead of the file's, if given); return its URI once the
    server has answered a request after it, so its diagnostics have arrived."""
    uri = path.as_uri()
    text = path.read_text(encoding="utf-8") if text is None else text
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=uri, language_id="winlang", version=1, text=text)
        )
    )
    await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            position=lsp.Position(line=0, character=0),
        )
    )
    return uri


def position_of(text: str, needle: str, occurrence: int = 1, shift: int = 0) -> lsp.Position:
    """The LSP position ``shift`` characters into the ``occurrence``-th ``needle``
    (the texts used here are ASCII on the lines searched, or measured in UTF-16)."""
    start = -1
    for _ in range(occurrence):
        start = text.index(needle, start + 1)
    start += shift
    line = text.count("\n", 0, start)
    column = start - (text.rfind("\n", 0, start) + 1)
    before = text[start - column : start]
    return lsp.Position(line=line, character=len(before.encode("utf-16-le")) // 2)


def doc(uri: str) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(uri=uri)


# ---- diagnostics -----------------------------------------------------------------------------


async def test_diagnostics_are_those_of_winlang_check(client: LanguageClient, tmp_path: Path):
    broken = tmp_path / "broken.win"
    broken.write_text(BROKEN, encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["check", str(broken), "--config", str(REPO / "winlang.toml"), "--format", "json"]
    )
    expected = sorted((d["code"], d["line"]) for d in orjson.loads(result.output))
    assert {code for code, _ in expected} >= {"E201", "E202", "E401"}, expected

    uri = await open_document(client, CAMPAIGNS / "lsp-broken.win", BROKEN)
    found = client.diagnostics[uri]
    assert sorted((d.code, d.range.start.line + 1) for d in found) == expected
    misspelt = next(d for d in found if d.code == "E201")
    assert misspelt.source == "winlang"
    assert misspelt.severity == lsp.DiagnosticSeverity.Error
    assert misspelt.range.start == position_of(BROKEN, "contry")
    assert misspelt.range.end == position_of(BROKEN, "contry", shift=len("contry"))
    assert "did you mean `country`?" in misspelt.message


async def test_diagnostics_follow_every_change(client: LanguageClient):
    uri = await open_document(client, CAMPAIGNS / "lsp-changes.win", BROKEN)
    assert any(d.code == "E202" for d in client.diagnostics[uri])
    fixed = BROKEN.replace("cupon", "coupon").replace("contry", "country")
    fixed = fixed.replace("first_nme", "first_name").replace('"two"', "2")
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=fixed)],
        )
    )
    await client.text_document_hover_async(
        lsp.HoverParams(text_document=doc(uri), position=lsp.Position(line=0, character=0))
    )
    assert [d.code for d in client.diagnostics[uri]] == []

    # a syntax error while typing, then an incremental edit that mends it
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=3),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=fixed + "when\n")],
        )
    )
    await client.text_document_hover_async(
        lsp.HoverParams(text_document=doc(uri), position=lsp.Position(line=0, character=0))
    )
    assert [d.code for d in client.diagnostics[uri]] == ["E108"]
    last = fixed.count("\n")
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=4),
            content_changes=[
                lsp.TextDocumentContentChangePartial(
                    range=lsp.Range(
                        start=lsp.Position(line=last, character=0),
                        end=lsp.Position(line=last, character=4),
                    ),
                    text="# when",
                )
            ],
        )
    )
    await client.text_document_hover_async(
        lsp.HoverParams(text_document=doc(uri), position=lsp.Position(line=0, character=0))
    )
    assert [d.code for d in client.diagnostics[uri]] == []


async def test_ranges_count_utf16_units(client: LanguageClient):
    text = (
        'campaign "emoji"\n'
        'template hi push "😀😀 {first_name} 안녕"\n'
        "when orders > 1 then send push hi with x = ordrs\n"
    )
    uri = await open_document(client, CAMPAIGNS / "lsp-emoji.win", text)
    text = text.replace("with x = ordrs", "with x = ordrs")
    found = {d.code: d for d in client.diagnostics[uri]}
    assert found["E201"].range.start == position_of(text, "ordrs")
    # a hover on the placeholder after two emoji (four UTF-16 units) finds the field
    hover = await client.text_document_hover_async(
        lsp.HoverParams(text_document=doc(uri), position=position_of(text, "first_name", shift=2))
    )
    assert hover is not None and "(field) `first_name`: text" in hover.contents.value
    assert hover.range.start == position_of(text, "first_name")


# ---- completion ------------------------------------------------------------------------------


async def complete(client: LanguageClient, uri: str, position: lsp.Position) -> dict[str, object]:
    found = await client.text_document_completion_async(
        lsp.CompletionParams(text_document=doc(uri), position=position)
    )
    items = found.items if isinstance(found, lsp.CompletionList) else found
    return {item.label: item for item in items}


async def test_completion_offers_fields_names_functions_and_keywords(client: LanguageClient):
    path = CAMPAIGNS / "ladder-ko.win"
    text = path.read_text(encoding="utf-8")
    typing = text + "rule extra: when "
    uri = await open_document(client, CAMPAIGNS / "lsp-complete.win", typing)
    end = lsp.Position(line=typing.count("\n"), character=len("rule extra: when "))
    items = await complete(client, uri, end)
    assert items["first_name"].kind == lsp.CompletionItemKind.Field
    assert items["first_name"].detail == "field: text"
    assert items["days_since_purchase"].kind == lsp.CompletionItemKind.Property
    assert "days_since(last_purchase_at)" in items["days_since_purchase"].detail
    assert items["lapsed_30"].kind == lsp.CompletionItemKind.Variable
    assert items["days_since"].kind == lsp.CompletionItemKind.Function
    assert items["not"].kind == lsp.CompletionItemKind.Keyword


async def test_completion_after_send_offers_that_channels_templates(client: LanguageClient):
    text = (CAMPAIGNS / "ladder-ko.win").read_text(encoding="utf-8")
    typing = text + "rule extra: when lapsed_30 then send sms "
    uri = await open_document(client, CAMPAIGNS / "lsp-send.win", typing)
    line = typing.count("\n")
    items = await complete(
        client, uri, lsp.Position(line=line, character=len(typing.split("\n")[-1]))
    )
    assert set(items) == {"survey", "contest", "coupon"}  # not coupon_push: that one is push
    channels = await complete(
        client, uri, lsp.Position(line=line, character=len("rule extra: when lapsed_30 then send "))
    )
    assert {"sms", "email", "push"} <= set(channels)
    assert "survey" not in channels
    # a space typed opens the list only where the words before narrow it
    typed = lsp.CompletionContext(
        trigger_kind=lsp.CompletionTriggerKind.TriggerCharacter, trigger_character=" "
    )
    for column, wanted in ((len("rule extra: when "), set()), (len(typing.split("\n")[-1]), None)):
        found = await client.text_document_completion_async(
            lsp.CompletionParams(
                text_document=doc(uri),
                position=lsp.Position(line=line, character=column),
                context=typed,
            )
        )
        labels = {item.label for item in found.items}
        assert labels == (wanted if wanted is not None else set(items)), column


async def test_completion_of_events_and_placeholders(client: LanguageClient):
    text = (CAMPAIGNS / "shopping-reminders.win").read_text(encoding="utf-8")
    typing = text + 'template extra sms "Hi {'
    uri = await open_document(client, CAMPAIGNS / "lsp-events.win", typing)
    line = typing.count("\n")
    placeholders = await complete(
        client, uri, lsp.Position(line=line, character=len(typing.split("\n")[-1]))
    )
    assert {"first_name", "link", "unsubscribe", "days_since_purchase"} <= set(placeholders)
    assert "when" not in placeholders
    count = position_of(text, "count(view", shift=len("count("))
    events = await complete(client, uri, count)
    assert {"view", "purchase", "cart_add", "review"} <= set(events)  # cart_add: [events] types


# ---- hover -----------------------------------------------------------------------------------


async def hover_at(client: LanguageClient, uri: str, position: lsp.Position) -> str:
    found = await client.text_document_hover_async(
        lsp.HoverParams(text_document=doc(uri), position=position)
    )
    assert found is not None
    return found.contents.value


async def test_hover_shows_field_types_and_definitions(client: LanguageClient):
    path = CAMPAIGNS / "ladder-ko.win"
    text = path.read_text(encoding="utf-8")
    uri = await open_document(client, path)
    lifetime = await hover_at(client, uri, position_of(text, "lifetime_value", shift=3))
    assert lifetime.startswith("(field) `lifetime_value`: number")
    assert "schema.json" in lifetime
    derived = await hover_at(client, uri, position_of(text, "days_since_purchase"))
    assert derived.startswith("(derived field) `days_since_purchase`: number")
    assert "days_since(last_purchase_at)" in derived
    segment = await hover_at(client, uri, position_of(text, "lapsed_30", occurrence=2))
    assert "(segment) `lapsed_30`: true/false" in segment
    assert "segment lapsed_30 = days_since_purchase between 30 and 59" in segment


async def test_hover_shows_a_templates_sms_encoding_and_parts(client: LanguageClient):
    path = CAMPAIGNS / "ladder-ko.win"
    text = path.read_text(encoding="utf-8")
    uri = await open_document(client, path)
    survey = await hover_at(client, uri, position_of(text, "send sms survey", shift=10))
    assert survey.startswith("(template) `survey` on `sms`")
    assert "설문 2문항" in survey
    # as W501 measures it: UCS-2, 127 characters with the placeholders estimated, 2 parts
    assert "SMS: UCS-2, 127 characters, 2 parts" in survey
    # and over the template's text, the finding with its code's explanation
    finding = await hover_at(client, uri, position_of(text, "설문 2문항"))
    assert "warning W501" in finding
    assert "**W501 — SMS longer than one part**" in finding


# ---- navigation ------------------------------------------------------------------------------


async def test_definition_of_a_segment_goes_to_its_line(client: LanguageClient):
    path = CAMPAIGNS / "ladder-ko.win"
    text = path.read_text(encoding="utf-8")
    uri = await open_document(client, path)
    found = await client.text_document_definition_async(
        lsp.DefinitionParams(
            text_document=doc(uri), position=position_of(text, "when lapsed_60", shift=6)
        )
    )
    assert [(d.uri, d.range.start) for d in found] == [(uri, position_of(text, "lapsed_60"))]
    derived = await client.text_document_definition_async(
        lsp.DefinitionParams(
            text_document=doc(uri), position=position_of(text, "days_since_purchase")
        )
    )
    column = await client.text_document_definition_async(
        lsp.DefinitionParams(text_document=doc(uri), position=position_of(text, "lifetime_value"))
    )
    schema = (CAMPAIGNS / "schema.json").read_text(encoding="utf-8")
    assert [(d.uri, d.range.start) for d in column] == [
        ((CAMPAIGNS / "schema.json").as_uri(), position_of(schema, '"lifetime_value"'))
    ]
    config = (REPO / "winlang.toml").read_text(encoding="utf-8")
    assert [d.uri for d in derived] == [(REPO / "winlang.toml").as_uri()]
    assert derived[0].range.start.line == config[: config.index("days_since_purchase =")].count(
        "\n"
    )


async def test_references_of_a_template_list_its_uses(client: LanguageClient):
    path = CAMPAIGNS / "winback-emails.win"
    text = path.read_text(encoding="utf-8")
    uri = await open_document(client, path)
    found = await client.text_document_references_async(
        lsp.ReferenceParams(
            text_document=doc(uri),
            position=position_of(text, "template hello", shift=10),
            context=lsp.ReferenceContext(include_declaration=False),
        )
    )
    lines = sorted(r.range.start.line for r in found)
    hello, incentive, feedback = (
        position_of(text, f"rule {name}:").line for name in ("hello", "incentive", "feedback")
    )
    # `not received hello`, `send email hello`; `received hello`, `not opened hello`;
    # `opened hello`
    assert lines == [hello, hello, incentive, incentive, feedback]
    assert all(r.uri == uri for r in found)
    rule = await client.text_document_references_async(
        lsp.ReferenceParams(
            text_document=doc(uri),
            position=position_of(text, "rule hello", shift=6),
            context=lsp.ReferenceContext(include_declaration=True),
        )
    )
    assert [r.range.start.line for r in rule] == [hello]  # a rule is only declared


# ---- quick fixes -----------------------------------------------------------------------------


async def test_quick_fix_replaces_a_misspelt_field(client: LanguageClient):
    text = (
        'campaign "typo"\n'
        'template hi sms "Hi {first_name}"\n'
        "when lifetime_valu >= 500 then send sms hi\n"
    )
    uri = await open_document(client, CAMPAIGNS / "lsp-typo.win", text)
    diagnostic = next(d for d in client.diagnostics[uri] if d.code == "E201")
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=doc(uri),
            range=diagnostic.range,
            context=lsp.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    assert len(actions) == 1
    action = actions[0]
    assert action.kind == lsp.CodeActionKind.QuickFix
    assert action.title == "Replace with `lifetime_value`"
    (edit,) = action.edit.changes[uri]
    assert edit.new_text == "lifetime_value"
    assert (
        edit.range
        == diagnostic.range
        == lsp.Range(
            start=lsp.Position(line=2, character=5), end=lsp.Position(line=2, character=18)
        )
    )


# ---- recovery and robustness -----------------------------------------------------------------

HALF_WRITTEN = """\
campaign "half-written"
segment big = lifetime_value > 100
template hi sms "Hi {first_nme}"
rule a: when big and orders > then send sms hi
rule b: when orders > "two"
        then send sms hi
rule c: when contry = "KR" then send sms hi
"""


async def test_type_errors_show_while_another_rule_is_broken(
    client: LanguageClient, tmp_path: Path
):
    uri = await open_document(client, CAMPAIGNS / "lsp-half.win", HALF_WRITTEN)
    found = sorted((d.code, d.range.start.line + 1) for d in client.diagnostics[uri])
    # the syntax error of rule a, and the checker's findings on everything else
    assert found == [("E100", 4), ("E201", 7), ("E301", 5), ("E401", 3)]
    # `winlang check` stops at the syntax error; the editor shows the rest too
    half = tmp_path / "half.win"
    half.write_text(HALF_WRITTEN, encoding="utf-8")
    config = str(REPO / "winlang.toml")
    result = CliRunner().invoke(cli, ["check", str(half), "--config", config, "--format", "json"])
    assert [(d["code"], d["line"]) for d in orjson.loads(result.output)] == [("E100", 4)]
    # and hover and go to definition work on the rest of the file
    sent = position_of(HALF_WRITTEN, "send sms hi", occurrence=3, shift=len("send sms "))
    assert (await hover_at(client, uri, sent)).startswith("(template) `hi` on `sms`")
    found = await client.text_document_definition_async(
        lsp.DefinitionParams(text_document=doc(uri), position=sent)
    )
    assert [d.range.start for d in found] == [position_of(HALF_WRITTEN, "hi sms")]


async def test_the_server_survives_any_text_and_any_position(client: LanguageClient):
    texts = ["", "\n\n\n", "when", '"unterminated', "template 😀 sms", "{ ( ) } ## \t\x0c"]
    for number, text in enumerate(texts):
        uri = await open_document(client, CAMPAIGNS / f"lsp-odd-{number}.win", text)
        assert all(d.source == "winlang" for d in client.diagnostics[uri])
        for line, character in ((0, 0), (0, 50), (9, 3)):
            position = lsp.Position(line=line, character=character)
            await client.text_document_hover_async(
                lsp.HoverParams(text_document=doc(uri), position=position)
            )
            await client.text_document_completion_async(
                lsp.CompletionParams(text_document=doc(uri), position=position)
            )
            await client.text_document_definition_async(
                lsp.DefinitionParams(text_document=doc(uri), position=position)
            )
    failures = [m.message for m in client.log_messages if m.type == lsp.MessageType.Error]
    assert failures == []


async def test_closing_a_file_clears_its_findings(client: LanguageClient):
    uri = await open_document(client, CAMPAIGNS / "lsp-close.win", BROKEN)
    assert client.diagnostics[uri]
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=doc(uri)))
    await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=doc(await open_document(client, CAMPAIGNS / "ladder.win")),
            position=lsp.Position(line=0, character=0),
        )
    )
    assert list(client.diagnostics[uri]) == []


async def test_a_file_outside_any_project_says_it_has_no_schema(
    client: LanguageClient, tmp_path: Path
):
    uri = await open_document(
        client, tmp_path / "alone.win", 'campaign "alone"\nwhen ordrs > 1 then send sms t\n'
    )
    codes = {d.code for d in client.diagnostics[uri]}
    assert "W707" in codes  # no customer schema: field names were not checked
    assert "E201" not in codes


async def fixes_for(client: LanguageClient, uri: str, code: str) -> list[lsp.CodeAction]:
    diagnostic = next(d for d in client.diagnostics[uri] if d.code == code)
    return await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=doc(uri),
            range=diagnostic.range,
            context=lsp.CodeActionContext(diagnostics=[diagnostic]),
        )
    )


async def test_quick_fixes_inside_a_placeholder_and_for_upper_case(client: LanguageClient):
    text = (
        'campaign "typos"\n'
        'template hi sms "😀 Hi {first_nme|there}"\n'
        "when Orders > 1 then send sms hi\n"
    )
    uri = await open_document(client, CAMPAIGNS / "lsp-typos.win", text)
    (placeholder,) = await fixes_for(client, uri, "E401")
    (edit,) = placeholder.edit.changes[uri]
    # only the name inside the braces, counted in UTF-16 after the emoji
    assert (edit.range.start, edit.range.end, edit.new_text) == (
        position_of(text, "first_nme"),
        position_of(text, "first_nme", shift=len("first_nme")),
        "first_name",
    )
    (case,) = await fixes_for(client, uri, "E106")
    (edit,) = case.edit.changes[uri]
    assert (edit.range.start, edit.new_text) == (position_of(text, "Orders"), "orders")
    # a finding without a suggestion has no fix
    none = 'campaign "none"\ntemplate t sms "x"\nwhen orders > 1 then send sms t\nsegment q = 1\n'
    uri = await open_document(client, CAMPAIGNS / "lsp-nofix.win", none)
    assert list(await fixes_for(client, uri, "E303") or []) == []


async def test_a_changed_schema_is_read_again(client: LanguageClient, tmp_path: Path):
    (tmp_path / "winlang.toml").write_text('[store]\nschema = "schema.json"\n', encoding="utf-8")
    schema = tmp_path / "schema.json"
    schema.write_text('{"customers": {"id": "number", "phone": "text", "consent_sms": "bool"}}')
    text = 'campaign "vip"\ntemplate t sms "Hi"\nwhen vip then send sms t\n'
    uri = await open_document(client, tmp_path / "vip.win", text)
    assert [d.code for d in client.diagnostics[uri]] == ["E201"]

    schema.write_text(
        '{"customers": {"id": "number", "phone": "text", "consent_sms": "bool", "vip": "bool"}}'
    )
    later = schema.stat().st_mtime_ns + 10**9  # a new time, however coarse the file system's
    os.utime(schema, ns=(later, later))
    client.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(
            changes=[lsp.FileEvent(uri=schema.as_uri(), type=lsp.FileChangeType.Changed)]
        )
    )
    items = await complete(client, uri, lsp.Position(line=2, character=5))
    assert items["vip"].detail == "field: bool"
    assert list(client.diagnostics[uri]) == []


async def test_the_outline_lists_the_files_items(client: LanguageClient):
    path = CAMPAIGNS / "ladder-ko.win"
    text = path.read_text(encoding="utf-8")
    uri = await open_document(client, path)
    found = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=doc(uri))
    )
    names = [(s.name, s.kind) for s in found]
    assert names[0] == ("sms-reengagement-ladder-ko", lsp.SymbolKind.Module)
    assert names[1:5] == [
        ("lapsed_30", lsp.SymbolKind.Variable),
        ("lapsed_60", lsp.SymbolKind.Variable),
        ("lapsed_90", lsp.SymbolKind.Variable),
        ("survey", lsp.SymbolKind.String),
    ]
    assert ("won_back", lsp.SymbolKind.Function) in names
    rule = next(s for s in found if s.name == "coupon" and s.kind == lsp.SymbolKind.Function)
    # a rule's range spans its lines; its name is where the cursor goes
    assert rule.selection_range.start == position_of(text, "coupon:")
    assert rule.range.end.line == position_of(text, "else send push").line


async def test_findings_about_the_configuration_show_on_it(client: LanguageClient, tmp_path: Path):
    config = tmp_path / "winlang.toml"
    config.write_text(
        f'[store]\nschema = "{CAMPAIGNS / "schema.json"}"\n\n[limits]\nsms_max_part = 2\n',
        encoding="utf-8",
    )
    text = 'campaign "c"\ntemplate t sms "Hi"\nwhen orders > 1 then send sms t\n'
    uri = await open_document(client, tmp_path / "c.win", text)
    assert list(client.diagnostics[uri]) == []
    (finding,) = client.diagnostics[config.as_uri()]
    assert finding.code == "W702"  # unknown configuration key, on its line
    assert finding.range.start == lsp.Position(line=4, character=0)
    assert "did you mean `sms_max_parts`?" in finding.message


async def test_parameters_of_a_template(client: LanguageClient):
    text = (CAMPAIGNS / "ladder-ko.win").read_text(encoding="utf-8")
    typing = text + "rule extra: when lapsed_90 then send sms coupon with "
    uri = await open_document(client, CAMPAIGNS / "lsp-params.win", typing)
    line = typing.count("\n")
    items = await complete(
        client, uri, lsp.Position(line=line, character=len(typing.split("\n")[-1]))
    )
    assert set(items) == {"discount"}  # first_name is a field, link the campaign's
    assert items["discount"].insert_text == "discount = "
    # a comma elsewhere (a function's arguments) completes names as usual
    typing = text + "segment other = coalesce(orders, "
    uri = await open_document(client, CAMPAIGNS / "lsp-comma.win", typing)
    end = lsp.Position(line=typing.count("\n"), character=len(typing.split("\n")[-1]))
    assert "lifetime_value" in await complete(client, uri, end)
    # and over the placeholder, what each send gives it
    uri = await open_document(client, CAMPAIGNS / "ladder-ko.win")
    hover = await hover_at(client, uri, position_of(text, "{discount}", shift=1))
    assert hover.startswith("(parameter) `discount` of template `coupon`")
    assert "- rule `coupon`: `with discount = 15`" in hover


async def test_fields_come_from_a_reachable_store(client: LanguageClient, tmp_path: Path):
    with sqlite3.connect(tmp_path / "shop.db") as db:
        db.execute(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, first_name TEXT, phone TEXT, "
            "consent_sms BOOLEAN, loyalty_points INTEGER)"
        )
        db.execute(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, customer_id INTEGER, type TEXT, "
            "channel TEXT, campaign TEXT, template TEXT, occurred_at TIMESTAMP)"
        )
    (tmp_path / "winlang.toml").write_text('[store]\nurl = "sqlite:///shop.db"\n', "utf-8")
    text = 'campaign "points"\ntemplate t sms "Hi"\nwhen loyalty_points > 100 then send sms t\n'
    uri = await open_document(client, tmp_path / "points.win", text)
    assert list(client.diagnostics[uri]) == []
    items = await complete(client, uri, lsp.Position(line=2, character=5))
    assert items["loyalty_points"].detail == "field: number"
    assert "orders" not in items  # the example schema is not this project's
    hover = await hover_at(client, uri, position_of(text, "loyalty_points"))
    assert hover.startswith("(field) `loyalty_points`: number")
    assert "from the store `sqlite:///" in hover


# ---- formatting ------------------------------------------------------------------------------

MESSY = """\
campaign "messy"
link "https://shop.example.com/back"   # where {link} goes
template coupon sms "{first_name|Hi}, 15% off: {link}"
rule coupon:   when days_since_purchase>90 and not opened email then send sms coupon
"""


async def test_formatting_is_winlang_fmt_as_one_edit(client: LanguageClient):
    from winlang.fmt import format_text

    uri = await open_document(client, CAMPAIGNS / "lsp-messy.win", MESSY)
    edits = await client.text_document_formatting_async(
        lsp.DocumentFormattingParams(
            text_document=doc(uri), options=lsp.FormattingOptions(tab_size=2, insert_spaces=True)
        )
    )
    (edit,) = edits
    assert edit.range.start == lsp.Position(line=0, character=0)
    assert edit.range.end == lsp.Position(line=4, character=0)  # past the final newline
    expected = format_text(MESSY).text
    assert edit.new_text == expected != MESSY
    assert "# where {link} goes" in edit.new_text  # comments kept

    formatted = await open_document(client, CAMPAIGNS / "lsp-formatted.win", expected)
    params = lsp.DocumentFormattingParams(
        text_document=doc(formatted), options=lsp.FormattingOptions(tab_size=2, insert_spaces=True)
    )
    assert not await client.text_document_formatting_async(params)  # nothing to change

    broken = await open_document(client, CAMPAIGNS / "lsp-broken-fmt.win", BROKEN + "rule (\n")
    params = lsp.DocumentFormattingParams(
        text_document=doc(broken), options=lsp.FormattingOptions(tab_size=2, insert_spaces=True)
    )
    assert not await client.text_document_formatting_async(params)  # syntax errors first
