"""One row per cycle (or per candidate, per fit parameter): :class:`SummaryTable`."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from metalair.tables.base import missing_column

__all__ = ["SummaryTable"]


@dataclass(frozen=True, eq=False)
class SummaryTable:
    """A small column table, one row per cycle, columns named with units.

    Columns are addressed as ``table["Discharge capacity [mAh/g]"]``; a wrong
    name raises :class:`~metalair.errors.KeyNotFoundError` suggesting close
    matches. ``str(table)`` is a readable text table; :meth:`to_csv` writes
    it atomically.
    """

    columns: dict[str, np.ndarray]
    capacity_unit: str
    mass_g: float | None = None
    coulombic_efficiency: str = "charge/discharge"
    notes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    @property
    def column_names(self) -> list[str]:
        """The column names, in order."""
        return list(self.columns)

    def __getitem__(self, key: str) -> np.ndarray:
        if key in self.columns:
            return self.columns[key]
        raise missing_column(key, self.columns)

    def __contains__(self, key: object) -> bool:
        return key in self.columns

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows())

    def rows(self) -> list[dict[str, Any]]:
        """The table as a list of ``{column: value}`` dicts."""
        names = list(self.columns)
        return [
            {n: (v.item() if hasattr(v, "item") else v) for n, v in zip(names, values)}
            for values in zip(*(self.columns[n] for n in names))
        ]

    def to_pandas(self) -> Any:
        """As a :class:`pandas.DataFrame` (pandas imported here, optional)."""
        import pandas as pd

        df = pd.DataFrame(self.columns)
        df.attrs["notes"] = list(self.notes)
        return df

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write one row per cycle as CSV, atomically (temp file + ``os.replace``)."""
        from metalair._files import write_csv_rows

        names = list(self.columns)
        return write_csv_rows(path, names, zip(*(self.columns[n] for n in names)))

    def to_parquet(self, path: str | os.PathLike[str]) -> Path:
        """Write one row per cycle as Parquet, atomically (pyarrow, a core dependency)."""
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:  # pragma: no cover - depends on the install
            raise ImportError("writing Parquet needs pyarrow, a dependency of metalair: "
                              "reinstall metalair (pip install metalair)") from None
        from metalair._files import atomic_write

        table = pa.table({n: np.asarray(v) for n, v in self.columns.items()})
        table = table.replace_schema_metadata({"metalair.notes": " | ".join(self.notes)})
        return atomic_write(path, lambda tmp: pq.write_table(table, tmp))

    def __str__(self) -> str:
        names = list(self.columns)
        if not names:
            return "(empty table)"
        cells = [[_cell(v) for v in self.columns[n]] for n in names]
        widths = [max(len(n), *(len(c) for c in col)) if col else len(n) for n, col in zip(names, cells)]
        lines = ["  ".join(n.rjust(w) for n, w in zip(names, widths))]
        for i in range(len(self)):
            lines.append("  ".join(col[i].rjust(w) for col, w in zip(cells, widths)))
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"SummaryTable({len(self)} cycles, capacities in {self.capacity_unit})"


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value or "-"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    if math.isnan(value):
        return "-"
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
        return f"{value:.4g}"
    return f"{value:.4f}" if abs(value) < 10 else f"{value:.2f}"
