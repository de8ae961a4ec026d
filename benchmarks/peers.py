"""The same campaigns written by hand in the systems a team might use instead of winlang.

Each peer gets the data in its own in-memory form, prepared once and not timed (as winlang's
:class:`~winlang.sources.memory.MemorySource` is built once):

- **NumPy masks**: numbers as float64 (NaN for null), times as ``datetime64[us]`` (NaT), text
  as small-integer dictionary codes (-1 for null) with text tests computed once per distinct
  value, events as flat arrays scattered into per-customer arrays by dense id;
- **Polars lazy**: the Arrow tables as Polars frames, one lazy query per campaign;
- **DuckDB SQL / SQLite SQL**: one query per campaign on the stores written by
  :mod:`benchmarks.data` (the decisions as ``(id, rule)`` rows, plus the audience count);
- **rule-engine** (row at a time): one ``rule_engine.Rule`` per condition over one dict per
  customer, with the event predicates precomputed as fields (the one advantage it gets: a
  row-at-a-time engine has no way to scan events).

Every peer returns ``(audience, ids, rules)``: the audience count, the matched ids in id order
and the index of each one's first matching rule, to compare with winlang's ``Decisions``.
Only ``now`` = :data:`benchmarks.campaigns.NOW` is supported (``birthday is today`` is written
for its month and day, as a person would).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from benchmarks.campaigns import NOW

Result = tuple[int, np.ndarray, np.ndarray]
DAY = np.timedelta64(86_400_000_000, "us")
LADDER = "sms-reengagement-ladder"


def _now64() -> np.datetime64:
    return np.datetime64(NOW.replace(tzinfo=None), "us")


def _result(audience: np.ndarray | int, rule: np.ndarray, ids: np.ndarray) -> Result:
    matched = np.flatnonzero(rule >= 0)
    count = int(np.count_nonzero(audience)) if isinstance(audience, np.ndarray) else audience
    return count, ids[matched], rule[matched].astype(np.int32)


def first_match(audience: np.ndarray, conditions: list[np.ndarray]) -> np.ndarray:
    """Per customer, the index of the first true condition among the audience, else -1."""
    rule = np.full(len(audience), -1, np.int32)
    for index in range(len(conditions) - 1, -1, -1):  # last first: earlier rules overwrite
        rule[conditions[index]] = index
    rule[~audience] = -1
    return rule


# ---- NumPy --------------------------------------------------------------------------------


@dataclass
class Text:
    """A text column as dictionary codes (-1: null) and its distinct values."""

    codes: np.ndarray
    values: np.ndarray  # object array of str

    @classmethod
    def of(cls, column: pa.ChunkedArray | pa.Array) -> Text:
        encoded = pc.dictionary_encode(column).combine_chunks()
        size = len(encoded.dictionary)
        dtype = np.int8 if size < 127 else np.int16 if size < 32_767 else np.int32
        codes = encoded.indices.fill_null(-1).to_numpy().astype(dtype)
        return cls(codes, np.array(encoded.dictionary.to_pylist(), dtype=object))

    def test(self, predicate: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """Rows where ``predicate`` (run once on the distinct values) is true; null is false."""
        table = np.append(predicate(self.values.astype(str)), False)  # code -1: the last
        return table[self.codes]

    def code(self, value: str) -> int:
        found = np.flatnonzero(self.values == value)
        return int(found[0]) if len(found) else -2  # -2 matches nothing

    def isin(self, values: tuple[str, ...]) -> np.ndarray:
        return self.test(lambda v: np.isin(v, values))


@dataclass
class NumpyData:
    """Customers with dense ids ``1..n`` and their events, as plain arrays."""

    ids: np.ndarray
    numbers: dict[str, np.ndarray]
    times: dict[str, np.ndarray]
    flags: dict[str, np.ndarray]
    texts: dict[str, Text]
    event_customer: np.ndarray
    event_time: np.ndarray
    event_amount: np.ndarray
    event_texts: dict[str, Text]

    @classmethod
    def of(cls, customers: pa.Table, events: pa.Table) -> NumpyData:
        ids = customers.column("id").to_numpy()
        if not np.array_equal(ids, np.arange(1, len(ids) + 1)):
            raise ValueError("the hand-written NumPy peer assumes dense ids 1..n")
        numbers, times, flags, texts = {}, {}, {}, {}
        for name, column in zip(customers.column_names, customers.columns, strict=True):
            kind = column.type
            if pa.types.is_floating(kind) or pa.types.is_integer(kind):
                numbers[name] = column.cast(pa.float64()).fill_null(np.nan).to_numpy()
            elif pa.types.is_timestamp(kind) or pa.types.is_date(kind):
                unit = "us" if pa.types.is_timestamp(kind) else "D"
                times[name] = column.to_numpy().astype(f"datetime64[{unit}]")
            elif pa.types.is_boolean(kind):
                flags[name] = column.fill_null(False).to_numpy()
            else:
                texts[name] = Text.of(column)
        return cls(
            ids=ids,
            numbers=numbers,
            times=times,
            flags=flags,
            texts=texts,
            event_customer=events.column("customer_id").to_numpy(),
            event_time=events.column("occurred_at").to_numpy().astype("datetime64[us]"),
            event_amount=events.column("amount").fill_null(0.0).to_numpy(),
            event_texts={
                n: Text.of(events.column(n)) for n in ("type", "channel", "campaign", "template")
            },
        )

    def per_customer(self, rows: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Count (or sum of ``weights``) of the events ``rows`` for each customer."""
        counts = np.bincount(
            self.event_customer[rows],
            weights=None if weights is None else weights[rows],
            minlength=len(self.ids) + 1,
        )
        return counts[1 : len(self.ids) + 1]

    def any_event(self, rows: np.ndarray) -> np.ndarray:
        flag = np.zeros(len(self.ids) + 1, bool)
        flag[self.event_customer[rows]] = True
        return flag[1:]

    def events(self, kind: str, days: float | None = None, **texts: str) -> np.ndarray:
        """The event rows of type ``kind`` (within ``days`` of now, matching ``texts``)."""
        now = _now64()
        e = self.event_texts
        rows = e["type"].codes == e["type"].code(kind)
        rows &= self.event_time <= now
        if days is not None:
            rows &= self.event_time >= now - days * DAY
        for name, value in texts.items():
            rows &= e[name].codes == e[name].code(value)
        return rows


