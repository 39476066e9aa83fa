"""Writers: atomic text/CSV output and the canonical table as CSV or Parquet.

Every file is written to a temporary file in the target folder first and
moved into place with :func:`os.replace`, so a crash or a full disk never
leaves a half-written result behind under the final name.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from metalair._files import atomic_write, atomic_write_text, write_csv_rows
from metalair.tables.cycler import CyclerData

__all__ = ["atomic_write", "atomic_write_text", "write_csv_rows", "write_cycler_csv", "write_cycler_parquet"]


def write_cycler_csv(data: CyclerData, path: str | os.PathLike[str]) -> Path:
    """Write the canonical table as CSV (one column per attribute)."""
    cols = data.columns()
    names = list(cols)
    arrays = [cols[n] for n in names]
    return write_csv_rows(path, names, zip(*arrays))


def write_cycler_parquet(data: CyclerData, path: str | os.PathLike[str]) -> Path:
    """Write the canonical table as Parquet (pyarrow, a core dependency)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError("writing Parquet needs pyarrow, a dependency of metalair: "
                          "reinstall metalair (pip install metalair)") from None
    table = pa.table({name: np.asarray(values) for name, values in data.columns().items()})
    meta = {k: str(v) for k, v in data.metadata.items()}
    table = table.replace_schema_metadata({f"metalair.{k}": v for k, v in meta.items()})
    return atomic_write(path, lambda tmp: pq.write_table(table, tmp))
