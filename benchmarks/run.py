"""metalair benchmarks: whole-process wall time and peak memory of typical jobs.

Each case runs in a fresh Python process (so import time counts, as a user
would see it) and reports wall time and peak resident memory (ru_maxrss of
the child). Results are printed as a table and written to
``benchmarks/results/latest.json`` and ``latest.txt``.

The command a user runs, ``metalair cycle --catalyst NLRO --current 500mA/g
--capacity 500mAh/g --cycles 1000 --out DIR`` (table, summary and figure
written), is timed as a whole process, after the package is byte-compiled (as
``pip install`` does) and one warm-up run has filled numba's on-disk cache,
with a breakdown of where its time goes (Python start, imports, the run
without the figure). When PyBaMM is installed (the ``bench``
extra), its standard single-particle model (SPM, Chen2020 parameters, IDAKLU
solver) runs 1000 capacity-limited cycles in the same session for comparison.

Usage::

    python benchmarks/run.py                  # all cases, best of 3
    python benchmarks/run.py --cli-only       # only the CLI command and its breakdown
    python benchmarks/run.py --twin           # also the PyBaMM twin (pip install -e ".[bench]")
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
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


#: The command of the issue, as a user types it (DIR is replaced by a temporary folder).
CLI_ARGS = ["cycle", "--catalyst", "NLRO", "--current", "500mA/g", "--capacity", "500mAh/g", "--cycles", "1000",
            "--out", "DIR", "--overwrite"]  # --overwrite: every timed run writes into the same folder

#: PyBaMM's standard SPM doing 1000 cycles (1C for 30 min each way, Chen2020, PyBaMM defaults otherwise;
#: only cycles 1 and the last are kept, as metalair keeps a few), timed inside its process.
_SPM = r"""
import sys, time
t0 = time.perf_counter()
import pybamm
t1 = time.perf_counter()
n = int(sys.argv[1])
model = pybamm.lithium_ion.SPM()
cycle = ("Discharge at 1C for 30 minutes or until 2.5 V", "Charge at 1C for 30 minutes or until 4.2 V")
sim = pybamm.Simulation(model, parameter_values=pybamm.ParameterValues("Chen2020"),
                        experiment=pybamm.Experiment([cycle] * n), solver=pybamm.IDAKLUSolver())
