"""The canonical layout of a campaign file.

- The header first, its settings indented two spaces under ``campaign``.
- One blank line between sections (header and settings, segments and lets, templates,
  rules); inside a section, an empty line the author left is kept (one at most).
- ``rule name: when ...`` on one line when it fits in :data:`WIDTH` columns; otherwise the
  condition breaks before its top-level ``and``/``or`` and the ``then`` line, each failover's
  ``else`` line and each further action's ``and`` line continue aligned under ``when``
  (actions without failover share the ``then`` line when they fit). Split arms go one a
  line, under ``when`` plus two.
- Names are padded so that ``when``, the template channels and the ``=`` of segments line up
  across a run of items not separated by an empty line.
- An email template with a subject puts ``subject`` and ``body`` on lines of their own.
- Comments stay where they were: above the item or line they preceded, or trailing the line
  that held the code before them, in the column the author chose when the code leaves room.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .. import ast as A
from .comments import Comment, blank_line_between, comments_of
from .expressions import NOT, ExpressionPrinter, Source, number_text

WIDTH = 100

# The parts of items the printer writes (expressions: EXPRESSION_PRINTERS): a test fails when
# the AST grows a dataclass that is in neither.
PRINTED_PARTS = frozenset(
    {
        A.Span,  # positions: kept by keeping the order, not printed
        A.Ident,
        A.Duration,
        A.TimeOfDay,
        A.Cap,
        A.QuietHours,
        A.TemplateText,
        A.EventSelector,
        A.Param,
        A.Send,
        A.ListAction,
        A.Unsubscribe,
        A.Split,
        A.SplitArm,
        A.CampaignFile,
    }
)
SETTING_INDENT = "  "


@dataclass(frozen=True, slots=True)
class Line:
    """One output line: its text and the source offset of the code it starts with."""

    text: str
    anchor: int


@dataclass(slots=True)
class OutputLine:
    code: str
    comment: str = ""
    column: int = 0  # where the author put the trailing comment
    written_after: str = ""  # the code the author wrote it after


def section_of(item: A.Item) -> str:
    return {
        A.CampaignHeader: "header",
        A.Setting: "header",
        A.Segment: "declarations",
        A.Let: "declarations",
        A.Template: "templates",
        A.Rule: "rules",
    }[type(item)]


def _fill(prefix: str, indent: str, op: str, operands: Sequence[str], anchors: Sequence[int]):
    """Lines for ``prefix`` + an ``op`` chain, filled greedily up to WIDTH, breaking before
    ``op``; continuation lines start at ``indent``."""
    lines = [Line(prefix + operands[0], anchors[0])]
    for operand, anchor in zip(operands[1:], anchors[1:], strict=True):
        joined = f"{lines[-1].text} {op} {operand}"
        if len(joined) <= WIDTH:
            lines[-1] = Line(joined, lines[-1].anchor)
        else:
            lines.append(Line(f"{indent}{op} {operand}", anchor))
    return lines


def _chain_anchors(node: A.Expr) -> list[int]:
    kind = type(node)
    if kind not in (A.And, A.Or):
        return [node.span.start]
    starts = []
    while isinstance(node, kind):
        starts.append(node.right.span.start)
        node = node.left
    starts.append(node.span.start)
    return starts[::-1]


class ItemPrinter:
    """Prints items as :class:`Line` lists; ``pad`` is the name width of the item's run."""

    def __init__(self, source: Source, indent_settings: bool) -> None:
        self.source = source
        self.expr = ExpressionPrinter(source)
        self.setting_indent = SETTING_INDENT if indent_settings else ""

    def print(self, item: A.Item, pad: tuple[int, int], spread: bool = False) -> list[Line]:
        """``spread``: a comment has a line of its own inside the item, so a rule is not
        joined onto one line (the comment would have to leave its place)."""
        self.spread = spread
        handler: Callable[[Any, tuple[int, int]], list[Line]] | None = getattr(
            self, f"_{type(item).__name__}", None
        )
        if handler is None:
            raise TypeError(f"no printer for {type(item).__name__}")
        return handler(item, pad)

    def condition(self, prefix: str, indent: str, condition: A.Expr) -> list[Line]:
        op, operands = self.expr.chain(condition)
        if not op:
            return [Line(prefix + operands[0], condition.span.start)]
        return _fill(prefix, indent, op, operands, _chain_anchors(condition))

    # ---- header and settings ----------------------------------------------------------

    def _CampaignHeader(self, item: A.CampaignHeader, pad) -> list[Line]:
        return [Line(f"campaign {self.source.string(item.span, item.name)}", item.span.start)]

    def _Setting(self, item: A.Setting, pad) -> list[Line]:
        indent, value = self.setting_indent, item.value
        match item.key, value:
            case "audience", A.Expr():
                head = f"{indent}audience "
                return self.condition(head, " " * len(head), value)
            case "cap", A.Cap(count=count, per=per):
                count_text = self.source.number(item.value_span, count).split(" ")[0]
                text = f"cap {count_text} per {self.source.duration(per)}"
            case "quiet_hours", A.QuietHours(start=start, end=end):
                text = f"quiet hours {start} to {end}"
            case "holdout", float() | int():
                raw = self.source.slice(item.value_span)
                text = f"holdout {raw if raw and raw.endswith('%') else _percent(value)}"
            case key, str():
                text = f"{key} {self.source.string(item.value_span, value)}"
            case _:
                raise TypeError(f"no printer for the `{item.key}` setting")
        return [Line(indent + text, item.span.start)]

    # ---- declarations -------------------------------------------------------------------

    def _Segment(self, item: A.Segment, pad) -> list[Line]:
        return self._declaration("segment", item.name, item.condition, item.span, pad)

    def _Let(self, item: A.Let, pad) -> list[Line]:
        return self._declaration("let", item.name, item.value, item.span, pad)

    def _declaration(self, word, name: A.Ident, value: A.Expr, span, pad) -> list[Line]:
        head = f"{word} {name.name.ljust(pad[0])} = "
        lines = self.condition(head, " " * len(head), value)
        return [Line(lines[0].text, span.start), *lines[1:]]

    # ---- templates ----------------------------------------------------------------------

    def _Template(self, item: A.Template, pad) -> list[Line]:
        head = f"template {item.name.name.ljust(pad[0])} {item.channel.name.ljust(pad[1])}"
        body = self._body(item.body)
        if item.subject is None:
            text = f"{head} {body}" if body.startswith('"') else f"{head} body {body}"
            return [Line(text, item.span.start)]
        subject = self.source.string(item.subject.span, item.subject.value)
        return [
            Line(f"template {item.name.name} {item.channel.name}", item.span.start),
            Line(f"  subject {subject}", item.subject.span.start),
            Line(f"  body {body}", item.body.span.start),
        ]

    def _body(self, text: A.TemplateText) -> str:
        if text.path is not None:
            return f"file {self.source.string(text.span, text.path)}"
        return self.source.string(text.span, text.value)

    # ---- rules --------------------------------------------------------------------------

    def _Rule(self, item: A.Rule, pad) -> list[Line]:
        prefix = f"rule {(item.name.name + ':').ljust(pad[0] + 1)} " if item.named else ""
        indent = " " * len(prefix)
        repeat = f" repeat every {self.source.duration(item.repeat)}" if item.repeat else ""
        condition = self.expr.print(item.condition)
        if not isinstance(item.actions, A.Split):
            actions = self.actions(item.actions)
            one_line = f"{prefix}when {condition} then {actions}{repeat}"
            if len(one_line) <= WIDTH and not self.spread:
                return [Line(one_line, item.span.start)]
        lines = self.condition(prefix + "when ", indent, item.condition)
        lines[0] = Line(lines[0].text, item.span.start)
        if isinstance(item.actions, A.Split):
            then_split = f"{lines[-1].text} then split"
            if len(lines) == 1 and len(then_split) <= WIDTH:
                lines[-1] = Line(then_split, lines[-1].anchor)
            else:
                lines.append(Line(f"{indent}then split", item.actions.span.start))
            for arm in item.actions.arms:
                arm_text = f"{indent}  {_percent(arm.percent)} {self.actions(arm.actions)}"
                lines.append(Line(arm_text, arm.span.start))
        elif len(together := f"{indent}then {self.actions(item.actions)}") <= WIDTH and not any(
            isinstance(a, A.Send) and a.fallback for a in item.actions
        ):
            lines.append(Line(together, item.actions[0].span.start))
        else:
            for position, action in enumerate(item.actions):
                word = "and" if position else "then"
                lines.extend(self._action_lines(word, indent, action))
        last = lines[-1]
        lines[-1] = Line(last.text + repeat, last.anchor)
        return lines

    def _action_lines(self, word: str, indent: str, action: A.Action) -> list[Line]:
        """``then``/``and`` an action; a send's failovers each on an ``else`` line."""
        if not isinstance(action, A.Send):
            return [Line(f"{indent}{word} {self.action(action)}", action.span.start)]
        lines: list[Line] = []
        send: A.Send | None = action
        while send is not None:
            lines.append(Line(f"{indent}{word} {self.send(send, chain=False)}", send.span.start))
            send, word = send.fallback, "else"
        return lines

    def actions(self, actions: Sequence[A.Action]) -> str:
        return " and ".join(self.action(a) for a in actions)

    def action(self, action: A.Action) -> str:
        match action:
            case A.Send():
                return self.send(action)
            case A.ListAction(op=op, list_name=name, span=span):
                where = "add to" if op == "add" else "remove from"
                return f"{where} list {self.source.string(span, name)}"
            case A.Unsubscribe(channel=channel):
                return f"unsubscribe from {channel.name}" if channel else "unsubscribe"
        raise TypeError(f"no printer for {type(action).__name__}")

    def send(self, send: A.Send, chain: bool = True) -> str:
        text = f"send {send.channel.name} {send.template.name}"
        if send.params:
            text += " with " + ", ".join(
                f"{p.name.name} = {self.expr.print(p.value, NOT + 2)}" for p in send.params
            )
        if chain and send.fallback is not None:
            text += f" else {self.send(send.fallback)}"
        return text


