"""Long capacity-limited cycling: conservation across cycles, end-of-life logic, bad inputs."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import metalair as ma
from metalair.analysis.simulated import simulated_cycle_summary
from metalair.errors import ProtocolError
from metalair.workflows.cycling import cycling_protocol, run_cycling

from .test_balances import check_balances, check_physical


@pytest.mark.parametrize("catalyst", ["NLRO", "RuO2"])
def test_carry_over_conserves_charge_sodium_oxygen_over_120_cycles(catalyst):
    """Invariants over 120 cycles with state carried from cycle to cycle (every cycle stored).

    The balances are those of the model declaration (test_balances.check_balances: every channel, every
    inventory with its element content), so a reaction added to the declaration is checked here too.
    """
    sol = ma.Simulation(catalyst, [cycling_protocol(cycles=120)]).run()
    assert sol.ok
    assert int(sol["Cycle"].max()) == 120
    check_balances(sol, hydrate_water=1.0)
    check_physical(sol)
    assert np.all(sol["Exposed Na2CO3 [mol/g]"] <= sol["Na2CO3 [mol/g]"] + 1e-15)


def test_summaries_match_stored_series_and_memory_is_bounded():
    """Per-cycle numbers from step summaries equal those from the stored series; unsaved cycles keep no rows."""
    res = run_cycling("NLRO", cycles=30, save_cycles=[1, 30])
    sol = res.solution
    assert set(np.unique(sol["Cycle"])) <= {1, 30}
    t = res.table
    m = (sol["Cycle"] == 30) & (sol["Step"] == 59)  # discharge of cycle 30
    assert t["Discharge capacity [mAh/g]"][29] == pytest.approx(sol["Capacity [mAh/g]"][m][-1], rel=1e-12)
    assert t["End-of-discharge voltage [V]"][29] == pytest.approx(sol["Voltage [V]"][m][-1], abs=1e-12)


def test_end_of_life_discharge_failure_constructed():
    """A discharge limit the cell cannot reach at this current fails cycle 1 by the discharge rule."""
    res = run_cycling("NLRO", current="500 mA/g", capacity="500 mAh/g", cycles=3, v_min="2.21 V", v_max="4.8 V")
    assert res.life.first_failed_cycle == 1 and res.life.cycle_life == 0
    assert "discharge" in res.life.reason and "2.21 V" in res.life.reason


def test_end_of_life_charge_failure_constructed():
    """A charge limit below the NaO2 plateau cannot return the capacity: cycle 1 fails by the charge rule."""
    res = run_cycling("NLRO", current="500 mA/g", capacity="500 mAh/g", cycles=3, v_min="1.5 V", v_max="2.4 V")
    assert res.life.first_failed_cycle == 1
    assert "charge returned" in res.life.reason and "2.4 V" in res.life.reason


def test_no_failure_is_censored():
    res = run_cycling("NLRO", cycles=5)
    assert res.life.censored and res.life.cycle_life == 5 and res.life.first_failed_cycle is None


@pytest.mark.parametrize("kwargs, match", [
    ({"capacity": "0 mAh/g"}, "capacity"),
    ({"capacity": "-5 mAh/g"}, "capacity"),
    ({"current": "-500 mA/g"}, "current"),
    ({"v_min": "4.9 V", "v_max": "4.8 V"}, "v_min"),
    ({"v_min": "3 V", "v_max": "3 V"}, "v_min"),
    ({"cycles": 0}, "cycles"),
    ({"cycles": 2.5}, "cycles"),
    ({"cycles": True}, "cycles"),
])
def test_bad_cycling_inputs_refused(kwargs, match):
    with pytest.raises(ProtocolError, match=match):
        cycling_protocol(**kwargs)


def test_cycle_repeat_below_one_refused():
    with pytest.raises(ProtocolError, match="repeat"):
        ma.Cycle([ma.Discharge("500 mA/g", capacity="500 mAh/g")], repeat=0)


def test_simulated_summary_columns():
    sol = ma.Simulation("RuO2", [cycling_protocol(cycles=4)], save_cycles=[1]).run()
    t = simulated_cycle_summary(sol)
    assert len(t) == 4
    assert np.all(t["Discharge capacity [mAh/g]"] == pytest.approx(500.0, rel=1e-9))
    assert np.all(t["Carbonate after charge [mmol/g]"][1:] > t["Carbonate after charge [mmol/g]"][:-1])


def test_multi_step_half_cycles_count_whole():
    """A CC-CV charge and a charge stepped down in current count whole, in the per-cycle table and in the
    summary, and agree with the same record read as cycler data; a closing rest is no cycle of its own."""
    from metalair.analysis.cycle_metrics import cycle_life, cycle_summary
    from metalair.analysis.simulated import to_cycler_data
    from metalair.analysis.summary import step_summary

    for text in ("(Discharge at 500 mA/g for 300 mAh/g or until 1.5 V; Charge at 500 mA/g until 2.45 V; "
                 "Hold at 2.45 V until 5 mA/g) x 2; Rest for 1 h",
                 "(Discharge at 500 mA/g for 300 mAh/g or until 1.5 V; Charge at 500 mA/g for 200 mAh/g; "
                 "Charge at 100 mA/g for 100 mAh/g or until 4.8 V) x 2; Rest for 1 h"):
        sol = ma.simulate("NLRO", text)
        assert sol.ok
        t = simulated_cycle_summary(sol)
        measured = cycle_summary(to_cycler_data(sol), mass_g=1.0)
        assert list(t["Cycle"]) == [1, 2]
        charge = [sum(s.capacity_mAh_g for s in sol.steps if s.cycle == c and s.kind in ("charge", "hold"))
                  for c in (1, 2)]
        assert t["Charge capacity [mAh/g]"] == pytest.approx(charge, rel=1e-12)
        assert t["Coulombic efficiency [%]"] == pytest.approx(measured["Coulombic efficiency [%]"], rel=1e-6)
        assert t["Mean charge voltage [V]"] == pytest.approx(measured["Mean charge voltage [V]"], rel=1e-6)
        assert t["End-of-charge voltage [V]"] == pytest.approx(measured["End-of-charge voltage [V]"], rel=1e-9)
        assert np.all(t["Coulombic efficiency [%]"] > 99.5)
        life = cycle_life(t, capacity_limit_mAh_g=300.0, v_min=1.5, v_max=4.8)
        assert life.first_failed_cycle is None and life.cycle_life == 2
        s = step_summary(sol)
        assert s["charge_capacity_mAh_g"] == pytest.approx(charge[0], rel=1e-12)
        assert sum(s["charge_by_reaction_mAh_g"].values()) == pytest.approx(charge[0], rel=1e-6)


def test_a_trailing_charge_is_no_failed_cycle():
    """A charge after the last full cycle makes a cycle without a discharge: not a failure."""
    from metalair.analysis.cycle_metrics import cycle_life

    sol = ma.simulate("NLRO", "(Discharge at 500 mA/g for 50 mAh/g or until 1.5 V; Charge at 500 mA/g for 50 mAh/g "
                              "or until 4.8 V) x 2; Charge at 100 mA/g for 10 mAh/g or until 4.8 V")
    life = cycle_life(simulated_cycle_summary(sol), capacity_limit_mAh_g=50.0, v_min=1.5, v_max=4.8)
    assert life.first_failed_cycle is None and life.cycle_life == 2
    assert any("cycle 3 has no discharge" in n for n in life.notes)


def test_compiled_and_plain_python_kernel_agree():
    """The kernel gives the same numbers with and without numba (METALAIR_NO_JIT=1)."""
    code = ("import metalair as ma, json; from metalair import _jit;"
            "s = ma.simulate('NLRO', 'Discharge at 500 mA/g for 2000 mAh/g or until 1.5 V; "
            "Charge at 500 mA/g until 4.8 V');"
            "print(json.dumps([_jit.COMPILED] + "
            "[[x.capacity_mAh_g, x.mean_voltage_V, x.end_voltage_V] for x in s.steps]))")
    import json

    outs = []
    for flag in ("0", "1"):
        env = dict(os.environ, METALAIR_NO_JIT=flag)
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
        outs.append(json.loads(r.stdout.strip().splitlines()[-1]))
    jit, plain = outs
    assert plain[0] is False
    np.testing.assert_allclose(np.array(jit[1:]), np.array(plain[1:]), rtol=1e-9, atol=1e-9)


def _png(path):
    with open(path, "rb") as fh:
        return fh.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the figure process is forked on Linux only")
def test_figure_drawn_in_a_forked_process_matches_the_files_written(tmp_path, monkeypatch):
    """The figure is drawn by a forked process while the table is written; the files are the same as
    when it is drawn in-process (METALAIR_NO_FIGURE_PROCESS=1), and no process is left behind.

    The forked run is in a fresh interpreter: this one may run other threads (an imported test
    module's), and a threaded process is never forked."""
    import multiprocessing

    from metalair.plotting.worker import start_figure_worker

    script = (
        "import sys, multiprocessing\n"
        "from metalair.plotting.worker import start_figure_worker\n"
        "from metalair.workflows.cycling import run_cycling\n"
        "w = start_figure_worker(); assert w is not None; w.close()\n"
        "res = run_cycling('NLRO', cycles=3, out_dir=sys.argv[1])\n"
        "assert not multiprocessing.active_children()\n"
        "print(sorted(res.files.values()))\n")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "forked")], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['cycles.csv', 'cycling.png', 'summary.json']"
    assert _png(tmp_path / "forked" / "cycling.png")
    monkeypatch.setenv("METALAIR_NO_FIGURE_PROCESS", "1")
    assert start_figure_worker() is None
    res2 = run_cycling("NLRO", cycles=3, out_dir=tmp_path / "here")
    assert sorted(res2.files.values()) == ["cycles.csv", "cycling.png", "summary.json"]
    assert _png(tmp_path / "here" / "cycling.png")
    assert (tmp_path / "forked" / "cycles.csv").read_text() == (tmp_path / "here" / "cycles.csv").read_text()
    assert not [p for p in multiprocessing.active_children() if p.name == "metalair-figure"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the figure process is forked on Linux only")
def test_a_failing_figure_process_falls_back_to_drawing_here(tmp_path, monkeypatch):
    import metalair.plotting.worker as W

    class Broken(W.FigureWorker):
        def wait(self, timeout=120.0):
            return "simulated failure"

    monkeypatch.setattr(W, "start_figure_worker", lambda: Broken(__import__("multiprocessing").get_context("fork")))
    res = run_cycling("NLRO", cycles=2, out_dir=tmp_path)
    assert res.files["figure"] == "cycling.png" and _png(tmp_path / "cycling.png")


def _worker_is_none_in_pool():
    from metalair.plotting.worker import start_figure_worker

    return start_figure_worker() is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the figure process is forked on Linux only")
def test_no_figure_process_in_daemonic_or_threaded_processes():
    """Pool and Dask workers are daemonic (no children allowed); a threaded process is not forked."""
    import multiprocessing
    import threading

    from metalair.plotting.worker import start_figure_worker

    with multiprocessing.get_context("fork").Pool(1) as pool:
        assert pool.apply(_worker_is_none_in_pool) is True
    release = threading.Event()
    t = threading.Thread(target=release.wait)
    t.start()
    try:
        assert start_figure_worker() is None
    finally:
        release.set()
        t.join()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the figure process is forked on Linux only")
def test_a_figure_process_that_dies_before_it_is_ready_leaves_the_figure_to_this_process(tmp_path, monkeypatch):
    import metalair.plotting.simulation as S

    def broken():
        raise RuntimeError("no matplotlib in the child")

    import multiprocessing

    import metalair.plotting.worker as W

    monkeypatch.setattr(S, "preload", broken)  # the forked child inherits the broken import
    # a worker even if this test process runs other threads (start_figure_worker would refuse)
    monkeypatch.setattr(W, "start_figure_worker", lambda: W.FigureWorker(multiprocessing.get_context("fork")))
    res = run_cycling("NLRO", cycles=2, out_dir=tmp_path)
    assert res.files["figure"] == "cycling.png" and _png(tmp_path / "cycling.png")
