"""The dialect registry and tables: every registered profile answers every hook, and a new
database is one module plus a registry entry (the example of docs/engine.md runs here)."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine.default import DefaultDialect

from winlang import ast as A
from winlang.backends.sql.binds import Binder
from winlang.backends.sql.dialects import DIALECTS, dialect_named
from winlang.backends.sql.dialects.base import SqlDialect, const
from winlang.backends.sql.statement import display_dialect

DOC = (Path(__file__).parents[2] / "docs" / "engine.md").read_text(encoding="utf-8")
TEXT_OPS = typing.get_args(A.TextOp)


def _sql(expr: sa.ColumnElement, dialect: sa.engine.Dialect) -> str:
    return str(expr.compile(dialect=dialect))


@pytest.mark.parametrize("name", sorted(DIALECTS))
def test_each_registered_dialect_answers_every_hook(name):
    if name == "duckdb":
        pytest.importorskip("duckdb_engine")
    dialect = dialect_named(name)
    assert dialect.name == name
    assert set(dialect.text_matches) == set(TEXT_OPS)
    text, when = sa.column("t", sa.String()), sa.column("w", sa.DateTime())
    expressions = [
        dialect.length(text),
        dialect.recase(text, upper=True),
        dialect.month_day(when),
        dialect.days_since(when, Binder()),
        dialect.gather_ids(sa.column("id"), sa.column("r") == const("0")),
        *(dialect.text_match(op, text, sa.column("p", sa.String())) for op in TEXT_OPS),
    ]
    for expr in expressions:
        assert _sql(expr, display_dialect(name))


def test_length_is_sqlalchemys_char_length_in_each_databases_name():
    text = sa.column("t", sa.String())
    assert _sql(dialect_named("sqlite").length(text), display_dialect("sqlite")) == "length(t)"
    pg = dialect_named("postgresql").length(text)
    assert _sql(pg, display_dialect("postgresql")) == "char_length(t)"


def test_the_ascii_fast_path_compares_bytes_with_characters():
    text = sa.column("t", sa.String())
    sql = _sql(dialect_named("sqlite").recase(text, upper=False), display_dialect("sqlite"))
    assert sql == (
        "CASE WHEN (length(CAST(t AS BLOB)) = length(t)) THEN lower(t) ELSE winlang_lower(t) END"
    )


def _doc_example() -> str:
    section = DOC.split("\n## Adding a database\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, re.S)
    return block


def test_the_documented_new_dialect_is_one_class_and_one_registry_entry(monkeypatch):
    monkeypatch.setattr("winlang.backends.sql.dialects.DIALECTS", dict(DIALECTS))
    from winlang.backends.sql import dialects

    namespace: dict[str, object] = {"__name__": "example_dialect"}
    exec(compile(_doc_example(), "docs/engine.md", "exec"), namespace)
    example = dialects.dialect_named("example")
    assert isinstance(example, SqlDialect)
    shown = DefaultDialect(paramstyle="named")  # plain function calls, as written
    when, text = sa.column("w", sa.DateTime()), sa.column("t", sa.String())
    assert _sql(example.month_day(when), shown) == "date_format(w, :param_1)"
    assert example.month_day(when).compile().params["param_1"] == "MM-dd"
    assert "unix_micros(w)" in _sql(example.days_since(when, Binder()), shown)
    assert _sql(example.text_match("starts_with", text, text), shown) == "startswith(t, t)"
    gathered = example.gather_ids(sa.column("id"), sa.column("r") == const("0"))
    assert _sql(gathered, shown) == "collect_list(id) FILTER (WHERE r = 0)"
    assert _sql(example.recase(text, upper=True), shown) == "upper(t)"
    assert "example" not in DIALECTS  # the registry entry was the example's own


def test_the_docs_name_every_hook():
    section = DOC.split("\n## Adding a database\n", 1)[1].split("\n## ", 1)[0]
    paragraph = section.split("The hooks, by concern:", 1)[1].split("\n\n", 1)[0]
    hooks = {n for n, v in vars(SqlDialect).items() if callable(v) and not n.startswith("_")}
    assert set(re.findall(r"`(\w+)`", paragraph)) == hooks
