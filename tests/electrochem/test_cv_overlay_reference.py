"""The CV overlay names the reference electrode on its potential axis only where every file names the same one,
and its title says when the files name different ones or only some of them name one."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from metalair.plotting.electrochem import plot_cv_overlay
from metalair.tables.voltammetry import Voltammogram


def _cv(reference: str | None, name: str, scale: float = 1.0) -> Voltammogram:
    up = np.linspace(-0.3, 0.3, 301)
    e = np.concatenate([up, up[::-1][1:]])
    i = scale * np.where(np.arange(e.size) <= 300, np.exp(-((e - 0.03) / 0.04) ** 2),
                         -np.exp(-((e + 0.03) / 0.04) ** 2))
    v = Voltammogram.from_arrays(e, i, time_s=np.arange(e.size) * 0.02)
    v.metadata["file_name"] = name
    if reference is not None:
        v.metadata["reference_electrode"] = reference
    return v


def _title_and_labels(fig) -> tuple[str, list[str]]:
    title = " ".join(fig._suptitle.get_text().split())
    return title, [ax.get_xlabel() for ax in fig.axes if ax.get_xlabel()]


def test_one_file_naming_a_reference_and_one_naming_none():
    """Was: 'the files name different reference electrodes', as if two electrodes were named."""
    import matplotlib.pyplot as plt

    fig = plot_cv_overlay([_cv("Ag/AgCl", "a.csv"), _cv(None, "b.csv")])
    title, labels = _title_and_labels(fig)
    plt.close(fig)
    assert "different reference electrodes" not in title
    assert "not all files name a reference electrode (Ag/AgCl in 1 of 2, none in b.csv)" in title
    assert labels == ["Potential [V]"]


def test_files_naming_different_reference_electrodes():
    import matplotlib.pyplot as plt

    fig = plot_cv_overlay([_cv("Ag/AgCl", "a.csv"), _cv("SCE", "b.csv"), _cv(None, "c.csv")])
    title, labels = _title_and_labels(fig)
    plt.close(fig)
    assert "the files name different reference electrodes (Ag/AgCl, SCE): potentials not comparable" in title
    assert labels == ["Potential [V]"]


def test_files_naming_the_same_reference_electrode():
    import matplotlib.pyplot as plt

    fig = plot_cv_overlay([_cv("Ag/AgCl (3 M KCl)", "a.csv"), _cv("Ag/AgCl (3 M KCl)", "b.csv")])
    title, labels = _title_and_labels(fig)
    plt.close(fig)
    assert "reference electrode" not in title
    assert labels == ["E vs Ag/AgCl (3 M KCl) [V]"]


def test_a_panel_of_its_own_names_its_files_reference():
    """Currents 100 times apart get a panel each, each with its own potential axis."""
    import matplotlib.pyplot as plt

    fig = plot_cv_overlay([_cv("Ag/AgCl", "a.csv"), _cv(None, "b.csv", scale=100.0)])
    title, labels = _title_and_labels(fig)
    plt.close(fig)
    assert labels == ["E vs Ag/AgCl [V]", "Potential [V]"]
    assert "not all files name a reference electrode" in title
