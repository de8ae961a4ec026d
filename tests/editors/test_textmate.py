"""The TextMate grammar of editors/textmate, tokenised as VS Code tokenises it (vscode-textmate
on Oniguruma, from npm, run by node), against the language's own lexer: on every example
campaign, each token the Lark lexer finds gets the scope of its kind from the TextMate grammar.

Needs node and npm (the packages are installed once into a cache folder); skips otherwise.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from winlang.parse import grammar_text, parser

REPO = Path(__file__).resolve().parents[2]
GRAMMAR = REPO / "editors" / "textmate" / "winlang.tmLanguage.json"
SCRIPT = Path(__file__).with_name("tokenize.js")
CAMPAIGNS = sorted((REPO / "campaigns").glob("*.win"))
PACKAGES = ["vscode-textmate@9.3.2", "vscode-oniguruma@2.0.1"]

# The scope each kind of Lark token must get (a prefix of one of its scopes).
EXPECTED = {
    "COMMENT": ("comment.line",),
    "STRING": ("string.quoted.double",),
    "NUMBER": ("constant.numeric",),
    "DURATION": ("constant.numeric.duration",),
    "PERCENT": ("constant.numeric.percent",),
    "TIME": ("constant.numeric.time",),
    "NAME": ("variable.", "entity.name.", "support.type.channel"),
}
KEYWORD_SCOPES = ("keyword.", "constant.language.")


def keywords() -> set[str]:
    """Every keyword of the Lark grammar: its quoted words (and the `any` terminal)."""
    return set(re.findall(r'"([a-z]+)"', grammar_text()))


@pytest.fixture(scope="module")
def node_prefix() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed to tokenise with vscode-textmate")
    default = Path.home() / ".cache" / "winlang-tests" / "textmate"
    cache = Path(os.environ.get("WINLANG_NODE_CACHE") or default)
    if not all((cache / "node_modules" / p.rsplit("@", 1)[0]).is_dir() for p in PACKAGES):
        cache.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(cache), *PACKAGES],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            pytest.skip(f"npm could not install {', '.join(PACKAGES)}: {done.stderr[-500:]}")
    return cache


def tokenise(prefix: Path, texts: dict[str, str]) -> dict[str, list]:
    done = subprocess.run(
        ["node", str(SCRIPT), str(prefix)],
        input=json.dumps({"grammar": str(GRAMMAR), "texts": texts}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def scopes_by_character(text: str, tokens: list) -> list[list[str]]:
    """The scopes of each character of ``text`` (tokens count UTF-16 units)."""
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    found: list[list[str]] = [[] for _ in text]
    for number, start, end, scopes in tokens:
        units = 0
        for index, ch in enumerate(lines[number]):
            if start <= units < end:
                found[starts[number] + index] = scopes
            units += 2 if ord(ch) > 0xFFFF else 1
    return found


def test_the_grammar_is_a_textmate_grammar() -> None:
    grammar = json.loads(GRAMMAR.read_text(encoding="utf-8"))
    assert grammar["scopeName"] == "source.winlang"
    assert grammar["fileTypes"] == ["win"]
    for name, rule in grammar["repository"].items():
        for pattern in [rule, *rule.get("patterns", [])]:
            for key in ("match", "begin", "end"):
                if key in pattern:
                    re.compile(pattern[key])  # a well-formed regex
        assert name


def test_the_grammar_names_every_keyword_of_the_language() -> None:
    """Without node too: each Lark keyword is a word of a keyword pattern (the test below
    tokenises them)."""
    grammar = json.loads(GRAMMAR.read_text(encoding="utf-8"))
    patterns = [
        rule["match"]
        for group in ("keyword", "declaration", "send")
        for rule in [
            grammar["repository"][group],
            *grammar["repository"][group].get("patterns", []),
        ]
        if "match" in rule
    ]
    words = {
        w
        for p in patterns
        for group in re.findall(r"\(\?:([a-z|]+)\)", p)
        for w in group.split("|")
    }
    assert keywords() - words == set(), "keywords the TextMate grammar lacks"


def test_every_keyword_of_the_language_is_a_keyword(node_prefix: Path) -> None:
    words = sorted(keywords())
    assert {"campaign", "when", "then", "send", "within", "any"} <= set(words)
    tokens = tokenise(node_prefix, {word: word for word in words})
    for word in words:
        (token,) = tokens[word]
        assert token[1:3] == [0, len(word)], word
        assert any(s.startswith(KEYWORD_SCOPES) for s in token[3]), (word, token[3])


@pytest.mark.parametrize("path", CAMPAIGNS, ids=lambda p: p.name)
def test_every_token_of_a_campaign_gets_its_scope(node_prefix: Path, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    scopes = scopes_by_character(text, tokenise(node_prefix, {"text": text})["text"])
    words = keywords()
    checked = 0
    for token in parser().lex(text, dont_ignore=True):
        if token.type.startswith("__IGNORE"):
            continue  # whitespace
        if token.type in EXPECTED:
            wanted = EXPECTED[token.type]
        elif str(token) in words:
            wanted = KEYWORD_SCOPES
        elif re.fullmatch(r"[=!<>]=?|==|[-+*/]", str(token)):
            wanted = ("keyword.operator.",)
        else:
            wanted = ("punctuation.",)
        for offset in range(token.start_pos, token.end_pos):
            if text[offset].isspace():
                continue  # the blank inside `30 days`
            found = scopes[offset]
            assert any(s.startswith(wanted) for s in found), (
                f"{path.name}:{token.line}:{token.column}: {token.type} {str(token)!r} "
                f"at {text[offset]!r} has scopes {found}, wanted {wanted}"
            )
            checked += 1
    assert checked > 100


def test_placeholders_inside_texts(node_prefix: Path) -> None:
    text = 'template t sms "Hi {first_name|there}, {{not}} {link}" # done'
    scopes = scopes_by_character(text, tokenise(node_prefix, {"t": text})["t"])
    name = text.index("first_name")
    assert "variable.other.placeholder.winlang" in scopes[name]
    assert "string.quoted.double.winlang" in scopes[name]  # still inside the text
    assert "string.unquoted.fallback.winlang" in scopes[text.index("there")]
    assert "constant.character.escape.winlang" in scopes[text.index("{{")]
    assert "variable.other.placeholder.winlang" not in scopes[text.index("not}}")]
    assert "comment.line.number-sign.winlang" in scopes[text.index("done")]
    assert "entity.name.type.template.winlang" in scopes[text.index(" t ") + 1]
    assert "support.type.channel.winlang" in scopes[text.index("sms")]
