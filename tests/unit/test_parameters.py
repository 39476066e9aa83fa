"""Bad input is refused with a message naming the field, the value and the allowed range.

House style, "Typed, frozen parameter objects ... a negative diffusivity, a NaN
porosity or a loading of zero is refused with a message that names the field,
the value and the allowed range". Every numeric field of LumpedParameters is
checked programmatically: the allowed ranges are read from the validation spec
the dataclass itself hands to ``validate_fields``, so a field added without a
range is caught here too.
"""

from __future__ import annotations

import dataclasses
import math

import pytest

import metalair as ma
import metalair.models.parameters as parameters_module
from metalair.catalysts import Catalyst, Descriptors, HostCouple, get_catalyst
from metalair.errors import ParameterError
from metalair.models.lumped import LumpedAirElectrode
from metalair.models.parameters import DEFAULT_PARAMETERS, LumpedParameters


def _captured_spec() -> dict:
    """The {field: (lo, hi, lo_open, hi_open, unit)} spec LumpedParameters validates against."""
    captured = {}
    original = parameters_module.validate_fields

    def spy(obj, ranges):
        captured.update(ranges)
        return original(obj, ranges)

    parameters_module.validate_fields = spy
    try:
        ma.LumpedParameters()
    finally:
        parameters_module.validate_fields = original
    return captured


SPEC = _captured_spec()
NUMERIC_FIELDS = [f.name for f in dataclasses.fields(ma.LumpedParameters)
                  if isinstance(getattr(ma.DEFAULT_PARAMETERS, f.name), (int, float))]


def _out_of_range_values(spec) -> list[float]:
    lo, hi, lo_open, hi_open, _unit = spec
    bad = []
    if math.isfinite(lo):
        bad.append(lo - max(1.0, abs(lo)))       # clearly below
        if lo_open:
            bad.append(lo)                       # the open end itself (e.g. a loading of zero)
    if math.isfinite(hi):
        bad.append(hi + max(1.0, abs(hi)))       # clearly above
        if hi_open:
            bad.append(hi)
    return bad


def _value_text(v: float) -> str:
    return str(v) if not math.isfinite(v) else f"{v:g}"


def test_every_numeric_field_has_a_range():
    assert NUMERIC_FIELDS, "no numeric fields found"
    assert SPEC, "could not read the validation spec (LumpedParameters no longer calls validate_fields?)"
    missing = sorted(set(NUMERIC_FIELDS) - set(SPEC))
    assert not missing, f"fields without validation: {missing}"
    for name in NUMERIC_FIELDS:
        assert _out_of_range_values(SPEC[name]), f"{name} has no finite bound to violate"


def test_defaults_are_inside_their_ranges():
    for name in NUMERIC_FIELDS:
        lo, hi, lo_open, hi_open, _ = SPEC[name]
        v = getattr(ma.DEFAULT_PARAMETERS, name)
        assert (lo < v if lo_open else lo <= v) and (v < hi if hi_open else v <= hi), name


CASES = [(name, bad) for name in NUMERIC_FIELDS
         for bad in [math.nan, math.inf, -math.inf] + _out_of_range_values(SPEC.get(name, (0, 0, 0, 0, "")))]


@pytest.mark.parametrize("name,bad", CASES, ids=[f"{n}={v:g}" for n, v in CASES])
def test_bad_value_refused_with_field_value_and_range(name, bad):
    with pytest.raises(ParameterError) as info:
        ma.LumpedParameters(**{name: bad})
    msg = str(info.value)
    assert name in msg
    assert _value_text(bad) in msg
    assert "range" in msg
    # the allowed interval itself is printed
    lo, hi = SPEC[name][:2]
    assert f"{lo:g}" in msg and f"{hi:g}" in msg
    # replace() validates the same way
    with pytest.raises(ParameterError):
        ma.DEFAULT_PARAMETERS.replace(**{name: bad})


@pytest.mark.parametrize("bad", ["1.0", None, True, [1.0]])
def test_non_numbers_refused(bad):
    with pytest.raises(ParameterError, match="specific_area"):
        ma.LumpedParameters(specific_area=bad)


