"""Output folders after a killed or interrupted run: nothing the user had is lost, nothing is hidden."""

from __future__ import annotations

import json

import pytest
import typer

from metalair.cli._common import stop_interrupted
from metalair.workflows.outputs import MANIFEST_NAME, OutputFolderError, begin_run, continue_run


def _first_run(out):
    with begin_run(out, "first") as run:
        run.path("a.csv").write_text("earlier")
    return (out / MANIFEST_NAME).read_text()


def test_an_overwrite_killed_mid_run_gets_the_earlier_run_back_at_the_next_run(tmp_path):
    out = tmp_path / "o"
    before = _first_run(out)
    killed = begin_run(out, "second", overwrite=True)  # SIGKILL now: no __exit__, no finish
    (out / "a.csv").write_text("half of the killed run")
    assert list(out.glob(".metalair-replaced-*")) and killed.backup is not None
    with pytest.raises(OutputFolderError, match=r"earlier run \('first', complete"):
        begin_run(out, "third")  # the earlier, complete run is back, so it is protected again
    assert (out / "a.csv").read_text() == "earlier" and (out / MANIFEST_NAME).read_text() == before
    assert not list(out.glob(".metalair-replaced-*"))


def test_files_written_before_an_interrupt_are_listed_as_partial(tmp_path):
    out = tmp_path / "o"
    with pytest.raises(KeyboardInterrupt), begin_run(out, "long"):
        (out / "written_but_not_registered.csv").write_text("1")
        raise KeyboardInterrupt
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert manifest["status"] == "partial" and manifest["files"] == ["written_but_not_registered.csv"]
    assert "Ctrl-C" in manifest["error"]


def test_temporary_files_of_dead_processes_are_removed(tmp_path):
    out = tmp_path / "o"
    _first_run(out)
    stale = out / ".a.csv.999999999.0123456789ab.tmp"  # no process has this id
    stale.write_text("fragment")
    with begin_run(out, "again", overwrite=True) as run:
        run.path("a.csv").write_text("new")
    assert not stale.exists()


def test_a_resumed_run_finishes_its_manifest(tmp_path):
    out = tmp_path / "o"
    _first_run(out)
    with continue_run(out, "resume") as run:
        run.path("b.csv").write_text("more")
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert manifest["status"] == "complete" and set(manifest["files"]) == {"a.csv", "b.csv"}


def test_ctrl_c_during_an_overwrite_puts_the_earlier_run_back(tmp_path):
    out = tmp_path / "o"
    _first_run(out)
    run = begin_run(out, "second", overwrite=True)
    run.path("a.csv").write_text("interrupted run")
    with pytest.raises(typer.Exit) as exc:
        stop_interrupted(run, "interrupted by the user during step 3")
    assert exc.value.exit_code == 130
    assert (out / "a.csv").read_text() == "earlier"
    fresh = tmp_path / "fresh"
    run = begin_run(fresh, "first")
    run.path("x.csv").write_text("part")
    with pytest.raises(typer.Exit):
        stop_interrupted(run, "interrupted by the user during step 3")
    manifest = json.loads((fresh / MANIFEST_NAME).read_text())
    assert manifest["status"] == "partial" and manifest["files"] == ["x.csv"] and "Ctrl-C" in manifest["error"]


def test_an_interrupted_simulation_stops_a_sweep_instead_of_becoming_a_result(monkeypatch):
    import metalair as ma
    from metalair.protocols.simulation import Simulation

    real = Simulation.run

    def interrupted(self, *args, **kwargs):
        sol = real(self, *args, **kwargs)
        sol.status, sol.message = "interrupted", "interrupted by the user during step 1"
        return sol

    monkeypatch.setattr(Simulation, "run", interrupted)
    from metalair.calibration.runs import evaluate_targets
    from metalair.calibration.targets import Target
    from metalair.sweeps.evaluate import ScreenSettings, evaluate_candidate

    with pytest.raises(KeyboardInterrupt):  # a sweep candidate: stop, do not store it as "failed"
        evaluate_candidate({"catalyst": "NLRO"}, ScreenSettings(protocol="Rest for 1 min"))
    with pytest.raises(KeyboardInterrupt):  # a calibration evaluation: stop, never a value or checkpoint
        evaluate_targets([Target("t", "NLRO", "discharge_capacity", 100.0, 10.0, "mAh/g",
                                 run="Discharge at 100 mA/g for 10 mAh/g")])
    assert ma.simulate("NLRO", "Rest for 1 min").status == "interrupted"