def numpy_ladder(d: NumpyData) -> Result:
    now = _now64()
    last = d.times["last_purchase_at"]
    audience = d.texts["country"].isin(("KR", "RO", "US")) & (d.numbers["lifetime_value"] >= 20)
    opened_survey = d.any_event(d.events("open", campaign=LADDER, template="survey"))
    opened_contest = d.any_event(d.events("open", campaign=LADDER, template="contest"))
    clicked = d.any_event(d.events("click", 14, campaign=LADDER, template="coupon"))
    b30, b60, b90 = now - 30 * DAY, now - 60 * DAY, now - 90 * DAY
    rule = first_match(
        audience,
        [
            (last <= b30) & (last > b60),
            (last <= b60) & (last > b90) & ~opened_survey,
            (last <= b90) & ~opened_survey & ~opened_contest,
            clicked,
            # give_up: `received coupon` is in winlang's own state, empty here: never true
        ],
    )
    return _result(audience, rule, d.ids)


def numpy_mixed(d: NumpyData) -> Result:
    now = _now64()
    last, value, t = d.times["last_purchase_at"], d.numbers["lifetime_value"], d.texts["tier"]
    audience = d.texts["country"].isin(("KR", "RO", "US", "ES")) & (value >= 10)
    purchases = d.events("purchase", 365)
    birthday = d.times["birthday"]
    month = birthday.astype("datetime64[M]")
    rule = first_match(
        audience,
        [
            t.isin(("gold",)) & (last <= now - 30 * DAY) & (last > now - 91 * DAY),
            d.texts["city"].test(lambda v: np.strings.lower(v) == "seoul")
            & ~d.any_event(d.events("open", 30, channel="email")),
            d.texts["email"].test(lambda v: np.strings.endswith(v, "@example.org"))
            & (d.numbers["orders"] >= 3),
            (d.per_customer(purchases) >= 2) & (value > 500),
            d.any_event(d.events("cart_add", 7)) & ~d.any_event(d.events("purchase", 7)),
            (d.times["last_visit_at"] < now - 180 * DAY) & d.flags["consent_email"],
            d.texts["first_name"].test(lambda v: np.strings.startswith(v, "A"))
            & (d.times["signup_at"] <= now - 366 * DAY),
            (d.per_customer(purchases, d.event_amount) > 300) & t.isin(("silver", "bronze")),
            ((month.astype(np.int64) % 12) == NOW.month - 1)
            & ((birthday - month).astype(np.int64) == NOW.day - 1),
            (d.texts["phone"].codes >= 0) & d.flags["consent_sms"] & (last <= now - 181 * DAY),
        ],
    )
    return _result(audience, rule, d.ids)