def test_parameters_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        ma.DEFAULT_PARAMETERS.loading = 1.0


def test_replace_unknown_name_suggests_close_names():
    with pytest.raises(ParameterError) as info:
        ma.DEFAULT_PARAMETERS.replace(specfic_area=1.0)
    assert "specfic_area" in str(info.value)
    assert "did you mean" in str(info.value).lower()
    assert "'specific_area'" in str(info.value)
    with pytest.raises(ParameterError, match="unknown"):
        ma.DEFAULT_PARAMETERS.replace(unknown=1)


def test_replace_keeps_other_fields_and_validates():
    p = ma.DEFAULT_PARAMETERS.replace(loading=1e-3)
    assert p.loading == 1e-3
    assert p.specific_area == ma.DEFAULT_PARAMETERS.specific_area
    assert ma.DEFAULT_PARAMETERS.loading == 5.0e-3  # the original is untouched


# ---------------------------------------------------------------- catalysts


def test_descriptor_positive_icohp_refused():
    with pytest.raises(ParameterError) as info:
        Descriptors(d_band_centre=-1.9, icohp=+1.0)
    assert "icohp" in str(info.value) and "range" in str(info.value)


@pytest.mark.parametrize("changes", [{"d_band_centre": math.nan}, {"d_band_centre": 5.0}, {"stage": -1.0}])
def test_descriptor_other_bad_values(changes):
    kw = {"d_band_centre": -1.9, "icohp": -1.5, **changes}
    with pytest.raises(ParameterError, match=next(iter(changes))):
        Descriptors(**kw)


@pytest.mark.parametrize("changes,field", [
    ({"capacity": -1.0}, "capacity"),
    ({"capacity": 0.0}, "capacity"),
    ({"standard_potential": 7.0}, "standard_potential"),
    ({"width": 0.0}, "width"),
    ({"rate_constant": math.inf}, "rate_constant"),
])
def test_host_couple_bad_values(changes, field):
    kw = {"name": "X", "standard_potential": 3.3, "capacity": 1e4, **changes}
    with pytest.raises(ParameterError) as info:
        HostCouple(**kw)
    assert field in str(info.value)


def _descriptors(**drop):
    d = {"NaO2": Descriptors(-1.9, -1.5), "Na2O2": Descriptors(-1.8, -1.6), "Na2CO3": Descriptors(-1.7, -1.7)}
    for k in drop:
        d.pop(k)
    return d


def test_catalyst_missing_product_descriptor_refused():
    with pytest.raises(ParameterError) as info:
        Catalyst(name="X", formula="X", molar_mass=0.1,
                 descriptors=_descriptors(Na2CO3=True), free_energy_overpotential=0.2)
    assert "Na2CO3" in str(info.value) and "missing" in str(info.value)


def test_catalyst_unknown_product_suggests():
    d = _descriptors()
    d["Na2O"] = Descriptors(-1.8, -1.6)
    with pytest.raises(ParameterError, match="Na2O2"):
        Catalyst(name="X", formula="X", molar_mass=0.1, descriptors=d, free_energy_overpotential=0.2)


def test_catalyst_stage_beyond_host_refused():
    d = _descriptors()
    d["Na2CO3"] = Descriptors(-1.7, -1.7, stage=3)
    couple = HostCouple("c", 3.3, 1e4)
    with pytest.raises(ParameterError, match="stage"):
        Catalyst(name="X", formula="X", molar_mass=0.1, descriptors=d, free_energy_overpotential=0.2,
                 host_couples=(couple,))


def test_catalyst_bad_molar_mass_refused():
    with pytest.raises(ParameterError, match="molar_mass"):
        Catalyst(name="X", formula="X", molar_mass=-0.1, descriptors=_descriptors(), free_energy_overpotential=0.2)


def test_get_catalyst_typo_suggests_nlro():
    with pytest.raises(ParameterError) as info:
        get_catalyst("NRLO")
    msg = str(info.value)
    assert "'NLRO'" in msg and "Did you mean" in msg
    assert ma.get_catalyst("nlro") is ma.NLRO  # case-insensitive lookup still works


