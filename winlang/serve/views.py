"""What the dashboard's pages show, gathered from the layers below: the campaigns and their
check status, a campaign's dry run (the functions of ``winlang run --dry-run``), previews for
sample customers (:mod:`winlang.preview`), its report (:mod:`winlang.report`), and a
customer's page (:mod:`winlang.explain`, the ledger, the events). No HTTP here, no SQL, and
no semantics of its own: :mod:`winlang.serve.app` turns these into pages.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..diagnostics import Diagnostic, sort_key
from ..project import Project, campaign_files, channel_diagnostics, check_file, open_project

SAMPLE = 5  # customers previewed on a campaign's page
_SKIPPED = {"node_modules", "__pycache__", "site-packages"}


class NotFound(LookupError):
    """A page for something the project does not have: the message says what."""


@dataclass(frozen=True)
class Campaign:
    """One campaign file of the project and how it checks."""

    file: str  # relative to the project's folder, with `/`: the page's address
    path: Path
    name: str | None
    diagnostics: tuple[Diagnostic, ...]
    checked: object | None = field(default=None, repr=False)

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.is_error)

    @property
    def warnings(self) -> int:
        return len(self.diagnostics) - self.errors


@dataclass(frozen=True)
class Site:
    """Where the dashboard finds its project: a configuration file (or the one found from
    the working folder) and the campaign files or folders to list (default: the project's
    folder)."""

    config_path: Path | None = None
    paths: tuple[Path, ...] = ()

    @contextmanager
    def project(self) -> Iterator[Project]:
        """The project, opened afresh (campaigns, configuration and ledger change while the
        dashboard runs), and closed after."""
        project = open_project(self.config_path)
        try:
            yield project
        finally:
            project.close()

    def root(self, project: Project) -> Path:
        return project.config.root if project.config.path is not None else Path.cwd()

    def files(self, project: Project) -> list[tuple[str, Path]]:
        """The campaign files: those under ``paths``, else under the project's folder
        (hidden folders, virtual environments and caches left out), by address."""
        root = self.root(project).resolve()
        found, _missing = campaign_files(list(self.paths) or [root])
        shown = []
        for path in found:
            path = path.resolve()
            try:
                relative = path.relative_to(root)
            except ValueError:
                relative = Path(path.name)
            if any(p.startswith(".") or p in _SKIPPED for p in relative.parts[:-1]):
                continue
            shown.append((relative.as_posix(), path))
        return sorted(dict(shown).items())

    def campaigns(self, project: Project) -> list[Campaign]:
        return [_campaign(project, file, path) for file, path in self.files(project)]

    def campaign(self, project: Project, file: str) -> Campaign:
        """The campaign at address ``file``; :class:`NotFound` for any other address (so no
        path outside the project is ever read)."""
        for known, path in self.files(project):
            if known == file:
                return _campaign(project, known, path)
        raise NotFound(f"no campaign file `{file}` in this project")


def _campaign(project: Project, file: str, path: Path) -> Campaign:
    result = check_file(path, project, file)
    findings = list(result.diagnostics)
    if result.checked is not None:
        from ..check.templates import channels_sent_on

        findings += channel_diagnostics(project.config, channels_sent_on(result.checked.campaign))
    name = result.checked.campaign.name if result.checked is not None else None
    return Campaign(file, path, name, tuple(sorted(findings, key=sort_key)), result.checked)


def project_problems(project: Project) -> list[Diagnostic]:
    """What is wrong with the configuration, the store or the state, as ``check`` says it."""
    return sorted(project.diagnostics, key=sort_key)


def usable(campaign: Campaign, project: Project) -> bool:
    """Whether a campaign can be run: it checks, and so does the project."""
    return (
        campaign.checked is not None
        and not campaign.errors
        and not any(d.is_error for d in project.diagnostics)
    )


# ---- a campaign ---------------------------------------------------------------------------


def dry_run(project: Project, campaign: Campaign, now: datetime) -> dict:
    """The run summary of a dry run at ``now``: audience, and per rule matched, would-send,
    held out and skipped by reason. It is ``winlang run --dry-run``'s own function, so the
    page and the command can't disagree."""
    from ..runs import execute

    return execute(project, campaign.checked, now, dry_run=True)


def previews(project: Project, campaign: Campaign, now: datetime, count: int = SAMPLE):
    """The messages ``count`` customers the campaign matches would get at ``now`` (the same
    customers on every call), rendered as a run sends them: a :class:`winlang.preview.Preview`."""
    from ..evaluate import evaluate_campaign
    from ..preview import chosen_customers, preview_customers

    source = project.store()
    evaluation = evaluate_campaign(campaign.checked, source, now, "auto", state=_ledger(project))
    chosen = chosen_customers(evaluation, campaign.name or "", [], count)
    return preview_customers(
        campaign.checked,
        campaign.path.read_text(encoding="utf-8"),
        evaluation,
        source,
        project.config,
        project.saved_state(),
        chosen,
    )


def report(project: Project, campaign: Campaign, now: datetime, window: int) -> dict:
    """The campaign's report as of ``now`` (its JSON form)."""
    from ..report.read import campaign_report
    from ..times import naive_utc

    return campaign_report(project, campaign.checked, naive_utc(now), window).as_json()


# ---- a customer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerPage:
    customer: str
    fields: dict[str, object]
    events: list[dict[str, object]]
    messages: list  # winlang.state.records.CustomerMessage, the latest first
    explanations: list[tuple[Campaign, object]]  # (campaign, Explanation or an error text)


def customer_page(
    project: Project, campaigns: Sequence[Campaign], customer: str, now: datetime
) -> CustomerPage:
    """Everything about one customer: their fields and events (the store's and the ingested
    ones), the messages the ledger has for them, and why each campaign picks them or not.
    Raises :class:`winlang.explain.CustomerNotFound`."""
    from ..contracts.errors import DataError, EngineError, PushdownError
    from ..contracts.state import EmptyState
    from ..evaluate import choose_backend
    from ..explain import explain, one_customer

    source = project.store()
    single = one_customer(source, customer)
    row = single.customers.slice(0, 1).to_pylist()[0]
    at = source.layout.occurred_at
    events = [e for b in single.event_batches(None, None, None, _END) for e in b.to_pylist()]
    events.sort(key=lambda event: event[at] or datetime.min, reverse=True)
    state = project.saved_state()
    explained = []
    for campaign in campaigns:
        if not usable(campaign, project):
            continue
        try:
            found = explain(
                campaign.checked,
                campaign.path.read_text(encoding="utf-8"),
                source,
                customer,
                now,
                _ledger(project) or EmptyState(),
                choose_backend("numpy", source),
                state,
            )
        except (DataError, EngineError, PushdownError) as error:
            found = str(error)
        explained.append((campaign, found))
    messages = state.customer_messages(str(row[source.layout.id])) if state else []
    return CustomerPage(customer, row, events, messages, explained)


_END = datetime(9999, 1, 1)


def _ledger(project: Project):
    """The engine's read-only view of the ledger; None before the first run."""
    state = project.saved_state()
    return state.view() if state is not None else None
