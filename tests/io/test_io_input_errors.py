"""Bad input to the readers: a time column that does not run forward, and arguments of the wrong type."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import metalair as ma
from metalair.errors import DataFormatError, ParameterError
from metalair.io import CyclerData, check_cycler_data, read

COLUMNS = {"time_s": "time_s", "voltage_V": "voltage_V", "current_A": "current_A"}


def _record(tmp_path, time_s, name="run.csv"):
    """A discharge then a charge, 10 s apart, with the given time column."""
    n = len(time_s)
    current = np.where(np.arange(n) < n // 2, 1e-3, -1e-3)
    voltage = np.where(current > 0, 2.2, 3.5)
    p = tmp_path / name
    p.write_text("time_s,voltage_V,current_A\n" + "\n".join(
        f"{t},{v},{i}" for t, v, i in zip(time_s, voltage, current)) + "\n")
    return p


def test_reversed_time_column_is_refused_at_its_first_record_counted_from_1(tmp_path):
    t = np.arange(0.0, 7200.0, 10.0)
    p = _record(tmp_path, t[::-1])
    with pytest.raises(DataFormatError, match=r"run.csv: time must increase from record to record, but it does not "
                                              r"at record 2 \(7180 s after 7190 s at record 1\); of 719 intervals "
                                              r"719 go back, 0 stand still and 0 go forward.*column_map"):
        read(p, column_map=COLUMNS)


def test_constant_time_column_is_refused(tmp_path):
    p = _record(tmp_path, np.zeros(100))
    with pytest.raises(DataFormatError, match=r"does not at record 2 \(0 s after 0 s at record 1\); of 99 intervals "
                                              r"0 go back, 99 stand still and 0 go forward"):
        read(p, column_map=COLUMNS)
    # time that goes back more often than forward is refused too, at its first step back
    t = np.r_[0.0, 10.0, np.arange(5.0, -50.0, -5.0)]
    with pytest.raises(DataFormatError, match=r"does not at record 3 \(5 s after 10 s at record 2\)"):
        read(_record(tmp_path, t, "back.csv"), column_map=COLUMNS)


def test_a_few_steps_back_still_read_with_a_warning(tmp_path):
    # tests joined together: time restarts once
    t = np.r_[np.arange(0.0, 3600.0, 10.0), np.arange(0.0, 3600.0, 10.0)]
    with pytest.warns(ma.io.DataQualityWarning, match="time goes backwards 1 times"):
        data = read(_record(tmp_path, t), column_map=COLUMNS)
    assert len(data) == t.size
    # a step time that restarts at every step (the final column of a reader without a test time)
    n = 40
    step = np.repeat([1, 2, 3, 4], n // 4)
    step_time = np.tile(np.arange(n // 4, dtype=float), 4)
    data = CyclerData(step_time, np.full(n, 3.0), np.zeros(n), step, np.ones(n), ["rest"] * n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = check_cycler_data(data)
    assert any("time goes backwards 3 times" in w for w in found)


def test_read_refuses_arguments_of_the_wrong_type(tmp_path):
    p = _record(tmp_path, np.arange(0.0, 100.0, 10.0))
    with pytest.raises(ParameterError, match=r"path must be a file path \(a str or pathlib.Path\), got None "
                                             r"\(NoneType\)"):
        read(None)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"path must be a file path .*got 5 \(int\)"):
        ma.io.read(5)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"path is an empty string"):
        read("")
    with pytest.raises(ParameterError, match=r"format must be a format name \(a str\), got 5 \(int\); choose one "
                                             r"of neware_nda.*csv"):
        read(p, format=5)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"mass_g must be a positive, finite number of grams, got nan"):
        read(p, column_map=COLUMNS, mass_g=float("nan"))
    with pytest.raises(ParameterError, match=r"column_map must be a mapping.*got 5 \(int\)"):
        read(p, column_map=5)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=r"path must be a file path .*got None"):
        ma.io.detect_format(None)  # type: ignore[arg-type]
    assert read(p, column_map=COLUMNS, mass_g=np.float32(2.0)).metadata["mass_g"] == 2.0


@pytest.mark.parametrize("forced, named", [("nda", "Neware .nda"), ("mpr", "BioLogic EC-Lab .mpr"),
                                           ("res", "Arbin .res raw file")])
def test_a_forced_binary_format_on_another_file_says_what_the_file_is(data_file, forced, named):
    """Not 'damaged or truncated, copy it again' with a temporary path: the format was wrong, not the file."""
    from metalair.io import read

    with pytest.raises(DataFormatError) as exc:
        read(data_file("arbin/FastCharge_000025_CH8.csv"), format=forced)
    msg = str(exc.value)
    assert msg == (f"FastCharge_000025_CH8.csv: the format was forced as {forced!r} ({named}; format=, --format), "
                   "but the file does not start like one (it reads as Arbin CSV export): leave the format out to "
                   "recognise it from the content, or name the right one")


def test_analyze_sends_a_gamry_cv_or_eis_file_to_its_command(tmp_path):
    """The README: CV/LSV/EIS files are routed to cv/eis; a Gamry .DTA is named with the command that reads it."""
    import lzma
    from pathlib import Path

    from metalair.io import read

    data = Path(__file__).resolve().parents[1] / "data"
    with pytest.raises(DataFormatError, match=r"gamry_cv_data\.dta: a Gamry CV file, not a cycling record: read it "
                                              r"with 'metalair cv'"):
        read(data / "cv" / "gamry_cv_data.dta")
    eis = tmp_path / "eis.DTA"
    eis.write_bytes(lzma.decompress((data / "eis" / "exampleDataGamry.DTA.xz").read_bytes()))
    with pytest.raises(DataFormatError, match=r"a Gamry EISPOT file, not a cycling record: read it with "
                                              r"'metalair eis'"):
        read(eis)
