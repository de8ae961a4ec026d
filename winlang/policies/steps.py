"""The contact policies as an ordered tuple of small steps, like the optimizer's ``PASSES``.

Each step is a pure function from a :class:`PolicyState` to the next: it looks at the
customers no step has stopped yet and stops some of them, with a status and the reason it
names. ``STEPS`` is the one order (documented in docs/policies.md, which a test reads back):
the first step that stops a customer gives the reason, and nothing after it is checked.

>>> [step.name for step in STEPS]
['hold_out', 'draw_variants', 'check_contact', 'check_caps', 'check_quiet_hours', 'send_the_rest']
>>> print(" → ".join(ORDER))
holdout → no_consent → no_address → bad_address → unsubscribed → cap → global_cap → quiet_hours
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pyarrow as pa

from ..plan.delivery import SendStep
from .caps import cap_reasons
from .contact import ChannelContact, SuppressionMasks, Suppressions, resolve_chains
from .hashing import holdout, id_texts, variant
from .inputs import PolicyInputs
from .quiet import ZoneResolution, ends_by_zone, quiet_by_zone, resolve_zones
from .reasons import CONTACT_REASONS, Reason, Status


class Vocabulary:
    """Reason texts as small codes (0: no reason), so a step compares small integers, not
    text; texts outside :class:`Reason` get codes too, so any reason a step reports comes
    back unchanged. Shared by the states of one run: it only ever grows."""

    def __init__(self) -> None:
        self._texts: list[str] = ["", *(r.value for r in Reason)]
        self._codes = {text: code for code, text in enumerate(self._texts)}

    def __getitem__(self, reason: Reason) -> int:
        return self._codes[reason.value]

    def codes(self, values: np.ndarray) -> np.ndarray:
        """The code of each value (an object array of texts)."""
        found = np.zeros(values.size, dtype=np.int16)
        left = np.ones(values.size, dtype=bool)
        for text, code in list(self._codes.items()):
            if not left.any():
                break
            same = left & (values == text)
            found[same] = code
            left &= ~same
        for value in dict.fromkeys(values[left].tolist()):  # rare: not a known reason
            found[left & (values == value)] = self._add(value)
        return found

    def _add(self, text: str) -> int:
        self._codes[text] = len(self._texts)
        self._texts.append(text)
        return self._codes[text]

    def texts(self) -> np.ndarray:
        return np.array(self._texts, dtype=object)


STATUS_CODE = {s: code for code, s in enumerate(Status, start=1)}  # 0: not decided yet
STATUS_TEXT = np.array(["", *(s.value for s in Status)], dtype=object)


@dataclass(frozen=True, eq=False)
class PolicyState:
    """The planned customers between two steps; arrays aligned with the inputs.

    ``status`` and ``reason`` are codes (0: no step has stopped the customer yet; see
    :data:`STATUS_CODE` and :class:`Vocabulary`); ``arm`` the customer's arm of a split
    rule (0 elsewhere) and ``chain_index`` that arm's position in :attr:`chains`; ``step``
    the position of the usable send in the chain (-1: none yet); ``deferred_until`` when
    quiet hours end (NaT unless deferred); ``zones`` the customers' resolved zones once
    quiet hours were looked at; ``usable`` per channel of the send chains, where it can be
    used, once the contact step looked (False for customers it did not check).
    """

    inputs: PolicyInputs
    texts: np.ndarray  # customer ids as text, as the hashes and the ledger take them
    rule_index: np.ndarray
    vocabulary: Vocabulary
    status: np.ndarray
    reason: np.ndarray
    arm: np.ndarray
    chain_index: np.ndarray
    step: np.ndarray
    deferred_until: np.ndarray
    zones: ZoneResolution | None = None
    usable: Mapping[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def start(cls, inputs: PolicyInputs) -> PolicyState:
        """Every customer undecided, on the first arm of their rule, before the first step."""
        texts = id_texts(inputs.customer_ids)
        n = texts.size
        rule_index = np.asarray(inputs.rule_index, dtype=np.int64)
        arm = np.zeros(n, dtype=np.int64)
        return cls(
            inputs=inputs,
            texts=texts,
            rule_index=rule_index,
            vocabulary=Vocabulary(),
            status=np.zeros(n, dtype=np.int8),
            reason=np.zeros(n, dtype=np.int16),
            arm=arm,
            chain_index=_chain_index(inputs, rule_index, arm),
            step=np.full(n, -1, dtype=np.int64),
            deferred_until=np.full(n, np.datetime64("NaT"), dtype="datetime64[us]"),
        )

    @property
    def size(self) -> int:
        return self.texts.size

    @property
    def undecided(self) -> np.ndarray:
        """Customers no step has stopped yet."""
        return self.status == 0

    @cached_property
    def chains(self) -> list[tuple[SendStep, ...]]:
        """The send chain of every arm of every rule, in file order."""
        return [arm.chain for rule in self.inputs.rules for arm in rule.arms]

    @property
    def to_message(self) -> np.ndarray:
        """Undecided customers whose arm sends a message (a rule without ``send`` is past
        the contact checks: it sends nothing)."""
        has_message = np.array([len(c) > 0 for c in self.chains], dtype=bool)
        return self.undecided & has_message[self.chain_index]

    def stop(self, rows: np.ndarray, status: Status, why: Reason | np.ndarray) -> PolicyState:
        """The state with ``rows`` stopped: ``status``, and ``why`` (one reason, or one text
        per customer)."""
        codes = self.status.copy()
        reasons = self.reason.copy()
        codes[rows] = STATUS_CODE[status]
        if isinstance(why, np.ndarray):
            reasons[rows] = self.vocabulary.codes(why[rows])
        else:
            reasons[rows] = self.vocabulary[why]
        return replace(self, status=codes, reason=reasons)


@dataclass(frozen=True)
class PolicyStep:
    """One policy: a function from state to state, and the reasons it stops customers for,
    most serious first."""

    run: Callable[[PolicyState], PolicyState]
    reasons: tuple[Reason, ...] = ()

    @property
    def name(self) -> str:
        return self.run.__name__

    def __call__(self, state: PolicyState) -> PolicyState:
        return self.run(state)


def policy(*reasons: Reason) -> Callable[[Callable[[PolicyState], PolicyState]], PolicyStep]:
    """Make a function a :class:`PolicyStep` stopping customers for ``reasons``."""
    return lambda run: PolicyStep(run, reasons)


# ---- the steps -------------------------------------------------------------------------------


@policy(Reason.HOLDOUT)
def hold_out(state: PolicyState) -> PolicyState:
    """The campaign's stable holdout share: ``held_out``, never messaged."""
    percent = state.inputs.holdout_percent
    if not percent:
        return state
    pending = state.undecided
    held = np.zeros(state.size, dtype=bool)
    held[pending] = holdout(state.inputs.campaign, state.texts[pending], percent)
    return state.stop(held, Status.HELD_OUT, Reason.HOLDOUT)


