"""The spectra written along a discharge say which state each file is."""

from __future__ import annotations

import json

from metalair.workflows.impedance import default_frequencies, spectra_along, write_spectra


def test_the_summary_ties_each_spectrum_file_to_its_capacity(tmp_path):
    res = spectra_along("NLRO", "100 mA/g", ["500 mAh/g", "2500 mAh/g"], frequency_Hz=default_frequencies(1e-2, 1e5, 8))
    write_spectra(res, tmp_path, figures=False)
    doc = json.loads((tmp_path / "impedance_summary.json").read_text())
    assert [(s["file"], s["discharge_capacity_mAh_g"]) for s in doc["spectra"]] == [
        ("impedance_1.csv", 500.0), ("impedance_2.csv", 2500.0)]
    assert all(s["impedance_unit"] == "Ω·cm²" and s["charge_transfer_resistance_ohm_cm2"] > 0 for s in doc["spectra"])
