"""Arrow columns copied into preallocated numpy arrays, never a whole extra table.

Readers produce Arrow data in pieces (CSV slices, Parquet batches); copying each piece into a
preallocated numpy array keeps peak memory at the result plus one piece, and leaves the caller
with plain, writable numpy arrays that outlive the Arrow buffers. Shared by the CSV fast path
and the Parquet reader.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa


def fill(
    out: npt.NDArray[Any],
    start: int,
    column: pa.ChunkedArray | pa.Array,
    storage: pa.DataType | None = None,
) -> int:
    """Copy `column` (without nulls) into `out[start:]`; return the index after the last value.

    `storage` reinterprets the values first without converting them, e.g. `pa.int64()` for a
    timestamp[ns] or time64[ns] column, `pa.int32()` for date32.
    """
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    for chunk in chunks:
        values = chunk.view(storage) if storage is not None else chunk
        out[start : start + len(chunk)] = values.to_numpy(zero_copy_only=True)
        start += len(chunk)
    return start


def first_null(column: pa.ChunkedArray) -> int | None:
    """Index of the first null in `column`, or None when it has none."""
    start = 0
    for chunk in column.chunks:
        if chunk.null_count:
            valid = chunk.is_valid().to_numpy(zero_copy_only=False)
            return start + int(np.argmin(valid))
        start += len(chunk)
    return None
