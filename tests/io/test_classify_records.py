"""Records that are not galvanostatic cycling are recognised and routed, never turned into cycle tables."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from typer.testing import CliRunner

from metalair.analysis.classify import NotCyclingError, classify_record, count_reversals
from metalair.cli.app import app
from metalair.io import DataQualityWarning, read
from metalair.tables.writers import write_cycler_csv
from metalair.workflows.analyze import analyze_file

runner = CliRunner()


def _read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return read(path, **kw)


@pytest.mark.parametrize(("name", "kind"), [
    ("voltammetry/lsv.mpt", "linear sweep"),
    ("voltammetry/cv.mpt", "cyclic voltammetry"),
    ("eis/peis.mpt", "impedance"),
    ("eis/exampleDataBioLogic.mpt", "impedance"),
    ("biologic/mb.mpt", "galvanostatic cycling"),
    ("biologic/00_test_01_OCV_C01.mpr", "rest"),
    ("biologic/00_test_04_MB_C01.mpr", "potentiostatic hold"),
    ("neware/TestFile.nda", "galvanostatic cycling"),
    ("arbin/FastCharge_000025_CH8.csv", "rest"),
])
def test_real_records_are_classified(data_file, name, kind):
    if name.endswith(".mpr"):
        pytest.importorskip("galvani")
    if name.endswith(".nda"):
        pytest.importorskip("fastnda")
    result = classify_record(_read(data_file(name)))
    assert result.kind == kind, str(result)


def test_lsv_is_one_sweep_and_cv_has_reversals(data_file):
    lsv = classify_record(_read(data_file("voltammetry/lsv.mpt")))
    assert [s.kind for s in lsv.segments] == ["linear sweep"] and lsv.segments[0].rows == 1186
    assert "20 mV/s" in lsv.segments[0].evidence and "0 reversals" in lsv.segments[0].evidence
    cv = classify_record(_read(data_file("voltammetry/cv.mpt")))
    assert [s.kind for s in cv.segments] == ["cyclic voltammetry"]
    assert "3 reversals" in cv.segments[0].evidence  # two cycles: up, down, up, down


@pytest.mark.parametrize(("name", "kind"), [("voltammetry/lsv.mpt", "linear sweep"),
                                            ("voltammetry/cv.mpt", "cyclic voltammetry")])
def test_sweeps_recognised_from_signals_alone(data_file, tmp_path, name, kind):
    """The same records as a plain CSV of time, voltage and current (no EC-Lab mode/control columns)."""
    data = _read(data_file(name))
    src = tmp_path / "plain.csv"
    src.write_text("t,v,i\n" + "\n".join(f"{float(t)!r},{float(v)!r},{float(i)!r}" for t, v, i in
                                          zip(data.time_s, data.voltage_V, data.current_A)) + "\n")
    plain = _read(src, column_map={"time_s": "t", "voltage_V": "v", "current_A": "i"})
    assert classify_record(plain).kind == kind


def test_count_reversals_ignores_noise():
    rng = np.random.default_rng(1)
    up = np.linspace(0, 1, 200) + rng.normal(0, 0.01, 200)
    assert count_reversals(up) == 0
    tri = np.concatenate([np.linspace(0, 1, 100), np.linspace(1, 0, 100), np.linspace(0, 1, 100)])
    assert count_reversals(tri) == 2


@pytest.mark.parametrize(("name", "kind", "command"), [
    ("voltammetry/lsv.mpt", "linear sweep", "metalair cv"),
    ("voltammetry/cv.mpt", "cyclic voltammetry", "metalair cv"),
    ("eis/exampleDataBioLogic.mpt", "impedance", "metalair eis"),
    ("eis/peis.mpt", "impedance", "metalair eis"),
])
def test_analyze_refuses_non_cycling_and_names_the_tool(data_file, tmp_path, name, kind, command):
    with pytest.raises(NotCyclingError, match=command) as info:
        analyze_file(data_file(name), out_dir=tmp_path / "out", figures=False)
    assert info.value.kind == kind and info.value.command == command
    assert "no cycle table" in str(info.value)
    assert not (tmp_path / "out" / "cycles.csv").exists()


def test_cli_analyze_lsv_is_a_user_error_without_files(data_file, tmp_path):
    out = tmp_path / "res"
    res = runner.invoke(app, ["analyze", str(data_file("voltammetry/lsv.mpt")), "--out", str(out), "--no-progress"])
    assert res.exit_code == 1
    assert "linear sweep" in res.output and "metalair cv" in res.output
    assert not out.exists()  # nothing written, not even a manifest


def test_multi_technique_file_summarises_only_its_cycling(data_file):
    """mb.mpt (Modulo Bat): rests, impedance blocks and galvanostatic steps; the impedance rows are
    left out of the cycle table and listed in the notes."""
    result = analyze_file(data_file("biologic/mb.mpt"), figures=False)
    kinds = classify_record(_read(data_file("biologic/mb.mpt"))).kinds
    assert "impedance" in kinds and "galvanostatic" in kinds
    left_out = [n for n in result.notes if "impedance, left out of the cycle table" in n]
    assert left_out and all("metalair eis" in n for n in left_out)
    assert "frequency_Hz" not in result.data.extra or not np.any(result.data.extra["frequency_Hz"] > 0)
    assert len(result.table) >= 1


def test_synthetic_cycling_csv_still_cycling(tmp_path):
    from cycler_synthetic import build

    record = build([("discharge", 10, 2.8, 2.2), ("charge", 10, 3.8, 4.2), ("discharge", 8, 2.8, 2.0)])
    assert classify_record(record).kind == "galvanostatic cycling"
    src = write_cycler_csv(record, tmp_path / "r.csv")
    data = _read(src, column_map={k: k for k in ("time_s", "voltage_V", "current_A", "step", "cycle", "step_type")})
    assert classify_record(data).kind == "galvanostatic cycling"


def test_a_short_one_sign_block_inside_a_sweep_stays_part_of_it():
    """A CV whose steps are split by the sign of the current, with a 3-row blip of the other sign on the anodic
    scan: one CV segment (short blocks of one sign had become 'galvanostatic' and cut the CV in two)."""
    from metalair.tables.cycler import CyclerData

    tr = np.arange(200) * 10.0
    v_cv = np.concatenate([np.linspace(3.0, 4.0, 101), np.linspace(3.99, 2.0, 200)])
    t_cv = tr[-1] + 10 + np.arange(v_cv.size) * 10.0
    i_cv = np.where(np.diff(np.concatenate([[2.99], v_cv])) > 0, -1e-4, 1e-4) * (1 + 0.3 * np.sin(np.arange(v_cv.size)))
    i_cv[60:63] = 2e-5
    t, v = np.concatenate([tr, t_cv]), np.concatenate([np.full(200, 3.0), v_cv])
    i = np.concatenate([np.zeros(200), i_cv])
    sign = np.sign(i)
    step = np.concatenate([[1], 1 + np.cumsum(sign[1:] != sign[:-1])])
    data = CyclerData(time_s=t, voltage_V=v, current_A=i, step=step, cycle=np.ones(t.size, int),
                      step_type=np.array(["other"] * t.size), metadata={"format": "generic_csv"})
    kinds = [s.kind for s in classify_record(data).segments]
    assert kinds == ["rest", "cyclic voltammetry"]


def test_a_rest_record_without_current_is_named_once(data_file):
    """FastCharge_000025_CH8.csv has no current column: the refusal read '... a record with no current (no current)'."""
    from metalair.analysis.classify import route_message

    message = route_message(classify_record(_read(data_file("arbin/FastCharge_000025_CH8.csv"))))
    assert message.count("no current") == 1, message
    assert "the current is zero in every record" in message
