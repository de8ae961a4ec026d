"""The language server: pygls wiring between the editor and winlang's checker.

Each request turns the editor's positions into winlang's (see :mod:`.positions`), asks the
pure modules of this package, and turns the answer back. A failure inside one request is
logged to the editor and answered with nothing: the server stays up while the user types.
"""

from __future__ import annotations

import functools
import logging
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from .. import __version__
from ..check.templates import channels_sent_on
from ..diagnostics import Diagnostic, Severity
from ..project import channel_diagnostics
from . import completion, hover, navigation
from .analysis import Analysis, Projects, analyse, parse_around
from .fixes import fix
from .positions import Lines

log = logging.getLogger(__name__)
T = TypeVar("T")

COMPLETION_KINDS = {
    "field": lsp.CompletionItemKind.Field,
    "derived": lsp.CompletionItemKind.Property,
    "segment": lsp.CompletionItemKind.Variable,
    "let": lsp.CompletionItemKind.Constant,
    "template": lsp.CompletionItemKind.Reference,
    "channel": lsp.CompletionItemKind.Module,
    "event_type": lsp.CompletionItemKind.EnumMember,
    "function": lsp.CompletionItemKind.Function,
    "keyword": lsp.CompletionItemKind.Keyword,
    "param": lsp.CompletionItemKind.Variable,
}
SYMBOL_KINDS = {
    "campaign": lsp.SymbolKind.Module,
    "segment": lsp.SymbolKind.Variable,
    "let": lsp.SymbolKind.Constant,
    "template": lsp.SymbolKind.String,
    "rule": lsp.SymbolKind.Function,
}
# Names of the file and the project before functions, functions before keywords.
COMPLETION_ORDER = {"keyword": "2", "function": "1"}


class WinlangServer(LanguageServer):
    """The server, with the projects it has opened and each document's last analysis."""

    def __init__(self, projects: Projects) -> None:
        super().__init__("winlang", __version__)
        self.projects = projects
        self.analyses: dict[str, Analysis] = {}
        self.last_parsed: dict[str, object] = {}  # uri -> the last AST that parsed

    def lines(self, text: str) -> Lines:
        return Lines.of(text, str(self.workspace.position_encoding or "utf-16"))

    def analysis(self, uri: str) -> Analysis:
        """The document's analysis, made again when its text changed since."""
        document = self.workspace.get_text_document(uri)
        path = Path(to_fs_path(uri) or uri)
        project = self.projects.for_file(path)  # opened again when its files changed
        known = self.analyses.get(uri)
        if known is not None and known.source.text == document.source and known.project is project:
            return known
        found = analyse(path, document.source, project, self.projects.schema_file(project))
        self.analyses[uri] = found
        if found.outline is not None:
            self.last_parsed[uri] = found.outline
        return found


def guarded(default: Callable[[], T]):
    """Log a request's failure to the editor and answer ``default()``: one bad request must
    not take the server, and every open file's diagnostics, down with it."""

    def wrap(handler):
        @functools.wraps(handler)
        def run(server: WinlangServer, params):
            try:
                return handler(server, params)
            except Exception:  # the server must survive whatever the text holds
                server.window_log_message(
                    lsp.LogMessageParams(
                        type=lsp.MessageType.Error,
                        message=f"winlang: {handler.__name__} failed:\n{traceback.format_exc()}",
                    )
                )
                return default()

        return run

    return wrap