def test_the_set_aside_files_of_a_run_still_going_are_left_alone(tmp_path):
    out = tmp_path / "o"
    _first_run(out)
    live = out / ".metalair-replaced-1-0123456789ab"  # process 1 is always alive
    live.mkdir()
    (live / "a.csv").write_text("another process's earlier run")
    with pytest.raises(OutputFolderError, match="earlier run"):
        begin_run(out, "again")
    assert (live / "a.csv").read_text() == "another process's earlier run"


def test_files_of_a_run_killed_before_it_listed_them_are_its_own(tmp_path):
    """SIGKILL after a file was written but before the run listed it: the manifest says "running" with no
    files. The next run must not take that file as nobody's: it is refused (the manifest kept, nothing
    changed), naming --resume where the same command has one. --overwrite sets aside only the files the new run
    would write: a file the user put in the folder is never taken (a review caught an earlier version
    deleting it)."""
    out = tmp_path / "o"
    killed = begin_run(out, "metalair ensemble cycle -n 8")  # SIGKILL after the writes below: no finish
    (out / "ensemble.csv").write_text("a complete table the killed run wrote")
    assert killed.files == []
    manifest_before = (out / MANIFEST_NAME).read_text()
    refusal = (r"already holds the files of an earlier run \('metalair ensemble cycle -n 8', still running or "
               r"stopped before it finished, .*, 1 file written since it started\); pass --overwrite to replace "
               r"them, --resume to continue it")
    with pytest.raises(OutputFolderError, match=refusal):
        begin_run(out, "metalair ensemble cycle -n 8", resume_option="--resume")
    with pytest.raises(OutputFolderError, match=r"pass --overwrite to replace them, or choose"):
        begin_run(out, "metalair calibrate --builtin none", resume_option="--resume")  # another command: no hint
    assert (out / MANIFEST_NAME).read_text() == manifest_before  # the refused commands changed nothing
    (out / "my_notes.txt").write_text("the user's own")
    with begin_run(out, "metalair ensemble cycle -n 8", overwrite=True, expected=("ensemble.csv",)) as run:
        assert run.replaced == ["ensemble.csv"]
        run.path("ensemble.csv").write_text("new")
    assert (out / "my_notes.txt").read_text() == "the user's own"


def test_a_killed_run_that_wrote_nothing_leaves_nothing_to_protect(tmp_path):
    out = tmp_path / "o"
    begin_run(out, "killed before writing")  # SIGKILL at once
    with begin_run(out, "next") as run:  # not refused: there is nothing of the killed run to keep
        run.path("a.csv").write_text("1")


def test_overwrite_refuses_to_set_aside_the_file_it_reads(tmp_path):
    """'analyze out/cell.csv --out out --overwrite' had set cell.csv aside, then said "no such file"."""
    from metalair.workflows.outputs import OutputFolderError, begin_run

    out = tmp_path / "out"
    with begin_run(out, "simulate") as run:
        (out / "cell.csv").write_text("t,V\n0,2\n")
        run.add(out / "cell.csv")
    with pytest.raises(OutputFolderError, match="the input cell.csv is a file of the earlier run there"):
        begin_run(out, "analyze", overwrite=True, inputs=[out / "cell.csv"])
    assert (out / "cell.csv").is_file()
    with begin_run(out, "analyze", overwrite=True, inputs=[tmp_path / "elsewhere.csv"]):
        pass
