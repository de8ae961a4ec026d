"""Hypothesis strategies: whole campaign files, laid out badly on purpose.

Every item the grammar has (each setting, segments, lets, the three template forms, rules
with sends, failovers, `with` parameters, list actions, unsubscribes, splits and repeats),
conditions from the differential strategies, random spacing and line breaks between tokens,
and comments alone on a line or trailing one.
"""

from __future__ import annotations

import itertools
import re

from hypothesis import strategies as st

from tests.differential.strategies import condition, durations, number_expr, texts

_UNIT = re.compile(r"(minute|hour|day|week|month|year)s?\b")
NAMES = st.sampled_from(["a", "lapsed", "survey", "coupon_push", "very_long_rule_name_here", "x9"])
CHANNELS = st.sampled_from(["sms", "email", "push"])
COMMENTS = st.sampled_from(["# note", "#", '# a "quoted" # hash', "# 한국어 주석", "#tight"])
GAPS = st.sampled_from([" ", "  ", "\n", "\n\n", "\t", " \n   ", "\n\n\n  "])


@st.composite
def spaced(draw: st.DrawFn, *words: str) -> str:
    """Words joined by random blanks, line breaks and comments (a comment ends its line)."""
    out = [words[0]]
    for before, word in itertools.pairwise(words):
        if _UNIT.match(word) and before[-1:].isdigit():
            out.append(" " + word)  # `30 days` is one token: no line break inside
            continue
        gap = draw(GAPS)
        if draw(st.integers(0, 9)) == 0:
            gap = f"{draw(st.sampled_from(['  ', '', chr(10)]))}{draw(COMMENTS)}\n{gap}"
        out.append(gap + word)
    return "".join(out)


def settings() -> st.SearchStrategy[list[str]]:
    one = st.one_of(
        texts.map(lambda t: f"description {t}"),
        condition(1).map(lambda c: f"audience {c}"),
        st.tuples(st.integers(1, 5), durations).map(lambda p: f"cap {p[0]} per {p[1]}"),
        st.sampled_from(["quiet hours 21:00 to 09:00", "quiet hours 9:05 to 7:00"]),
        st.sampled_from(["holdout 10%", "holdout 12.5%", "holdout 0%"]),
        st.just('link "https://shop.example.com/x?a=1#top"'),
        st.just('timezone "Asia/Seoul"'),
    )
    return st.lists(one, max_size=4)


def declaration() -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(NAMES, condition(2)).map(lambda p: f"segment {p[0]} = {p[1]}"),
        st.tuples(NAMES, number_expr(1)).map(lambda p: f"let {p[0]} = {p[1]}"),
        NAMES.map(lambda n: f'let {n} = ("KR", "RO")'),
    )


def template() -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(NAMES, CHANNELS, texts).map(lambda p: f"template {p[0]} {p[1]} {p[2]}"),
        st.tuples(NAMES, texts, texts).map(
            lambda p: f"template {p[0]} email subject {p[1]} body {p[2]}"
        ),
        st.tuples(NAMES, texts).map(
            lambda p: f'template {p[0]} email subject {p[1]} body file "t/{p[0]}.html"'
        ),
        st.tuples(NAMES, CHANNELS, texts).map(lambda p: f"template {p[0]} {p[1]} body {p[2]}"),
        NAMES.map(lambda n: f'template {n} push body file "b\\\\{n}.txt"'),
    )


@st.composite
def send(draw: st.DrawFn, depth: int = 2) -> str:
    text = f"send {draw(CHANNELS)} {draw(NAMES)}"
    params = draw(st.lists(st.tuples(NAMES, number_expr(1)), max_size=2))
    if params:
        text += " with " + ", ".join(f"{n} = {v}" for n, v in params)
    if depth and draw(st.booleans()):
        text += " else " + draw(send(depth - 1))
    return text


def action() -> st.SearchStrategy[str]:
    return st.one_of(
        send(),
        st.sampled_from(
            [
                'add to list "active"',
                'remove from list "vip\\"x\\""',
                "unsubscribe",
                "unsubscribe from sms",
            ]
        ),
    )


@st.composite
def rule(draw: st.DrawFn) -> str:
    head = f"rule {draw(NAMES)}:" if draw(st.booleans()) else ""
    actions = " and ".join(draw(st.lists(action(), min_size=1, max_size=3)))
    if draw(st.integers(0, 4)) == 0:
        arms = draw(st.lists(action(), min_size=2, max_size=3))
        actions = "split " + " ".join(f"{100 / len(arms):g}% {a}" for a in arms)
    repeat = f" repeat every {draw(durations)}" if draw(st.integers(0, 4)) == 0 else ""
    return f"{head} when {draw(condition(2))} then {actions}{repeat}".strip()


@st.composite
def campaign_text(draw: st.DrawFn) -> str:
    """A whole file, its items in a random order after the header, badly laid out."""
    items = [f"campaign {draw(texts)}", *draw(settings())]
    body = draw(st.lists(st.one_of(declaration(), template(), rule()), min_size=1, max_size=8))
    items += body
    out = []
    for item in items:
        out.append(draw(spaced(*item.split(" "))))
        if draw(st.integers(0, 5)) == 0:
            out.append(draw(COMMENTS) + "\n")
    lead = draw(st.sampled_from(["", "# header\n\n", "\n\n# a\n# b\n"]))
    return lead + "".join(draw(GAPS) + part for part in out) + draw(st.sampled_from(["", "\n"]))
