"""What may be typed at the cursor: the project's fields, the file's names, channels, templates
of the right channel, event types, keywords and functions, chosen by the words before it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import ast as A
from ..ast import VERB_EVENT_TYPES
from ..check.expressions import STANDARD_EVENT_TYPES
from ..check.functions import BUILTINS
from ..check.templates import Placeholder, scan
from ..parse.words import ITEM_WORDS, KEYWORDS
from ..project import Project


@dataclass(frozen=True, slots=True)
class Suggestion:
    label: str
    kind: str  # field, derived, segment, let, template, channel, event_type, keyword, function,
    # param
    detail: str
    insert_text: str | None = None


# Words as the language sees them, strings (closed or still open) and comments skipped over.
_TOKENS = re.compile(r'"(?:[^"\\\n]|\\.)*"?|#[^\n]*|[A-Za-z_][A-Za-z0-9_]*|[0-9.]+|\S')
_PARTIAL = re.compile(r"[a-z_][a-z0-9_]*$")
_EVENT_FUNCTIONS = ("count", "sum", "last")


def suggestions(
    before: str, project: Project, campaign: A.CampaignFile | None, anywhere: bool = True
) -> list[Suggestion]:
    """The suggestions for a cursor after the text ``before`` (the document up to it).
    Without ``anywhere`` (a space typed), only where the words before narrow the choice:
    a channel after `send`, its templates after `send sms`, and so on."""
    tokens = [t for t in _TOKENS.findall(before) if not t.startswith("#")]
    if (
        tokens
        and tokens[-1].startswith('"')
        and not _closed(tokens[-1])
        and before.endswith(tokens[-1])
    ):
        return _in_text(tokens[-1], project)
    partial = _PARTIAL.search(before)
    if partial and tokens and tokens[-1] == partial[0]:
        tokens.pop()  # the word being typed
    previous = tokens[-1] if tokens else ""
    earlier = tokens[-2] if len(tokens) > 1 else ""
    channels = dict(project.config.channels)
    templates = campaign.templates if campaign else ()
    if previous in ("send", "template") or (previous, earlier) == ("from", "unsubscribe"):
        if previous == "template":
            return []  # a new template's name
        return _channels(project)
    if earlier == "template" and previous not in KEYWORDS:
        return _channels(project)
    if earlier == "send" and previous in channels:
        return [_template(t) for t in templates if t.channel.name == previous]
    if previous in VERB_EVENT_TYPES:
        return [
            *(_template(t) for t in templates),
            *_channels(project),
            Suggestion("any", "keyword", "any template or channel"),
        ]
    if previous == "(" and earlier in _EVENT_FUNCTIONS:
        return _event_types(project)
    if previous == "did":
        return [
            Suggestion(f'"{e}"', "event_type", "event type", f'"{e}"')
            for e in _event_type_names(project)
        ]
    if previous in ("with", ",") and (parameters := _parameters(tokens, project, templates)):
        return parameters
    if previous in ("segment", "let", "rule", "campaign", "with") or not anywhere:
        return []  # a new name; or a space, after which anything may come
    return _everything(project, campaign)


def _parameters(
    tokens: list[str], project: Project, templates: tuple[A.Template, ...]
) -> list[Suggestion]:
    """After ``send <channel> <template> with`` (or a comma in its list): the template's
    placeholders that no field fills, each a parameter the send must give."""
    sends = [i for i, token in enumerate(tokens) if token == "send"]
    if not sends or len(tokens) < sends[-1] + 4 or tokens[sends[-1] + 3] != "with":
        return []
    if ITEM_WORDS & set(tokens[sends[-1] :]):
        return []  # that send belongs to an item before this one
    name = tokens[sends[-1] + 2]
    template = next((t for t in templates if t.name.name == name), None)
    if template is None:
        return []
    texts = [template.body.value, template.subject.value if template.subject else ""]
    wanted = [
        found.name
        for text in texts
        for found in scan(text)
        if isinstance(found, Placeholder)
        and found.name not in project.fields.symbols
        and found.name not in ("link", "unsubscribe")
    ]
    return [
        Suggestion(name, "param", f"parameter of template {template.name.name}", f"{name} = ")
        for name in dict.fromkeys(wanted)
    ]


def _closed(token: str) -> bool:
    return len(token) > 1 and token.endswith('"') and not token.endswith('\\"')


def _in_text(text: str, project: Project) -> list[Suggestion]:
    """Inside a text: fields after an open ``{`` (a placeholder), nothing elsewhere."""
    if text.rfind("{") <= text.rfind("}"):
        return []
    found = _fields(project)
    return [
        *found,
        Suggestion("link", "keyword", "the campaign's tracked link"),
        Suggestion("unsubscribe", "keyword", "the customer's unsubscribe link ([tracking])"),
    ]


def _everything(project: Project, campaign: A.CampaignFile | None) -> list[Suggestion]:
    names: list[Suggestion] = []
    if campaign is not None:
        names += [Suggestion(s.name.name, "segment", "segment") for s in campaign.segments]
        names += [Suggestion(let.name.name, "let", "let") for let in campaign.lets]
    functions = [Suggestion(f.name, "function", f.signature) for f in BUILTINS.values()]
    keywords = [Suggestion(k, "keyword", "keyword") for k in sorted(KEYWORDS)]
    return [*names, *_fields(project), *functions, *keywords]


def _fields(project: Project) -> list[Suggestion]:
    found = []
    for name, symbol in project.fields.symbols.items():
        if symbol.kind == "derived":
            derived = project.config.fields.get(name)
            found.append(Suggestion(name, "derived", f"derived field = {derived.text}"))
        else:
            found.append(Suggestion(name, "field", f"field: {symbol.type}"))
    return found


def _template(template: A.Template) -> Suggestion:
    return Suggestion(template.name.name, "template", f"{template.channel.name} template")


def _channels(project: Project) -> list[Suggestion]:
    return [
        Suggestion(name, "channel", f"channel: {channel.kind} through {channel.plugin}")
        for name, channel in project.config.channels.items()
    ]


def _event_type_names(project: Project) -> list[str]:
    return list(dict.fromkeys((*STANDARD_EVENT_TYPES, *project.config.event_types)))


def _event_types(project: Project) -> list[Suggestion]:
    found = []
    for name in _event_type_names(project):
        quoted = name if re.fullmatch(r"[a-z_][a-z0-9_]*", name) else f'"{name}"'
        found.append(Suggestion(quoted, "event_type", "event type"))
    return found
