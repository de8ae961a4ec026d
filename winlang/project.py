"""The edge where files are read: configuration, schema, campaign files and template bodies.

Everything here gathers inputs for the pure stages (:mod:`winlang.parse`, :mod:`winlang.check`)
and turns every failure into a diagnostic.
"""

from __future__ import annotations

from dataclasses import field, replace
from pathlib import Path

from . import ast as A
from .check import CheckedCampaign, CheckResult, Fields, check_campaign, project_fields
from .check.templates import channels_sent_on
from .config import Config, find_config, load_config
from .contracts.errors import DataError
from .database_urls import state_url_problem
from .diagnostics import Diagnostic, SourceText, at_file
from .frozen import frozen
from .parse import parse_campaign
from .sandbox import SandboxError, read_body_file
from .schema import Schema, SchemaError, load_schema_file
from .store_layout import layout_problems


@frozen
class Project:
    """A project opened: its configuration, schema and fields, and their findings."""

    config: Config
    schema: Schema | None
    fields: Fields
    diagnostics: tuple[Diagnostic, ...]  # about the configuration and the schema
    _opened: dict = field(default_factory=dict, repr=False, compare=False)

    def store(self):
        """The configured store, opened once: checking (reflection) and running share it,
        which matters where opening is slow (a DuckDB file takes a second). Its events
        include those ``winlang ingest`` stored in the state database, read through
        :meth:`saved_state` (so a dry run never creates the state)."""
        if "source" not in self._opened:
            from .evaluate import open_store
            from .sources.ingested import with_ingested

            if "store" not in self._opened:
                self._opened["store"] = open_store(self.config)
            self._opened["source"] = with_ingested(self._opened["store"], self.saved_state())
        return self._opened["source"]

    def saved_state(self):
        """The state database for reading (None before the first run), opened once: the
        engine's ledger view and the contact policies share it."""
        if "state" not in self._opened:
            from .state import read_state

            self._opened["state"] = read_state(self.config.state_url, **_state_options(self.config))
        return self._opened["state"]

    def close(self) -> None:
        """Let go of the connections the project opened (its store's and its state's): a
        long-running process, such as ``winlang serve``, opens a project per request."""
        store = self._opened.get("store")
        try:
            engine = store.sql_engine() if store is not None else None
        except (SchemaError, DataError):  # a store that never opened holds no connection
            engine = None
        if engine is not None:
            engine.dispose()
        for key in ("state", "writable"):
            if (state := self._opened.get(key)) is not None:
                state.close()
        self._opened.clear()

    def state(self):
        """The state database for a real run: created or migrated first, then shared with
        :meth:`saved_state` so every reader in the command sees the same database."""
        from .state import open_state

        if "writable" not in self._opened:
            self._opened["writable"] = open_state(
                self.config.state_url, **_state_options(self.config)
            )
            self._opened["state"] = self._opened["writable"]
        return self._opened["writable"]


def _state_options(config: Config) -> dict:
    return {
        "store_url": config.store.url,
        "allow_other_tables": config.state_allow_other_tables,
    }


def _state_problem(config: Config) -> Diagnostic | None:
    """E710 for a state URL no command could use (checked without opening anything)."""
    problem = state_url_problem(config.state_url, **_state_options(config))
    if problem is None:
        return None
    origin = str(config.path) if config.path else "winlang.toml"
    return at_file("E710", problem, origin)


def open_project(
    config_path: Path | None = None, schema_path: Path | None = None, search: bool = True
) -> Project:
    """Load the configuration and the schema: ``schema_path``, the config's schema file, or
    the store itself, in that order."""
    path = config_path or (find_config() if search else None)
    config, diagnostics = load_config(path)
    found = list(diagnostics)
    if (state_problem := _state_problem(config)) is not None:
        found.append(state_problem)
    opened: dict = {}
    schema, schema_problem = _schema(config, schema_path, opened)
    if schema_problem is not None:
        found.append(schema_problem)
    if schema is not None:
        found += store_diagnostics(schema, config)
    fields = project_fields(schema, config)
    return Project(config, schema, fields, (*found, *fields.diagnostics), opened)


