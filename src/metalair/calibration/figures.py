"""Figures of calibration and ensemble results (matplotlib imported inside the functions)."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["plot_calibration", "calibration_figure", "plot_ensemble"]


def _save(fig: Any, path: str | os.PathLike[str]) -> Path:
    from metalair._files import atomic_write

    p = Path(path)
    atomic_write(p, lambda tmp: fig.savefig(tmp, dpi=130, bbox_inches="tight", format=p.suffix.lstrip(".") or "png"))
    import matplotlib.pyplot as plt

    plt.close(fig)
    return p


def plot_calibration(result: Any, path: str | os.PathLike[str]) -> Path:
    """Calibrated / base value with 95 % intervals (log scale), and the correlation matrix of the fitted ones."""
    return _save(calibration_figure(result), path)


def _readable_ratio_ticks(ax: Any) -> None:
    """Plain tick labels on a log ratio axis that spans less than a decade or so; minor ticks never labelled.

    On 0.7-1.45 matplotlib labelled only 0.7-1, so upper bounds near 1.4 could not be read.
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullFormatter

    lo, hi = ax.get_xlim()
    ax.xaxis.set_minor_formatter(NullFormatter())
    if not (0 < lo < hi) or hi / lo > 20:
        return
    ticks = [t for t in MaxNLocator(nbins=7, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi) if lo <= t <= hi and t > 0]
    if len(ticks) >= 2:
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:.3g}"))