def _percent(value: float) -> str:
    return f"{number_text(value)}%"


# ---- the whole file ------------------------------------------------------------------------


def _runs(items: Sequence[A.Item], blank_before: Sequence[bool]) -> list[tuple[int, int]]:
    """Each item's padding: the widest name (and channel) in its run of aligned items."""
    pads = [(0, 0)] * len(items)
    start = 0
    for end in range(1, len(items) + 1):
        if end < len(items) and not blank_before[end] and _aligns(items[end - 1], items[end]):
            continue
        run = range(start, end)
        names = [_align_key(items[i]) for i in run]
        width = max((n[0] for n in names), default=0), max((n[1] for n in names), default=0)
        for i in run:
            pads[i] = width if _align_key(items[i]) != (0, 0) else (0, 0)
        start = end
    return pads


def _align_key(item: A.Item) -> tuple[int, int]:
    match item:
        case A.Rule(named=True, name=name):
            return len(name.name), 0
        case A.Template(subject=None, name=name, channel=channel):
            return len(name.name), len(channel.name)
        case A.Segment(name=name) | A.Let(name=name):
            return len(name.name), 0
    return 0, 0


def _aligns(before: A.Item, after: A.Item) -> bool:
    if isinstance(before, A.Template) and before.subject is not None:
        return False
    if isinstance(after, A.Template) and after.subject is not None:
        return False
    return type(before) is type(after)


