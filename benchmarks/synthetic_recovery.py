"""Synthetic recovery: noisy data from known parameters, recalibrated; how often the truth is inside the 95 % interval.

Truth: i0_dec_NaO2 = 3e-3 A/m², beta_fe = 0.43 (0.6 and 1.09 times the values shipped when it was
written; 1.03 and 1.12 times today's).
Data: first charge plateau, mean charge and mean discharge voltage of NLRO and RuO2 on a short protocol
(1500 mAh/g discharge at 200 mA/g, charge to 4.8 V) plus Gaussian noise of 10 mV. Each seed: new noise, a
start +-30 % off the shipped values, one calibration. Prints the per-parameter and joint coverage and writes
``benchmarks/results/synthetic_recovery.txt``.

Usage::

    python benchmarks/synthetic_recovery.py --seeds 40
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "calibration"))


def main() -> None:
    from test_calibrate import TRUTH, _synthetic_targets  # the test's data generator (one home)

    from metalair.calibration import calibrate

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    a = ap.parse_args()
    cache: dict = {}
    hits = {n: 0 for n in TRUTH}
    joint = 0
    t0 = time.perf_counter()
    lines = []
    for seed in range(a.seeds):
        res = calibrate(_synthetic_targets(TRUTH, seed), list(TRUTH), starts=1, seed=100 + seed, select="all",
                        workers=1, progress=None, max_iterations=15, cache=cache)
        ok = {}
        for n, v in TRUTH.items():
            lo, hi = res.fit.interval(n)
            ok[n] = lo <= v <= hi
            hits[n] += ok[n]
        joint += all(ok.values())
        lines.append(f"seed {seed:3d}: " + "  ".join(f"{n} {res.fit[n]:.3g} [{res.fit.interval(n)[0]:.3g}, "
                                                     f"{res.fit.interval(n)[1]:.3g}] {'in' if ok[n] else 'OUT'}"
                                                     for n in TRUTH) + f"  chi2 {res.chi2:.2f}")
    wall = time.perf_counter() - t0
    lines.append(f"coverage of the 95 % intervals over {a.seeds} seeds: "
                 + ", ".join(f"{n} {hits[n]}/{a.seeds}" for n in TRUTH)
                 + f"; both {joint}/{a.seeds}; {wall:.0f} s")
    text = "\n".join(lines)
    print(text)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "synthetic_recovery.txt").write_text(text + "\n")


if __name__ == "__main__":
    main()
