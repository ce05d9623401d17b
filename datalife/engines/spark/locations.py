"""Sources only Spark reaches: locations with a scheme, and tables of Spark's catalog.

A location is a path with a scheme (``hdfs://``, ``s3a://``, ``abfss://``, ``gs://``,
``file://``...), a file, a directory or a glob. Spark lists it (the ``binaryFile`` source,
reading only the names, sizes and modification times: classic Spark and Spark Connect
alike), and each listed data file becomes one source, read as :mod:`datalife.reading` decides
for a local file: the format from the suffix, and for CSV the dialect and header that DuckDB's
sniffer finds in the head of the first CSV file (its first lines, fetched by Spark). The other
CSV files must have the same header: Spark checks each file's header against it
(``enforceSchema`` off), so a file whose columns differ is an error, never misread. JSON lines
take their columns from the head of the first file; Parquet files their stored types from
Spark's reading of the first one's footer.

Such files are not on this machine, so their identity is their listing: each file's content
hash is a fingerprint of its location, size and modification time (``listing:`` prefix), not
of its bytes, and the lineage log does not record them (``datalife lineage verify`` could not
re-hash them). A table is read with ``spark.table(name)`` and validated as a Spark DataFrame.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from datalife.errors import InputError
from datalife.reading import Source, detect_format

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["LocationSource", "is_location", "read_table", "resolve_locations"]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
#: lines of the first file fetched to decide the CSV dialect and header
HEAD_LINES = 64


def is_location(item: object) -> bool:
    """True for a path with a scheme (``hdfs://...``): read by Spark, not from this machine."""
    return isinstance(item, str) and bool(_SCHEME.match(item))


@dataclass
class LocationSource(Source):
    """One file of a location, as Spark lists it."""

    uri: str = ""
    modified: str = ""
    on_disk: ClassVar[bool] = False

    @property
    def display(self) -> str:
        return self.uri

    def fingerprint(self) -> str:
        """The file's identity: its location, size and modification time."""
        text = f"{self.uri}\0{self.size}\0{self.modified}"
        return "listing:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def _hidden(uri: str) -> bool:
    name = uri.rstrip("/").rsplit("/", 1)[-1]
    return name.startswith(("_", ".")) or name.endswith(".crc")


def _list(spark: SparkSession, item: str) -> list[tuple[str, int, str]]:
    from datalife.engines.spark.validate import spark_action

    def listing() -> list[Any]:
        df = spark.read.format("binaryFile").load(item)
        return df.select("path", "length", "modificationTime").collect()

    try:
        rows = spark_action([item], listing)
    except InputError as exc:
        raise InputError(
            f"{item}: Spark cannot list this location: {exc.message.split(': ', 2)[-1]}",
            path=item,
            hint="check the location (scheme, bucket or name node, path, glob) and that "
            "Spark has the connector and credentials for it.",
        ) from None
    return [(str(r[0]), int(r[1]), str(r[2])) for r in rows]


def resolve_locations(
    spark: SparkSession, items: Sequence[str], delimiter: str | None = None
) -> list[LocationSource]:
    """The data files of ``items`` (locations), each with its reading decided."""
    from datalife.reading.sources import _csv_header, _jsonl_columns

    found: list[LocationSource] = []
    for item in items:
        listed = [row for row in _list(spark, item) if not _hidden(row[0])]
        data = [row for row in listed if detect_format(Path(row[0].rsplit("/", 1)[-1]))]
        if not data:
            what = (
                f"{len(listed)} file(s), none CSV, Parquet or JSON lines"
                if listed
                else "no file (names starting with _ or . are not data)"
            )
            raise InputError(
                f"{item}: {what}",
                path=item,
                hint="name files ending in .csv, .tsv, .parquet, .jsonl or .ndjson "
                "(optionally .gz), or a directory or glob that holds them.",
            )
        for uri, size, modified in sorted(data):
            fmt = detect_format(Path(uri.rsplit("/", 1)[-1]))
            assert fmt is not None
            found.append(
                LocationSource(Path(uri.split("://", 1)[-1]), fmt, size, uri=uri, modified=modified)
            )
    decided: dict[str, LocationSource] = {}
    for src in found:
        first = decided.setdefault(src.format, src)
        if first is src:
            if src.format == "parquet":
                from datalife.engines.spark.reading import stored_of_schema

                src.types = stored_of_schema(spark.read.parquet(_escaped(src.uri)).schema)
                src.columns = list(src.types)
            else:
                with tempfile.TemporaryDirectory(prefix="datalife-head-") as tmp:
                    head = Path(tmp) / ("head.csv" if src.format == "csv" else "head.jsonl")
                    head.write_text("\n".join(_head(spark, src.uri)) + "\n", encoding="utf-8")
                    if src.format == "csv":
                        cols, delim, quote, escape = _csv_header(head, delimiter)
                        src.columns, src.delimiter, src.quote, src.escape = (
                            cols,
                            delim,
                            quote,
                            escape,
                        )
                    else:
                        src.columns = _jsonl_columns(head)
        else:
            src.columns = list(first.columns)
            src.types = dict(first.types) if first.types is not None else None
            src.delimiter, src.quote, src.escape = first.delimiter, first.quote, first.escape
        src.content_hash = src.fingerprint()
    return found


def _escaped(uri: str) -> str:
    return re.sub(r"([\[\]{}*?\\])", r"\\\1", uri)


def _head(spark: SparkSession, uri: str) -> list[str]:
    from datalife.engines.spark.validate import spark_action

    rows = spark_action([uri], lambda: spark.read.text(_escaped(uri)).limit(HEAD_LINES).collect())
    if not rows:
        raise InputError(
            f"{uri}: the file is empty (no header)",
            path=uri,
            hint="write the column names on the first line.",
        )
    return [str(r[0]) for r in rows]


def has_more_than_header(spark: SparkSession, src: LocationSource) -> bool:
    """Whether a CSV location holds a line after its header (JSON lines, Parquet: any row)."""
    lines = spark.read.text(_escaped(src.uri)).limit(2).count()
    return bool(lines > (1 if src.format == "csv" else 0))


def read_table(spark: SparkSession, name: str) -> DataFrame:
    """Table ``name`` of Spark's catalog (``db.table`` or ``catalog.db.table``, or a view)."""
    from datalife.engines.spark.validate import spark_action

    try:
        return spark_action([name], lambda: _table(spark, name))
    except InputError:
        raise InputError(
            f"table {name!r}: Spark's catalog has no such table or view",
            path=name,
            hint="name it as Spark does (db.table, catalog.db.table); `SHOW TABLES` in Spark "
            "lists them.",
        ) from None


def _table(spark: SparkSession, name: str) -> DataFrame:
    df = spark.table(name)
    _ = df.schema  # Spark Connect resolves lazily: ask now, so a missing table fails here
    return df
