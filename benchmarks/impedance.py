"""Impedance benchmarks: DRT of a 60-point spectrum, a 3-element circuit fit and Lin-KK, timed;
pyDRTtools and impedance.py timed beside them when installed; DRT peaks cross-checked against pyDRTtools.

Each case is timed in this process after one warm-up call (imports and first-call costs excluded),
as the median of ``--repeat`` runs. The table is printed and written to
``benchmarks/results/impedance.txt`` and ``impedance.json``.

Reference tools (``pip install -e ".[bench]"``, then ``pip install --no-deps pyDRTtools==0.2``:
pyDRTtools 0.2 pins numpy==1.24.1, scipy==1.10.0 and PyQt5, so it is installed without its
pins; only its computational modules are imported, never the package ``__init__`` that loads
the Qt GUI). impedance.py 1.7.1's Lin-KK is known to fail under numpy 2; the error is
reported, not hidden.

Run: ``python benchmarks/impedance.py [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import platform
import statistics
import sys
import time
import types
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# this file is named impedance.py: keep its folder off the import path so `import impedance` finds impedance.py
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
LIB = ROOT / "tests" / "data" / "eis" / "LIB_data.txt"

SYNTH_CIRCUIT = "R0-p(R1,CPE1)-p(R2,CPE2)"
SYNTH_PARAMS = {"R0": 10.0, "R1": 50.0, "CPE1.Q": 1e-4, "CPE1.alpha": 0.8, "R2": 80.0, "CPE2.Q": 0.05,
                "CPE2.alpha": 0.85}
FIT_CIRCUIT = "R0-p(R1,CPE1)"  # three elements
FIT_PARAMS = {"R0": 10.0, "R1": 50.0, "CPE1.Q": 1e-4, "CPE1.alpha": 0.8}


def timed(fn, repeat):
    fn()  # warm-up
    times = []
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def spectra():
    from metalair.analysis.impedance.circuits import Circuit
    from metalair.io.impedance import read_impedance
    from metalair.tables.impedance import ImpedanceSpectrum

    f = np.logspace(5, -2, 60)
    rng = np.random.default_rng(0)
    z = Circuit(SYNTH_CIRCUIT).impedance(f, SYNTH_PARAMS)
    z = z + 0.002 * np.abs(z) * (rng.standard_normal(60) + 1j * rng.standard_normal(60))
    zfit = Circuit(FIT_CIRCUIT).impedance(f, FIT_PARAMS)
    zfit = zfit + 0.002 * np.abs(zfit) * (rng.standard_normal(60) + 1j * rng.standard_normal(60))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lib = read_impedance(LIB)
    return ImpedanceSpectrum.from_arrays(f, z), ImpedanceSpectrum.from_arrays(f, zfit), lib


def load_pydrttools():
    """pyDRTtools' computational module without running the package __init__ (which loads the Qt GUI)."""
    spec = importlib.util.find_spec("pyDRTtools")
    if spec is None or spec.submodule_search_locations is None:
        return None, "not installed"
    pkg = types.ModuleType("pyDRTtools")
    pkg.__path__ = list(spec.submodule_search_locations)
    sys.modules["pyDRTtools"] = pkg
    try:
        from pyDRTtools import runs
    except Exception as exc:  # report, do not hide
        return None, f"import failed: {type(exc).__name__}: {exc}"
    return runs, "ok"


def pydrt_run(runs, s):
    entry = runs.EIS_object(s.frequency_Hz, s.z_real, s.z_imag)
    return runs.simple_run(entry, rbf_type="Gaussian", data_used="Combined Re-Im Data", induct_used=1,
                           der_used="1st order", cv_type="GCV", reg_param=1e-3, shape_control="FWHM Coefficient",
                           coeff=0.5)


