"""Options that contradict each other, or that another option makes moot, are refused before any work."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from metalair.cli.app import app

runner = CliRunner()


@pytest.mark.parametrize(("args", "message"), [
    # each of these ran with exit 0 and silently dropped one option
    (["validate", "--json", "--ensemble", "2"], "--json prints the rows of one run; --ensemble prints bands"),
    (["catalysts", "--show", "NLRO", "--parameters"], "--show prints one catalyst as a file and --parameters"),
    (["impedance", "--capacities", "500"], "--capacities sets where --along takes its spectra; give --along CURRENT"),
    (["eis", "{spectrum}", "--band", "--no-drt"], "--band is the credible band of the DRT, which --no-drt turns off"),
    (["screen", "--sample", "descriptors.NaO2.icohp=-2:-1", "-n", "2", "--resume", "--overwrite", "-o", "{out}"],
     "--resume continues the sweep in --out and --overwrite starts it again"),
    (["screen", "--sample", "descriptors.NaO2.icohp=-2:-1", "-n", "2", "--resume", "-o", "{out}"],
     "holds no sweep to continue (no such folder)"),
])
def test_contradicting_options_are_refused(tmp_path, args, message):
    spectrum = tmp_path / "z.csv"
    spectrum.write_text("f (Hz),Zreal (Ohm),Zimag (Ohm)\n" + "\n".join(
        f"{10 ** (3 - k / 4)},{10 + k},{-1 - k}" for k in range(12)) + "\n")
    out = tmp_path / "never"
    res = runner.invoke(app, [a.format(spectrum=spectrum, out=out) for a in args])
    assert res.exit_code == 1, res.output
    assert message in " ".join(res.output.split())
    assert not out.exists()


def test_capacities_with_along_still_run(tmp_path):
    res = runner.invoke(app, ["impedance", "--along", "100mA/g", "--capacities", "50", "--points", "7", "--no-plot",
                              "-o", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert any(tmp_path.glob("*.csv"))