def calibration_figure(result: Any) -> Any:
    """The figure :func:`plot_calibration` saves (a pyplot figure: close it when done)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    rows = result.rows()
    fitted = set(result.fit.names) if result.fit is not None else set()
    correlated = result.fit is not None and len(result.fit.names) > 1  # a correlation panel beside: else none
    if correlated:
        fig, axes = plt.subplots(1, 2, figsize=(13, 0.45 * len(rows) + 3.0),
                                 gridspec_kw={"width_ratios": [1.4, 1.0]}, layout="constrained")
    else:  # one fitted value has no correlations: no half-blank figure
        fig, one = plt.subplots(1, 1, figsize=(7.6, 0.45 * len(rows) + 3.0), layout="constrained")
        axes = [one]
    ax = axes[0]
    y = np.arange(len(rows))[::-1]
    # blue: fitted and identifiable; orange: fitted, but its interval or collinearity says not identifiable;
    # grey: held at the shipped value (not fitted)
    open_below: list[tuple[float, float, str]] = []  # (y, upper ratio, colour) of intervals reaching 0 or below
    no_interval: list[tuple[float, float, str]] = []
    for yi, r in zip(y, rows):
        b = r["base"]
        ratio = r["value"] / b
        if r["parameter"] not in fitted:
            colour = "tab:grey"
        else:
            colour = "tab:blue" if r["verdict"] == "identifiable" else "tab:orange"
        lo, hi = r["ci95_low"], r["ci95_high"]
        if math.isfinite(lo) and math.isfinite(hi) and lo > 0:
            ax.plot([lo / b, hi / b], [yi, yi], color=colour, lw=2)
        elif r["parameter"] in fitted and math.isfinite(lo) and lo <= 0 and math.isfinite(hi) and hi > 0:
            open_below.append((float(yi), hi / b, colour))  # drawn to the axis's edge below, once it is known
        elif r["parameter"] in fitted:
            no_interval.append((float(yi), ratio, colour))
        ax.plot(ratio, yi, "o", color=colour)
    ax.axvline(1.0, color="k", lw=0.8, ls="--")
    ax.set_xscale("log")
    if open_below:  # a 95 % interval down to 0 or below has no end on a log axis: drawn to its left edge, and said
        left = min(ax.get_xlim()[0], min(h for _y, h, _c in open_below) / 3.0)
        ax.set_xlim(left, ax.get_xlim()[1])
        for yi, h, colour in open_below:
            ax.plot([left, h], [yi, yi], color=colour, lw=2)
            ax.plot([left], [yi], "<", color=colour, ms=7, clip_on=False)
            ax.annotate("95 % interval reaches 0 or below", (left, yi), xytext=(6, 5), textcoords="offset points",
                        fontsize=7, color=colour)
    for yi, ratio, colour in no_interval:
        ax.annotate("no finite 95 % interval", (ratio, yi), xytext=(6, 5), textcoords="offset points", fontsize=7,
                    color=colour)
    _readable_ratio_ticks(ax)
    ax.set_yticks(y, [r["parameter"] for r in rows])
    ax.set_xlabel("calibrated / shipped value, 95 % interval\nblue: fitted, identifiable; orange: fitted, not "
                  "identifiable; grey: held")
    title = f"calibration: {len(result.targets)} targets, chi2 = {result.chi2:.3g}"
    if result.fit is not None and not result.fit.success:  # the CLI warns; the figure alone must say it too
        title += "\n(not converged: the values are where the fit stopped)"
    ax.set_title(title)
    if correlated:
        ax2 = axes[1]
        c = np.nan_to_num(result.fit.correlation)
        im = ax2.imshow(c, vmin=-1, vmax=1, cmap="RdBu_r")
        ax2.set_xticks(range(len(result.fit.names)), result.fit.names, rotation=90)
        ax2.set_yticks(range(len(result.fit.names)), result.fit.names)
        fig.colorbar(im, ax=ax2, shrink=0.8, label="correlation")
    return fig


def plot_ensemble(result: Any, path: str | os.PathLike[str]) -> Path:
    """Histogram of each output of an ensemble with its median, 90 % band and nominal value.

    With too few samples for a band the title says so (``result.band_caveat``, as the printed table does).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    outs = list(result.outputs)
    fig, axes = plt.subplots(1, len(outs), figsize=(4.2 * len(outs), 3.4), squeeze=False)
    for ax, name in zip(axes[0], outs):
        v = np.asarray(result.samples_out[name], dtype=float)
        v = v[np.isfinite(v)]
        if v.size:
            ax.hist(v, bins=min(30, max(5, v.size // 3)), color="tab:blue", alpha=0.7)
        s = result.stats[name]
        for q, ls, label in (("p05", ":", "5th / 95th percentile"), ("median", "-", "median"), ("p95", ":", None)):
            if math.isfinite(s[q]):
                ax.axvline(s[q], color="k", ls=ls, label=label)
        nominal = result.nominal.get(name, math.nan)
        if math.isfinite(nominal):  # the value at the descriptors as given, beside the spread around it
            ax.axvline(nominal, color="tab:red", ls="--", label="nominal (the descriptors as given)")
        ax.set_xlabel(_output_label(name))
        ax.set_ylabel("samples")
        ax.ticklabel_format(axis="x", useOffset=False)  # 1000 censored lives were shown as "+1e3" around 0
        ax.set_title(f"median {s['median']:.4g} [{s['p05']:.4g}, {s['p95']:.4g}]; nominal {nominal:.4g}", fontsize=9)
    handles, labels = axes[0][0].get_legend_handles_labels()
    if handles:  # one key for every panel, below them (a legend inside a panel hid its bars)
        fig.legend(handles, labels, loc="lower center", ncol=len(handles), fontsize=8, frameon=False)
        fig.subplots_adjust(bottom=0.25)
    few = ": too few for a 90 % band, the band is the sample range" if getattr(result, "band_caveat", "") else ""
    fig.suptitle(f"ensemble of {result.n} samples{few}", fontsize=10 if few else None)
    return _save(fig, path)


def _output_label(name: str) -> str:
    """An ensemble output's axis label with its unit (``discharge_capacity RuO2`` -> ``... [mAh/g]``)."""
    from metalair.calibration.targets import OBSERVABLES

    observable = OBSERVABLES.get(name.split(" ")[0])
    return f"{name} [{observable.unit}]" if observable is not None and observable.unit else name