def test_with_descriptor_unknown_product_refused():
    with pytest.raises(ParameterError, match="Na2CO3"):
        ma.NLRO.with_descriptor("Na2CO4", icohp=-1.0)
    with pytest.raises(ParameterError, match="icohp"):
        ma.NLRO.with_descriptor("Na2CO3", icohp=0.5)


# -------------------------------------------------------- solver and model


@pytest.mark.parametrize("changes,field", [
    ({"max_change": 0.0}, "max_change"),
    ({"max_change": -0.01}, "max_change"),
    ({"dt_initial": math.nan}, "dt_initial"),
    ({"growth": 1.0}, "growth"),
    ({"max_steps": 0}, "max_steps"),
    ({"max_steps": 2.5}, "max_steps"),
])
def test_solver_settings_refused(changes, field):
    with pytest.raises(ParameterError) as info:
        ma.SolverSettings(**changes)
    assert field in str(info.value)


def test_model_refuses_parameters_of_wrong_type():
    with pytest.raises(ParameterError) as info:
        LumpedAirElectrode("NLRO", parameters=object())
    assert "LumpedParameters" in str(info.value)
    with pytest.raises(ParameterError, match="NLRO"):
        LumpedAirElectrode("NRLO")


def test_simulation_refuses_unknown_environment_name():
    with pytest.raises(ParameterError):
        ma.Simulation("NLRO", environment="martian air")


def test_not_identifiable_list_agrees_with_the_fitted_texts():
    """The held (not identifiable) values say so in FITTED; the identified ones name their target."""
    from metalair.models.parameters import FITTED, NOT_IDENTIFIABLE

    assert set(NOT_IDENTIFIABLE) <= set(FITTED)
    for name, text in FITTED.items():
        held = "not identifiable" in text or "collinear" in text
        assert held == (name in NOT_IDENTIFIABLE), name
        if not held:
            assert text.startswith("P"), name  # an identified value names the observation that fixes it


def test_catalysts_parameters_prints_the_count_against_the_targets():
    from typer.testing import CliRunner

    from metalair.calibration.targets import PUBLISHED
    from metalair.catalysts.sets.sun2025 import FITTED as CATALYST_FITTED
    from metalair.cli.app import app
    from metalair.models.parameters import FITTED, NOT_IDENTIFIABLE

    out = CliRunner().invoke(app, ["catalysts", "--parameters"]).output
    # every fitted value is counted, the host-couple positions of NLRO included, against the targets and P11's two
    # parts (the Ru valence by 3.5 V, the O couple between 3.5 and 4.5 V)
    n_fit, n_targets = len(FITTED) + len(CATALYST_FITTED), len(PUBLISHED) + 2
    assert f"{n_fit} fitted values against {n_targets} published quantitative targets" in out
    assert n_fit < n_targets and "fewer fitted values than targets" in out
    assert f"{len(FITTED) - len(NOT_IDENTIFIABLE)} model values identified" in out
    assert "NLRO: Ru4+/Ru4.45+ standard_potential" in out


def test_a_removed_field_says_what_replaced_it():
    """desorption_current_ref became i0_form_NaO2 (Horstmann et al. 2013): an old script is told so."""
    with pytest.raises(ParameterError, match=r"no field 'desorption_current_ref': removed after 0\.2\.0.*"
                                             r"set i0_form_NaO2 instead"):
        DEFAULT_PARAMETERS.replace(desorption_current_ref=0.045)
    with pytest.raises(ParameterError, match="set i0_form_NaO2 instead"):
        LumpedParameters.allowed_range("desorption_current_ref")


def test_nao2_oxidation_exchange_current_is_hartmanns_overpotential():
    """i0_dec_NaO2 is derived, not fitted: on the cell's 100 m² of surface per m² of electrode it oxidises
    NaO2 at 0.2 mA/cm² of electrode with 0.1 V overpotential (Hartmann et al. 2013)."""
    from metalair.physics.kinetics import butler_volmer_overpotential

    p = DEFAULT_PARAMETERS
    roughness = p.loading * p.specific_area
    assert roughness == pytest.approx(100.0)
    eta = butler_volmer_overpotential(2.0 / roughness, p.i0_dec_NaO2, T=298.15)
    assert eta == pytest.approx(0.1, abs=5e-4)
    assert "i0_dec_NaO2" not in parameters_module.FITTED
    assert parameters_module.SOURCES["i0_dec_NaO2"].startswith("[D]")