def store_diagnostics(schema: Schema, config: Config) -> list[Diagnostic]:
    """E709 for each way the store does not fit ``[store]`` (run refuses the same)."""
    return [
        config.location(*problem.key).diagnostic("E709", problem.message, problem.hint)
        for problem in layout_problems(schema, config.store)
    ]


def _schema(
    config: Config, schema_path: Path | None, opened: dict
) -> tuple[Schema | None, Diagnostic | None]:
    origin = str(config.path) if config.path else "winlang.toml"
    explicit = schema_path or config.store.schema
    try:
        if explicit is not None:
            return load_schema_file(explicit), None
        return _store_schema(config, opened), None
    except (SchemaError, DataError) as error:
        if config.path is None and explicit is None:  # no project set up: check what we can
            return None, at_file(
                "W707",
                "no customer schema: field names and types were not checked",
                origin,
                "pass --schema schema.json (from `winlang schema export`) or configure "
                "[store] in winlang.toml",
            )
        return None, at_file("E706" if explicit else "E705", str(error), str(explicit or origin))


def _store_schema(config: Config, opened: dict) -> Schema:
    """The schema as the store's data source sees it (reflection for SQL stores, file
    metadata for Parquet and CSV folders, whatever a plugin's source reports)."""
    from .evaluate import open_store

    opened["store"] = open_store(config)
    return opened["store"].schema()


def read_source(
    path: Path, display: str | None = None
) -> tuple[SourceText | None, Diagnostic | None]:
    """A campaign file's text; an unreadable, binary or non-UTF-8 file is a diagnostic."""
    name = display or str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        return None, at_file("E111", f"can't read this file: {error.strerror}", name)
    if b"\0" in data[:8192]:
        return None, at_file(
            "E111",
            "this looks like a binary file, not a campaign",
            name,
            "campaign files are UTF-8 text",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start].decode("utf-8", "replace")
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        span = A.Span(0, 0, line, column, line, column + 1)
        source = SourceText(name, data.decode("utf-8", "replace"))
        return None, source.diagnostic(
            "E111", "this file is not valid UTF-8 text", span, "save it with UTF-8 encoding"
        )
    return SourceText(name, text.removeprefix("\ufeff")), None


def load_template_files(
    campaign: A.CampaignFile, source: SourceText, base: Path, root: Path | None = None
) -> tuple[A.CampaignFile, list[Diagnostic]]:
    """Fill in ``body file "..."`` texts, read relative to the campaign file's folder
    ``base`` and only inside the project folder ``root`` (by default ``base``): see
    :mod:`winlang.sandbox`. A file outside it, not a regular file or too big is E410."""
    problems: list[Diagnostic] = []
    items = []
    for item in campaign.items:
        if isinstance(item, A.Template) and item.body.path is not None:
            try:
                text = read_body_file(root or base, item.body.path, base)
                item = replace(item, body=replace(item.body, value=text))
            except SandboxError as error:
                problems.append(
                    source.diagnostic(
                        "E410",
                        f"template file refused: {error}",
                        item.body.span,
                        f"keep template files inside the project folder {root or base}, as "
                        "plain UTF-8 files of at most 1 MiB",
                    )
                )
            except (OSError, UnicodeDecodeError) as error:
                reason = getattr(error, "strerror", None) or "not UTF-8 text"
                problems.append(
                    source.diagnostic(
                        "E404",
                        f"can't read template file `{item.body.path}`: {reason}",
                        item.body.span,
                        f"the path is relative to {base}",
                    )
                )
        items.append(item)
    return replace(campaign, items=tuple(items)), problems


def project_folder(project: Project, base: Path) -> Path:
    """The folder a campaign in ``base`` may read files from: the config's, else its own."""
    return project.config.root if project.config.path is not None else base


def check_source(source: SourceText, project: Project, base: Path) -> CheckResult:
    """Parse and check one campaign's text."""
    parsed = parse_campaign(source.text, source.path, project.fields.symbols)
    if parsed.campaign is None or parsed.diagnostics:
        return CheckResult(parsed.diagnostics, None)
    root = project_folder(project, base)
    campaign, problems = load_template_files(parsed.campaign, source, base, root)
    result = check_campaign(campaign, source, project.fields, project.config)
    return CheckResult((*problems, *result.diagnostics), None if problems else result.checked)


