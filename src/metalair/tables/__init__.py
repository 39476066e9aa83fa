"""The table layer: the column tables every other layer exchanges.

Below :mod:`metalair.analysis`, :mod:`metalair.io` and :mod:`metalair.plotting`:
readers produce these tables, analyses consume them, writers store them, and
none of those layers needs to import another to do so.
"""

from metalair.tables.base import missing_column, suggest
from metalair.tables.cycler import STEP_TYPES, CyclerData, infer_steps_from_current, step_starts
from metalair.tables.summary import SummaryTable
from metalair.tables.writers import write_cycler_csv, write_cycler_parquet

__all__ = [
    "CyclerData", "STEP_TYPES", "SummaryTable", "infer_steps_from_current", "missing_column", "step_starts",
    "suggest", "write_cycler_csv", "write_cycler_parquet",
]