def test_every_entry_point_says_what_replaced_a_removed_parameter(tmp_path):
    """calibrate (Python and CLI) and a sweep over parameters give the same pointer to i0_form_NaO2."""
    from typer.testing import CliRunner

    from metalair.calibration import builtin_targets, calibrate
    from metalair.cli.app import app
    from metalair.sweeps.evaluate import _replace

    with pytest.raises(ParameterError, match="set i0_form_NaO2 instead"):
        calibrate(builtin_targets(["P4"]), ["desorption_current_ref"], progress=None)
    res = CliRunner().invoke(app, ["calibrate", "--params", "desorption_current_ref", "--out", str(tmp_path / "c")])
    assert res.exit_code == 1 and "set i0_form_NaO2 instead" in res.output
    with pytest.raises(ParameterError, match="set i0_form_NaO2 instead"):
        _replace(DEFAULT_PARAMETERS, {"desorption_current_ref": 0.05}, "LumpedParameters")


def test_a_misspelt_keyword_gets_the_close_names_on_every_parameter_class():
    # LumpedParameters(i0_form_Na02=...) raised Python's bare "unexpected keyword argument", no suggestion
    import dataclasses

    import numpy as np

    import metalair as ma
    from metalair.catalysts.base import Descriptors
    from metalair.errors import ParameterError
    from metalair.models.parameters import LumpedParameters

    for make, message in (
            (lambda: LumpedParameters(i0_form_Na02=0.1), "no field 'i0_form_Na02'; did you mean 'i0_form_NaO2'"),
            (lambda: dataclasses.replace(ma.DEFAULT_PARAMETERS, i0_form_Na02=0.1), "did you mean 'i0_form_NaO2'"),
            (lambda: Descriptors(d_band_center=-1.0, icohp=-1.5), "did you mean 'd_band_centre'"),
            (lambda: ma.SolverSettings(rtl=1e-4), "SolverSettings has no field 'rtl'; did you mean 'rtol'")):
        with pytest.raises(ParameterError, match=message):
            make()
    # numpy scalars are numbers (np.float32 was refused as "must be a number")
    assert LumpedParameters(i0_form_NaO2=np.float32(0.1)).i0_form_NaO2 == pytest.approx(0.1)
    assert ma.Discharge(current_A_per_kg=np.float32(100), until=1.5).current == pytest.approx(100.0)


def test_numbers_in_the_wrong_unit_are_caught_where_a_physical_bound_allows():
    # specific_area=20 (meant m²/g) ran to a 4.4 mAh/g discharge; p_O2 = 0.21 (meant bar) to 0.6 mAh/g
    import warnings

    from metalair.chemistry.environment import Environment
    from metalair.errors import ParameterError
    from metalair.models.parameters import LumpedParameters

    with pytest.raises(ParameterError, match=r"specific_area = 20 is out of range; allowed range \[100, 1e\+07\]"):
        LumpedParameters(specific_area=20)
    with pytest.raises(ParameterError, match=r"loading = 0.5 is out of range"):
        LumpedParameters(loading=0.5)
    p = LumpedParameters(specific_area="20 m2/g", loading="0.5 mg/cm2")  # ASCII unit spellings
    assert (p.specific_area, p.loading) == (pytest.approx(2e4), pytest.approx(5e-3))
    with pytest.warns(UserWarning, match=r"these look like bar or mole fractions \(0.21 bar of O2 is 21000"):
        Environment("fractions", "25 °C", 0.21, 0.00042, 0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Environment("glovebox", "25 °C", "0.21 Pa", 0.0, 0.0)  # trace O2 with its unit: no warning
        Environment("air", 298.15, 21000.0, 42.0, 600.0)
