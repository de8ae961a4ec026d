"""Helpers for the documentation tests: find the code blocks of a Markdown page and complete
campaign fragments so that they can be checked on their own.

The completion rules are written down for readers in ``docs/language.md`` ("Every example on
this page is tested"); keep the two in step.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from winlang import ast as A
from winlang.check.templates import Placeholder, scan, sends_of
from winlang.diagnostics import Diagnostic, SourceText
from winlang.parse import parse_campaign
from winlang.project import Project, check_source, open_project

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"  # the design contract, beside the repository in CI
SCHEMA = REPO / "campaigns" / "schema.json"
CONFIG = REPO / "winlang.toml"

# Segments of the ladder campaign (section 2 of the contract) that later fragments use by name.
CONTEXT_SEGMENTS = {
    "lapsed_30": "segment lapsed_30 = days_since(last_purchase_at) between 30 and 59",
    "lapsed_60": "segment lapsed_60 = days_since(last_purchase_at) between 60 and 89",
    "lapsed_90": "segment lapsed_90 = days_since(last_purchase_at) >= 90",
}

_FENCE = re.compile(r"^```(\w*)[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)


@dataclass(frozen=True)
class Block:
    """A fenced code block: its language tag, its text and the line it starts on."""

    page: str
    tag: str
    text: str
    line: int

    @property
    def id(self) -> str:
        return f"{self.page}:{self.line}"


def code_blocks(path: Path) -> Iterator[Block]:
    text = path.read_text(encoding="utf-8")
    for match in _FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 2  # the first line inside the fence
        yield Block(path.name, match[1], match[2], line)


@cache
def project() -> Project:
    """The repository's project: its winlang.toml and the example store's schema."""
    return open_project(CONFIG, SCHEMA)


def check_text(text: str, path: str = "doc.win") -> tuple[Diagnostic, ...]:
    """Check campaign text as ``winlang check`` would, with body files read from campaigns/."""
    found = project().diagnostics
    result = check_source(SourceText(path, text), project(), REPO / "campaigns")
    return (*found, *result.diagnostics)


def complete(snippet: str) -> str:
    """A fragment made into a whole campaign, adding only what it leaves out.

    Every block gets the templates its sends name but it does not declare (the contract's
    five-email example leaves out `incentive_sms`) and a `link` when a template uses `{link}`.
    A block without a `campaign` header also gets one, the ladder's segments it uses, a rule
    sending each template it never sends and a rule using each segment it never uses.
    """
    parsed = parse_campaign(snippet, "doc.win")
    campaign = parsed.campaign
    if campaign is None:
        return snippet  # the check reports the syntax error
    fragment = not campaign.headers
    head = ['campaign "doc"'] if fragment else []
    if campaign.setting("link") is None and _uses_link(campaign):
        head.append('link "https://shop.example.com/doc"')
    tail = _missing_templates(campaign)
    if fragment:
        tail += [
            *_missing_segments(campaign),
            *_sends_of_unsent(campaign),
            *_uses_of_unused(campaign),
        ]
    if not head and not tail:
        return snippet
    if not fragment:  # the header stays the first line, settings right after it
        first, _, rest = snippet.partition("\n")
        return "\n".join([first, *head, rest.rstrip("\n"), *tail]) + "\n"
    return "\n".join([*head, snippet.rstrip("\n"), *tail]) + "\n"


def _uses_link(campaign: A.CampaignFile) -> bool:
    """Whether a template (its text, or its body file under campaigns/) uses `{link}`."""
    for template in campaign.templates:
        for part in (template.body, template.subject):
            if part is None:
                continue
            text = part.value
            if part.path is not None:
                body = REPO / "campaigns" / part.path
                text = body.read_text(encoding="utf-8") if body.is_file() else ""
            if any(isinstance(p, Placeholder) and p.name == "link" for p in scan(text)):
                return True
    return False


def _declared(campaign: A.CampaignFile) -> set[str]:
    return {i.name.name for i in (*campaign.segments, *campaign.lets)}


def _names_used(campaign: A.CampaignFile) -> set[str]:
    roots = [r.condition for r in campaign.rules] + [s.condition for s in campaign.segments]
    return {n.name for root in roots for n in A.walk(root) if isinstance(n, A.Name)}


def _missing_segments(campaign: A.CampaignFile) -> list[str]:
    wanted = _names_used(campaign) - _declared(campaign)
    return [CONTEXT_SEGMENTS[name] for name in sorted(wanted) if name in CONTEXT_SEGMENTS]


def _missing_templates(campaign: A.CampaignFile) -> list[str]:
    """A template for each one a `send` names but the fragment does not declare."""
    declared = {t.name.name for t in campaign.templates}
    wanted: dict[str, tuple[str, list[str]]] = {}
    for rule in campaign.rules:
        for send in sends_of(rule):
            name = send.template.name
            if name in declared:
                continue
            channel, params = wanted.setdefault(name, (send.channel.name, []))
            params += [p.name.name for p in send.params if p.name.name not in params]
    lines = []
    for name, (channel, params) in wanted.items():
        text = " ".join(["Doc", *(f"{{{p}}}" for p in params)])
        body = f'subject "Doc" body "{text}"' if channel == "email" else f'"{text}"'
        lines.append(f"template {name} {channel} {body}")
    return lines


def _sends_of_unsent(campaign: A.CampaignFile) -> list[str]:
    """A rule sending each template the fragment declares but never sends."""
    sent = {s.template.name for r in campaign.rules for s in sends_of(r)}
    fields = set(project().fields.symbols) | {"link"}
    lines = []
    for template in campaign.templates:
        name = template.name.name
        if name in sent:
            continue
        parts = [template.body, *([template.subject] if template.subject else [])]
        params = [
            p.name
            for part in parts
            for p in scan(part.value)
            if isinstance(p, Placeholder) and p.name not in fields
        ]
        given = ", ".join(f"{p} = 1" for p in dict.fromkeys(params))
        with_part = f" with {given}" if given else ""
        lines.append(
            f"rule doc_{name}: when true then send {template.channel.name} {name}{with_part}"
        )
    return lines


def _uses_of_unused(campaign: A.CampaignFile) -> list[str]:
    used = _names_used(campaign)
    return [
        f'rule doc_{s.name.name}: when {s.name.name} then add to list "doc"'
        for s in campaign.segments
        if s.name.name not in used
    ]
