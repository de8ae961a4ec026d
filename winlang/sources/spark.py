"""A data source on Apache Spark: ``spark:///abs/folder`` and ``sc://host:port``.

``spark:///abs/folder`` starts (or joins) a Spark session in this process — master from
``[store] master`` (default ``local[*]``, or spark-submit's ``--master`` when spark-submit
started this driver), any other setting from ``[store.spark]`` — and reads
``customers`` and ``events`` from the folder in the layout the Parquet source reads
(``customers.parquet``: one file, or a folder of part files as Spark writes them), each
registered as a temporary view under its table name. ``sc://host:port`` drives a remote
cluster through Spark Connect (no Java on this machine); ``[store] customers`` and ``events``
name its catalog tables (``db.customers``).

Either way the session's time zone is pinned to UTC (stores hold naive UTC times), campaigns are
pushed down as one SQL statement (:mod:`winlang.backends.sql`, dialect ``spark``) and rows come
back a partition at a time (``toLocalIterator``), never collected whole.

>>> parse_spark_url("spark:///data/shop")
('folder', '/data/shop')
>>> parse_spark_url("sc://spark.example.com:15002")
('connect', 'sc://spark.example.com:15002')
>>> parse_spark_url("parquet:///data") is None
True
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ..contracts.errors import DataError
from ..contracts.source import Layout
from ..schema import Schema
from ..types import SCALARS
from .normalize import normalize_batch

SCHEMES = ("spark", "sc")
DEFAULT_MASTER = "local[*]"
EVENT_BATCH_SIZE = 262_144
# Settings every session gets: UTC, no progress bars on the terminal. A user's [store.spark]
# may add to them, never change the time zone.
BASE_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.showConsoleProgress": "false",
}
INSTALL_HINT = 'install the Spark extra: pip install "winlang[spark]"'

# Spark type names (DataType.typeName()) → the language's kinds.
_KINDS = {
    "long": "number",
    "integer": "number",
    "short": "number",
    "byte": "number",
    "double": "number",
    "float": "number",
    "decimal": "number",
    "string": "text",
    "varchar": "text",
    "char": "text",
    "boolean": "bool",
    "timestamp": "timestamp",
    "timestamp_ntz": "timestamp",
    "date": "date",
}
_INTEGRAL = frozenset({"long", "integer", "short", "byte"})


def parse_spark_url(url: str) -> tuple[str, str] | None:
    """``("folder", path)`` for ``spark:///path``, ``("connect", url)`` for ``sc://...``,
    None for any other URL."""
    scheme, separator, rest = url.partition("://")
    if not separator or scheme not in SCHEMES:
        return None
    if scheme == "sc":
        return "connect", url
    return "folder", rest


class SparkSource:
    """Customers and events on a Spark session (see the module docstring)."""

    name = "spark"

    def __init__(
        self, url: str, layout: Layout | None = None, settings: Mapping[str, object] | None = None
    ) -> None:
        parsed = parse_spark_url(url)
        if parsed is None:
            raise ValueError(f"not a Spark store URL: {url!r}")
        self.url = url
        self.kind, self.where = parsed
        self.layout = layout or Layout()
        settings = dict(settings or {})
        self.master = str(settings.get("master") or "") or default_master()
        self.settings = {str(k): str(v) for k, v in dict(settings.get("spark") or {}).items()}
        self._session: Any = None
        self._engine = None
        self._frames: dict[str, Any] = {}
        self._schema: Schema | None = None

    def __repr__(self) -> str:
        return f"SparkSource({self.url!r})"

    # ---- the session -------------------------------------------------------------------------

    @property
    def session(self) -> Any:
        """The Spark session (started, or joined when one is active, on first use)."""
        if self._session is None:
            self._session = open_session(self.kind, self.where, self.master, self.settings)
        return self._session

    def sql_engine(self):
        """A SQLAlchemy engine whose statements run on the session (:mod:`.spark_dbapi`)."""
        if self._engine is None:
            from .spark_dbapi import spark_engine

            session = self.session
            self._engine = spark_engine(session, self._register_views)
        return self._engine

    def _register_views(self, session: Any) -> None:
        """A folder's tables as temporary views named as the layout says, registered again on
        every connection: another source sharing the session may have registered its own."""
        if self.kind != "folder":
            return
        for table in (self.layout.customers, self.layout.events):
            if self._path(table).exists():
                self._frame(table).createOrReplaceTempView(table)

    # ---- tables ------------------------------------------------------------------------------

    def _path(self, table: str) -> Path:
        return Path(self.where) / f"{table}.parquet"

    def _frame(self, table: str) -> Any:
        """The table as a DataFrame; a missing one is a DataError naming it."""
        if table not in self._frames:
            if self.kind == "folder" and not self._path(table).exists():
                raise DataError(f"the table `{table}` is missing: there is no {self._path(table)}")
            try:
                frame = self._read(table)
                frame.schema  # noqa: B018 - analysis happens here: a missing table fails now
            except Exception as error:
                raise DataError(
                    f"can't read the table `{table}` of the store {self.url}: {first_line(error)}"
                ) from None
            self._frames[table] = frame
        return self._frames[table]

    def _read(self, table: str) -> Any:
        if self.kind == "folder":
            return self.session.read.parquet(str(self._path(table)))
        return self.session.table(table)

    def _spark_types(self, table: str) -> dict[str, str]:
        """Each column's Spark type name (``long``, ``timestamp_ntz``...)."""
        return {f.name: f.dataType.typeName() for f in self._frame(table).schema.fields}

    def _kinds(self, table: str) -> dict[str, str]:
        return {
            name: _KINDS[spark]
            for name, spark in self._spark_types(table).items()
            if spark in _KINDS
        }

    def _exists(self, table: str) -> bool:
        if self.kind == "folder":
            return self._path(table).exists()
        try:
            self._frame(table)
        except DataError:
            return False
        return True

    # ---- the Source protocol -----------------------------------------------------------------

    def schema(self) -> Schema:
        if self._schema is None:
            layout = self.layout
            events = (
                {n: SCALARS[k] for n, k in self._kinds(layout.events).items()}
                if self._exists(layout.events)
                else {}
            )
            customers = {n: SCALARS[k] for n, k in self._kinds(layout.customers).items()}
            self._schema = Schema(customers=customers, events=events)
        return self._schema

    def customer_batches(
        self, columns: Sequence[str] | None, batch_size: int, ids=None
    ) -> Iterator[pa.RecordBatch]:
        """The customers (only those whose id is in ``ids``, when given), in batches: the
        ids travel to Spark as one small DataFrame and are joined there."""
        table = self.layout.customers
        names = self._names(table, self.layout.id, [], columns)
        frame = self._frame(table)
        if ids is not None:
            wanted = ids if isinstance(ids, pa.Array) else pa.array(np.asarray(ids))
            if len(wanted) == 0:
                return
            frame = frame.join(self._ids_frame(wanted), on=self.layout.id, how="left_semi")
        yield from self._batches(frame, table, names, batch_size)

    def event_batches(
        self,
        types: Sequence[str] | None,
        columns: Sequence[str] | None,
        since: datetime | None,
        until: datetime,
    ) -> Iterator[pa.RecordBatch]:
        layout = self.layout
        table = layout.events
        names = self._names(table, layout.customer_id, [layout.type, layout.occurred_at], columns)
        if types is not None and not types:
            return
        # Columns of the frame itself (not pyspark.sql.functions): a local and a Spark Connect
        # session each have their own kind of column.
        frame = self._frame(table)
        at = frame[_quoted(layout.occurred_at)]
        condition = at <= _utc(until)
        if since is not None:
            condition = condition & (at >= _utc(since))
        if types is not None:
            condition = condition & frame[_quoted(layout.type)].isin(list(types))
        yield from self._batches(frame.where(condition), table, names, EVENT_BATCH_SIZE)

    # ---- reading ---------------------------------------------------------------------------

    def _names(
        self, table: str, key: str, required: list[str], columns: Sequence[str] | None
    ) -> list[str]:
        present = self._spark_types(table)
        wanted = list(present) if columns is None else list(columns)
        names = list(dict.fromkeys([key, *required, *wanted]))
        missing = [n for n in names if n not in present]
        if missing:
            listed = ", ".join(f"`{n}`" for n in missing)
            raise DataError(
                f"the `{table}` table has no column {listed} (it has {', '.join(sorted(present))})"
            )
        return names

    def _ids_frame(self, ids: pa.Array) -> Any:
        key = self.layout.id
        kind = self._spark_types(self.layout.customers)[key]
        if kind in _INTEGRAL:
            values = pa.array(ids.to_pylist(), pa.int64())
        else:
            values = pa.array([None if v is None else str(v) for v in ids.to_pylist()])
        return self.session.createDataFrame(pa.table({key: values}))

    def _batches(
        self, frame: Any, table: str, names: list[str], batch_size: int
    ) -> Iterator[pa.RecordBatch]:
        """``names`` of ``frame`` as Arrow batches of up to ``batch_size`` rows, streamed a
        partition at a time. Local-zone TIMESTAMP columns are read as UTC wall-clock times."""
        spark_types = self._spark_types(table)
        selected = [
            frame[_quoted(n)].cast("timestamp_ntz").alias(n)
            if spark_types[n] == "timestamp"
            else frame[_quoted(n)]
            for n in names
        ]
        kinds = {n: k for n, k in self._kinds(table).items() if n in names}
        types = [_arrow_type(spark_types[n]) for n in names]
        rows = _spark_rows(frame.select(*selected), f"reading `{table}` from {self.url} failed")
        while chunk := [tuple(row) for _, row in zip(range(batch_size), rows, strict=False)]:
            columns = list(zip(*chunk, strict=True))
            arrays = [
                pa.array(list(values), type=kind)
                for values, kind in zip(columns, types, strict=True)
            ]
            yield normalize_batch(pa.RecordBatch.from_arrays(arrays, names=names), kinds, table)


