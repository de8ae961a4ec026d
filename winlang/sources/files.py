"""A data source over a folder of files: ``customers.parquet`` + ``events.parquet``, or the
same as ``.csv`` (URLs ``parquet:///abs/folder`` and ``csv:///abs/folder``).

Files are read with PyArrow datasets: only the requested columns, customers in batches, events
filtered by type and time while reading (Parquet skips whole row groups by their statistics).
Parquet text columns are read as dictionaries, which is what the evaluator wants anyway.

CSV files carry no types. Every field is read as text and each column's kind is inferred from
the first block of rows, strictly: a column is a number only if every value is written like
one *without* a sign or leading zeros (``+40712345678`` and ``007`` are text: phone numbers and
codes), ``true``/``false`` is bool, ``YYYY-MM-DD`` a date, ``YYYY-MM-DD HH:MM[:SS[.f]]`` (or
with ``T``, and an optional ``Z``) a timestamp. An empty field is null.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.dataset as ds

from ..arrow_types import kind_of_arrow_type
from ..contracts.errors import DataError
from ..contracts.source import Layout
from ..schema import Schema
from ..types import SCALARS
from .normalize import Among, normalize_batch, within_times

FORMATS = ("parquet", "csv")


class FileSource:
    """Customers and events in two files of one folder.

    >>> FileSource(Path("/data"), "csv").name
    'csv'
    """

    def __init__(self, folder: Path, file_format: str, layout: Layout | None = None) -> None:
        if file_format not in FORMATS:
            raise ValueError(f"unknown file format {file_format!r}; expected one of {FORMATS}")
        self.folder = Path(folder)
        self.name = file_format
        self.layout = layout or Layout()
        self._datasets: dict[str, ds.Dataset] = {}
        self._csv_kinds: dict[str, dict[str, str]] = {}
        self._csv_integers: dict[str, set[str]] = {}  # number columns holding whole numbers

    def __repr__(self) -> str:
        return f"FileSource({str(self.folder)!r}, {self.name!r})"

    def sql_engine(self):
        return None

    def schema(self) -> Schema:
        return Schema(
            customers=self._types(self.layout.customers),
            events=self._types(self.layout.events, required=False),
        )

    def customer_batches(
        self, columns: Sequence[str] | None, batch_size: int, ids=None
    ) -> Iterator[pa.RecordBatch]:
        """The customers (only those whose id is in ``ids``, when given), in batches."""
        table = self.layout.customers
        dataset = self._dataset(table)
        names = self._names(table, dataset, self.layout.id, [], columns)
        kinds = self._kinds(table)
        wanted = None if ids is None else Among(ids)
        for batch in dataset.to_batches(columns=names, batch_size=batch_size):
            batch = self._normalized(batch, kinds, table)
            if wanted is not None:  # after normalizing: a CSV id column is text until then
                batch = batch.filter(wanted.mask(batch.column(0)))
            yield batch

    def event_batches(
        self,
        types: Sequence[str] | None,
        columns: Sequence[str] | None,
        since: datetime | None,
        until: datetime,
    ) -> Iterator[pa.RecordBatch]:
        layout = self.layout
        table = layout.events
        dataset = self._dataset(table)
        names = self._names(
            table, dataset, layout.customer_id, [layout.type, layout.occurred_at], columns
        )
        kinds = self._kinds(table)
        # The types are kept here rather than by a dataset filter: Arrow's filter on a
        # dictionary column decodes it first (0.75 s for 10M events where reading takes
        # 0.3 s); a test per distinct type, spread by the dictionary indices, costs little.
        keep = None if types is None else pa.array(list(types), pa.string())
        at = names.index(layout.type)
        for batch in dataset.to_batches(columns=names):
            if keep is not None:
                batch = batch.filter(_among_texts(batch.column(at), keep))
            if not batch.num_rows:
                continue
            batch = within_times(
                self._normalized(batch, kinds, table), layout.occurred_at, since, until
            )
            if batch.num_rows:
                yield batch

    # ---- files ---------------------------------------------------------------------------------

    def _path(self, table: str) -> Path:
        return self.folder / f"{table}.{self.name}"

    def _dataset(self, table: str) -> ds.Dataset:
        if table not in self._datasets:
            path = self._path(table)
            if not path.is_file():
                raise DataError(f"the table `{table}` is missing: there is no {path}")
            self._datasets[table] = ds.dataset(path, format=self._format(path))
        return self._datasets[table]

    def _format(self, path: Path) -> ds.FileFormat:
        if self.name == "csv":
            names = _csv_header(path)
            options = pa_csv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=True
            )
            return ds.CsvFileFormat(convert_options=options)
        text = [
            f.name
            for f in ds.dataset(path, format="parquet").schema
            if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
        ]
        # No pre-buffering: it keeps the column chunks of every row group read so far until
        # the scan ends (1 GB for 100M events where the scan needs 0.1 GB), and it only pays
        # off on high-latency storage; local files read faster without it.
        return ds.ParquetFileFormat(
            read_options=ds.ParquetReadOptions(dictionary_columns=text),
            default_fragment_scan_options=ds.ParquetFragmentScanOptions(pre_buffer=False),
        )

    def _types(self, table: str, required: bool = True) -> dict:
        if not required and not self._path(table).is_file():
            return {}
        return {name: SCALARS[kind] for name, kind in self._kinds(table).items()}

    def _kinds(self, table: str) -> dict[str, str]:
        """Each column's kind: from the Parquet schema, or inferred from a CSV file's text."""
        dataset = self._dataset(table)
        if self.name == "csv":
            if table not in self._csv_kinds:
                kinds, integers = _infer_csv_kinds(self._path(table))
                self._csv_kinds[table], self._csv_integers[table] = kinds, integers
            return self._csv_kinds[table]
        return {
            f.name: t.kind for f in dataset.schema if (t := kind_of_arrow_type(f.type)) is not None
        }

    def _normalized(
        self, batch: pa.RecordBatch, kinds: dict[str, str], table: str
    ) -> pa.RecordBatch:
        """Canonical types; a CSV number column is int64 or float64 for the whole file (as
        inferred), not batch by batch."""
        batch = normalize_batch(batch, kinds, table)
        integers = self._csv_integers.get(table, set())
        if self.name != "csv" or not integers.intersection(batch.schema.names):
            return batch
        columns = [
            column.cast(pa.int64() if name in integers else pa.float64())
            if kinds.get(name) == "number"
            else column
            for name, column in zip(batch.schema.names, batch.columns, strict=True)
        ]
        return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)

    def _names(
        self,
        table: str,
        dataset: ds.Dataset,
        key: str,
        required: list[str],
        columns: Sequence[str] | None,
    ) -> list[str]:
        present = dataset.schema.names
        wanted = present if columns is None else list(columns)
        names = list(dict.fromkeys([key, *required, *wanted]))
        missing = [n for n in names if n not in present]
        if missing:
            listed = ", ".join(f"`{n}`" for n in missing)
            raise DataError(f"the `{table}` table ({self._path(table)}) has no column {listed}")
        return names


def _among_texts(column: pa.Array, values: pa.Array) -> pa.Array:
    """Where a text column (plain or dictionary) holds one of ``values``; null never."""
    if pa.types.is_dictionary(column.type):
        entries = column.dictionary
        hit = pc.is_in(entries, value_set=values.cast(entries.type)).fill_null(False)
        return hit.take(column.indices).fill_null(False)
    return pc.is_in(column, value_set=values.cast(column.type)).fill_null(False)


# ---- CSV types -------------------------------------------------------------------------------

_CSV_BLOCK = 1 << 20  # bytes of rows the kinds are inferred from
_WHOLE = r"^-?(0|[1-9][0-9]*)$"
_CSV_PATTERNS = (  # tried in order; a kind fits when every non-null value matches
    ("number", r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$"),
    ("bool", r"^(?i:true|false)$"),
    ("date", r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"),
    (
        "timestamp",
        r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-]00:?00)?$",
    ),
)


def _csv_header(path: Path) -> list[str]:
    import csv

    with path.open(newline="", encoding="utf-8") as file:
        return next(csv.reader(file), [])


def _infer_csv_kinds(path: Path) -> tuple[dict[str, str], set[str]]:
    """Column kinds from the first block of a CSV file read as text, and which number
    columns hold only whole numbers."""
    names = _csv_header(path)
    convert = pa_csv.ConvertOptions(
        column_types={n: pa.string() for n in names}, strings_can_be_null=True
    )
    reader = pa_csv.open_csv(
        path, read_options=pa_csv.ReadOptions(block_size=_CSV_BLOCK), convert_options=convert
    )
    first = reader.read_next_batch() if names else None
    kinds = {
        name: _csv_kind(first.column(i)) if first is not None else "text"
        for i, name in enumerate(names)
    }
    integers = {
        name
        for i, name in enumerate(names)
        if kinds[name] == "number"
        and pc.all(pc.match_substring_regex(first.column(i).drop_null(), _WHOLE)).as_py()
    }
    return kinds, integers


def _csv_kind(text: pa.Array) -> str:
    present = text.drop_null()
    if len(present) == 0:
        return "text"
    for kind, pattern in _CSV_PATTERNS:
        if pc.all(pc.match_substring_regex(present, pattern)).as_py():
            return kind
    return "text"
