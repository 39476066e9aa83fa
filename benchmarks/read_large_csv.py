"""Read a generated 2-million-row cycler CSV: wall time and peak memory against the file size.

Target (issue 10): peak memory <= 5x the file size. Run:

    .venv/bin/python benchmarks/read_large_csv.py [--rows 2000000]

Each measurement runs in fresh subprocesses: the wall time and the growth of the
process's peak resident set size over the interpreter with metalair imported
(``ru_maxrss``) from a plain run, and the peak of ``tracemalloc`` (every
allocation Python and NumPy make while reading) from a second run, since tracing
every allocation makes the read about three times slower. The table is printed and written to
``benchmarks/results/read_large_csv.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "read_large_csv.md"

CHILD = r"""
import json, resource, sys, time, tracemalloc, warnings
import metalair.io, metalair.workflows.analyze
mode, path, traced = sys.argv[1], sys.argv[2], sys.argv[3] == "traced"
cmap = {"time_s": "Time (s)", "voltage_V": "Voltage (V)", "current_A": ("Current (mA)", "mA")}
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
warnings.simplefilter("ignore")
if traced:
    tracemalloc.start()
t0 = time.perf_counter()
if mode == "read":
    data = metalair.io.read(path, column_map=cmap)
    rows = len(data)
else:
    res = metalair.workflows.analyze.analyze_file(path, column_map=cmap, figures=False)
    rows = len(res.data)
wall = time.perf_counter() - t0
peak = tracemalloc.get_traced_memory()[1] if traced else 0
tracemalloc.stop()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base
print(json.dumps({"rows": rows, "wall_s": wall, "tracemalloc_peak": peak, "rss_growth": rss * 1024}))
"""


def make_csv(path: Path, rows: int, seed: int = 0) -> None:
    """Galvanostatic cycling at 1 mA, 10 s per point, 1000-point half-cycles with a sloping voltage."""
    rng = np.random.default_rng(seed)
    k = np.arange(rows)
    half = (k // 1000) % 2  # 0 discharge, 1 charge
    frac = (k % 1000) / 1000.0
    voltage = np.where(half == 0, 2.8 - 0.6 * frac, 3.8 + 0.4 * frac) + rng.normal(0, 1e-4, rows)
    current = np.where(half == 0, -1.0, 1.0)  # mA, charge positive (the usual vendor sign)
    with open(path, "w") as fh:
        fh.write("Time (s),Voltage (V),Current (mA)\n")
        block = 200_000
        for a in range(0, rows, block):
            b = min(rows, a + block)
            lines = [f"{10.0 * i:.1f},{v:.5f},{c:.3f}" for i, v, c in zip(k[a:b], voltage[a:b], current[a:b])]
            fh.write("\n".join(lines) + "\n")


def _child(mode: str, path: Path, traced: bool) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(path), "traced" if traced else "plain"],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(mode: str, path: Path) -> dict:
    """Wall time from a plain run; peak memory from a second run under ``tracemalloc`` (which slows it ~3x)."""
    plain = _child(mode, path, traced=False)
    traced = _child(mode, path, traced=True)
    return {"rows": plain["rows"], "wall_s": plain["wall_s"], "traced_wall_s": traced["wall_s"],
            "tracemalloc_peak": traced["tracemalloc_peak"], "rss_growth": plain["rss_growth"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "large.csv"
        t0 = time.perf_counter()
        make_csv(path, args.rows)
        size = os.path.getsize(path)
        print(f"generated {args.rows} rows, {size / 1e6:.1f} MB in {time.perf_counter() - t0:.1f} s")
        rows = []
        for mode in ("read", "analyze"):
            r = measure(mode, path)
            rows.append((mode, r))
    lines = [
        f"# read_large_csv ({args.rows} rows, {size / 1e6:.1f} MB CSV, target peak <= 5x file size)",
        "",
        "| what | rows | wall time [s] | peak (tracemalloc) [MB] | x file | peak RSS growth [MB] | x file |",
        "|---|---|---|---|---|---|---|",
    ]
    for mode, r in rows:
        what = "metalair.io.read" if mode == "read" else "analyze_file (read + classify + cycle table)"
        lines.append(f"| {what} | {r['rows']} | {r['wall_s']:.2f} | {r['tracemalloc_peak'] / 1e6:.0f} | "
                     f"{r['tracemalloc_peak'] / size:.2f} | {r['rss_growth'] / 1e6:.0f} | {r['rss_growth'] / size:.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