def _spark_rows(frame: Any, failure: str) -> Iterator[Any]:
    """The frame's rows, a partition at a time; Spark's errors as one-line DataErrors."""
    try:
        yield from frame.toLocalIterator()
    except Exception as error:
        raise DataError(f"{failure}: {first_line(error)}") from None


def first_line(error: BaseException) -> str:
    """Spark's messages run to pages (the plan, the JVM stack): their first line says why."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _arrow_type(spark_type: str) -> pa.DataType | None:
    if spark_type in _INTEGRAL:
        return pa.int64()
    return {
        "double": pa.float64(),
        "float": pa.float64(),
        "string": pa.string(),
        "varchar": pa.string(),
        "char": pa.string(),
        "boolean": pa.bool_(),
        "timestamp": pa.timestamp("us"),
        "timestamp_ntz": pa.timestamp("us"),
        "date": pa.date32(),
    }.get(spark_type)


def _quoted(name: str) -> str:
    """A column name for ``frame[...]``: backquoted, so a dot is part of the name."""
    return "`" + name.replace("`", "``") + "`"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# ---- sessions ----------------------------------------------------------------------------------


def java_missing() -> str | None:
    """Why a local Spark session can't start for want of Java, or None when Java is there."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return None
    if shutil.which("java"):
        return None
    return (
        "a local Spark session needs Java 17 or later, and there is no `java` on the PATH "
        "(nor JAVA_HOME); install a JRE (apt-get install openjdk-17-jre-headless) or use a "
        "Spark Connect URL (sc://host:port)"
    )


