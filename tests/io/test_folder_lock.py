"""An output folder is locked while a run writes into it: a second process is refused, not mixed in."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from metalair.workflows.outputs import OutputFolderError, begin_run, lock_out_dir

pytestmark = pytest.mark.skipif(sys.platform.startswith("win"), reason="no flock on Windows: folders are not locked")


def _square(candidate):
    return {"y": candidate["x"] ** 2}


def _holder(folder):
    """A process that begins a run in ``folder`` and keeps it open until its stdin closes."""
    code = textwrap.dedent(f"""
        import sys
        from metalair.workflows.outputs import begin_run
        run = begin_run({str(folder)!r}, "metalair sweep --first", expected=["results.parquet"])
        print("holding", flush=True)
        sys.stdin.read()
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "holding"
    return proc


def test_a_second_run_on_a_folder_another_process_is_writing_is_refused(tmp_path):
    """An audit ran two sweeps on one --out at once: both exited 0 and the table mixed the results of the two
    (147 of 200 rows from the second run, under the first run's command in the manifest)."""
    from metalair.sweeps import run_sweep

    out = tmp_path / "out"
    proc = _holder(out)
    try:
        with pytest.raises(OutputFolderError, match=r"another metalair run is writing to this folder now "
                                                     r"\('metalair sweep --first', started "):
            begin_run(out, "metalair analyze x", overwrite=True)
        with pytest.raises(OutputFolderError, match="another metalair run is writing to this folder now"):
            run_sweep([{"x": 1.0}], _square, out, scheduler="serial", overwrite=True)
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
    # the holder is gone (its lock went with it, even without a clean finish): the folder can be used again
    with begin_run(out, "metalair analyze x", overwrite=True) as run:
        run.path("a.txt").write_text("a")
    assert (out / "a.txt").read_text() == "a"


def test_the_lock_is_shared_within_a_process_and_dropped_by_its_last_holder(tmp_path):
    """A command and the sweep it runs hold the same folder; nothing is left behind in the folder."""
    first = lock_out_dir(tmp_path)
    second = lock_out_dir(tmp_path)
    first()
    first()  # a second call of the same release does nothing
    probe = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        from metalair.workflows.outputs import lock_out_dir
        try:
            lock_out_dir({str(tmp_path)!r})
        except Exception as exc:
            print(type(exc).__name__)
        else:
            print("locked")
    """)], capture_output=True, text=True, timeout=60)
    assert probe.stdout.strip() == "OutputFolderError"  # the second holder still has it
    second()
    probe = subprocess.run([sys.executable, "-c", f"from metalair.workflows.outputs import lock_out_dir; "
                            f"lock_out_dir({str(tmp_path)!r}); print('locked')"], capture_output=True, text=True,
                           timeout=60)
    assert probe.stdout.strip() == "locked"
    assert list(tmp_path.iterdir()) == []


def test_a_file_system_that_cannot_lock_runs_unlocked_rather_than_refusing(tmp_path, monkeypatch):
    """flock on some network mounts fails with ENOLCK: that is not 'another run is writing'."""
    import errno
    import fcntl

    def no_locks(fd, op):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    with begin_run(tmp_path / "out", "metalair analyze x") as run:
        run.path("a.txt").write_text("a")
    assert (tmp_path / "out" / "a.txt").exists()


def _other_process_can_lock(folder) -> bool:
    probe = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        from metalair.workflows.outputs import lock_out_dir
        try:
            lock_out_dir({str(folder)!r})
        except Exception:
            print("refused")
        else:
            print("locked")
    """)], capture_output=True, text=True, timeout=60)
    return probe.stdout.strip() == "locked"


def test_a_failed_overwrite_that_put_the_earlier_run_back_releases_the_folder(tmp_path):
    """A review found the lock kept after restore_earlier() (a failed --overwrite): other processes were refused
    until this one exited."""
    out = tmp_path / "out"
    with begin_run(out, "metalair first") as run:
        run.path("a.txt").write_text("first")
    with pytest.raises(RuntimeError):
        with begin_run(out, "metalair second", overwrite=True) as run:
            run.path("a.txt").write_text("second")
            raise RuntimeError("the second run failed")
    assert (out / "a.txt").read_text() == "first"  # put back
    assert _other_process_can_lock(out)
    second = begin_run(out, "metalair third", overwrite=True)
    assert second.restore_earlier()  # the same, called by hand (a sweep's --overwrite that failed)
    assert _other_process_can_lock(out)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="fork: POSIX")
def test_a_forked_child_holds_none_of_its_parents_folders(tmp_path):
    """A review found a forked child accepted as a holder of the parent's folder, and a child that outlived the
    run keeping other processes out."""
    import os
    import time

    out = tmp_path / "out"
    run = begin_run(out, "metalair parent")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: refused in the folder its parent writes, then lingers past the parent's run
        try:
            begin_run(out, "metalair child", overwrite=True)
            os.write(w, b"accepted")
        except OutputFolderError:
            os.write(w, b"refused")
        time.sleep(3)
        os._exit(0)
    try:
        assert os.read(r, 16) == b"refused"
        run.finish()
        assert _other_process_can_lock(out)  # the child still runs, and holds nothing
    finally:
        os.waitpid(pid, 0)
