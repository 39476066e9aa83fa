"""The one progress line (metalair._progress.ProgressLine) and the reporters built on it."""

from __future__ import annotations

import io
import re

from metalair._progress import ProgressLine
from metalair.sweeps.engine import ProgressBar
from metalair.workflows.progress import stderr_progress


def _line(done: int, total: int, **kw) -> str:
    out = io.StringIO()
    ProgressLine("x", stream=out, interactive=False, **kw).update(done, total)
    return out.getvalue()


def test_percentages_are_exact_and_rounded_down():
    # 29/100 is 28.999... in floating point: the line must still say 29 %
    assert "  29%" in _line(29, 100) and "  57%" in _line(57, 100) and "  99%" in _line(199, 200)
    assert " 57.5%" in _line(23, 40, decimals=1)
    assert _line(0, 0) == "x [####################] 100%\n"  # nothing to do is done


def test_a_finished_line_ends_with_its_suffix_and_covers_a_longer_one_on_a_terminal():
    out = io.StringIO()
    bar = ProgressBar("sweep", out, min_interval_s=0.0, interactive=True)
    bar(150, 200)
    bar(200, 200)
    first, last = out.getvalue().split("\r")[1:]
    assert re.search(r"200/200 candidates, [0-9.]+/s \([0-9.]+ s\) *\n$", last)  # suffix, then padding
    assert len(last.rstrip("\n")) >= len(first)  # the finished line covers the longer one before it


def test_a_new_stage_ends_the_line_of_the_last_one():
    out = io.StringIO()
    report = stderr_progress("f.csv", out, interactive=True, min_interval_s=0.0)
    report("read", 5, 10)
    report("steps", 1, 3)
    assert out.getvalue().startswith("\rf.csv reading [##########..........]  50%\n\rf.csv summarising")


def test_say_writes_one_flushed_line_on_the_stderr_of_the_moment(capsys):
    from metalair._progress import say

    say("fitting 3 starts")
    say("start 1 of 3")
    captured = capsys.readouterr()
    assert captured.err == "fitting 3 starts\nstart 1 of 3\n" and captured.out == ""
