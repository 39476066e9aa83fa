"""Chunked CSV reading, output folders with manifests, progress, and the small refusals of issue 10."""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import metalair as ma
from metalair.cli.app import app
from metalair.errors import DataFormatError, ProtocolError
from metalair.io import DataQualityWarning, read, streaming
from metalair.tables.writers import write_cycler_csv
from metalair.workflows.outputs import MANIFEST_NAME, OutputFolderError, begin_run, check_out_dir

sys.path.insert(0, str(Path(__file__).parent))
from cycler_synthetic import build

runner = CliRunner()
CMAP = {k: k for k in ("time_s", "voltage_V", "current_A", "step", "cycle", "step_type", "capacity_Ah")}


def _read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return read(path, **kw)


def _record():
    return build([("discharge", 10, 2.8, 2.2), ("charge", 10, 3.8, 4.2), ("discharge", 8, 2.8, 2.0)])


# --------------------------------------------------------------------------- streaming
@pytest.mark.parametrize("tail", ["", "cut"])
def test_chunked_reader_gives_the_same_table(tmp_path, monkeypatch, tail):
    src = write_cycler_csv(_record(), tmp_path / "r.csv")
    if tail:
        with open(src, "a") as fh:
            fh.write("99999.0,2.1")  # a cut-off last record
    whole = _read(src, column_map=CMAP)
    monkeypatch.setattr(streaming, "STREAM_THRESHOLD_BYTES", 0)
    monkeypatch.setattr(streaming, "CHUNK_LINES", 7)
    seen = []
    chunked = _read(src, column_map=CMAP, progress=lambda stage, done, total: seen.append((stage, done, total)))
    for name, col in whole.columns().items():
        np.testing.assert_array_equal(col, chunked.columns()[name], err_msg=name)
    assert whole.warnings == chunked.warnings
    assert bool(tail) == any("incomplete" in w for w in chunked.warnings)
    assert seen and seen[-1][1] == seen[-1][2] and len(seen) > 3  # progress in bytes, to the end


def test_chunked_reader_reports_the_bad_line(tmp_path, monkeypatch):
    src = write_cycler_csv(_record(), tmp_path / "r.csv")
    lines = src.read_text().splitlines()
    lines[40] = lines[40].replace(lines[40].split(",")[1], "oops", 1)
    src.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataFormatError, match="line 41") as whole:
        read(src, column_map=CMAP)
    monkeypatch.setattr(streaming, "STREAM_THRESHOLD_BYTES", 0)
    monkeypatch.setattr(streaming, "CHUNK_LINES", 16)
    with pytest.raises(DataFormatError, match="line 41") as chunked:
        read(src, column_map=CMAP)
    assert "'oops' is not a number" in str(whole.value) and "'oops' is not a number" in str(chunked.value)


def test_duplicate_time_stamps_are_warned(tmp_path):
    src = tmp_path / "dup.csv"
    src.write_text("t,v,i\n0,3.0,0.001\n1,2.99,0.001\n1,2.99,0.001\n2,2.98,0.001\n3,2.97,0.001\n4,2.96,0.001\n")
    with pytest.warns(DataQualityWarning, match="1 records repeat the time stamp"):
        read(src, column_map={"time_s": "t", "voltage_V": "v", "current_A": "i"})


