"""``docs/diagnostics.md`` has one section per code of ``winlang.diagnostics.CODES``, headed
``## <code> — <title>`` with the registry's title, and each section's example produces its code.

Examples are ``win`` blocks (a whole campaign, checked against ``campaigns/schema.json`` and the
repository's ``winlang.toml``) or ``toml`` blocks (a whole ``winlang.toml``). Some codes need
more than text: E111 (a file that is not UTF-8), W707 (a check outside any project), and
E115/W115 (over 100 findings, generated here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.docs_helpers import REPO, SCHEMA, Block, check_text, code_blocks
from winlang.diagnostics import CODES, SourceText
from winlang.project import check_file, check_files, check_source, open_project

PAGE = REPO / "docs" / "diagnostics.md"
_HEADING = re.compile(r"^## (\S+) — (.+)$", re.M)


@dataclass(frozen=True)
class Section:
    code: str
    title: str
    start: int  # first line of the section's text
    end: int  # line after it

    def blocks(self) -> list[Block]:
        return [b for b in code_blocks(PAGE) if self.start <= b.line < self.end]


def sections() -> dict[str, Section]:
    text = PAGE.read_text(encoding="utf-8")
    matches = list(_HEADING.finditer(text))
    lines = [text.count("\n", 0, m.start()) + 1 for m in matches] + [text.count("\n") + 2]
    return {m[1]: Section(m[1], m[2], lines[i], lines[i + 1]) for i, m in enumerate(matches)}


SECTIONS = sections()


def test_every_code_has_a_section_and_every_section_a_code() -> None:
    assert set(CODES) - set(SECTIONS) == set(), "codes without a section"
    assert set(SECTIONS) - set(CODES) == set(), "sections without a code"


def test_sections_follow_the_registry() -> None:
    assert list(SECTIONS) == list(CODES), "sections are in the registry's order"
    for code, section in SECTIONS.items():
        assert section.title == CODES[code][1], f"{code}: heading title differs from CODES"


def codes_of_config(text: str, tmp_path: Path, code: str) -> set[str]:
    config = tmp_path / "winlang.toml"
    config.write_text(text, encoding="utf-8")
    # codes about finding the schema must not be handed one; the others check against ours
    schema = None if code in ("E705", "E706") else SCHEMA
    return {d.code for d in open_project(config, schema).diagnostics}


def codes_outside_a_project(text: str) -> set[str]:
    project = open_project(None, None, search=False)
    result = check_source(SourceText("doc.win", text), project, REPO / "campaigns")
    return {d.code for d in (*project.diagnostics, *result.diagnostics)}


# A template of 150 unknown placeholders (errors), a send with 150 unused values (warnings).
TOO_MANY = {
    "E115": 'campaign "x"\ntemplate t sms "'
    + "{nope}" * 150
    + '"\nwhen orders > 1 then send sms t\n',
    "W115": 'campaign "x"\ntemplate t sms "hi"\nwhen orders > 1 then send sms t with '
    + ", ".join(f"v{i} = 1" for i in range(150))
    + "\n",
}


@pytest.mark.parametrize("code", list(CODES))
def test_example_produces_its_code(code: str, tmp_path: Path) -> None:
    section = SECTIONS[code]
    if code == "E111":  # an encoding can't be shown in Markdown: write the bytes
        path = tmp_path / "cafe.win"
        path.write_bytes('campaign "café"\n'.encode("cp1252"))
        found = {d.code for d in check_file(path, open_project(None, SCHEMA)).diagnostics}
        assert code in found
        return
    if code in TOO_MANY:  # 101 findings make no readable example: generate the file
        found = {d.code for d in check_text(TOO_MANY[code])}
        assert code in found
        return
    examples = [b for b in section.blocks() if b.tag in ("win", "toml")]
    assert examples, f"{code}: the section has no ```win or ```toml example"
    example = examples[0]
    if code == "E613":  # a finding about files checked together: one file per block
        files = []
        for number, block in enumerate(examples):
            files.append((tmp_path / f"doc{number}.win", f"doc{number}.win"))
            files[-1][0].write_text(block.text, encoding="utf-8")
        found = {d.code for d in check_files(files, open_project(None, SCHEMA))}
        assert found == {"E613"}, found
        return
    if code == "W415":  # a finding of a campaign under a setting: the config, then the file
        config = tmp_path / "winlang.toml"
        config.write_text(example.text, encoding="utf-8")
        path = tmp_path / "doc.win"
        path.write_text(examples[1].text, encoding="utf-8")
        found = {d.code for d in check_file(path, open_project(config, SCHEMA)).diagnostics}
    elif example.tag == "toml":
        found = codes_of_config(example.text, tmp_path, code)
    elif code == "W707":
        found = codes_outside_a_project(example.text)
    else:
        found = {d.code for d in check_text(example.text)}
    assert code in found, f"{code}: the example at line {example.line} gives {sorted(found)}"


@pytest.mark.parametrize("code", [c for c in CODES if c != "E111"])
def test_example_is_focused(code: str, tmp_path: Path) -> None:
    """An example shows its own mistake, not a cascade of others (warnings may come along)."""
    examples = [b for b in SECTIONS[code].blocks() if b.tag == "win"]
    if not examples or code == "W707":
        return
    found = {d.code for d in check_text(examples[0].text)}
    others = {c for c in found - {code} if c.startswith("E")}
    assert not others, f"{code}: the example also gives {sorted(others)}"
