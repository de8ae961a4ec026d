"""Whether the store has the columns the configuration says it has, with usable types.

One function per fact, shared by ``winlang check`` (as diagnostics, through
:mod:`winlang.project` and the template checker) and ``winlang run`` (which refuses to start on
the same problems, and checks the store itself again when the project was checked against a
schema file), so the two can never disagree:

- :func:`layout_problems`: the customers table has its id column; every column mapped in
  ``[store.columns]`` exists; the events table has its customer, type and time columns; the
  zone column holds text;
- :func:`consent_type_problem` and :func:`address_type_problem`: a channel's consent column is
  boolean or a 0/1 number, its address column text.

>>> from winlang.schema import schema_from_json
>>> schema = schema_from_json('{"customers": {"ref": "text", "tz": "number"}}')
>>> [p.message for p in layout_problems(schema, Store(columns={"id": "ref", "timezone": "tz"}))]
['the zone column `customers`.`tz` holds number values; it must hold IANA zone names as text']
"""

from __future__ import annotations

from collections.abc import Mapping

from .config import COLUMN_DEFAULTS, Store
from .frozen import frozen
from .schema import Schema
from .types import Type

# The events columns every event read needs; the others are read only when a campaign filters
# on them (``opened sms``), and are checked when mapped.
REQUIRED_EVENT_COLUMNS = ("customer_id", "type", "occurred_at")
CUSTOMER_COLUMNS = ("id", "timezone")
ID_KINDS = ("number", "text")
CONSENT_KINDS = ("bool", "number")


@frozen
class LayoutProblem:
    """A mismatch between the configuration and the store, and the config key to fix."""

    message: str
    key: tuple[str, ...]  # the winlang.toml key to point at: ("store", "columns", "id")
    hint: str | None = None


def layout_problems(schema: Schema, store: Store) -> list[LayoutProblem]:
    """Every way the store's tables (``schema``) do not fit ``[store]``, in a stable order."""
    problems = _customer_problems(schema.customers, store)
    problems += _event_problems(schema.events, store)
    return problems


def _where(store: Store, key: str, table: str) -> tuple[str, ...]:
    """The key that names a column: its mapping when there is one, else its table's key."""
    return ("store", "columns", key) if key in store.columns else ("store", table)


def _missing(store: Store, key: str, table: str, columns: Mapping[str, Type]) -> LayoutProblem:
    name, table_name = store.column(key), getattr(store, table)
    near = ", ".join(sorted(columns)[:12]) or "none"
    return LayoutProblem(
        f"the store's `{table_name}` table has no column `{name}` "
        f"(the {'mapped' if key in store.columns else 'default'} `{key}` column)",
        _where(store, key, table),
        f'map the column under [store.columns]: {key} = "..." (its columns: {near})',
    )


def _customer_problems(columns: Mapping[str, Type], store: Store) -> list[LayoutProblem]:
    problems = []
    id_name = store.column("id")
    found = columns.get(id_name)
    if found is None:
        problems.append(_missing(store, "id", "customers", columns))
    elif found.kind not in ID_KINDS:
        problems.append(
            LayoutProblem(
                f"the id column `{store.customers}`.`{id_name}` holds {found} values; "
                "customer ids are numbers or text",
                _where(store, "id", "customers"),
            )
        )
    zone = store.column("timezone")
    found = columns.get(zone)
    if found is None and "timezone" in store.columns:
        problems.append(_missing(store, "timezone", "customers", columns))
    elif found is not None and found.kind != "text":
        problems.append(
            LayoutProblem(
                f"the zone column `{store.customers}`.`{zone}` holds {found} values; "
                "it must hold IANA zone names as text",
                _where(store, "timezone", "customers"),
                'such as "America/New_York"; map another column: [store.columns] timezone',
            )
        )
    return problems


def _event_problems(columns: Mapping[str, Type], store: Store) -> list[LayoutProblem]:
    mapped = [k for k in store.columns if k not in CUSTOMER_COLUMNS]
    if not columns:  # no events table: only a mapping says one was expected
        if not mapped:
            return []
        return [
            LayoutProblem(
                f"the store has no events table `{store.events}`, but [store.columns] "
                f"maps its column `{mapped[0]}`",
                ("store", "columns", mapped[0]),
                'name the table: [store] events = "..."',
            )
        ]
    wanted = dict.fromkeys((*REQUIRED_EVENT_COLUMNS, *mapped))
    return [
        _missing(store, key, "events", columns)
        for key in COLUMN_DEFAULTS
        if key in wanted and store.column(key) not in columns
    ]


def consent_type_problem(channel: str, column: str, found: Type | None) -> str | None:
    """Why ``column`` can't be ``channel``'s consent, or None when it can (or is unknown).

    >>> from winlang.types import TEXT
    >>> print(consent_type_problem("sms", "sms_optin", TEXT))  # doctest: +ELLIPSIS
    the consent column `sms_optin` of channel `sms` holds text values; consent is boolean ...
    """
    if found is None or found.is_unknown or found.kind in CONSENT_KINDS:
        return None
    return (
        f"the consent column `{column}` of channel `{channel}` holds {found} values; "
        "consent is boolean or a 0/1 number (1 = yes)"
    )


def address_type_problem(channel: str, column: str, found: Type | None) -> str | None:
    """Why ``column`` can't be ``channel``'s address (addresses are text), or None."""
    if found is None or found.is_unknown or found.kind == "text":
        return None
    return (
        f"the address column `{column}` of channel `{channel}` holds {found} values; "
        "an address (email, phone number, token) is text"
    )
