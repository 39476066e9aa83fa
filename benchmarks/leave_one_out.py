"""Leave-one-out prediction: recalibrate without each target in turn and predict it.

For each target: calibrate the chosen parameters to all the other targets
(``select="all"``: the same parameter set every time, one perturbed start),
then compare the model's value of the left-out target with its published
value: predicted value, 95 % band from the fitted parameters' covariance,
PASS when the prediction is within the target's tolerance. The model
evaluations are shared between the runs (one cache), so the whole table
costs little more than a few calibrations.

Prints the table and writes ``benchmarks/results/leave_one_out.txt`` and ``.json``.

Usage::

    python benchmarks/leave_one_out.py                                  # 11 published targets, the identified fitted values
    python benchmarks/leave_one_out.py --rows P1,P2,P3,P4 \
        --params i0_form_NaO2,i0_dec_NaO2,i0_dec_Na2O2,i0_dec_Na2CO3,beta_fe
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent



def _identified() -> str:
    """The fitted values the published targets identify (``FITTED`` less ``NOT_IDENTIFIABLE``)."""
    from metalair.models.parameters import FITTED, NOT_IDENTIFIABLE

    return ",".join(k for k in FITTED if k not in NOT_IDENTIFIABLE)


def main() -> None:
    from metalair.calibration import builtin_targets, calibrate

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default=None, help="built-in P-rows/ids (default all)")
    ap.add_argument("--params", default=None, help="default: the identified fitted values")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--max-iterations", type=int, default=15)
    ap.add_argument("--out", default=str(HERE / "results"))
    a = ap.parse_args()
    tg = builtin_targets(a.rows.split(",") if a.rows else None)
    params = (a.params or _identified()).split(",")
    cache: dict = {}
    rows = []
    t_all = time.perf_counter()
    for t in tg:
        t0 = time.perf_counter()
        res = calibrate(tg, params, starts=1, seed=a.seed, select="all", exclude=[t.id], cache=cache,
                        workers=a.workers, max_iterations=a.max_iterations, progress=None)
        (p,) = res.predictions
        p.update({"chi2_others": res.chi2, "seconds": time.perf_counter() - t0, "unit": t.unit,
                  "singular": bool(res.fit is None or not all(map(math.isfinite, res.fit.stderr)))})
        rows.append(p)
        print(f"left out {t.id}: predicted {p['predicted']:.4g} (target {t.value:g} +- {p['tolerance']:g}) "
              f"{'PASS' if p['pass'] else 'FAIL'} [{p['seconds']:.0f} s]", flush=True)
    head = (f"{'left out':<11} {'target':>9} {'tol':>7} {'predicted':>10} {'95 % band':>23} {'result':>6} "
            f"{'chi2 (others)':>13}")
    lines = [f"leave-one-out: {len(tg)} targets, parameters {', '.join(params)}; "
             f"{time.perf_counter() - t_all:.0f} s on {os.cpu_count()} CPUs", head, "-" * len(head)]
    for p in rows:
        band = (f"[{p['band95_low']:.4g}, {p['band95_high']:.4g}]" if math.isfinite(p["band95_high"])
                else "unbounded")
        lines.append(f"{p['target']:<11} {p['value']:>9.4g} {p['tolerance']:>7.3g} {p['predicted']:>10.4g} "
                     f"{band:>23} {'PASS' if p['pass'] else 'FAIL':>6} {p['chi2_others']:>13.3g}")
    lines.append(f"{sum(p['pass'] for p in rows)}/{len(rows)} left-out targets predicted within tolerance")
    text = "\n".join(lines)
    print(text)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "leave_one_out" if not a.rows else "leave_one_out_" + a.rows.replace(",", "_")
    (out / f"{stem}.txt").write_text(text + "\n")
    (out / f"{stem}.json").write_text(json.dumps({"params": params, "rows": rows}, indent=2, default=str))


if __name__ == "__main__":
    main()
