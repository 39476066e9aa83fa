"""Cycler readers checked on real files against an independent route (the raw records, the text itself).

An audit read every real cycler file with metalair and with another route and found: a Neware BTSDA CSV saved
again with semicolons and decimal commas refused with a misleading message; a 4.7 h stop of the channel in
TestFile.nda (the instrument clock jumps, the test time does not) not mentioned anywhere; a text format
forced on a binary file answered with 'binary content ... damaged'; an Arbin .res whose rows are stored out of
order (normal for an Access database) reported as a data-quality warning, and access-parser's own log line
printed on the terminal.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import warnings

import fastnda  # a core dependency, as metalair's Neware reader uses it
import numpy as np
import pytest

from metalair.errors import DataFormatError
from metalair.io import DataQualityWarning, read


def _quiet_read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return read(path, **kw)


def _relocale(text: str) -> str:
    """A comma-separated export as a spreadsheet in a decimal-comma locale saves it: ';' between fields, ',' in
    numbers."""
    out = []
    for line in text.splitlines():
        fields = [re.sub(r"^(-?\d+)\.(\d+)$", r"\1,\2", f) for f in line.split(",")]
        out.append(";".join(fields))
    return "\n".join(out) + "\n"


def test_a_neware_csv_saved_with_semicolons_and_decimal_commas_reads_as_the_original(data_file, tmp_path):
    """The BTSDA CSV of interp-test.ndax, saved again in a German locale: it was refused ('line 2 has 16 values but
    the header names only 1 columns; a column name is missing from the header')."""
    original = data_file("neware/interp-test.csv")
    german = tmp_path / "interp-test-de.csv"
    german.write_text(_relocale(original.read_text(encoding="latin-1")), encoding="latin-1")
    assert ";0,2;" in german.read_text(encoding="latin-1")  # the voltage 0.2 mV is now written 0,2
    a, b = _quiet_read(original), _quiet_read(german)
    assert b.metadata["format"] == "neware_csv" and len(b) == len(a) == 333
    for name in ("time_s", "voltage_V", "current_A", "step", "cycle", "step_type"):
        np.testing.assert_array_equal(getattr(b, name), getattr(a, name), err_msg=name)
    assert b.voltage_V[0] == pytest.approx(2e-4)  # 0,2 mV, not 2 mV or 0.2 V


def test_a_stop_of_the_channel_that_the_test_time_leaves_out_is_noted(data_file):
    """TestFile.nda: between records 6623 and 6624 the instrument clock advances 16,969 s more than the test time
    (the channel stood still for 4.7 h, then resumed); nothing said so."""
    path = data_file("neware/TestFile.nda")
    raw = fastnda.read(path)
    clock, test = raw["unix_time_s"].to_numpy(), raw["total_time_s"].to_numpy()
    unseen = np.diff(clock) - np.diff(test)
    k = int(np.argmax(unseen))
    assert k + 1 == 6623 and unseen[k] / 3600 == pytest.approx(4.71, abs=0.01)  # the raw records say so
    notes = [n for n in _quiet_read(path).metadata["notes"] if "stopped and resumed" in n]
    assert len(notes) == 1
    assert "between records 6623 and 6624" in notes[0] and "4.71 h" in notes[0]
    for other in ("neware/nw4-120-1-6-53.ndax", "neware/new_nda_file.nda"):  # clocks that agree: no note
        assert not any("stopped and resumed" in n for n in _quiet_read(data_file(other)).metadata["notes"])


@pytest.mark.parametrize(("name", "renamed", "forced", "what"), [
    pytest.param("neware/TestFile.nda", "TestFile.csv", "maccor", "Neware .nda"),
    ("biologic/00_test_04_MB_C01.mpr", "00_test_04_MB_C01.mpt", "mpt", "BioLogic EC-Lab .mpr"),
])
def test_a_text_format_forced_on_a_binary_file_says_what_the_file_is(data_file, tmp_path, name, renamed, forced,
                                                                      what):
    """A binary file renamed with a text extension, then read with that text format forced: the message was
    'binary content where a text export was expected; the file is damaged or of another format'."""
    path = tmp_path / renamed
    shutil.copyfile(data_file(name), path)
    with pytest.raises(DataFormatError, match=rf"forced as '{forced}'.*binary file, not text: it reads as {what}"):
        read(path, format=forced)


def test_arbin_res_rows_out_of_order_are_a_note_and_access_parser_prints_nothing(data_file, tmp_path):
    """arbin_example.res stores record 1561 before 1560 (an Access table keeps no row order): sorting loses
    nothing, yet it was a DataQualityWarning (and strict=True refused the file). A cut-off copy made
    access-parser log 'DB is not full or PAGE_SIZE is wrong' on the terminal."""
    pytest.importorskip("access_parser")
    path = data_file("arbin/arbin_example.res")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        data = read(path, strict=True)
    assert np.all(np.diff(data.time_s) > 0)
    assert any("out of Data_Point order" in n for n in data.metadata["notes"])
    raw = path.read_bytes()
    cut = tmp_path / "cut.res"
    cut.write_bytes(raw[: int(len(raw) * 0.97)])
    with pytest.raises(DataFormatError, match="damaged or truncated"):
        read(cut)
    # in a fresh interpreter: pytest's logging plugin would take access-parser's log line before the terminal
    script = ("import sys\nfrom metalair.errors import DataFormatError\nfrom metalair.io import read\n"
              "try:\n    read(sys.argv[1])\nexcept DataFormatError:\n    pass\nelse:\n    sys.exit(3)\n")
    run = subprocess.run([sys.executable, "-c", script, str(cut)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "PAGE_SIZE" not in run.stdout + run.stderr


# --------------------------------------------------------------------------- cross-checks with another route
def test_neware_cycle_capacities_equal_the_vendor_step_capacities(data_file, tmp_path):
    """nw4-120-1-6-53.ndax (charge first, CC then CV per charge): each cycle's charge and discharge capacity in
    the cycle table equals the sum of the vendor's end-of-step capacities of that half-cycle, read from fastnda's
    raw records (charge positive there)."""
    from metalair.analysis import cycle_summary

    path = data_file("neware/nw4-120-1-6-53.ndax")
    raw = fastnda.read(path)
    step = raw["step_count"].to_numpy()
    last = np.append(np.flatnonzero(np.diff(step) != 0), len(step) - 1)
    cap = raw["capacity_mAh"].to_numpy().astype(float)[last]
    kind = [str(s) for s in raw["step_type"].cast(str).to_numpy()[last]]
    halves: list[list] = []  # [direction, mAh]: consecutive charge steps (CC, CV) form one half
    for name, q in zip(kind, cap):
        if name == "Rest":
            continue
        d = "C" if name.endswith("_Chg") else "D"
        if halves and halves[-1][0] == d:
            halves[-1][1] += abs(q)
        else:
            halves.append([d, abs(q)])
    assert halves[0][0] == "C" and len(halves) == 320
    table = cycle_summary(_quiet_read(path))
    assert len(table) == 160
    np.testing.assert_allclose(table["Charge capacity [mAh]"], [q for d, q in halves if d == "C"], rtol=1e-9)
    np.testing.assert_allclose(table["Discharge capacity [mAh]"], [q for d, q in halves if d == "D"], rtol=1e-9)


def test_maccor_half_cycle_capacities_equal_the_amp_hr_column(data_file):
    """maccor_one.txt (data-viewer export, 'Cyc#' 0 throughout): the discharge and charge capacities of the
    cycle table equal the 'Amp-hr' column at the end of each D/C run, parsed here from the text."""
    from metalair.analysis import cycle_summary

    path = data_file("maccor/maccor_one.txt")
    lines = path.read_text(encoding="latin-1").splitlines()
    h = next(k for k, ln in enumerate(lines) if ln.startswith("Rec#"))
    names = lines[h].split("\t")
    rows = [ln.split("\t") for ln in lines[h + 1:] if ln.strip()]
    state = [r[names.index("State")].strip() for r in rows]
    amp_hr = [float(r[names.index("Amp-hr")]) for r in rows]
    halves: list[list] = []
    for k, s in enumerate(state):
        if s not in ("C", "D"):
            continue
        end_of_run = k + 1 == len(state) or state[k + 1] != s or rows[k + 1][2] != rows[k][2]
        if not end_of_run:
            continue
        if halves and halves[-1][0] == s:
            halves[-1][1] += 1000 * amp_hr[k]
        else:
            halves.append([s, 1000 * amp_hr[k]])
    assert [d for d, _ in halves] == ["D", "C"] * 3
    table = cycle_summary(_quiet_read(path))
    np.testing.assert_allclose(table["Discharge capacity [mAh]"], [q for d, q in halves if d == "D"], rtol=1e-9)
    np.testing.assert_allclose(table["Charge capacity [mAh]"], [q for d, q in halves if d == "C"], rtol=1e-9)
