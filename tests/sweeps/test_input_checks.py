"""Bad sweep input fails before any candidate runs, with a message that names the value and what is allowed."""

from __future__ import annotations

import lzma
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from metalair.catalysts import get_catalyst
from metalair.catalysts.files import catalyst_to_toml
from metalair.chemistry import environment
from metalair.errors import DataFormatError, MetalairError, ParameterError, ProtocolError
from metalair.protocols.parser import parse_protocol
from metalair.sweeps import candidates as C
from metalair.sweeps.engine import run_sweep
from metalair.sweeps.evaluate import CyclingSettings, ScreenSettings
from metalair.sweeps.screen import run_screen
from metalair.workflows.cycling import cycling_protocol

DATA = Path(__file__).resolve().parents[1] / "data"


def _never(cand: dict) -> dict:  # an evaluation that must not be reached
    raise AssertionError(f"evaluated {cand}")


# ----------------------------------------------------------------------------
# candidate tables and grids
# ----------------------------------------------------------------------------
def test_table_cell_that_is_not_a_number_names_row_and_column(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("tbl_bad.csv").write_text("descriptors.NaO2.icohp,catalyst\n-1.5,NLRO\nabc,NLRO\n")
    with pytest.raises(DataFormatError, match=r"^tbl_bad.csv row 3, column descriptors.NaO2.icohp: 'abc' is not a "
                                              "number"):
        C.from_table("tbl_bad.csv")
    # comment lines count: the row is the line number in the file
    Path("tbl_c.csv").write_text("# note\ndescriptors.NaO2.icohp\n# more\n-1.5\n\nx1\n")
    with pytest.raises(DataFormatError, match=r"^tbl_c.csv row 6, column descriptors.NaO2.icohp: 'x1'"):
        C.from_table("tbl_c.csv")
    # text columns stay text; numbers stay numbers; empty cells are left out
    Path("ok.csv").write_text("catalyst,descriptors.*.icohp,environment\n123,-1.5,dry air\nRuO2,,pure O2\n")
    assert C.from_table("ok.csv") == [{"catalyst": "123", "descriptors.*.icohp": -1.5, "environment": "dry air"},
                                      {"catalyst": "RuO2", "environment": "pure O2"}]


def test_table_row_longer_than_the_header_is_refused(tmp_path):
    p = tmp_path / "long.csv"
    p.write_text("descriptors.NaO2.icohp\n-1.5\n-1.2,7\n")
    with pytest.raises(DataFormatError, match=r"row 3: 2 cells, but the header names 1 columns"):
        C.from_table(p)
    p.write_text("descriptors.NaO2.icohp,\n-1.5,\n-1.2,7\n")
    with pytest.raises(DataFormatError, match=r"row 3, column 2: '7' is in a column without a name"):
        C.from_table(p)
    # a byte-order mark and an empty trailing column (spreadsheet exports) are fine
    p.write_bytes(b"\xef\xbb\xbfdescriptors.NaO2.icohp,\r\n-1.5,\r\n")
    assert C.from_table(p) == [{"descriptors.NaO2.icohp": -1.5}]


def test_table_binary_or_corrupt_file_is_a_data_format_error(tmp_path):
    res = tmp_path / "arbin_example.res"
    res.write_bytes(lzma.decompress((DATA / "arbin" / "arbin_example.res.xz").read_bytes()))
    with pytest.raises(DataFormatError, match=r"'.*arbin_example.res' is not a text CSV file .*--table takes a CSV "
                                              r"file .* or a Parquet file \(.parquet, .pq\)"):
        C.from_table(res)
    fake = tmp_path / "nlro.parquet"
    fake.write_text(catalyst_to_toml(get_catalyst("NLRO")))
    with pytest.raises(DataFormatError, match=r"'.*nlro.parquet' is not a readable Parquet file .*--table takes"):
        C.from_table(fake)
    nul = tmp_path / "nul.csv"
    nul.write_bytes(b"a,b\n1,\x002\n")
    with pytest.raises(DataFormatError, match=r"NUL bytes"):
        C.from_table(nul)


def test_axis_given_twice_is_refused(tmp_path):
    with pytest.raises(ParameterError, match=r"^axis descriptors.NaO2.icohp given twice"):
        C.grid(["descriptors.NaO2.icohp=-1.5,-1.0", "descriptors.NaO2.icohp=-1.2"])
    p = tmp_path / "dup.csv"
    p.write_text("descriptors.NaO2.icohp,catalyst,descriptors.NaO2.icohp\n-1.5,NLRO,-1.2\n")
    with pytest.raises(DataFormatError, match=r"axis descriptors.NaO2.icohp given twice \(columns 1 and 3\)"):
        C.from_table(p)
    q = tmp_path / "dup.parquet"
    pq.write_table(pa.Table.from_arrays([pa.array([-1.5]), pa.array([-1.2])], names=["x.y", "x.y"]), q)
    with pytest.raises(DataFormatError, match=r"axis x.y given twice"):
        C.from_table(q)


def test_grid_axis_mixing_numbers_and_text_is_refused():
    with pytest.raises(ParameterError, match=r"axis descriptors.NaO2.icohp: 'abc' is not a number"):
        C.grid(["descriptors.NaO2.icohp=-1.5,abc"])
    assert C.grid(["catalyst=NLRO,123"]) == [{"catalyst": "NLRO"}, {"catalyst": "123"}]  # names stay text


# ----------------------------------------------------------------------------
# the engine's options
# ----------------------------------------------------------------------------
@pytest.mark.parametrize("address", ["tcp://10.0.0.5:8786", "localhost:8786", "tls://host.example:8786",
                                     "tcp://[::1]:8786", "local", "serial"])
def test_scheduler_addresses_accepted(address):
    from metalair.sweeps.engine import check_scheduler

    assert check_scheduler(address) == address


def test_run_sweep_refuses_bad_options_before_any_work(tmp_path):
    cands = [{"x": 1.0}, {"x": 2.0}]
    for bad in ("foo", "tcp://host", "http//x:1", ""):
        with pytest.raises(ParameterError, match=r"scheduler .* is not understood; use 'local' .*'serial' .*"
                                                 r"tcp://host:port"):
            run_sweep(cands, _never, tmp_path / "a", scheduler=bad)
    for workers in (0, -2):
        with pytest.raises(ParameterError, match=r"n_workers must be >= 1"):
            run_sweep(cands, _never, tmp_path / "a", scheduler="serial", n_workers=workers)
    afile = tmp_path / "afile.txt"
    afile.write_text("keep me")
    with pytest.raises(ParameterError, match=r"is a file, not a folder"):
        run_sweep(cands, _never, afile, scheduler="serial")
    with pytest.raises(ParameterError, match=r"is a file, so no folder can be created below it"):
        run_sweep(cands, _never, afile / "sub", scheduler="serial")
    assert afile.read_text() == "keep me" and not (tmp_path / "a").exists()


def test_run_sweep_refuses_a_name_with_numbers_and_text(tmp_path):
    cands = [{"x": 1.0}, {"x": 2}, {"x": "abc"}]
    with pytest.raises(ParameterError, match=r"candidate 2: x = 'abc' is text, but candidate 0 gives 1.0 "
                                             r"\(a number\)"):
        run_sweep(cands, _never, tmp_path / "k", scheduler="serial", batch_size=1)
    assert not (tmp_path / "k").exists()


# ----------------------------------------------------------------------------
# run_screen: what all candidates share is checked once, with the simulate/cycle message
# ----------------------------------------------------------------------------
def _message(fn) -> str:
    with pytest.raises(MetalairError) as info:
        fn()
    return str(info.value)


@pytest.mark.parametrize("settings, reference", [
    (ScreenSettings(catalyst="NLRO", protocol="Discharge at 100 mA/g until 1.5 V; Charge at 100 until 4.8 V"),
     lambda: parse_protocol("Discharge at 100 mA/g until 1.5 V; Charge at 100 until 4.8 V")),
    (ScreenSettings(catalyst="NLRO", environment="ambiant"), lambda: environment("ambiant")),
])
def test_run_screen_checks_shared_settings_once_before_running(tmp_path, settings, reference):
    cands = [{"descriptors.NaO2.icohp": -1.5}, {"descriptors.NaO2.icohp": -1.2}]
    got = _message(lambda: run_screen(cands, settings, tmp_path / "s", scheduler="serial"))
    assert got == _message(reference)
    assert not (tmp_path / "s").exists()  # nothing ran, nothing written


@pytest.mark.parametrize("make, reference", [
    (lambda: CyclingSettings(current="500"), lambda: cycling_protocol("500", "500 mAh/g", 100, "1.5 V", "4.8 V")),
    (lambda: CyclingSettings(v_min="5V", v_max="1V"),
     lambda: cycling_protocol("500 mA/g", "500 mAh/g", 100, "5V", "1V")),
    (lambda: CyclingSettings(cycles=0), lambda: cycling_protocol("500 mA/g", "500 mAh/g", 0, "1.5 V", "4.8 V")),
])
def test_cycling_settings_are_checked_when_made_with_the_cycle_message(make, reference):
    """Impossible cycling settings fail where they are written, with `metalair cycle`'s message,
    not later inside run_screen."""
    assert _message(make) == _message(reference)


@pytest.mark.parametrize("make, message", [
    (lambda: CyclingSettings(tolerance=1.5), r"cycling tolerance must be in \(0, 1\], got 1.5"),
    (lambda: CyclingSettings(eod_threshold_V=float("nan")), "cycling eod_threshold_V must be a finite voltage"),
    (lambda: ScreenSettings(cycling={"cycles": 10}), r"ScreenSettings.cycling must be a CyclingSettings, or None, "
                                                     r"got dict"),
    (lambda: ScreenSettings(plateaus="no"), r"ScreenSettings.plateaus must be True or False, got str 'no'"),
    (lambda: ScreenSettings(protocl="Rest for 1 h"), r"ScreenSettings has no field 'protocl'; did you mean 'protocol'"),
])
def test_screen_settings_of_the_wrong_kind_are_refused_when_made(make, message):
    with pytest.raises(ParameterError, match=message):
        make()


def test_run_screen_checks_the_filled_protocol_of_the_first_candidate(tmp_path):
    settings = ScreenSettings(catalyst="NLRO", protocol="Discharge at {current} until 1.5 V")
    with pytest.raises(ProtocolError, match=r"^candidate 0 \{'protocol.current': 100\}: line 1, step 1: cannot "
                                            r"read 'Discharge at 100 until 1.5 V'"):
        run_screen([{"protocol.current": 100}, {"protocol.current": 200}], settings, tmp_path / "s",
                   scheduler="serial")
    assert not (tmp_path / "s").exists()


def test_run_screen_checks_map_axes_before_running(tmp_path):
    settings = ScreenSettings(catalyst="NLRO")
    cands = [{"descriptors.NaO2.icohp": -1.5}, {"descriptors.NaO2.icohp": -1.2}]
    with pytest.raises(ParameterError, match=r"map axis 'nope' is not a column of the screen"):
        run_screen(cands, settings, tmp_path / "s", scheduler="serial", map_axes=("descriptors.NaO2.icohp", "nope"))
    assert not (tmp_path / "s").exists()
