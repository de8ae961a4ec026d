"""Evaluate a checked campaign: open the store, pick a backend, plan, decide.

``--engine auto`` pushes SQL down to SQL stores and evaluates file stores in-process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .check import CheckedCampaign
from .config import Config
from .contracts.errors import DataError, EngineError
from .contracts.source import ReleasesMemory
from .plan import DeliveryPlan, ir, plan_and_delivery
from .times import parse_instant

if TYPE_CHECKING:  # the backends pull in NumPy and PyArrow: imported when a run starts
    from .backends.base import Backend, Decisions
    from .contracts.source import Layout, Source
    from .contracts.state import StateView

ENGINES = ("auto", "numpy", "sql")

# What a run reads of the matched customers: the columns, or how to find them in the
# delivery plan (``winlang.deliver.run.run_columns``).
Carried = Iterable[ir.Column] | Callable[[DeliveryPlan], Iterable[ir.Column]]


@dataclass(frozen=True)
class Evaluation:
    plan: ir.Plan
    decisions: Decisions
    engine: str
    now: datetime
    delivery: DeliveryPlan | None = None  # lowered with the plan: what each rule sends


def parse_now(text: str | None) -> datetime:
    """``--now``: an ISO-8601 time (UTC unless it says otherwise); the current time if absent.

    >>> parse_now("2026-11-22T10:00:00Z").isoformat()
    '2026-11-22T10:00:00+00:00'
    """
    if text is None:
        return datetime.now(UTC).replace(microsecond=0)
    return parse_instant(text)


def layout_of(config: Config) -> Layout:
    from .contracts.source import Layout

    return Layout.from_config(config.store.customers, config.store.events, config.store.columns)


def open_store(config: Config, url: str | None = None) -> Source:
    """The configured store through the data-source plugins."""
    from .sources import open_source

    return open_source(url or config.store.url, layout_of(config), config.store.settings())


def choose_backend(engine: str, source: Source) -> Backend:
    if engine not in ENGINES:
        raise EngineError(f"unknown engine `{engine}`; use one of {', '.join(ENGINES)}")
    pushdown = source.sql_engine() is not None
    if engine == "sql" and not pushdown:
        raise EngineError(
            f"--engine sql needs a SQL store; {source.name} is not one (use --engine numpy or auto)"
        )
    if engine == "sql" or (engine == "auto" and pushdown):
        from .backends.sql import SqlBackend

        return SqlBackend()
    from .backends.numpy import NumpyBackend

    return NumpyBackend()


def verify_store(plan: ir.Plan, source: Source, layout: Layout) -> None:
    """The store has every column the plan reads, with the type the campaign was checked
    against (a stale schema file must not make a backend coerce text into numbers)."""
    from .types import Type, family

    schema = source.schema()
    store = schema.customers
    for column in {n for n in ir.walk(*plan.roots()) if isinstance(n, ir.Column)}:
        found = store.get(column.name)
        if found is None:
            raise DataError(
                f"the store's `{layout.customers}` table has no column "
                f"`{column.name}`, which the campaign uses"
            )
        expected = Type(column.source_kind or column.kind)
        if family(found) != family(expected):
            raise DataError(
                f"`{layout.customers}`.`{column.name}` holds {found} values in the store, but "
                f"the campaign was checked with it as {expected}; update the schema file "
                "(winlang schema export) and check again"
            )


def verify_layout(checked: CheckedCampaign, source: Source) -> None:
    """The store itself fits ``[store]`` and the channels the campaign sends on: the checks
    ``winlang check`` makes (:mod:`winlang.store_layout`), made again on the store, which may
    differ from the schema file the campaign was checked against."""
    from .check.templates import channels_sent_on
    from .store_layout import address_type_problem, consent_type_problem, layout_problems

    config = checked.config
    schema = source.schema()
    problems = [p.message for p in layout_problems(schema, config.store)]
    for name in channels_sent_on(checked.campaign):
        channel = config.channels.get(name)
        if channel is not None:
            consent, address = channel.consent, channel.address
            problems.append(consent_type_problem(name, consent, schema.customers.get(consent)))
            problems.append(address_type_problem(name, address, schema.customers.get(address)))
    found = [p for p in problems if p is not None]
    if found:
        raise DataError(f"{found[0]} (E709; run `winlang check`)")


def evaluate_campaign(
    checked: CheckedCampaign,
    source: Source,
    now: datetime,
    engine: str = "auto",
    state: StateView | None = None,
    skip: Iterable[str] = (),
    batch_size: int | None = None,
    carry: Carried = (),
) -> Evaluation:
    """Decide ``checked`` on ``source`` at ``now``; ``carry``: customer columns a run reads
    of the matched customers, read by the backend in the same pass (``Decisions.values``),
    or a function giving them from the campaign's delivery plan (lowered once, here)."""
    from .backends.base import DEFAULT_BATCH_SIZE, RunContext
    from .contracts.state import EmptyState

    backend = choose_backend(engine, source)
    plan, delivery = plan_and_delivery(checked, skip)
    verify_layout(checked, source)
    verify_store(plan, source, source.layout)
    context = RunContext(
        now=now, state=state or EmptyState(), batch_size=batch_size or DEFAULT_BATCH_SIZE
    )
    columns = list(carry(delivery) if callable(carry) else carry)
    decisions = backend.decide(plan, source, context, columns)
    release_unused_memory(source)
    return Evaluation(plan, decisions, backend.name, now, delivery)


def release_unused_memory(source: Source) -> None:
    """Give back what the evaluation read and no longer needs: the pages Arrow's allocator
    keeps of every batch and event aggregate (for Arrow to reuse, but what a run does next
    is mostly NumPy's: ~0.5 GB at 10M customers), and the store's own caches where it keeps
    them in this process (:class:`~winlang.contracts.source.ReleasesMemory`: DuckDB,
    ~2.2 GB)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    if isinstance(source, ReleasesMemory):
        source.release_memory()