sol = sim.solve(save_at_cycles=[1, n])
t2 = time.perf_counter()
assert len(sol.cycles) == n, len(sol.cycles)
print(t1 - t0, t2 - t1)
"""


def _metalair_command() -> list[str]:
    script = Path(sys.executable).with_name("metalair")
    return [str(script)] if script.exists() else [sys.executable, "-m", "metalair.cli.app"]


def _timed(cmd: list[str]) -> tuple[float, float, float]:
    """Whole-process wall time, CPU time (user + system) and peak RSS [MB] of one command."""
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        # close_fds=False lets Python start it with posix_spawn (vfork): the peak RSS is the command's own
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, close_fds=False)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            log.seek(0)
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{log.read()[-3000:].decode()}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0


def _best(cmd: list[str], repeat: int) -> tuple[float, float, float, float]:
    """The fastest of ``repeat`` runs (wall, CPU, RSS), and the median wall time of them all."""
    runs = [_timed(cmd) for _ in range(repeat)]
    wall, cpu, rss = min(runs, key=lambda r: r[0])
    return wall, cpu, rss, statistics.median(r[0] for r in runs)


def cli_rows(repeat: int) -> list[dict]:
    """The CLI command as a whole process, and the pieces of it."""
    ml = _metalair_command()
    out_dir = Path(tempfile.mkdtemp(prefix="metalair-bench-"))
    full = ml + [a if a != "DIR" else str(out_dir) for a in CLI_ARGS]
    try:
        _timed(full)  # warm-up: fills numba's on-disk cache and the OS file cache
        for name in ("cycles.csv", "summary.json", "cycling.png"):
            if not (out_dir / name).exists():
                raise RuntimeError(f"the CLI wrote no {name}")
        pieces = [
            ("python start (python -c pass)", [sys.executable, "-c", "pass"]),
            ("import metalair.cli.app (command line only)", [sys.executable, "-c", "import metalair.cli.app"]),
            ("import the cell model (numpy, numba, kernel)",
             [sys.executable, "-c", "import metalair.protocols.simulation"]),
            ("metalair --version", ml + ["--version"]),
            ("metalair cycle ... --no-plot (no figure)", full + ["--no-plot", "--no-progress"]),
            ("metalair cycle ... (table, summary, figure)", full),
        ]
        rows = []
        for label, cmd in pieces:
            wall, cpu, rss, median = _best(cmd, repeat)
            rows.append({"case": label, "process_wall_s": round(wall, 3), "median_wall_s": round(median, 3),
                         "cpu_s": round(cpu, 3), "peak_rss_MB": round(rss, 1)})
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    return rows


def spm_row(cycles: int = 1000) -> dict | None:
    """PyBaMM's SPM doing ``cycles`` cycles (None when pybamm is not installed)."""
    if importlib.util.find_spec("pybamm") is None:
        return None
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _SPM, str(cycles)], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(f"PyBaMM SPM failed:\n{out.stderr[-3000:]}")
    imp, solve = (float(x) for x in out.stdout.split()[-2:])
    return {"case": f"PyBaMM SPM, {cycles} cycles (Chen2020, IDAKLU, experiment)", "process_wall_s": round(wall, 3),
            "import_s": round(imp, 3), "build_and_solve_s": round(solve, 3)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per case; the best is reported")
    ap.add_argument("--out", type=Path, default=HERE / "results")
    ap.add_argument("--twin", action="store_true",
                    help="also run the PyBaMM twin comparison (needs the 'bench' extra: pybamm)")
    ap.add_argument("--cli-only", action="store_true", help="only the CLI command, its breakdown and PyBaMM's SPM")
    ap.add_argument("--no-spm", action="store_true", help="skip PyBaMM's SPM even when pybamm is installed")
    args = ap.parse_args(argv)
    # byte-compile the package as 'pip install' does: an editable install under PYTHONDONTWRITEBYTECODE=1
    # (as on the CI and development machines) would otherwise compile ~30 modules from source in every run
    spec = importlib.util.find_spec("metalair")
    if spec is not None and spec.origin is not None:
        compileall.compile_dir(str(Path(spec.origin).parent), quiet=1)
    # warm the compiled kernel's on-disk cache so that timings are of runs, not of compilation
    subprocess.run([sys.executable, "-c", "import metalair as ma; ma.simulate('NLRO', 'Rest for 1 min')"], check=True)
    # not imported here: a forked child's peak RSS starts from this process's
    jit = "compiled kernel (numba)" if importlib.util.find_spec("numba") else "plain-Python kernel (no numba)"
    load = os.getloadavg()[0]
    info = (f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores, "
            f"best of {args.repeat}, {jit}, load average {load:.1f} at the start")
    lines: list[str] = []
    rows = []
    if not args.cli_only:
        for name, code in CASES.items():
            best = None
            for _ in range(args.repeat):
                r = run_case(code)
                best = r if best is None or r[0] < best[0] else best
            rows.append({"case": name, "process_wall_s": round(best[0], 3), "in_process_s": round(best[1], 3),
                         "peak_rss_MB": round(best[2], 1)})
        head = f"{'case':55s} {'process wall [s]':>16s} {'in-process [s]':>15s} {'peak RSS [MB]':>14s}"
        lines += [head, "-" * len(head)]
        for r in rows:
            lines.append(f"{r['case']:55s} {r['process_wall_s']:16.3f} {r['in_process_s']:15.3f} "
                         f"{r['peak_rss_MB']:14.1f}")
        lines.append("")
    cli = cli_rows(args.repeat)
    lines.append("metalair " + " ".join(CLI_ARGS) + " (whole process):")
    head = (f"{'case':55s} {'process wall [s]':>16s} {'median [s]':>11s} {'CPU [s]':>9s} "
            f"{'peak RSS [MB]':>14s}")
    lines += [head, "-" * len(head)]
    for r in cli:
        lines.append(f"{r['case']:55s} {r['process_wall_s']:16.3f} {r['median_wall_s']:11.3f} {r['cpu_s']:9.3f} "
                     f"{r['peak_rss_MB']:14.1f}")
    spm = None if args.no_spm else spm_row()
    full = cli[-1]["process_wall_s"]
    if spm is not None:
        lines.append(f"{spm['case']:55s} {spm['process_wall_s']:16.3f}   (import {spm['import_s']:.2f} s, "
                     f"build and solve {spm['build_and_solve_s']:.2f} s)")
        lines.append(f"metalair CLI (whole process) is {spm['process_wall_s'] / full:.1f}x faster than PyBaMM's SPM "
                     f"on 1000 cycles (target: >= 10x); CLI target <= 1.5 s (best of the runs; the median "
                     f"is {cli[-1]['median_wall_s']:.2f} s)")
    elif not args.no_spm:
        lines.append("PyBaMM not installed (pip install -e '.[bench]'): SPM comparison skipped")
    lines.append(info)
    text = "\n".join(lines)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.txt").write_text(text + "\n")
    (args.out / "latest.json").write_text(json.dumps({"machine": info, "rows": rows, "cli": cli, "pybamm_spm": spm},
                                                     indent=2))
    print(f"written to {args.out / 'latest.txt'} and latest.json")
    if args.twin:
        import pybamm_twin

        twin_text = pybamm_twin.main(args.out)
        (args.out / "latest.txt").write_text(text + "\n\n" + twin_text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
