"""Published observations (Sun et al., Nat. Commun. 2025) from the built-in parameter sets.

The numbers come from simulations run here with one parameter set for both catalysts; the
tests also check that they come out of the mechanisms: changing a descriptor or a kinetic
value moves them.
"""

from __future__ import annotations

import re

import pytest

import metalair as ma
from metalair.constants import F
from metalair.protocols.solution import Solution
from metalair.workflows.validation import CLEAN_SHARE, REFERENCE_RUN, plateau_share, run_validation


@pytest.fixture(scope="module")
def rows():
    return {(r.id, r.catalyst, r.quantity): r for r in run_validation()}


#: Rows the model does not reproduce, with the number it gives (reported, not tuned away).
KNOWN_FAILURES = {
    ("P3", "RuO2"): "two flat charge plateaus (3.02 V, 3.69 V) hold 96 % of the charge: a clean separation, "
                    "where the study sees a smeared charge",
    ("P7", "NLRO"): "e-/O2 = 1.12 on discharge and on charge: the model's product is ~70 % NaO2 (1 e-/O2), "
                    "the study's DEMS gives > 2",
    ("P9", "NLRO"): "one anodic peak (2.81 V, NaO2) at the analysis' 5 % prominence: a 2-hour cathodic sweep makes "
                    "almost only NaO2, so the Na2O2 (3.46 V) and carbonate (4.42 V) peaks are 2.0 % and 1.1 % of "
                    "the main one",
    ("P9", "RuO2"): "one anodic peak (3.38 V), as many as NLRO's, and its full width at half maximum (133 mV) is "
                    "not broader than NLRO's (136 mV)",
}


@pytest.mark.parametrize("catalyst", ["NLRO", "RuO2"])
@pytest.mark.parametrize("pid", ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8", "P9", "P10", "P11"])
def test_observation_passes(rows, catalyst, pid, request):
    """Every row passes within its published tolerance, except the known failures (strict xfail)."""
    if (pid, catalyst) in KNOWN_FAILURES:
        request.applymarker(pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[(pid, catalyst)]))
    mine = [r for (i, c, _q), r in rows.items() if i == pid and c == catalyst]
    if pid in ("P7", "P11") and catalyst == "RuO2":  # the study gives these for NLRO only
        assert not mine
        return
    assert mine, f"no {pid} row for {catalyst}"
    for r in mine:
        assert r.passed, f"{pid} {catalyst} {r.quantity}: model {r.value} vs target {r.target} ± {r.tolerance}"


def test_p9_note_reports_the_faint_window_peaks(rows):
    """P9 (NLRO): the Na2O2 and carbonate peaks exist, below the 5 % prominence that counts; the note says so."""
    r = next(r for (i, c, _q), r in rows.items() if i == "P9" and c == "NLRO")
    faint = r.note.split("below the 5 % prominence, not counted: ")[1]
    assert "Na2O2 3." in faint and "Na2CO3 4." in faint


def test_faint_window_peaks_only_lists_uncounted_peaks_in_the_windows():
    """A 2 % peak in the Na2O2 window is listed; a curve without it lists nothing; a counted peak is not repeated."""
    import numpy as np

    from metalair.analysis.voltammetry import analyze_cv
    from metalair.tables.voltammetry import Voltammogram
    from metalair.workflows.validation import _faint_window_peaks

    up = np.linspace(1.5, 4.5, 3001)
    e = np.concatenate([up, up[::-1][1:]])

    def cv(small):
        i_up = 100 * np.exp(-((up - 2.8) / 0.05) ** 2) + small * np.exp(-((up - 3.5) / 0.05) ** 2) + 0.01
        return Voltammogram.from_arrays(e, np.concatenate([i_up, -i_up[::-1][1:]]), time_s=np.arange(e.size) * 1.0)

    faint = _faint_window_peaks(analyze_cv(cv(2.0)))
    assert [(k, round(p.potential_V, 2)) for k, p in faint] == [("Na2O2", 3.5)]
    assert _faint_window_peaks(analyze_cv(cv(0.0))) == []
    assert _faint_window_peaks(analyze_cv(cv(20.0))) == []  # 20 %: counted by the row itself, not repeated


def test_nlro_three_plateaus_near_published_values(rows):
    """P3: NLRO charges in three steps near 2.5, 3.5 and 4.5 V."""
    r = next(r for (i, c, _q), r in rows.items() if i == "P3" and c == "NLRO")
    assert len(r.value) == 3
    for v, t in zip(r.value, (2.5, 3.5, 4.5)):
        assert abs(v - t) <= 0.1


def test_capacity_ratio_is_between_catalysts(rows):
    """P2: NLRO's full-discharge capacity exceeds RuO2's (15,000 vs 8,500 mAh/g)."""
    n = next(r for (i, c, _q), r in rows.items() if i == "P2" and c == "NLRO").value
    r = next(r for (i, c, _q), r in rows.items() if i == "P2" and c == "RuO2").value
    assert 1.4 < n / r < 2.2