# ---- Polars -------------------------------------------------------------------------------


@dataclass
class PolarsData:
    customers: object  # polars.DataFrame
    events: object

    @classmethod
    def of(cls, customers: pa.Table, events: pa.Table) -> PolarsData:
        import polars as pl

        return cls(pl.from_arrow(customers), pl.from_arrow(events))


def _polars_run(data: PolarsData, aggregates: list, conditions: list, audience) -> Result:
    """Every event aggregate from one grouped pass, joined to the customers; the first true
    condition per customer with a ``when/then`` chain."""
    import polars as pl

    now = NOW.replace(tzinfo=None)
    per_customer = (
        data.events.lazy()
        .filter(pl.col("occurred_at") <= now)
        .group_by("customer_id")
        .agg(aggregates)
    )
    names = [a.meta.output_name() for a in aggregates]
    chosen = pl.lit(None, pl.Int32)
    for index in range(len(conditions) - 1, -1, -1):
        chosen = pl.when(conditions[index]).then(pl.lit(index, pl.Int32)).otherwise(chosen)
    frame = (
        data.customers.lazy()
        .select("id", "country", *_columns_of(conditions, audience))
        .join(per_customer, left_on="id", right_on="customer_id", how="left")
        .with_columns(pl.col(n).fill_null(_EMPTY[n]) for n in names)
        .filter(audience)
        .select("id", chosen.alias("rule"))
        .collect()
    )
    audience_count = frame.height
    decided = frame.filter(pl.col("rule").is_not_null()).sort("id")
    return (
        audience_count,
        decided["id"].to_numpy(),
        decided["rule"].to_numpy().astype(np.int32),
    )


def _columns_of(*expressions) -> list[str]:
    names: set[str] = set()
    for group in expressions:
        for expression in group if isinstance(group, list) else [group]:
            names.update(expression.meta.root_names())
    return sorted(names - {"id", "country"} - _AGGREGATE_NAMES)


# The value of each aggregate for a customer without events.
_EMPTY = {
    "opened_survey": False,
    "opened_contest": False,
    "clicked_coupon": False,
    "opened_email_30": False,
    "purchases_365": 0,
    "spent_365": 0.0,
    "cart_7": False,
    "purchased_7": False,
}
_AGGREGATE_NAMES = set(_EMPTY)


def polars_ladder(data: PolarsData) -> Result:
    import polars as pl

    now = NOW.replace(tzinfo=None)
    c, ladder = pl.col, (pl.col("campaign") == LADDER)
    aggregates = [
        ((c("type") == "open") & ladder & (c("template") == "survey")).any().alias("opened_survey"),
        ((c("type") == "open") & ladder & (c("template") == "contest"))
        .any()
        .alias("opened_contest"),
        ((c("type") == "click") & ladder & (c("template") == "coupon"))
        .filter(c("occurred_at") >= now - timedelta(days=14))
        .any()
        .alias("clicked_coupon"),
    ]
    last = c("last_purchase_at")
    b30, b60, b90 = (now - timedelta(days=d) for d in (30, 60, 90))
    audience = c("country").is_in(["KR", "RO", "US"]) & (c("lifetime_value") >= 20)
    conditions = [
        (last <= b30) & (last > b60),
        (last <= b60) & (last > b90) & ~c("opened_survey"),
        (last <= b90) & ~c("opened_survey") & ~c("opened_contest"),
        c("clicked_coupon"),
    ]
    return _polars_run(data, aggregates, conditions, audience.fill_null(False))


