"""Shared data for the electrochemistry tests: file checksums and synthetic records with known answers."""

from __future__ import annotations

import numpy as np

from metalair.analysis.dems import first_order_lag
from metalair.constants import F
from metalair.tables.dems import CurrentRecord, GasFluxRecord
from metalair.tables.voltammetry import Voltammogram

#: sha256[:16] of the original bytes (tests/data/PROVENANCE.md)
SHA = {
    "eis/exampleData.csv": "7a6185b5e95e7457",
    "eis/peis.mpt": "13cd80abdab29b81",
    "eis/LIB_data.txt": "fa8923ff725ce7ed",
    "eis/exampleDataBioLogic.mpt": "cfe550c6693ca5cf",
    "eis/exampleDataBioLogic_MissingFreq.mpt": "f83527796fd3faa2",
    "eis/exampleDataBioLogic.mpr": "ff342d32ff26af09",
    "eis/exampleDataGamry.DTA": "037350b3237bbe24",
    "eis/exampleDataGamryABORT.DTA": "8c267dd1c0a31fa7",
    "eis/exampleDataAutolab.txt": "0d40dacf05575001",
    "eis/exampleDataCHInstruments.txt": "43e8f27cb7728f65",
    "eis/exampleDataPowersuite.txt": "c8496a5470910724",
    "eis/exampleDataVersaStudio.par": "1c509184b387e4a7",
    "eis/exampleDataZPlot.z": "8d84dd55a6806b07",
    "eis/exampleDataZPlot_noComments.z": "ac8cd2cd6182ff42",
    "eis/exampleDataParstat.txt": "6876a634bcdee5af",
    "eis/gamry_eispot_data_curveaborted.dta": "d67b71431ba070e7",
    "cv/gamry_cv_data.dta": "de01e796e837ffa0",
    "voltammetry/cv.mpt": "45d685fc99a09673",
}

#: every impedance file in tests/data/eis, with what read_impedance must do with it
EIS_FILES = sorted(k for k in SHA if k.startswith("eis/"))

NU = 0.01  # V/s, scan rate of the synthetic CV


def synthetic_cv(n_cycles=2):
    """0 -> 1 -> 0 V at 10 mV/s; anodic Gaussian at 0.6 V (100 uA), cathodic at 0.5 V (80 uA), 1 uA background."""
    up = np.linspace(0.0, 1.0, 501)
    one = np.concatenate([up, up[::-1][1:]])
    e = np.concatenate([one] + [one[1:]] * (n_cycles - 1))
    t = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(e)) / NU)])
    rising = np.concatenate([[True], np.diff(e) > 0])
    i = np.where(rising, 1e-6 + 1e-4 * np.exp(-((e - 0.6) / 0.05) ** 2),
                 -1e-6 - 8e-5 * np.exp(-((e - 0.5) / 0.05) ** 2))
    return Voltammogram.from_arrays(e, i, time_s=t)


def synthetic_dems(delay=45.0, tau=30.0, ratio=2.0, noise=2e-10, seed=0):
    t = np.arange(0, 10000, 1.0)
    i = np.where((t >= 600) & (t < 4200), 1e-3, 0.0) + np.where((t >= 5400) & (t < 9000), -1e-3, 0.0)
    o2 = first_order_lag(t, -i / (ratio * F), tau)
    rng = np.random.default_rng(seed)
    flux = o2 + 1e-10 + noise * rng.standard_normal(t.size)
    co2 = np.where((t >= 5400 + delay) & (t < 9000 + delay), 1e-10, 0.0)
    return CurrentRecord(t, i), GasFluxRecord(t + delay, {"O2": flux, "CO2": co2})