def _reference(catalyst, parameters=None):
    sol = ma.Simulation(catalyst, REFERENCE_RUN, parameters=parameters).run()
    assert sol.ok
    from metalair.analysis.summary import summarize

    return summarize(sol)


def test_descriptor_moves_the_numbers():
    """Giving NLRO RuO2's NaO2 adsorption d-band centre moves its capacity towards RuO2's."""
    base = _reference("NLRO")
    cat = ma.NLRO.with_descriptor("NaO2", d_band_centre=-1.57)
    moved = _reference(cat)
    assert moved["discharge_capacity_mAh_g"] < 0.8 * base["discharge_capacity_mAh_g"]


def test_free_energy_overpotential_moves_polarisation():
    """A larger DFT charging overpotential raises NLRO's NaO2 plateau and its polarisation."""
    from dataclasses import replace

    base = _reference("NLRO")
    worse = _reference(replace(ma.NLRO, free_energy_overpotential=0.5))
    assert worse["polarisation_V"] > base["polarisation_V"] + 0.05
    assert worse["charge_plateaus"][0]["voltage_V"] > base["charge_plateaus"][0]["voltage_V"] + 0.1


def test_kinetic_value_moves_capacity():
    """Halving the solution-grown blocking efficiency raises NLRO's full-discharge capacity
    (NLRO grows its product mostly through solution)."""
    base = _reference("NLRO")
    p = ma.DEFAULT_PARAMETERS.replace(solution_blocking=ma.DEFAULT_PARAMETERS.solution_blocking / 2)
    more = _reference("NLRO", p)
    assert more["discharge_capacity_mAh_g"] > 1.3 * base["discharge_capacity_mAh_g"]


def test_ruo2_keeps_carbonate_after_charge():
    """P5 mechanism: RuO2 cannot oxidise the carbonate below 4.8 V; NLRO leaves nothing."""
    n = _reference("NLRO")["products_after_charge_mol_g"]
    r = _reference("RuO2")["products_after_charge_mol_g"]
    assert r["Na2CO3"] > 1e-2  # mol/g
    assert n["Na2CO3"] < 1e-5 and n["NaO2"] < 1e-6 and n["Na2O2"] < 1e-6


def test_p6_mechanism_ruo2_dies_of_its_left_overs(rows):
    """P6: RuO2's life ends because what each charge leaves behind (carbonate, residue) accumulates.

    Clearing that carbonate every cycle (NLRO's third state) keeps NLRO alive; giving RuO2 a weaker
    carbonation (less left behind per cycle) lengthens its life: cycle life is an output.
    """
    from metalair.workflows.cycling import run_cycling

    base = next(r for (i, c, _q), r in rows.items() if i == "P6" and c == "RuO2").value
    p = ma.DEFAULT_PARAMETERS.replace(k_carbonation=ma.DEFAULT_PARAMETERS.k_carbonation / 2)
    longer = run_cycling("RuO2", cycles=1000, parameters=p).life
    assert longer.cycle_life > 1.5 * base or longer.censored


def test_p6_ruo2_with_nlro_carbonate_binding_survives():
    """Descriptor → life: RuO2 given NLRO's carbonate-state ICOHP (−2.15 eV) clears its carbonate
    below 4.8 V and survives 1000 cycles; with its own (−1.71 eV) it dies near cycle 358."""
    from metalair.workflows.cycling import run_cycling

    cat = ma.RUO2.with_descriptor("Na2CO3", icohp=-2.15)
    life = run_cycling(cat, cycles=1000).life
    assert life.censored and life.cycle_life == 1000


def _charge_curve(q, v):
    """A one-step charge record as a Solution (step 1)."""
    import numpy as np

    q = np.asarray(q, float)
    return Solution({"Step": np.ones(len(q), int), "Capacity [mAh/g]": q, "Voltage [V]": np.asarray(v, float)}, [])


def test_p3_clean_separation_criterion_can_fail_both_ways():
    """Two flat plateaus joined by a step are clean (fails RuO2's P3); a sloping curve is not."""
    from types import SimpleNamespace as P

    import numpy as np

    q = np.linspace(0.0, 1000.0, 1001)
    steps = np.where(q < 600.0, 3.0, 3.8) + 1e-5 * q
    sol = _charge_curve(q, steps)
    assert plateau_share(sol, 1, [P(voltage_V=3.0), P(voltage_V=3.8)]) >= CLEAN_SHARE
    slope = 3.0 + 0.0015 * q  # 1.5 V over the charge
    sol = _charge_curve(q, slope)
    assert plateau_share(sol, 1, [P(voltage_V=3.3), P(voltage_V=4.0)]) < CLEAN_SHARE


def test_rows_say_whether_they_are_predictions_or_calibrations(rows):
    """A row matched by a value fitted to it is a calibration, and says which value."""
    kinds = {(r.id, r.catalyst): r.kind for r in rows.values()}
    assert kinds[("P3", "NLRO")].startswith("calibration") and "i0_dec_Na2O2" in kinds[("P3", "NLRO")]
    assert kinds[("P6", "RuO2")].startswith("calibration") and "residue_blocking" in kinds[("P6", "RuO2")]
    for pid in ("P5", "P6", "P8", "P10"):
        assert kinds[(pid, "NLRO")] == "prediction"