def polars_mixed(data: PolarsData) -> Result:
    import polars as pl

    now = NOW.replace(tzinfo=None)
    c = pl.col

    def within(days: int):
        return c("occurred_at") >= now - timedelta(days=days)

    purchase = c("type") == "purchase"
    aggregates = [
        ((c("type") == "open") & (c("channel") == "email") & within(30))
        .any()
        .alias("opened_email_30"),
        (purchase & within(365)).sum().alias("purchases_365"),
        c("amount").filter(purchase & within(365)).sum().alias("spent_365"),
        ((c("type") == "cart_add") & within(7)).any().alias("cart_7"),
        (purchase & within(7)).any().alias("purchased_7"),
    ]
    last, value, tier = c("last_purchase_at"), c("lifetime_value"), c("tier")
    audience = c("country").is_in(["KR", "RO", "US", "ES"]) & (value >= 10)
    conditions = [
        (tier == "gold") & (last <= now - timedelta(days=30)) & (last > now - timedelta(days=91)),
        (c("city").str.to_lowercase() == "seoul") & ~c("opened_email_30"),
        c("email").str.ends_with("@example.org") & (c("orders") >= 3),
        (c("purchases_365") >= 2) & (value > 500),
        c("cart_7") & ~c("purchased_7"),
        (c("last_visit_at") < now - timedelta(days=180)) & c("consent_email"),
        c("first_name").str.starts_with("A") & (c("signup_at") <= now - timedelta(days=366)),
        (c("spent_365") > 300) & tier.is_in(["silver", "bronze"]),
        (c("birthday").dt.month() == NOW.month) & (c("birthday").dt.day() == NOW.day),
        c("phone").is_not_null() & c("consent_sms") & (last <= now - timedelta(days=181)),
    ]
    conditions = [condition.fill_null(False) for condition in conditions]
    return _polars_run(data, aggregates, conditions, audience.fill_null(False))


# ---- SQL ------------------------------------------------------------------------------------


def moment(dialect: str, days: float) -> str:
    """``now - days`` as the SQL literal a person would write for this store."""
    at = (NOW - timedelta(days=days)).replace(tzinfo=None)
    if dialect == "sqlite":  # the stores' text format, which sorts as time does
        return f"'{at:%Y-%m-%d %H:%M:%S.%f}'"
    return f"TIMESTAMP '{at:%Y-%m-%d %H:%M:%S.%f}'"


def _events(dialect: str, kind: str, days: float | None = None, **texts: str) -> str:
    where = [f"type = '{kind}'", f"occurred_at <= {moment(dialect, 0)}"]
    if days is not None:
        where.append(f"occurred_at >= {moment(dialect, days)}")
    where += [f"{name} = '{value}'" for name, value in texts.items()]
    return f"SELECT customer_id FROM events WHERE {' AND '.join(where)} AND customer_id IS NOT NULL"


def sql_ladder(dialect: str, fence: str = "") -> tuple[str, str]:
    """The decisions (``id, r`` rows) and the audience count, as two queries; ``fence`` is
    extra SQL after the audience condition (:mod:`benchmarks.sql_pushdown` tries some)."""
    m = {d: moment(dialect, d) for d in (30, 60, 90)}
    survey = _events(dialect, "open", campaign=LADDER, template="survey")
    contest = _events(dialect, "open", campaign=LADDER, template="contest")
    clicked = _events(dialect, "click", 14, campaign=LADDER, template="coupon")
    audience = "country IN ('KR', 'RO', 'US') AND lifetime_value >= 20"
    decisions = f"""SELECT id, r FROM (
      SELECT id, CASE
        WHEN last_purchase_at <= {m[30]} AND last_purchase_at > {m[60]} THEN 0
        WHEN last_purchase_at <= {m[60]} AND last_purchase_at > {m[90]}
             AND id NOT IN ({survey}) THEN 1
        WHEN last_purchase_at <= {m[90]} AND id NOT IN ({survey})
             AND id NOT IN ({contest}) THEN 2
        WHEN id IN ({clicked}) THEN 3
      END AS r
      FROM customers WHERE {audience} {fence}) AS d
    WHERE r IS NOT NULL"""
    return decisions, f"SELECT count(*) FROM customers WHERE {audience}"


