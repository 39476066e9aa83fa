"""metalair benchmarks: whole-process wall time and peak memory of typical jobs.

Each case runs in a fresh Python process (so import time counts, as a user
would see it) and reports wall time and peak resident memory (ru_maxrss of
the child). Results are printed as a table and written to
``benchmarks/results/latest.json`` and ``latest.txt``.

Usage::

    python benchmarks/run.py                  # all cases, best of 3
    python benchmarks/run.py --twin           # also the PyBaMM twin (pip install -e ".[bench]")
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

_P6 = ("from metalair.workflows.cycling import run_cycling; "
       "r = run_cycling('{cat}', '500 mA/g', '500 mAh/g', 1000, '1.5 V', '4.8 V'); "
       "assert r.solution.ok and len(r.table) == 1000; print('life', r.life.cycle_life, file=__import__('sys').stderr)")
CASES = {
    "full discharge-charge NLRO (100 mA/g, 1.5-4.8 V)":
        "import metalair as ma; s = ma.simulate('NLRO'); assert s.ok",
    "full discharge-charge RuO2 (100 mA/g, 1.5-4.8 V)":
        "import metalair as ma; s = ma.simulate('RuO2'); assert s.ok",
    "P6: 1000 cycles NLRO (500 mA/g, 500 mAh/g)": _P6.format(cat="NLRO"),
    "P6: 1000 cycles RuO2 (500 mA/g, 500 mAh/g)": _P6.format(cat="RuO2"),
    "import metalair only":
        "import metalair",
}

_CHILD = r"""
import resource, sys, time
t0 = time.perf_counter()
exec(compile(sys.argv[1], "<case>", "exec"))
t1 = time.perf_counter()
print(t1 - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def run_case(code: str) -> tuple[float, float, float]:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _CHILD, code], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"benchmark case failed:\n{out.stderr}")
    wall = time.perf_counter() - start
    inner, rss_kb = out.stdout.split()[-2:]
    return wall, float(inner), float(rss_kb) / 1024.0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per case; the best is reported")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    ap.add_argument("--twin", action="store_true",
                    help="also run the PyBaMM twin comparison (needs the 'bench' extra: pybamm)")
    args = ap.parse_args(argv)
    # warm the compiled kernel's on-disk cache so that timings are of runs, not of compilation
    subprocess.run([sys.executable, "-c", "import metalair as ma; ma.simulate('NLRO', 'Rest for 1 min')"], check=True)
    rows = []
    for name, code in CASES.items():
        best = None
        for _ in range(args.repeat):
            r = run_case(code)
            best = r if best is None or r[0] < best[0] else best
        rows.append({"case": name, "process_wall_s": round(best[0], 3), "in_process_s": round(best[1], 3),
                     "peak_rss_MB": round(best[2], 1)})
    head = f"{'case':55s} {'process wall [s]':>16s} {'in-process [s]':>15s} {'peak RSS [MB]':>14s}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['case']:55s} {r['process_wall_s']:16.3f} {r['in_process_s']:15.3f} {r['peak_rss_MB']:14.1f}")
    try:
        import numba  # noqa: F401

        jit = "compiled kernel (numba)"
    except ImportError:
        jit = "plain-Python kernel (no numba)"
    info = (f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores, "
            f"best of {args.repeat}, {jit}")
    lines.append(info)
    text = "\n".join(lines)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.txt").write_text(text + "\n")
    (args.out / "latest.json").write_text(json.dumps({"machine": info, "rows": rows}, indent=2))
    print(f"written to {args.out / 'latest.txt'} and latest.json")
    if args.twin:
        import pybamm_twin  # noqa: PLC0415 - benchmark-only dependency

        twin_text = pybamm_twin.main(args.out)
        (args.out / "latest.txt").write_text(text + "\n\n" + twin_text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