@pytest.mark.parametrize("e0", [3.45, 4.5])
def test_p11_lattice_o_row_fails_for_a_misplaced_o_couple(e0):
    """P11's second part can fail both ways: an O couple centred at 3.45 V is already oxidised when the
    charge reaches 3.5 V; one centred at 4.5 V is only half oxidised there (the shipped 4.30 V gives 0 / 98 %)."""
    from dataclasses import replace

    from metalair.workflows.validation import P11_O_COUPLE

    couples = tuple(replace(c, standard_potential=e0) if c.name == P11_O_COUPLE else c for c in ma.NLRO.host_couples)
    row = next(r for r in run_validation([replace(ma.NLRO, host_couples=couples)], observations=["P11"])
               if "lattice-O" in r.quantity)
    assert not row.passed, row
    before, by = row.value
    assert (before >= 10.0) if e0 < 4.0 else (by <= 90.0)


def test_p9_scores_a_custom_catalyst_on_its_own_cv_whatever_the_order():
    """A custom NLRO (eta_FE 0.8 V) had been scored on the built-in NLRO's CV when RuO2 came first: the CVs
    were cached by name and the 'other catalyst' was always the built-in one."""
    from dataclasses import replace

    custom = replace(ma.NLRO, free_energy_overpotential=0.8)
    first = {(r.id, r.catalyst): r for r in run_validation([custom, "RuO2"], observations=["P9"])}
    second = {(r.id, r.catalyst): r for r in run_validation(["RuO2", custom], observations=["P9"])}
    builtin = {(r.id, r.catalyst): r for r in run_validation(["NLRO"], observations=["P9"])}
    assert first[("P9", "NLRO")].value == second[("P9", "NLRO")].value != builtin[("P9", "NLRO")].value
    assert first[("P9", "RuO2")].note == second[("P9", "RuO2")].note


def test_p8_counts_what_is_left_against_the_discharge_not_against_its_own_amount():
    """'Left' is a product whose removal would take more than 1 % of the discharge capacity: a trace of carbonate
    (RuO2 with 1 % of its carbonation rate: 0.4 of 1000 mAh/g) is not 'some left'."""
    from dataclasses import replace

    p = ma.DEFAULT_PARAMETERS
    row = run_validation(["RuO2"], parameters=replace(p, k_carbonation=0.01 * p.k_carbonation),
                         observations=["P8"])[0]
    assert not row.passed and "traces below that: Na2CO3" in row.note
    row = run_validation(["RuO2"], observations=["P8"])[0]
    left = re.search(r"left Na2CO3 ([0-9.]+) mmol/g \(([0-9.]+) mAh/g\)", row.note)
    assert row.passed and left, row.note
    # the charge that would remove it (2 e- per Na2CO3: 2F/3.6 = 53.6 mAh per mmol) is over 1 % of the 1000 mAh/g
    assert float(left[2]) == pytest.approx(2 * F / 3.6e3 * float(left[1]), rel=5e-3) and float(left[2]) > 10.0


def test_calibrated_rows_come_from_the_fitted_values_table():
    """Which rows are calibrations is derived from models.parameters.FITTED_ROWS (one home), and every row that
    table names is marked so: gamma_ads sets RuO2's P5 and P6, not its P2."""
    from metalair.models.parameters import FITTED, FITTED_ROWS
    from metalair.workflows.validation import CALIBRATED_BY

    assert set(FITTED_ROWS) == set(FITTED)
    for name, rows in FITTED_ROWS.items():
        for row in rows:
            assert name in CALIBRATED_BY[row]
    assert "gamma_ads" not in CALIBRATED_BY[("P2", "RuO2")]


def test_p9_counts_a_window_peak_only_for_the_product_that_carries_it():
    """A custom NLRO (eta_FE 0.8 V) moves its NaO2 peak to 3.25 V, inside the Na2O2 window: it had been
    counted as 'Na2O2 yes' by its voltage alone. The shipped NLRO's own Na2O2 oxidation is a faint maximum
    (3.46 V, 2.0 % of the main peak), listed but not counted."""
    from dataclasses import replace

    custom = replace(ma.NLRO, free_energy_overpotential=0.8)
    row = next(r for r in run_validation([custom, "RuO2"], observations=["P9"]) if r.catalyst == "NLRO")
    in_window = [v for v in row.value if 3.2 <= v <= 3.8]
    assert in_window
    assert f"{in_window[0]:.2f} V (" in row.note and "NaO2)" in row.note and "Na2O2 no" in row.note
    base = next(r for r in run_validation(["NLRO"], observations=["P9"]))
    faint = re.search(r"not counted: Na2O2 (3\.[0-9]+) V \([0-9]+ A/kg, ([0-9.]+) % of the main peak, Na2O2\)",
                      base.note)
    assert faint and 3.2 <= float(faint[1]) <= 3.8 and float(faint[2]) < 5.0, base.note