def sql_mixed(dialect: str) -> tuple[str, str]:
    m = lambda days: moment(dialect, days)  # noqa: E731
    if dialect == "sqlite":
        ends = "substr(email, -12) = '@example.org'"
        starts = "substr(first_name, 1, 1) = 'A'"
        birthday = f"substr(birthday, 6, 5) = '{NOW:%m-%d}'"
    else:
        ends = "ends_with(email, '@example.org')"
        starts = "starts_with(first_name, 'A')"
        birthday = f"month(birthday) = {NOW.month} AND day(birthday) = {NOW.day}"
    purchases = f"""SELECT customer_id, count(*) AS n, sum(amount) AS spent FROM events
      WHERE type = 'purchase' AND occurred_at >= {m(365)} AND occurred_at <= {m(0)}
      GROUP BY customer_id"""
    opened = _events(dialect, "open", 30, channel="email")
    cart, bought = _events(dialect, "cart_add", 7), _events(dialect, "purchase", 7)
    audience = "country IN ('KR', 'RO', 'US', 'ES') AND lifetime_value >= 10"
    decisions = f"""SELECT id, r FROM (
      SELECT id, CASE
        WHEN tier = 'gold' AND last_purchase_at <= {m(30)} AND last_purchase_at > {m(91)} THEN 0
        WHEN lower(city) = 'seoul' AND id NOT IN ({opened}) THEN 1
        WHEN {ends} AND orders >= 3 THEN 2
        WHEN coalesce(p.n, 0) >= 2 AND lifetime_value > 500 THEN 3
        WHEN id IN ({cart}) AND id NOT IN ({bought}) THEN 4
        WHEN last_visit_at < {m(180)} AND consent_email THEN 5
        WHEN {starts} AND signup_at <= {m(366)} THEN 6
        WHEN coalesce(p.spent, 0) > 300 AND tier IN ('silver', 'bronze') THEN 7
        WHEN {birthday} THEN 8
        WHEN phone IS NOT NULL AND consent_sms AND last_purchase_at <= {m(181)} THEN 9
      END AS r
      FROM customers LEFT JOIN ({purchases}) AS p ON p.customer_id = customers.id
      WHERE {audience}) AS d
    WHERE r IS NOT NULL"""
    return decisions, f"SELECT count(*) FROM customers WHERE {audience}"


def sql_winback(dialect: str, contacts: bool = False) -> tuple[str, str]:
    """The one-liner ``winback`` (matched: no rule number, one rule); with ``contacts``, each
    matched customer's e-mail address, consent, zone and first name too: what a script that
    sends needs, in the same query."""
    opened = _events(dialect, "open", 30, channel="email")
    shown = ", email, consent_email, timezone, first_name" if contacts else ""
    decisions = f"""SELECT id, 0 AS r{shown} FROM customers
    WHERE last_purchase_at <= {moment(dialect, 91)} AND id NOT IN ({opened})"""
    return decisions, "SELECT count(*) FROM customers"


SQL = {"ladder": sql_ladder, "mixed": sql_mixed}


def sql_runner(connection, queries: tuple[str, str]) -> Callable[[], Result]:
    """Run the two queries on an open DB-API ``connection`` (opened once, as a script
    would, and as winlang's engine keeps its pooled connection)."""
    decisions, audience = queries

    def run() -> Result:
        cursor = connection.cursor()
        try:
            cursor.execute(decisions)
            rows = cursor.fetchall()
            cursor.execute(audience)
            count = cursor.fetchall()[0][0]
        finally:
            cursor.close()
        ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        rules = np.fromiter((r[1] for r in rows), np.int32, len(rows))
        order = np.argsort(ids, kind="stable")  # in id order, as winlang gives them
        return count, ids[order], rules[order]

    return run