def build_server(projects: Projects) -> WinlangServer:
    server = WinlangServer(projects)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    @guarded(lambda: None)
    def did_open(ls: WinlangServer, params: lsp.DidOpenTextDocumentParams) -> None:
        publish(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    @guarded(lambda: None)
    def did_change(ls: WinlangServer, params: lsp.DidChangeTextDocumentParams) -> None:
        publish(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    @guarded(lambda: None)
    def did_save(ls: WinlangServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.analyses.pop(params.text_document.uri, None)  # template files may have changed
        publish(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    @guarded(lambda: None)
    def did_close(ls: WinlangServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.analyses.pop(uri, None)
        ls.last_parsed.pop(uri, None)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @guarded(lambda: None)
    def files_changed(ls: WinlangServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        """winlang.toml, a schema or a template file changed: check every open file again."""
        for uri in list(ls.analyses):
            ls.analyses.pop(uri, None)
            publish(ls, uri)

    @server.feature(
        lsp.TEXT_DOCUMENT_COMPLETION,
        lsp.CompletionOptions(trigger_characters=[" ", "{", "("]),
    )
    @guarded(lambda: lsp.CompletionList(is_incomplete=False, items=[]))
    def complete(ls: WinlangServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        uri = params.text_document.uri
        analysis = ls.analysis(uri)
        text = analysis.source.text
        line, column = ls.lines(text).from_lsp(params.position.line, params.position.character)
        campaign = (
            analysis.outline
            or parse_around(text, line, analysis.path, analysis.project)
            or ls.last_parsed.get(uri)
        )
        before = text[: ls.lines(text).offset(line, column)]
        context = params.context
        space = context is not None and context.trigger_character == " "
        found = completion.suggestions(before, analysis.project, campaign, anywhere=not space)
        items = [
            lsp.CompletionItem(
                label=s.label,
                kind=COMPLETION_KINDS[s.kind],
                detail=s.detail,
                insert_text=s.insert_text,
                sort_text=f"{COMPLETION_ORDER.get(s.kind, '0')}{s.label}",
            )
            for s in found
        ]
        return lsp.CompletionList(is_incomplete=False, items=items)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    @guarded(lambda: None)
    def on_hover(ls: WinlangServer, params: lsp.HoverParams) -> lsp.Hover | None:
        analysis = ls.analysis(params.text_document.uri)
        lines = ls.lines(analysis.source.text)
        line, column = lines.from_lsp(params.position.line, params.position.character)
        found = hover.hover(analysis, line, column)
        if found is None:
            return None
        return lsp.Hover(
            contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=found.markdown),
            range=to_range(lines, found.span) if found.span else None,
        )

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    @guarded(list)
    def on_definition(ls: WinlangServer, params: lsp.DefinitionParams) -> list[lsp.Location]:
        analysis = ls.analysis(params.text_document.uri)
        line, column = ls.lines(analysis.source.text).from_lsp(
            params.position.line, params.position.character
        )
        return [to_location(ls, t) for t in navigation.definition(analysis, line, column)]

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    @guarded(list)
    def on_references(ls: WinlangServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
        analysis = ls.analysis(params.text_document.uri)
        line, column = ls.lines(analysis.source.text).from_lsp(
            params.position.line, params.position.character
        )
        found = navigation.references(analysis, line, column, params.context.include_declaration)
        return [to_location(ls, t) for t in found]

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @guarded(list)
    def on_document_symbol(
        ls: WinlangServer, params: lsp.DocumentSymbolParams
    ) -> list[lsp.DocumentSymbol]:
        analysis = ls.analysis(params.text_document.uri)
        lines = ls.lines(analysis.source.text)
        return [
            lsp.DocumentSymbol(
                name=item.name,
                kind=SYMBOL_KINDS[item.kind],
                range=to_range(lines, item.span),
                selection_range=to_range(lines, item.name_span),
                detail=item.detail,
            )
            for item in navigation.outline(analysis)
        ]

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]),
    )
    @guarded(list)
    def on_code_action(ls: WinlangServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        uri = params.text_document.uri
        text = ls.workspace.get_text_document(uri).source
        lines = ls.lines(text)
        actions = []
        for diagnostic in params.context.diagnostics:
            if diagnostic.source != "winlang":
                continue
            start = lines.offset(
                *lines.from_lsp(diagnostic.range.start.line, diagnostic.range.start.character)
            )
            end = lines.offset(
                *lines.from_lsp(diagnostic.range.end.line, diagnostic.range.end.character)
            )
            data = diagnostic.data if isinstance(diagnostic.data, dict) else {}
            message, _, hint = diagnostic.message.partition("\nhint: ")
            found = fix(text[start:end], message, data.get("hint") or hint)
            if found is None:
                continue
            edit = lsp.TextEdit(
                range=lsp.Range(
                    start=to_position(lines, text, start + found.start),
                    end=to_position(lines, text, start + found.end),
                ),
                new_text=found.new_text,
            )
            actions.append(
                lsp.CodeAction(
                    title=f"Replace with `{found.new_text}`",
                    kind=lsp.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    is_preferred=True,
                    edit=lsp.WorkspaceEdit(changes={uri: [edit]}),
                )
            )
        return actions

    return server


def publish(ls: WinlangServer, uri: str) -> None:
    """Send the document's findings, and the project's own (about ``winlang.toml``) to the
    configuration file, as ``winlang check`` reports both."""
    analysis = ls.analysis(uri)
    lines = ls.lines(analysis.source.text)
    project = analysis.project
    config = project.config
    findings = list(analysis.diagnostics)
    if config.path is None or config.source is None:  # no project: say so in the file
        findings = [*project.diagnostics, *findings]
    ls.text_document_publish_diagnostics(
        lsp.PublishDiagnosticsParams(
            uri=uri, diagnostics=[to_diagnostic(lines, d) for d in findings]
        )
    )
    if config.path is None or config.source is None:
        return
    channels = channels_sent_on(analysis.outline) if analysis.outline else []
    about_config = [*project.diagnostics, *channel_diagnostics(config, channels)]
    mine = [d for d in about_config if d.file == config.source.path]
    config_lines = ls.lines(config.source.text)
    ls.text_document_publish_diagnostics(
        lsp.PublishDiagnosticsParams(
            uri=from_fs_path(str(config.path)) or str(config.path),
            diagnostics=[to_diagnostic(config_lines, d) for d in mine],
        )
    )


def to_range(lines: Lines, span) -> lsp.Range:
    start = lines.to_lsp(span.line, span.column)
    end = lines.to_lsp(span.end_line, span.end_column)
    return lsp.Range(
        start=lsp.Position(line=start[0], character=start[1]),
        end=lsp.Position(line=end[0], character=end[1]),
    )


def to_position(lines: Lines, text: str, offset: int) -> lsp.Position:
    """The editor's position of character ``offset`` of ``text``."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    found = lines.to_lsp(line, column)
    return lsp.Position(line=found[0], character=found[1])


def to_diagnostic(lines: Lines, finding: Diagnostic) -> lsp.Diagnostic:
    """A finding as the editor shows it: the hint goes into the message, since not every
    editor shows related information, and into ``data`` for the quick fix."""
    message = finding.message + (f"\nhint: {finding.hint}" if finding.hint else "")
    return lsp.Diagnostic(
        range=to_range(lines, finding),
        message=message,
        severity=(
            lsp.DiagnosticSeverity.Error
            if finding.severity is Severity.ERROR
            else lsp.DiagnosticSeverity.Warning
        ),
        code=finding.code,
        source="winlang",
        data={"hint": finding.hint} if finding.hint else None,
    )


def to_location(ls: WinlangServer, target: navigation.Target) -> lsp.Location:
    return lsp.Location(
        uri=from_fs_path(str(target.path)) or str(target.path),
        range=to_range(ls.lines(target.text), target.span),
    )


def serve(config_path: Path | None = None, schema_path: Path | None = None) -> None:
    """Run the server on standard input and output until the editor says exit."""
    protocol_out = sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print (a plugin's, say) must not corrupt the protocol
    build_server(Projects(config_path, schema_path)).start_io(sys.stdin.buffer, protocol_out)