def check_file(path: Path, project: Project, display: str | None = None) -> CheckResult:
    source, problem = read_source(path, display)
    if source is None:
        return CheckResult((problem,), None)
    return check_source(source, project, path.parent)


def check_files(files: list[tuple[Path, str]], project: Project) -> list[Diagnostic]:
    """Check campaign files as one project (``winlang check``): each file, then what only
    the files together show: two campaigns with one name (they would share one ledger), and
    the channels they send on, set up as a run sets them up (secrets aside)."""
    findings: list[Diagnostic] = []
    named: dict[str, str] = {}  # campaign name -> the first file that has it
    channels: list[str] = []
    for path, display in files:
        source, problem = read_source(path, display)
        if source is None:
            findings.append(problem)
            continue
        result = check_source(source, project, path.parent)
        findings += result.diagnostics
        if result.checked is None:
            continue
        campaign = result.checked.campaign
        channels += channels_sent_on(campaign)
        name = campaign.name or ""
        if name in named:
            findings.append(
                source.diagnostic(
                    "E613",
                    f'campaign "{name}" is also the campaign of {named[name]}; '
                    "the two would share one ledger",
                    campaign.headers[0].span,
                    "give each campaign its own name",
                )
            )
        else:
            named[name] = display
    findings += channel_diagnostics(project.config, channels)
    return findings


def channel_diagnostics(
    config: Config, names: list[str], secrets: bool = False
) -> list[Diagnostic]:
    """E708 for each channel of ``names`` that a run could not set up: its plugin is not
    installed, a setting is missing, of the wrong type or names a path that can't be used.
    Without ``secrets`` (check, dry run), an unset secret's variable is no problem."""
    from contextlib import nullcontext

    from .channels.settings import without_secrets
    from .deliver.channels import channel_problems

    with nullcontext() if secrets else without_secrets():
        problems = channel_problems(config, names)
    return [
        config.location("channels", name, *([error.key] if error.key else [])).diagnostic(
            "E708",
            str(error),
            "`winlang plugins` lists the installed channel plugins"
            if error.key in (None, "plugin")
            else None,
        )
        for name, error in problems
    ]


def campaign_files(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """Files named, plus ``*.win`` files found recursively in folders named; and the missing."""
    files, missing = [], []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.win") if p.is_file())
        elif path.exists():
            files.append(path)
        else:
            missing.append(str(path))
    return files, missing


class CampaignErrors(ValueError):
    """A campaign text that does not check; carries its diagnostics."""

    def __init__(self, diagnostics: tuple[Diagnostic, ...]) -> None:
        self.diagnostics = diagnostics
        super().__init__(
            "; ".join(
                f"{d.line}:{d.column} {d.code} {d.message}" for d in diagnostics if d.is_error
            )
        )


def checked_text(
    text: str, schema: Schema | None, config: Config | None = None, path: str = "<text>"
) -> CheckedCampaign:
    """Parse and check a campaign held in a string (tests, notebooks, embedding).

    >>> from winlang.schema import schema_from_json
    >>> schema = schema_from_json('{"customers": {"orders": "number", "phone": "text", '
    ...                           '"consent_sms": "bool"}}')
    >>> checked = checked_text('campaign "c"\\ntemplate t sms "hi"\\n'
    ...                        'when orders > 1 then send sms t', schema)
    >>> checked.campaign.rules[0].name.name
    'rule_1'
    """
    config = config or Config()
    fields = project_fields(schema, config)
    source = SourceText(path, text)
    parsed = parse_campaign(text, path, fields.symbols)
    if parsed.campaign is None or parsed.diagnostics:
        raise CampaignErrors(parsed.diagnostics)
    result = check_campaign(parsed.campaign, source, fields, config)
    if result.checked is None:
        raise CampaignErrors(result.diagnostics)
    return result.checked
