"""Figures of simulated cells (matplotlib, imported inside the functions)."""

from __future__ import annotations

import numpy as np

__all__ = ["plot_solution", "plot_comparison", "save_figure"]

_PRODUCTS = [("NaO2", "NaO2", "#1f77b4"), ("Na2O2", "Na2O2", "#ff7f0e"),
             ("Na2CO3", "Na2CO3·xH2O", "#2ca02c"), ("Residue", "residue", "#d62728")]


def _mpl():
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - depends on the install
        raise ImportError("plotting needs matplotlib: pip install 'metalair[plot]'") from None
    return plt


def plot_solution(sol, title: str | None = None):
    """Voltage against throughput capacity, with the product inventory beneath it.

    Returns the matplotlib Figure.
    """
    plt = _mpl()
    fig, (ax_v, ax_p) = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True,
                                     gridspec_kw={"height_ratios": [3, 2]})
    q = sol["Throughput capacity [mAh/g]"]
    v = sol["Voltage [V]"]
    kinds = {s.index: s.kind for s in sol.steps}
    step = sol["Step"]
    colors = {"discharge": "#c0392b", "charge": "#2471a3", "rest": "0.5", "hold": "#7d3c98", "sweep": "#117a65"}
    for idx in np.unique(step):
        if idx == 0:  # the initial state, not a protocol step
            continue
        m = step == idx
        kind = kinds.get(int(idx), "rest")
        ax_v.plot(q[m], v[m], color=colors.get(kind, "k"), lw=1.6,
                  label=kind if kind not in ax_v.get_legend_handles_labels()[1] else None)
    ax_v.set_ylabel("Voltage [V vs Na$^+$/Na]")
    ax_v.grid(alpha=0.3)
    ax_v.legend(loc="best", fontsize=8)
    ax_v.set_title(title or f"{sol.meta.get('catalyst', '')} — {sol.meta.get('environment', '')}")
    for key, label, color in _PRODUCTS:
        ax_p.plot(q, sol[f"{key} [mol/g]"] * 1000.0, color=color, label=label)
    ax_p.set_ylabel("Inventory [mmol/g]")
    ax_p.set_xlabel("Capacity passed (discharge then charge) [mAh/g]")
    ax_p.grid(alpha=0.3)
    ax_p.legend(loc="best", fontsize=8, ncol=2)
    fig.tight_layout()
    return fig


def plot_comparison(solutions: dict, title: str = "Discharge–charge at the same protocol"):
    """Voltage against capacity of each step, one colour per catalyst; inventories beneath."""
    plt = _mpl()
    fig, (ax_v, ax_p) = plt.subplots(2, 1, figsize=(8, 6.5), gridspec_kw={"height_ratios": [3, 2]})
    palette = ["#c0392b", "#2471a3", "#117a65", "#7d3c98", "#b9770e"]
    for (name, sol), color in zip(solutions.items(), palette):
        q, v, step = sol["Capacity [mAh/g]"], sol["Voltage [V]"], sol["Step"]
        for s in sol.steps:
            if s.kind not in ("discharge", "charge"):
                continue
            m = step == s.index
            ls = "-" if s.kind == "discharge" else "--"
            ax_v.plot(q[m], v[m], ls, color=color, lw=1.5, label=f"{name} {s.kind}")
        t = sol["Throughput capacity [mAh/g]"]
        ax_p.plot(t, sol["NaO2 [mol/g]"] * 1000, color=color, lw=1.2, label=f"{name} NaO2")
        ax_p.plot(t, sol["Na2O2 [mol/g]"] * 1000, ":", color=color, lw=1.2, label=f"{name} Na2O2")
        ax_p.plot(t, sol["Na2CO3 [mol/g]"] * 1000, "-.", color=color, lw=1.2, label=f"{name} Na2CO3·xH2O")
    ax_v.set_xlabel("Capacity in step [mAh/g]")
    ax_v.set_ylabel("Voltage [V vs Na$^+$/Na]")
    ax_v.grid(alpha=0.3)
    ax_v.legend(fontsize=8)
    ax_v.set_title(title)
    ax_p.set_xlabel("Capacity passed (discharge then charge) [mAh/g]")
    ax_p.set_ylabel("Inventory [mmol/g]")
    ax_p.grid(alpha=0.3)
    ax_p.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def save_figure(fig, path) -> None:
    """Save atomically (temporary file, then rename) and close the figure."""
    import io
    import os

    from metalair._files import atomic_write_bytes

    plt = _mpl()
    buf = io.BytesIO()
    fmt = os.path.splitext(str(path))[1].lstrip(".") or "png"
    fig.savefig(buf, format=fmt, dpi=120)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def plot_cycling(result):
    """End-of-discharge and end-of-charge voltages against cycle number, plus the voltage
    profiles of the cycles whose time series were kept (the field's standard cycling figure)."""
    plt = _mpl()
    t = result.table
    fig, (ax_e, ax_p) = plt.subplots(1, 2, figsize=(12, 4.8))
    cyc = t["Cycle"]
    ax_e.plot(cyc, t["End-of-charge voltage [V]"], "-", color="#2471a3", lw=1.2, label="end of charge")
    ax_e.plot(cyc, t["End-of-discharge voltage [V]"], "-", color="#c0392b", lw=1.2, label="end of discharge")
    life = result.life
    if life.first_failed_cycle is not None:
        ax_e.axvline(life.first_failed_cycle, color="0.4", ls="--", lw=1)
        ax_e.text(life.first_failed_cycle, ax_e.get_ylim()[0], f" first failure: cycle {life.first_failed_cycle}",
                  rotation=90, va="bottom", fontsize=8)
    ax_e.set_xlabel("Cycle number")
    ax_e.set_ylabel("Voltage [V vs Na$^+$/Na]")
    ax_e.set_title(f"{result.catalyst}: {result.settings.get('current_mA_g', 0):g} mA/g, "
                   f"{result.settings.get('capacity_mAh_g', 0):g} mAh/g per cycle")
    ax_e.grid(alpha=0.3)
    ax_e.legend(fontsize=8)
    sol = result.solution
    if len(sol):
        cmap = plt.get_cmap("viridis")
        kept = sorted(set(int(c) for c in sol["Cycle"]) - {0})
        for i, c in enumerate(kept):
            color = cmap(i / max(1, len(kept) - 1))
            for s in sol.steps:
                if s.cycle != c or s.kind not in ("discharge", "charge"):
                    continue
                m = sol["Step"] == s.index
                ax_p.plot(sol["Capacity [mAh/g]"][m], sol["Voltage [V]"][m], color=color, lw=1.3,
                          label=f"cycle {c}" if s.kind == "discharge" else None)
        ax_p.set_xlabel("Capacity in step [mAh/g]")
        ax_p.set_ylabel("Voltage [V vs Na$^+$/Na]")
        ax_p.set_title("Voltage profiles of selected cycles")
        ax_p.grid(alpha=0.3)
        ax_p.legend(fontsize=8)
    fig.tight_layout()
    return fig