# --------------------------------------------------------------------------- output folders
def test_out_dir_checks(tmp_path):
    afile = tmp_path / "a.txt"
    afile.write_text("x")
    with pytest.raises(OutputFolderError, match="exists and is a file"):
        check_out_dir(afile)
    with pytest.raises(OutputFolderError, match="kernel pseudo file system"):
        check_out_dir("/proc/x")
    with pytest.raises(OutputFolderError, match="is a file, so no folder"):
        check_out_dir(afile / "sub")
    assert check_out_dir(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"
    assert not (tmp_path / "new").exists()  # checking creates nothing
    with pytest.raises(OutputFolderError, match="--out /: is the root of the file system"):
        check_out_dir("/")


@pytest.mark.skipif(not os.path.lexists("/proc/1/cwd"), reason="needs /proc")
def test_an_out_folder_holding_a_link_to_an_unreadable_folder_is_used(tmp_path):
    # the walk that lists what the folder held crashed on it (PermissionError from Path.rglob)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    os.symlink("/proc/1/cwd", out / "cwd")
    (out / ".hidden").mkdir()
    (out / ".hidden" / "x.csv").write_text("1")
    run = begin_run(out, "metalair test")
    assert run.preexisting == frozenset({"notes.txt"})  # not the link's target, not the hidden folder's file
    run.finish()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write anywhere")
def test_out_dir_not_writable(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(OutputFolderError, match="not writable"):
            check_out_dir(ro / "out")
    finally:
        ro.chmod(0o700)


def test_manifest_refuse_then_replace(tmp_path):
    out = tmp_path / "out"
    with begin_run(out, "first", expected=["a.csv"]) as run:
        run.path("a.csv").write_text("1")
        run.path("old_only.png").write_text("2")
    first = json.loads((out / MANIFEST_NAME).read_text())
    assert first["status"] == "complete" and first["files"] == ["a.csv", "old_only.png"]
    assert first["command"] == "first" and first["metalair_version"] == ma.__version__
    (out / "mine.txt").write_text("the user's own file")
    with pytest.raises(OutputFolderError, match="earlier run.*--overwrite"):
        begin_run(out, "second", expected=["a.csv"])
    with begin_run(out, "second", overwrite=True, expected=["a.csv"]) as run:
        run.path("a.csv").write_text("3")
    assert not (out / "old_only.png").exists()  # the earlier run's file is gone: no mixing
    assert (out / "mine.txt").read_text() == "the user's own file"  # never touched
    second = json.loads((out / MANIFEST_NAME).read_text())
    assert second["files"] == ["a.csv"] and "old_only.png" in second["replaced_earlier_run_files"]


def test_failed_overwrite_restores_the_earlier_run(tmp_path):
    out = tmp_path / "out"
    with begin_run(out, "first") as run:
        run.path("a.csv").write_text("earlier")
        run.path("sub/b.png").parent.mkdir(parents=True, exist_ok=True)
        (out / "sub" / "b.png").write_text("earlier figure")
    before = (out / MANIFEST_NAME).read_text()
    # the new run writes one file, then fails: everything of the earlier run comes back, the new file goes
    with pytest.raises(RuntimeError), begin_run(out, "second", overwrite=True) as run:
        assert not (out / "a.csv").exists()  # set aside while the new run runs: no mixing
        run.path("a.csv").write_text("half-written")
        run.path("new.csv").write_text("new")
        raise RuntimeError("boom")
    assert (out / "a.csv").read_text() == "earlier" and (out / "sub" / "b.png").read_text() == "earlier figure"
    assert not (out / "new.csv").exists() and (out / MANIFEST_NAME).read_text() == before
    assert not list(out.glob(".metalair-replaced-*"))
    # a run that finishes (complete, or partial by its own decision) replaces it for good
    with begin_run(out, "third", overwrite=True) as run:
        run.path("c.csv").write_text("3")
        run.finish("partial", "stopped early")
    assert not (out / "a.csv").exists() and (out / "c.csv").exists() and not list(out.glob(".metalair-replaced-*"))


def test_cli_failed_overwrite_keeps_the_earlier_results(tmp_path):
    out = tmp_path / "imp"
    args = ["impedance", "--no-plot", "--points", "5", "--out", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    kept = (out / "impedance.csv").read_bytes()
    bad = runner.invoke(app, [*args, "--overwrite", "--at", "Charge at 100 mA/g until 1.0 V"])
    assert bad.exit_code != 0
    assert (out / "impedance.csv").read_bytes() == kept  # the failed run did not cost the earlier results
    assert json.loads((out / MANIFEST_NAME).read_text())["status"] == "complete"


def test_interrupted_run_is_marked_partial_and_empty_run_leaves_nothing(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt), begin_run(out, "long") as run:
        run.path("part.csv").write_text("1")
        raise KeyboardInterrupt
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert manifest["status"] == "partial" and "Ctrl-C" in manifest["error"] and manifest["files"] == ["part.csv"]
    empty = tmp_path / "empty"
    with pytest.raises(RuntimeError), begin_run(empty, "fails early"):
        raise RuntimeError("boom")
    assert not empty.exists()


def test_cli_out_checked_before_any_work(tmp_path):
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    res = runner.invoke(app, ["simulate", "--out", str(afile), "--no-plot", "--no-progress"])
    assert res.exit_code == 1 and "exists and is a file" in res.output
    assert "capacity" not in res.output.lower()  # no simulation summary: nothing ran
    res = runner.invoke(app, ["analyze", "missing.nda", "--out", "/proc/x", "--no-progress"])
    assert res.exit_code == 1 and "/proc" in res.output and len(res.output.strip().splitlines()) == 1


def test_cli_analyze_twice_needs_overwrite(tmp_path):
    src = write_cycler_csv(_record(), tmp_path / "r.csv")
    cols = "time_s=time_s,voltage_V=voltage_V,current_A=current_A,step=step,cycle=cycle,step_type=step_type"
    args = ["analyze", str(src), "--format", "csv", "--columns", cols, "--out", str(tmp_path / "o"), "--no-plot"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    manifest = json.loads((tmp_path / "o" / MANIFEST_NAME).read_text())
    assert manifest["status"] == "complete" and manifest["files"] == ["cycles.csv"]
    again = runner.invoke(app, args)
    assert again.exit_code == 1 and "--overwrite" in again.output
    assert runner.invoke(app, [*args, "--overwrite"]).exit_code == 0


# --------------------------------------------------------------------------- small refusals
def test_compare_rejects_unknown_catalyst_before_running(tmp_path):
    res = runner.invoke(app, ["compare", "NLRO", "Pt", "--out", str(tmp_path / "c")])
    assert res.exit_code == 1 and "Pt" in res.output
    assert "capacity" not in res.output.lower() and not (tmp_path / "c").exists()


def test_cycle_refuses_nan_eod_threshold(tmp_path):
    res = runner.invoke(app, ["cycle", "--eod-threshold", "nan", "--out", str(tmp_path / "c"), "--no-progress"])
    assert res.exit_code == 1 and "eod-threshold" in res.output and not (tmp_path / "c").exists()


def test_stages_refuses_unreachable_voltage():
    res = runner.invoke(app, ["stages", "--at", "10"])
    assert res.exit_code == 1 and "10 V cannot be reached" in res.output and "4.8 V" in res.output
    # below where the charge starts: was a row "charge, first reaching 1 V" at 2.23 V
    res = runner.invoke(app, ["stages", "--at", "1.0,2.8"])
    assert res.exit_code == 1 and "error: --at 1 V is below 2.23 V, where the charge after the discharge starts" \
        in " ".join(res.output.split())


def test_simulate_with_a_number_for_protocol_is_a_protocol_error():
    with pytest.raises(ProtocolError, match="a protocol is text .* or steps"):
        ma.simulate("NLRO", 5)


def test_huge_protocol_text_gives_a_short_error():
    with pytest.raises(ProtocolError) as info:
        ma.simulate("NLRO", "x" * 1_000_000)
    assert len(str(info.value)) < 5000 and "1000000 characters" in str(info.value)


def test_analyze_file_progress_and_nan_threshold(tmp_path):
    from metalair.errors import ParameterError
    from metalair.workflows.analyze import analyze_file

    src = write_cycler_csv(_record(), tmp_path / "r.csv")
    seen: list[str] = []
    analyze_file(src, column_map=CMAP, figures=False, progress=lambda s, d, t: seen.append(s))
    assert "read" in seen and "steps" in seen
    with pytest.raises(ParameterError, match="finite"):
        analyze_file(src, column_map=CMAP, eod_threshold_V=float("nan"))


def test_a_file_the_user_had_in_out_is_never_replaced_without_overwrite(tmp_path):
    """A run that would write over a file that was there before it (not an earlier run's) is refused."""
    from metalair._files import ExistingFileError, atomic_write_text
    from metalair.workflows.outputs import begin_run

    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "NLRO.csv").write_text("mine", encoding="utf-8")
    run = begin_run(folder, "metalair simulate")
    with pytest.raises(ExistingFileError, match=r"NLRO\.csv was already there .*pass --overwrite to replace it"):
        with run:
            atomic_write_text(folder / "new.csv", "written")  # a new name is fine
            run.add(folder / "new.csv")
            atomic_write_text(folder / "NLRO.csv", "theirs")
    assert (folder / "NLRO.csv").read_text(encoding="utf-8") == "mine"
    atomic_write_text(folder / "NLRO.csv", "outside a run")  # the guard ends with the run
    (folder / "NLRO.csv").write_text("mine", encoding="utf-8")
    with begin_run(folder, "metalair simulate --overwrite", overwrite=True):
        atomic_write_text(folder / "NLRO.csv", "replaced")
    assert (folder / "NLRO.csv").read_text(encoding="utf-8") == "replaced"


def test_simulate_refuses_before_running_when_its_file_names_are_taken(tmp_path):
    from typer.testing import CliRunner

    from metalair.cli.app import app

    out = tmp_path / "h3"
    out.mkdir()
    (out / "RuO2.csv").write_text("mine", encoding="utf-8")
    res = CliRunner().invoke(app, ["simulate", "-c", "RuO2", "--out", str(out), "--no-progress"])
    assert res.exit_code == 1  # EXIT_USER
    assert "already holds files this run would write (RuO2.csv); pass --overwrite" in res.output
    assert (out / "RuO2.csv").read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in out.iterdir()) == ["RuO2.csv"]


def test_a_run_not_used_as_a_context_manager_still_protects_the_users_files(tmp_path):
    """cycle, screen and calibrate use begin_run without 'with': the guard was never on for them."""
    from metalair._files import ExistingFileError, atomic_write_text
    from metalair.workflows.outputs import begin_run

    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "mine.png").write_text("mine", encoding="utf-8")
    run = begin_run(folder, "metalair cycle")
    with pytest.raises(ExistingFileError, match="mine.png was already there"):
        atomic_write_text(folder / "mine.png", "theirs")
    run.finish()
    atomic_write_text(folder / "mine.png", "after the run")  # the guard ends with the run
    assert (folder / "mine.png").read_text(encoding="utf-8") == "after the run"
