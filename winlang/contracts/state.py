"""What the engine asks winlang's own state: which customers a state fact is true for.

The plan's ``StateFlag`` nodes (``received``, ``in list``, a rule that already ``fired``) are
answered by a :class:`StateView`: the state database's ledger in a run, :class:`EmptyState`
before any run.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    import numpy as np

StateKind = Literal["received", "in_list", "fired"]


class StateFact(Protocol):
    """The question a ``StateFlag`` node of the plan asks (:class:`winlang.plan.ir.StateFlag`
    is one):

    - ``received``: this campaign sent ``key`` (a template, or a channel when ``by_channel``)
      within ``window`` seconds (or ever), or, with ``older_than``, at least once more than
      ``older_than`` seconds before now;
    - ``in_list``: the customer is in list ``key``;
    - ``fired``: rule ``key`` of this campaign fired for the customer, within ``window``
      seconds when the rule repeats.
    """

    @property
    def state(self) -> StateKind: ...

    @property
    def key(self) -> str: ...

    @property
    def window(self) -> float | None: ...

    @property
    def by_channel(self) -> bool: ...

    @property
    def older_than(self) -> float | None: ...


class StateView(Protocol):
    """Facts from the state database for ``StateFlag`` nodes."""

    def customers(self, flag: StateFact, campaign: str, now: datetime) -> np.ndarray:
        """Ids of the customers for whom ``flag`` is true at ``now`` (any order, no nulls)."""
        ...


class EmptyState:
    """No runs yet: nothing received, no lists, no rule fired.

    >>> EmptyState().customers(None, "ladder", datetime(2026, 1, 1)).size
    0
    """

    def customers(self, flag: StateFact, campaign: str, now: datetime) -> np.ndarray:
        import numpy as np

        return np.empty(0, dtype=np.int64)
