"""Screening benchmarks: candidates per second of ``metalair screen`` (whole process, as a user runs it).

Cases (each a fresh ``metalair screen`` process on a local Dask cluster over all cores, so
interpreter start-up, imports, cluster start-up and numba cache loading all count):

1. N descriptor sets (Sobol sample over the d-band centre and ICOHP of every state and the
   free-energy overpotential, base RuO2), one full discharge–charge each (100 mA/g, 1.5–4.8 V),
   summary only (no time series, no plateau search);
2. the same with the time series kept and charge plateaus found (``summarize``), at a smaller N;
3. a cycling screen: N candidates, P6 protocol (500 mAh/g at 500 mA/g, 1.5–4.8 V), 100 cycles each.

Usage::

    python benchmarks/screen.py                         # 10,000 / 1,000 / 1,000 candidates
    python benchmarks/screen.py --n 2000 --n-plateaus 200 --n-cycling 200
    python benchmarks/screen.py --serial-n 200          # also the in-process serial rate

Prints a table and writes ``benchmarks/results/screen.json`` and ``screen.txt``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXE = Path(sys.executable).with_name("metalair")
SAMPLE = ["--sample", "descriptors.*.d_band_centre=-2.4:-1.2", "--sample", "descriptors.*.icohp=-2.4:-1.2",
          "--sample", "catalyst.free_energy_overpotential=0.1:1.0", "--catalyst", "RuO2"]


def run_screen(args: list[str], out: Path) -> tuple[float, dict]:
    t0 = time.perf_counter()
    proc = subprocess.run([str(EXE), "screen", *args, "--out", str(out), "--no-progress", "--overwrite"],
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"screen failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    manifest = json.loads((out / "manifest.json").read_text())
    return wall, manifest


def serial_rate(n: int, plateaus: bool) -> float:
    """Candidates per second of the evaluation alone, in this process, warm."""
    from metalair.sweeps.candidates import sample
    from metalair.sweeps.evaluate import ScreenSettings, evaluate_candidate

    ranges = {"descriptors.*.d_band_centre": (-2.4, -1.2), "descriptors.*.icohp": (-2.4, -1.2),
              "catalyst.free_energy_overpotential": (0.1, 1.0)}
    cands = sample(ranges, n, seed=1)
    s = ScreenSettings(catalyst="RuO2", plateaus=plateaus)
    evaluate_candidate(cands[0], s)  # warm-up (JIT cache, imports)
    t0 = time.perf_counter()
    for c in cands:
        evaluate_candidate(c, s)
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10000, help="descriptor sets, summary only")
    ap.add_argument("--n-plateaus", type=int, default=1000, help="descriptor sets with plateau search")
    ap.add_argument("--n-cycling", type=int, default=1000, help="candidates of the 100-cycle P6 screen")
    ap.add_argument("--cycles", type=int, default=100)
    ap.add_argument("--serial-n", type=int, default=200, help="candidates for the in-process serial rate (0: skip)")
    args = ap.parse_args()
    rows = []
    tmp = Path(tempfile.mkdtemp(prefix="metalair-bench-"))
    try:
        cases = [
            (f"{args.n} descriptor sets, full discharge-charge, summary only, --fast, serial",
             [*SAMPLE, "--n", str(args.n), "--summary-only", "--fast", "--scheduler", "serial"], args.n),
            (f"{args.n} descriptor sets, full discharge-charge, summary only",
             [*SAMPLE, "--n", str(args.n), "--summary-only"], args.n),
            (f"{args.n_plateaus} descriptor sets, full discharge-charge, with plateaus",
             [*SAMPLE, "--n", str(args.n_plateaus)], args.n_plateaus),
            (f"{args.n_cycling} candidates, P6 cycling, {args.cycles} cycles each",
             [*SAMPLE, "--n", str(args.n_cycling), "--no-full", "--cycle", "--cycles", str(args.cycles),
              "--cycle-current", "500 mA/g", "--cycle-capacity", "500 mAh/g"], args.n_cycling),
        ]
        for label, a, n in cases:
            if n <= 0:
                continue
            out = tmp / f"case{len(rows)}"
            wall, man = run_screen(a, out)
            rows.append({"case": label, "candidates": n, "whole_process_s": round(wall, 2),
                         "sweep_s": man.get("wall_time_s"), "candidates_per_s": round(n / wall, 1),
                         "batches": man.get("n_batches"), "failed": man.get("failed"), "mode": man.get("mode"),
                         "extrapolated_10000_s": round(10000 * wall / n, 1)})
            print(f"{label}: {wall:.1f} s ({n / wall:.1f}/s)", file=sys.stderr)
        if args.serial_n > 0:
            for plateaus in (False, True):
                r = serial_rate(args.serial_n, plateaus)
                rows.append({"case": f"serial in-process evaluation, {'with plateaus' if plateaus else 'summary only'}"
                             f" ({args.serial_n} warm)", "candidates": args.serial_n, "whole_process_s": None,
                             "sweep_s": round(args.serial_n / r, 2), "candidates_per_s": round(r, 1),
                             "batches": None, "failed": None, "mode": "serial", "extrapolated_10000_s":
                             round(10000 / r, 1)})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    head = f"{'case':<72s} {'N':>6s} {'whole s':>8s} {'sweep s':>8s} {'cand/s':>8s} {'10k est s':>9s}"
    lines = [head, "-" * len(head)]
    for r in rows:
        def f(v):
            return f"{v:8.1f}" if isinstance(v, (int, float)) else f"{'-':>8s}"
        lines.append(f"{r['case']:<72s} {r['candidates']:6d} {f(r['whole_process_s'])} {f(r['sweep_s'])} "
                     f"{f(r['candidates_per_s'])} {f(r['extrapolated_10000_s']):>9s}")
    info = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "date": time.strftime("%Y-%m-%d %H:%M:%S"), "rows": rows}
    text = "\n".join(lines + ["", info["machine"], info["date"]])
    print(text)
    (HERE / "results").mkdir(exist_ok=True)
    from metalair._files import atomic_write_text

    atomic_write_text(HERE / "results" / "screen.json", json.dumps(info, indent=2))
    atomic_write_text(HERE / "results" / "screen.txt", text + "\n")


if __name__ == "__main__":
    main()