def format_campaign(campaign: A.CampaignFile, text: str = "") -> str:
    """The canonical text of ``campaign``; with the ``text`` it was parsed from, its comments
    and the spelling of its literals are kept."""
    source = Source(text)
    items = campaign.items
    leading, inner, rest = _share_comments(items, comments_of(text))
    blank_before = _blank_lines(items, leading, text)
    pads = _runs(items, blank_before)
    out: list[OutputLine] = []
    header_seen = False
    previous_end = 0
    for index, item in enumerate(items):
        header_seen = header_seen or isinstance(item, A.CampaignHeader)
        own = [c for c in leading[index] if c.own_line]
        for comment in leading[index]:
            if not comment.own_line:  # it trails the previous item's last line
                _attach(out, comment)
        if blank_before[index]:
            out.append(OutputLine(""))
        printer = ItemPrinter(source, header_seen)
        lines = printer.print(item, pads[index])
        spread = printer.print(item, pads[index], spread=True)
        if any(c.own_line and _gap(spread, c) < len(spread) for c in inner[index]):
            lines = spread  # a comment keeps a line of its own inside the item
        indent = _indent(lines[0].text)
        gap_start = previous_end
        for comment in own:
            if out and out[-1].code and blank_line_between(text, gap_start, comment.start):
                out.append(OutputLine(""))
            out.append(OutputLine(indent + comment.text))
            gap_start = comment.start
        if own and blank_line_between(text, gap_start, item.span.start):
            out.append(OutputLine(""))
        out.extend(_place_inner(lines, inner[index]))
        previous_end = item.span.end
    for comment in rest:
        if not comment.own_line and out:
            _attach(out, comment)
            continue
        if out and out[-1].code and blank_line_between(text, previous_end, comment.start):
            out.append(OutputLine(""))
        out.append(OutputLine(comment.text))
        previous_end = comment.start
    return _render(out)


