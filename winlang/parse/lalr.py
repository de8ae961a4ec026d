"""Lark's LALR parser, with its inner loop over a table made once for the builder.

Lark's loop looks up each reduction's callback by its rule object (hashing and comparing
rules), reads the rule's length and name, and calls a wrapper even for a unit reduction such
as ``?sum: product``, which only hands its child on; a condition of a few operands takes
dozens of those. The table here pairs each action with what it needs (the callback, the
number of children, the rule's name), and a unit reduction that hands its child on only
changes the state.

The parse table, the callbacks and so the AST are Lark's own; a token the table has no
action for goes to Lark's code, which raises the very error Lark would, and so does the end
of the text.
"""

from __future__ import annotations

from typing import Any

from lark.exceptions import UnexpectedInput
from lark.lexer import Token
from lark.parse_tree_builder import ExpandSingleChild
from lark.parsers.lalr_analysis import Shift
from lark.parsers.lalr_interactive_parser import InteractiveParser
from lark.parsers.lalr_parser import LALR_Parser, _Parser
from lark.parsers.lalr_parser_state import ParserState

_SHIFT, _REDUCE, _HAND_ON = 0, 1, 2


class Table(dict):
    """state -> token type or rule name -> (kind, argument); the argument is the next state
    (a shift) or (number of children, callback, rule name) (a reduction). A state's row is
    made the first time the parse reaches it."""

    def __init__(self, states: dict, callbacks: dict) -> None:
        super().__init__()
        self.states, self.callbacks = states, callbacks

    def __missing__(self, state) -> dict[str, tuple[int, Any]]:
        row = self[state] = {}
        for symbol, (action, argument) in self.states[state].items():
            if action is Shift:
                row[symbol] = (_SHIFT, argument)
                continue
            size, callback = len(argument.expansion), self.callbacks[argument]
            # `?rule: one_symbol`: Lark's wrapper returns the single child as it is
            kind = _HAND_ON if size == 1 and type(callback) is ExpandSingleChild else _REDUCE
            row[symbol] = (kind, (size, callback, argument.origin.name))
        return row


def fast_table(states: dict, callbacks: dict) -> Table | None:
    """The table of the loop below, or ``None`` when a callback is on a token (Lark's loop
    then runs, as it knows how to call it)."""
    if any(isinstance(key, str) for key in callbacks):
        return None
    return Table(states, callbacks)


class FastParser(_Parser):
    """Lark's ``_Parser`` whose ``parse_from_state`` reads :func:`fast_table`."""

    _table: Table | bool | None = False  # False: not built yet

    def parse_from_state(self, state: ParserState, last_token: Token | None = None):
        table = self._table
        if table is False:
            table = self._table = fast_table(self.parse_table.states, self.callbacks)
        if table is None or state.parse_conf.callbacks is not self.callbacks:
            return super().parse_from_state(state, last_token)
        states, values = state.state_stack, state.value_stack
        token = last_token
        try:
            for token in state.lexer.lex(state):
                kind_of_token = token.type
                while True:
                    entry = table[states[-1]].get(kind_of_token)
                    if entry is None:
                        state.feed_token(token)  # raises Lark's UnexpectedToken
                    kind, argument = entry
                    if kind == _SHIFT:
                        states.append(argument)
                        values.append(token)
                        break
                    size, callback, name = argument
                    if kind == _HAND_ON:
                        del states[-1]
                    else:
                        if size:
                            children = values[-size:]
                            del states[-size:]
                            del values[-size:]
                        else:
                            children = []
                        values.append(callback(children))
                    states.append(table[states[-1]][name][1])
            end = Token.new_borrow_pos("$END", "", token) if token else Token("$END", "", 0, 1, 1)
            return state.feed_token(end, True)
        except UnexpectedInput as error:  # as Lark's loop does
            error.interactive_parser = InteractiveParser(self, state, state.lexer)
            raise error


class FastLALRParser(LALR_Parser):
    """Lark's ``LALR_Parser`` running :class:`FastParser` (Lark's ``_plugins`` hook)."""

    def __init__(self, parser_conf, debug: bool = False, strict: bool = False) -> None:
        super().__init__(parser_conf, debug, strict)
        self.parser = FastParser(self._parse_table, parser_conf.callbacks, debug)

    @classmethod
    def deserialize(cls, data, memo, callbacks, debug=False):
        inst = super().deserialize(data, memo, callbacks, debug)
        inst.parser = FastParser(inst._parse_table, callbacks, debug)
        return inst