def pydrt_peaks(entry):
    from scipy.signal import find_peaks

    tau = np.asarray(entry.out_tau_vec, dtype=float).ravel()
    gamma = np.asarray(entry.gamma, dtype=float).ravel()
    idx, _ = find_peaks(gamma, prominence=0.02 * gamma.max())
    lam = np.asarray(getattr(entry, "lambda_value", math.nan), dtype=float).ravel()
    return tau[idx], float(lam[0])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from metalair._files import atomic_write_text
    from metalair.analysis.impedance import drt, fit_circuit, lin_kk

    synth, fit_spec, lib = spectra()
    rows = []  # (case, tool, seconds or None, note)

    t, r = timed(lambda: drt(synth), args.repeat)
    rows.append(("DRT, 60 points", "metalair", t, f"L-curve, lambda {r.lam:.2g}, {len(r.peaks)} peaks"))
    t, r = timed(lambda: drt(synth, lam="gcv"), args.repeat)
    rows.append(("DRT, 60 points", "metalair (GCV)", t, f"lambda {r.lam:.2g}, {len(r.peaks)} peaks"))
    t, fit = timed(lambda: fit_circuit(fit_spec, FIT_CIRCUIT), args.repeat)
    err = max(abs(fit[k] / v - 1) for k, v in FIT_PARAMS.items())
    rows.append(("3-element fit R0-p(R1,CPE1)", "metalair", t, f"8 starts, max rel. error {err:.2g}"))
    t, fit1 = timed(lambda: fit_circuit(fit_spec, FIT_CIRCUIT, n_starts=1), args.repeat)
    err1 = max(abs(fit1[k] / v - 1) for k, v in FIT_PARAMS.items())
    rows.append(("3-element fit R0-p(R1,CPE1)", "metalair (1 start)", t, f"max rel. error {err1:.2g}"))
    t, kk = timed(lambda: lin_kk(synth), args.repeat)
    rows.append(("Lin-KK, 60 points", "metalair", t, f"M = {kk.n_elements}, {'pass' if kk.passed else 'fail'}, "
                                                     f"max residual {100 * kk.max_residual:.2g} %"))

    # ---------------------------------------------------------------- pyDRTtools
    import io
    from contextlib import redirect_stdout

    with redirect_stdout(io.StringIO()):  # pyDRTtools prints sys.path and progress
        runs, status = load_pydrttools()
    cross = {}
    if runs is None:
        rows.append(("DRT, 60 points", "pyDRTtools", None, status))
    else:
        with redirect_stdout(io.StringIO()):  # pyDRTtools prints progress
            try:
                t, entry = timed(lambda: pydrt_run(runs, synth), args.repeat)
                rows.append(("DRT, 60 points", "pyDRTtools 0.2", t, "GCV from lambda0 = 1e-3, 1st order, cvxopt QP"))
                lib_entry = pydrt_run(runs, lib)
            except Exception as exc:
                rows.append(("DRT, 60 points", "pyDRTtools 0.2", None, f"failed: {type(exc).__name__}: {exc}"))
                lib_entry = None
        if lib_entry is not None:
            ref_tau, ref_lam = pydrt_peaks(lib_entry)
            ours = drt(lib)
            our_tau = np.array([p.tau_s for p in ours.peaks])
            pairs = []
            for rt in ref_tau:
                k = int(np.argmin(np.abs(np.log10(our_tau / rt))))
                pairs.append((float(rt), float(our_tau[k]), float(our_tau[k] / rt)))
            cross = {"pyDRTtools_lambda": ref_lam, "metalair_lambda": ours.lam, "metalair_method": ours.method,
                     "pairs": pairs, "all_within_factor_2": all(0.5 <= q <= 2.0 for _, _, q in pairs),
                     "pyDRTtools_peaks_s": [float(x) for x in ref_tau],
                     "metalair_peaks_s": [float(x) for x in our_tau]}

    # ---------------------------------------------------------------- impedance.py
    try:
        import impedance
        from impedance.models.circuits import CustomCircuit

        version = getattr(impedance, "__version__", "?")

        def ipy_fit():
            c = CustomCircuit(circuit="R0-p(R1,CPE1)", initial_guess=[8.0, 40.0, 2e-4, 0.7])
            c.fit(fit_spec.frequency_Hz, fit_spec.impedance)
            return c

        t, c = timed(ipy_fit, args.repeat)
        p = c.parameters_
        e = max(abs(p[0] / 10 - 1), abs(p[1] / 50 - 1), abs(p[2] / 1e-4 - 1), abs(p[3] / 0.8 - 1))
        rows.append(("3-element fit R0-p(R1,CPE1)", f"impedance.py {version}", t,
                     f"one start from a fixed guess, max rel. error {e:.2g}"))
        try:
            from impedance.validation import linKK

            t, _ = timed(lambda: linKK(synth.frequency_Hz, synth.impedance, c=0.85, max_M=100), args.repeat)
            rows.append(("Lin-KK, 60 points", f"impedance.py {version}", t, "works"))
        except Exception as exc:
            rows.append(("Lin-KK, 60 points", f"impedance.py {version}", None,
                         f"failed: {type(exc).__name__}: {str(exc)[:90]}"))
    except ImportError as exc:
        rows.append(("3-element fit R0-p(R1,CPE1)", "impedance.py", None, f"not installed ({exc})"))

    import numpy
    import scipy

    lines = [f"metalair impedance benchmarks (median of {args.repeat}, after one warm-up) - "
             f"Python {platform.python_version()}, numpy {numpy.__version__}, scipy {scipy.__version__}, "
             f"{platform.machine()}",
             f"{'case':<30}  {'tool':<28}  {'time':>10}  note"]
    for case, tool, secs, note in rows:
        shown = f"{1e3 * secs:8.1f} ms" if secs is not None else "       -  "
        lines.append(f"{case:<30}  {tool:<28}  {shown:>10}  {note}")
    if cross:
        lines.append("")
        lines.append(f"DRT peaks of LIB_data.txt: pyDRTtools (GCV, lambda {cross['pyDRTtools_lambda']:.3g}) against "
                     f"metalair ({cross['metalair_method']}, lambda {cross['metalair_lambda']:.3g})")
        for rt, ot, q in cross["pairs"]:
            lines.append(f"  tau pyDRTtools {rt:10.4g} s   metalair {ot:10.4g} s   ratio {q:6.3f}")
        lines.append(f"  every pyDRTtools peak has a metalair peak within a factor 2: {cross['all_within_factor_2']}")
    text = "\n".join(lines)
    print(text)
    out = HERE / "results"
    atomic_write_text(out / "impedance.txt", text + "\n")
    atomic_write_text(out / "impedance.json", json.dumps({
        "rows": [{"case": c, "tool": tl, "seconds": s, "note": n} for c, tl, s, n in rows],
        "cross_check": cross, "python": platform.python_version(), "numpy": numpy.__version__,
        "scipy": scipy.__version__}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