@policy()
def draw_variants(state: PolicyState) -> PolicyState:
    """The arm of each customer of a ``split`` rule: a stable hash, drawn before the contact
    checks because the arm decides the send chain. Stops nobody."""
    arm = np.zeros(state.size, dtype=np.int64)
    for index, rule in enumerate(state.inputs.rules):
        rows = state.rule_index == index
        if rule.split and rows.any():
            shares = [a.share for a in rule.arms]
            arm[rows] = variant(state.inputs.campaign, rule.name, state.texts[rows], shares)
    return replace(state, arm=arm, chain_index=_chain_index(state.inputs, state.rule_index, arm))


@policy(*CONTACT_REASONS)
def check_contact(state: PolicyState) -> PolicyState:
    """Consent, address, a valid address and no suppression, along the send chain: the first
    usable step is the one sent; with none, the first channel's reason."""
    todo = state.to_message
    inputs = state.inputs
    rows = _selection(todo)
    contact = resolve_chains(
        _take(state.texts, rows),
        _take(state.chain_index, rows),
        [tuple(s.channel for s in chain) for chain in state.chains],
        _subset(inputs.contacts, rows),
        _suppressions_of(inputs.suppressions, rows),
    )
    step = state.step.copy()
    step[todo] = contact.step
    stopped = _spread(contact.step < 0, todo, False)
    usable = {ch: _spread(found, todo, False) for ch, found in contact.usable.items()}
    return replace(state, step=step, usable=usable).stop(
        stopped, Status.SKIPPED, _spread(contact.reason, todo, "")
    )


