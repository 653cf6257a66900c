"""Bars in Parquet: the storage format for downloaded and converted history.

Parquet keeps float64 prices bit-exact, timestamps as real UTC timestamps that pandas, polars and
DuckDB understand, and loads far faster than CSV. The layout is fixed: columns `ts`
(timestamp[ns, tz=UTC]), `open`, `high`, `low`, `close`, `volume` (float64).

Writes go to a temporary file that replaces the target only when complete, so a crash never
leaves half a file, and only series that pass validation are written, so what saves also loads.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from scalpbot.data.arrow_columns import fill, first_null
from scalpbot.data.series import BarSeries
from scalpbot.data.text_values import IST_OFFSET_NS
from scalpbot.data.validate import find_problem
from scalpbot.domain.errors import DataError

PARQUET_SUFFIXES = (".parquet", ".pq")
COLUMNS = ("ts", "open", "high", "low", "close", "volume")
_PRICES = COLUMNS[1:]
_TS_TYPE = pa.timestamp("ns", tz="UTC")
_BATCH_ROWS = 65_536


def _row(index: int) -> str:
    return f"row {index + 1}"


def save_bars(series: BarSeries, path: str | Path) -> Path:
    """Write `series` to the Parquet file `path` (replacing it); return the path.

    Raises DataError if the series is empty or breaks a rule (see `validate.find_problem`), or
    if the file cannot be written.
    """
    file = Path(path)
    if file.suffix.lower() not in PARQUET_SUFFIXES:
        raise DataError(f"{file}: a Parquet file must end in {' or '.join(PARQUET_SUFFIXES)}")
    what = series.source or "bars"
    if len(series) == 0:
        raise DataError(f"cannot save {what} to {file}: the series has no bars")
    problem = find_problem(series, _row)
    if problem is not None:
        raise DataError(f"cannot save {what} to {file}: {problem}")
    table = pa.table(
        {
            "ts": pa.array(series.ts, type=_TS_TYPE),
            **{name: pa.array(getattr(series, name), type=pa.float64()) for name in _PRICES},
        }
    )
    temporary = file.with_name(f".{file.name}.{os.getpid()}.partial")
    try:
        pq.write_table(table, temporary, row_group_size=_BATCH_ROWS)
        os.replace(temporary, file)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise DataError(f"{file}: cannot write: {exc}") from exc
    return file


def _check_schema(file: Path, schema: pa.Schema) -> None:
    missing = [name for name in COLUMNS if name not in schema.names]
    if missing:
        raise DataError(
            f"{file}: missing column(s) {', '.join(missing)}; a bar file has columns "
            f"{', '.join(COLUMNS)}"
        )
    ts_type = schema.field("ts").type
    if not pa.types.is_timestamp(ts_type):
        raise DataError(f"{file}: column ts must be a timestamp, not {ts_type}")
    for name in _PRICES:
        kind = schema.field(name).type
        if not (pa.types.is_floating(kind) or pa.types.is_integer(kind)):
            raise DataError(f"{file}: column {name} must be numeric, not {kind}")


def _open(file: Path) -> pq.ParquetFile:
    try:
        parquet = pq.ParquetFile(file)
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{file}: not a readable Parquet file: {exc}") from exc
    _check_schema(file, parquet.schema_arrow)
    if parquet.metadata.num_rows == 0:
        raise DataError(f"{file}: the file holds no bars")
    return parquet


def _fill_batch(
    file: Path, table: pa.Table, columns: dict[str, npt.NDArray[Any]], start: int
) -> None:
    """Copy one row group into the result columns at `start`, converting types as needed."""
    for name in COLUMNS:
        array = table.column(name)
        row = first_null(array)
        if row is not None:
            raise DataError(f"{file}: {_row(start + row)}: missing value in column {name}")
        try:
            if name == "ts":
                fill(columns[name], start, array.cast(_TS_TYPE), pa.int64())
            else:
                fill(columns[name], start, array.cast(pa.float64()))
        except pa.ArrowInvalid as exc:
            raise DataError(f"{file}: column {name} near {_row(start)}: {exc}") from exc


def read_parquet(file: Path, *, allow_equal: bool = False) -> BarSeries:
    """Bars of a Parquet file with the columns above; naive timestamps are taken as IST.

    `allow_equal` lets rows share a timestamp (see `validate.find_problem`). Row groups are
    read one at a time into preallocated columns, so peak memory is the result plus one row
    group (`save_bars` writes groups of 65,536 rows). Raises DataError naming the file, the
    (1-based) row and the problem.
    """
    parquet = _open(file)
    rows = parquet.metadata.num_rows
    columns: dict[str, npt.NDArray[Any]] = {
        name: np.empty(rows, dtype=np.int64 if name == "ts" else np.float64) for name in COLUMNS
    }
    start = 0
    try:
        for group in range(parquet.num_row_groups):
            table = parquet.read_row_group(group, columns=list(COLUMNS))
            _fill_batch(file, table, columns, start)
            start += table.num_rows
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{file}: not a readable Parquet file: {exc}") from exc
    ts = columns["ts"]
    if parquet.schema_arrow.field("ts").type.tz is None:
        if ts.min() < np.iinfo(np.int64).min + IST_OFFSET_NS:
            raise DataError(f"{file}: column ts: a timestamp is too early to convert from IST")
        ts -= IST_OFFSET_NS
    series = BarSeries(
        ts,
        columns["open"],
        columns["high"],
        columns["low"],
        columns["close"],
        columns["volume"],
        str(file),
    )
    problem = find_problem(series, _row, allow_equal=allow_equal)
    if problem is not None:
        raise DataError(f"{file}: {problem}")
    return series