# ---- rule-engine ------------------------------------------------------------------------------


def rule_engine_rows(d: NumpyData, customers: pa.Table, campaign: str) -> list[dict]:
    """One dict per customer: the customer's fields (timestamps as aware datetimes, as
    rule-engine wants them) and the campaign's event predicates, precomputed."""
    from datetime import UTC

    now = _now64()
    rows = customers.to_pylist()
    if campaign == "ladder":
        extra = {
            "opened_survey": d.any_event(d.events("open", campaign=LADDER, template="survey")),
            "opened_contest": d.any_event(d.events("open", campaign=LADDER, template="contest")),
            "clicked_coupon": d.any_event(
                d.events("click", 14, campaign=LADDER, template="coupon")
            ),
        }
    else:
        purchases = d.events("purchase", 365)
        extra = {
            "opened_email_30": d.any_event(d.events("open", 30, channel="email")),
            "purchases_365": d.per_customer(purchases),
            "spent_365": d.per_customer(purchases, d.event_amount),
            "cart_7": d.any_event(d.events("cart_add", 7)),
            "purchased_7": d.any_event(d.events("purchase", 7)),
        }
    del now
    lists = {name: values.tolist() for name, values in extra.items()}
    for position, row in enumerate(rows):
        for name, value in row.items():
            if isinstance(value, datetime):
                row[name] = value.replace(tzinfo=UTC)
        for name, values in lists.items():
            row[name] = values[position]
    return rows


def _stamp(days: float) -> str:
    return f'd"{(NOW - timedelta(days=days)).isoformat()}"'


RULE_ENGINE = {
    "ladder": (
        'country in ["KR", "RO", "US"] and lifetime_value != null and lifetime_value >= 20',
        [
            f"last_purchase_at != null and last_purchase_at <= {_stamp(30)} "
            f"and last_purchase_at > {_stamp(60)}",
            f"last_purchase_at != null and last_purchase_at <= {_stamp(60)} "
            f"and last_purchase_at > {_stamp(90)} and not opened_survey",
            f"last_purchase_at != null and last_purchase_at <= {_stamp(90)} "
            "and not opened_survey and not opened_contest",
            "clicked_coupon",
        ],
    ),
    "mixed": (
        'country in ["KR", "RO", "US", "ES"] and lifetime_value != null and lifetime_value >= 10',
        [
            f'tier == "gold" and last_purchase_at != null and last_purchase_at <= {_stamp(30)} '
            f"and last_purchase_at > {_stamp(91)}",
            'city != null and city.as_lower == "seoul" and not opened_email_30',
            r'email != null and email =~ ".*@example\\.org$" and orders >= 3',
            "purchases_365 >= 2 and lifetime_value != null and lifetime_value > 500",
            "cart_7 and not purchased_7",
            f"last_visit_at != null and last_visit_at < {_stamp(180)} and consent_email == true",
            f'first_name != null and first_name =~ "A.*" and signup_at != null '
            f"and signup_at <= {_stamp(366)}",
            'spent_365 > 300 and tier in ["silver", "bronze"]',
            f"birthday != null and birthday.month == {NOW.month} and birthday.day == {NOW.day}",
            "phone != null and consent_sms == true and last_purchase_at != null "
            f"and last_purchase_at <= {_stamp(181)}",
        ],
    ),
}


def rule_engine_runner(rows: list[dict], campaign: str) -> Callable[[], Result]:
    import rule_engine

    context = rule_engine.Context(default_timezone="UTC")
    audience_text, texts = RULE_ENGINE[campaign]
    audience = rule_engine.Rule(audience_text, context=context)
    rules = [rule_engine.Rule(text, context=context) for text in texts]

    def run() -> Result:
        count, ids, chosen = 0, [], []
        for row in rows:
            if not audience.matches(row):
                continue
            count += 1
            for index, rule in enumerate(rules):
                if rule.matches(row):
                    ids.append(row["id"])
                    chosen.append(index)
                    break
        return count, np.array(ids, np.int64), np.array(chosen, np.int32)

    return run
