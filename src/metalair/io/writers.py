"""Writers: atomic text/CSV output and the canonical table as CSV or Parquet.

Every file is written to a temporary file in the target folder first and
moved into place with :func:`os.replace`, so a crash or a full disk never
leaves a half-written result behind under the final name.
"""

from __future__ import annotations

import csv
import io
import os
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from metalair.io.table import CyclerData

__all__ = ["atomic_write", "atomic_write_text", "write_csv_rows", "write_cycler_csv", "write_cycler_parquet"]


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` and move the result to ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # a unique name in the same folder (same file system, so os.replace is atomic);
    # created with open(..., "x") so the final file gets the usual umask permissions
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")
    with open(tmp, "x"):
        pass
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding=encoding))


def _fmt(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return "" if np.isnan(value) else repr(float(value))
    if isinstance(value, (np.integer,)):
        return str(int(value))
    return str(value)


def write_csv_rows(path: str | os.PathLike[str], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    """Write a header and rows as CSV atomically (NaN becomes an empty field)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_fmt(v) for v in row])
    return atomic_write_text(path, buf.getvalue())


def write_cycler_csv(data: CyclerData, path: str | os.PathLike[str]) -> Path:
    """Write the canonical table as CSV (one column per attribute)."""
    cols = data.columns()
    names = list(cols)
    arrays = [cols[n] for n in names]
    return write_csv_rows(path, names, zip(*arrays))


def write_cycler_parquet(data: CyclerData, path: str | os.PathLike[str]) -> Path:
    """Write the canonical table as Parquet (needs ``metalair[parquet]``)."""
    try:
        import pyarrow as pa  # noqa: PLC0415 - optional dependency
        import pyarrow.parquet as pq  # noqa: PLC0415
    except ImportError:
        raise ImportError("writing Parquet needs pyarrow: pip install 'metalair[parquet]'") from None
    table = pa.table({name: np.asarray(values) for name, values in data.columns().items()})
    meta = {k: str(v) for k, v in data.metadata.items()}
    table = table.replace_schema_metadata({f"metalair.{k}": v for k, v in meta.items()})
    return atomic_write(path, lambda tmp: pq.write_table(table, tmp))
