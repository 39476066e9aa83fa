"""Whole-process time of ``metalair ensemble cycle --ensemble N`` for RuO2 and NLRO, and their bands.

Each catalyst runs in a fresh process (import, JIT warm-up and process-pool
start-up count, as a user sees them). The default inputs: ±0.1 eV uniform on
every d-band centre and ICOHP of the catalyst (6 inputs), Latin hypercube.
Prints a table and writes ``benchmarks/results/ensemble.json`` and ``.txt``.

Usage::

    python benchmarks/ensemble.py                 # N = 64, all CPUs
    python benchmarks/ensemble.py -n 128 --workers 2 --sobol 32
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(catalyst: str, n: int, workers: int | None, sobol: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        exe = Path(sys.executable).parent / "metalair"
        cmd = [str(exe) if exe.exists() else "metalair", "ensemble", "cycle", "-c", catalyst, "-n", str(n),
               "--out", tmp, "--no-plot"]
        if workers:
            cmd += ["--workers", str(workers)]
        if sobol:
            cmd += ["--sobol", str(sobol)]
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-2000:]}")
        doc = json.loads((Path(tmp) / catalyst / "ensemble.json").read_text())
        sob = None
        if sobol:
            sob = json.loads((Path(tmp) / catalyst / "sobol.json").read_text())
    return {"catalyst": catalyst, "n": n, "wall_s": wall, "stats": doc["stats"], "nominal": doc["nominal"],
            "stdout": p.stdout, "sobol": sob}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=64)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--sobol", type=int, default=0, help="also Sobol' indices with this many base samples")
    ap.add_argument("--catalysts", default="RuO2,NLRO")
    a = ap.parse_args()
    rows = [run(c, a.n, a.workers, a.sobol) for c in a.catalysts.split(",")]
    lines = [f"metalair ensemble cycle --ensemble {a.n}  ({platform.processor() or platform.machine()}, "
             f"{os.cpu_count()} CPUs, workers={a.workers or os.cpu_count()})",
             f"{'catalyst':<8} {'output':<28} {'nominal':>8} {'median':>8} {'90 % band':>16} {'failed':>6} "
             f"{'whole process [s]':>18}"]
    for r in rows:
        for o, s in r["stats"].items():
            lines.append(f"{r['catalyst']:<8} {o:<28} {r['nominal'].get(o) or float('nan'):>8.1f} {s['median']:>8.1f} "
                         f"[{s['p05']:>6.1f}, {s['p95']:>6.1f}] {s['failed']:>6d} {r['wall_s']:>18.1f}")
        if r["sobol"]:
            lines.append(r["stdout"].split("Sobol' indices", 1)[-1].strip()[:3000])
    text = "\n".join(lines)
    print(text)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "ensemble.json").write_text(json.dumps({"rows": [{k: v for k, v in r.items() if k != "stdout"}
                                                            for r in rows]}, indent=2))
    (out / "ensemble.txt").write_text(text + "\n")


if __name__ == "__main__":
    main()
