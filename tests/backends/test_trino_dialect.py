"""The Trino profile (compiled, not executed in CI): loaded only when asked for, exact
functions where Trino has them, a refusal where it has not (case mapping, temporary data)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sqlalchemy as sa

from winlang.backends.sql.binds import Binder
from winlang.backends.sql.dialects import dialect_named
from winlang.backends.sql.statement import display_dialect
from winlang.contracts.errors import PushdownError

pytest.importorskip("trino.sqlalchemy")

TEXT, PATTERN, WHEN = (
    sa.column("t", sa.String()),
    sa.column("p", sa.String()),
    sa.column("w", sa.DateTime()),
)


def _sql(expr: sa.ColumnElement) -> str:
    return str(expr.compile(dialect=display_dialect("trino")))


def test_the_profile_and_the_trino_package_load_only_when_asked_for():
    probe = (
        "import sys; from winlang.backends.sql.dialects import dialect_named; "
        "import winlang.backends.sql; "
        "before = {'trino', 'winlang.backends.sql.dialects.trino'} & set(sys.modules); "
        "dialect_named('trino'); "
        "print(sorted(before), 'winlang.backends.sql.dialects.trino' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "True"]


def test_the_functions_are_trinos_exact_ones():
    trino = dialect_named("trino")
    assert _sql(trino.length(TEXT)) == "length(t)"
    assert _sql(trino.text_order(TEXT, "<")) == "t"  # UTF-8 byte order: code points
    assert _sql(trino.text_match("contains", TEXT, PATTERN)) == "strpos(t, p) > 0"
    assert _sql(trino.text_match("starts_with", TEXT, PATTERN)) == "starts_with(t, p)"
    assert _sql(trino.text_match("ends_with", TEXT, PATTERN)) == "substr(t, -length(p)) = p"
    month_day = trino.month_day(WHEN)
    assert _sql(month_day) == "date_format(w, :param_1)"
    assert month_day.compile().params["param_1"] == "%m-%d"
    gathered = trino.gather_ids(sa.column("id"), sa.column("r") == sa.literal_column("0"))
    assert _sql(gathered) == "array_agg(id) FILTER (WHERE r = 0)"
    assert trino.fence(sa.select(TEXT)).compile().string == "SELECT t"


def test_days_since_corrects_date_diff_by_comparing_with_date_add():
    sql = _sql(dialect_named("trino").days_since(WHEN, Binder()))
    assert sql.startswith("date_diff('day', w, :")
    assert "date_add('day', date_diff('day', w, :" in sql
    assert "THEN -1" in sql and "THEN 1 ELSE 0 END" in sql
    assert "to_unixtime" not in sql  # a double: not exact in microseconds


@pytest.mark.parametrize("function", ["lower", "upper"])
def test_case_mapping_is_refused_not_written(function):
    trino = dialect_named("trino")
    with pytest.raises(PushdownError, match="numpy backend"):
        trino.check(f"Function:{function}")
    with pytest.raises(PushdownError, match="one code point at a time"):
        trino.recase(TEXT, upper=function == "upper")


def test_temporary_data_is_refused():
    table = sa.Table("winlang_state_0", sa.MetaData(), sa.Column("id", sa.BigInteger()))
    with pytest.raises(PushdownError, match="no temporary tables"):
        dialect_named("trino").create_view(None, table, None)  # type: ignore[arg-type]
