"""`ast.children` is a table by node type: every expression node with sub-expressions must
be in it, and give them in field (source) order."""

from __future__ import annotations

import dataclasses

import pytest

from winlang import ast as A

EXPRESSIONS = [
    kind
    for kind in vars(A).values()
    if isinstance(kind, type) and issubclass(kind, A.Expr) and kind is not A.Expr
]


def _holds_expressions(kind: type) -> bool:
    return any("Expr" in str(field.type) for field in dataclasses.fields(kind))


@pytest.mark.parametrize("kind", EXPRESSIONS, ids=lambda kind: kind.__name__)
def test_every_node_with_sub_expressions_is_in_the_table(kind: type) -> None:
    assert (kind in A._CHILDREN) == _holds_expressions(kind)


def test_children_come_in_field_order() -> None:
    x, y, z = (A.Name(name=n, span=A.NO_SPAN) for n in "xyz")
    span = A.NO_SPAN
    assert A.children(A.Between(operand=x, low=y, high=z, negated=False, span=span)) == (x, y, z)
    assert A.children(A.Compare(op="<", left=x, right=y, op_span=span, span=span)) == (x, y)
    assert A.children(A.In(operand=x, items=(y, z), negated=False, span=span)) == (x, y, z)
    assert A.children(A.In(operand=x, items=y, negated=False, span=span)) == (x, y)
    assert A.children(A.Call(function=A.Ident("f", span), args=(x, y), span=span)) == (x, y)
    assert A.children(x) == ()
    assert [
        n.name
        for n in A.walk(A.And(left=x, right=A.Not(operand=y, span=span), span=span))
        if isinstance(n, A.Name)
    ] == ["x", "y"]