def default_master() -> str:
    """``local[*]``, unless this process is a driver that spark-submit started: then its
    ``--master`` (an empty master here leaves the session's own setting alone)."""
    return "" if os.environ.get("PYSPARK_GATEWAY_PORT") else DEFAULT_MASTER


def local_defaults(master: str) -> dict[str, str]:
    """Settings for a session on this machine (``local[...]``) unless ``[store.spark]`` says
    otherwise: as many shuffle partitions as cores, not a cluster's 200 (which cost a second
    of task overhead per statement on a laptop).

    >>> local_defaults("local[2]")
    {'spark.sql.shuffle.partitions': '2'}
    >>> local_defaults("spark://master:7077")
    {}
    """
    if not master.startswith("local"):
        return {}
    inside = master.partition("[")[2].rstrip("]").split(",")[0]
    cores = int(inside) if inside.isdigit() else os.cpu_count() or 1
    return {"spark.sql.shuffle.partitions": str(cores)}


def open_session(kind: str, where: str, master: str, settings: Mapping[str, str]) -> Any:
    """A session for a ``spark:///folder`` store (local or ``master``'s cluster) or a Spark
    Connect URL, with the time zone pinned to UTC."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise DataError(f"the store needs PySpark: {INSTALL_HINT}") from None
    if kind == "connect":
        try:  # the client's own class: a process may also hold a local session (tests do)
            from pyspark.sql.connect.session import SparkSession as RemoteSession
        except ImportError as error:
            raise DataError(f"Spark Connect needs {error.name or error}: {INSTALL_HINT}") from None
        builder = RemoteSession.builder.remote(where)
    else:
        builder = SparkSession.builder.appName("winlang")
        problem = java_missing()
        if problem is not None:
            raise DataError(problem)
        if master:
            builder = builder.master(master)
    chosen = {**local_defaults(master), **settings} if kind == "folder" else dict(settings)
    for key, value in {**chosen, **BASE_SETTINGS}.items():
        if kind == "connect" and key == "spark.ui.showConsoleProgress":
            continue
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
        # An active session (spark-submit, a notebook) is joined as it is: pin the zone.
        session.conf.set("spark.sql.session.timeZone", "UTC")
    except ImportError as error:  # Spark Connect's client libraries
        raise DataError(f"Spark Connect needs {error.name or error}: {INSTALL_HINT}") from None
    except Exception as error:
        target = where if kind == "connect" else f"master {master or 'of spark-submit'}"
        raise DataError(f"can't start a Spark session ({target}): {first_line(error)}") from None
    return session