def _share_comments(items: Sequence[A.Item], comments: Sequence[Comment]):
    """Each item's comments before it and inside it; the comments after the last item."""
    leading: list[list[Comment]] = [[] for _ in items]
    inner: list[list[Comment]] = [[] for _ in items]
    rest: list[Comment] = []
    index = 0
    for comment in comments:
        while index < len(items) and comment.start >= items[index].span.end:
            index += 1
        if index == len(items):
            rest.append(comment)
        elif comment.start < items[index].span.start:
            leading[index].append(comment)
        else:
            inner[index].append(comment)
    return leading, inner, rest


def _blank_lines(
    items: Sequence[A.Item], leading: Sequence[list[Comment]], text: str
) -> list[bool]:
    """Whether an empty line comes before each item (and its comments): always between
    sections, and where the author left one inside a section."""
    blank = []
    for index, item in enumerate(items):
        if index == 0:
            blank.append(False)
            continue
        previous = items[index - 1]
        own = [c for c in leading[index] if c.own_line]
        first = own[0].start if own else item.span.start
        blank.append(
            section_of(item) != section_of(previous)
            or blank_line_between(text, previous.span.end, first)
        )
    return blank


def _place_inner(lines: list[Line], comments: Sequence[Comment]) -> list[OutputLine]:
    """The item's lines with the comments written inside it. Between the code of two lines a
    trailing comment ends the first line and a comment alone on its line goes above the
    second; once a comment alone on its line came, the next ones in that gap go under it, so
    their order never changes."""
    out = [OutputLine(line.text) for line in lines]
    above: dict[int, list[str]] = {}
    for comment in comments:
        gap = _gap(lines, comment)
        if gap >= len(lines) or (not comment.own_line and gap not in above):
            _trail(out[max(gap - 1, 0)], comment)
        else:
            above.setdefault(gap, []).append(comment.text)
    placed: list[OutputLine] = []
    for index, line in enumerate(out):
        indent = _indent(line.code)
        placed.extend(OutputLine(indent + text) for text in above.get(index, []))
        placed.append(line)
    return placed


def _gap(lines: Sequence[Line], comment: Comment) -> int:
    """How many of the item's lines start before the comment."""
    return sum(1 for line in lines if line.anchor < comment.start)


def _trail(line: OutputLine, comment: Comment) -> None:
    if line.comment:
        line.comment = f"{line.comment}  {comment.text}"
    else:
        line.comment, line.column = comment.text, comment.column
        line.written_after = comment.code


def _attach(out: list[OutputLine], comment: Comment) -> None:
    """A comment trailing the last line of code printed so far."""
    for line in reversed(out):
        if line.code.strip() and not line.code.lstrip().startswith("#"):
            _trail(line, comment)
            return
    out.append(OutputLine(comment.text))


def _indent(text: str) -> str:
    return text[: len(text) - len(text.lstrip(" "))]


def _render(out: list[OutputLine]) -> str:
    """The lines as text, a trailing comment two spaces after the code, or in the column the
    author put it in when the line is as they wrote it (comments they aligned stay aligned)."""
    rendered = []
    for line in out:
        if line.comment and line.code.strip():
            code = line.code.rstrip()
            column = max(len(code) + 2, line.column if code == line.written_after else 0)
            rendered.append(code.ljust(column) + line.comment)
        else:
            rendered.append((line.code or line.comment).rstrip())
    while rendered and not rendered[-1]:
        rendered.pop()
    return "\n".join(rendered) + "\n" if rendered else ""