@policy(Reason.CAP, Reason.GLOBAL_CAP)
def check_caps(state: PolicyState) -> PolicyState:
    """The campaign's ``cap N per D``, then the config's global cap."""
    inputs = state.inputs
    if inputs.cap is None and inputs.global_cap is None:
        return state
    todo = state.to_message
    why = cap_reasons(
        _take(state.texts, _selection(todo)),
        inputs.history,
        inputs.now,
        inputs.campaign,
        inputs.cap,
        inputs.global_cap,
    )
    return state.stop(_spread(why != "", todo, False), Status.SKIPPED, _spread(why, todo, ""))


@policy(Reason.QUIET_HOURS)
def check_quiet_hours(state: PolicyState) -> PolicyState:
    """Quiet hours on each customer's own clock: ``deferred`` until the window ends. The
    zones are resolved even without quiet hours: the run reports unknown ones."""
    inputs = state.inputs
    zones = resolve_zones(inputs.zones, inputs.timezone)
    state = replace(state, zones=zones)
    todo = state.to_message
    if inputs.quiet is None or not todo.any():
        return state
    start, end = inputs.quiet.start, inputs.quiet.end
    # Resolved zones already hold the fallback for null and unknown ones; without a zone
    # column everyone is read in the fallback.
    if inputs.zones is not None:
        names, index = zones.zones, zones.index
    else:
        names, index = np.array([zones.fallback], dtype=object), np.zeros(state.size, np.int64)
    found = quiet_by_zone(inputs.now, names, index[todo], start, end)
    quiet = _spread(found, todo, False)
    until = state.deferred_until.copy()
    until[quiet] = ends_by_zone(inputs.now, names, index[quiet], start, end)
    return replace(state, deferred_until=until).stop(quiet, Status.DEFERRED, Reason.QUIET_HOURS)


@policy()
def send_the_rest(state: PolicyState) -> PolicyState:
    """Everyone no step stopped is sent (a rule without ``send``: its actions only)."""
    status = state.status.copy()
    status[state.undecided] = STATUS_CODE[Status.SEND]
    return replace(state, status=status)


STEPS: tuple[PolicyStep, ...] = (
    hold_out,
    draw_variants,
    check_contact,
    check_caps,
    check_quiet_hours,
    send_the_rest,
)

# The documented order of the reasons: the first policy that stops a customer gives its reason.
ORDER: tuple[Reason, ...] = tuple(reason for step in STEPS for reason in step.reasons)


# ---- helpers ---------------------------------------------------------------------------------


def _chain_index(inputs: PolicyInputs, rule_index: np.ndarray, arm: np.ndarray) -> np.ndarray:
    """Each customer's chain among every arm of every rule, from their rule and arm."""
    if rule_index.size == 0:
        return np.zeros(0, dtype=np.int64)
    first = np.cumsum([0] + [len(r.arms) for r in inputs.rules])[:-1]
    return first[rule_index] + arm


def _selection(mask: np.ndarray) -> np.ndarray | None:
    """``mask`` as the rows to select, None when it selects every row: then each array is
    taken as it is, not copied (a million customers' ids and addresses are ~60 MiB)."""
    return None if mask.all() else mask


def _take(values: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
    return values if rows is None else values[rows]


def _subset(
    contacts: Mapping[str, ChannelContact], rows: np.ndarray | None
) -> dict[str, ChannelContact]:
    return {
        ch: ChannelContact(_rows(c.address, rows, object), _rows(c.consent, rows, None), c.kind)
        for ch, c in contacts.items()
    }


def _suppressions_of(suppressions: Suppressions, rows: np.ndarray | None) -> Suppressions:
    """The suppressions of the selected rows: masks are aligned with the customers, pairs
    name them."""
    if rows is None or not isinstance(suppressions, SuppressionMasks):
        return suppressions
    return suppressions.take(rows)


def _rows(values, rows: np.ndarray | None, dtype) -> np.ndarray | pa.Array:
    """The selected rows of a NumPy or Arrow array (Arrow stays Arrow; None: all of them)."""
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values if rows is None else values.filter(pa.array(rows))
    return _take(np.asarray(values, dtype=dtype), rows)


def _spread(values: np.ndarray, rows: np.ndarray, default: object) -> np.ndarray:
    """``values`` (one per selected row) placed back among all rows."""
    full = np.full(rows.size, default, dtype=values.dtype if values.dtype == bool else object)
    full[rows] = values
    return full
