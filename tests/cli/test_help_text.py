"""Every option's help text reaches the terminal whole: rich markup must not swallow '[unit]'."""

from __future__ import annotations

import re

import click
import pytest
import typer
from typer.testing import CliRunner

from metalair.cli.app import app

runner = CliRunner()


def _commands(group: click.Command, path: tuple[str, ...] = ()):
    if hasattr(group, "commands"):  # a group (typer's TyperGroup is not a click.Group subclass here)
        for name, cmd in group.commands.items():
            yield from _commands(cmd, (*path, name))
    else:
        yield path, group


_ALL = list(_commands(typer.main.get_command(app)))


@pytest.mark.parametrize("path", [p for p, c in _ALL if any("[" in (getattr(o, "help", "") or "") for o in c.params)],
                         ids=lambda p: " ".join(p))
def test_bracketed_units_survive_in_help(path):
    cmd = dict(_ALL)[path]
    res = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    shown = " ".join(res.output.replace("│", " ").split())
    for opt in cmd.params:
        text = (getattr(opt, "help", "") or "").replace("\\[", "[")  # rich's escape, as the terminal shows it
        for token in re.findall(r"\[+[^\[\]]*\]+", text):
            assert token in shown, f"{' '.join(path)} {opt.name}: {token} lost from --help"


def test_every_option_says_what_it_does():
    missing = [f"{' '.join(p)} --{o.name}" for p, c in _ALL for o in c.params
               if o.param_type_name == "option" and not (getattr(o, "help", "") or "").strip()]
    assert not missing, missing
