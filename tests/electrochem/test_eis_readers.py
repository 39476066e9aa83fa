"""read_impedance on every real spectrum file, on damaged copies, and on generic CSV variants."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from metalair.errors import DataFormatError, KeyNotFoundError, ParameterError
from metalair.io.checks import DataQualityWarning
from metalair.io.impedance import detect_impedance_format, read_impedance
from metalair.tables.impedance import ImpedanceSpectrum

# file -> (format, points, (f_min, f_max) Hz, first point Z (at the highest frequency) as stored in the file)
EXPECTED = {
    "eis/exampleData.csv": ("csv", 66, (3.1623e-3, 1e4), None),
    "eis/LIB_data.txt": ("csv", 107, (5.0008e-3, 999.040405), 0.112362966 + 0.00318273902j),
    "eis/exampleDataBioLogic.mpt": ("biologic_mpt", 43, (None, 1000.3201), 65.470886 - 0.38998979j),
    "eis/exampleDataBioLogic.mpr": ("biologic_mpr", 43, (None, 1000.32007), 65.47089 - 0.3899898j),
    "eis/exampleDataGamry.DTA": ("gamry_dta", 72, (0.0158898, 200015.6), 825.8584 - 1367.239j),
    "eis/exampleDataGamryABORT.DTA": ("gamry_dta", 72, (0.0158898, 200015.6), 825.8584 - 1367.239j),
    "eis/exampleDataAutolab.txt": ("zplotw", 41, (0.1, 10000), 0.013785863964281 + 0.007191946305823j),
    "eis/exampleDataCHInstruments.txt": ("chi_txt", 73, (0.1, 9.961e4), 98.91 - 2.748j),
    "eis/exampleDataPowersuite.txt": ("powersuite_txt", 30, (0.1, None), None),
    "eis/exampleDataVersaStudio.par": ("versastudio_par", 61, (0.02154435, 100000), 55.31571 + 4.575431j),
    "eis/exampleDataZPlot.z": ("zplot_z", 21, (3000, 300000), 147.77 - 11.335j),
    "eis/exampleDataZPlot_noComments.z": ("zplotw", 31, (300, 300000), 642.62 - 85.821j),
    "eis/exampleDataParstat.txt": ("csv", 31, (10, 10000), None),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_real_spectrum_is_read(data_file, name):
    fmt, n, (f_lo, f_hi), first = EXPECTED[name]
    path = data_file(name)
    assert detect_impedance_format(path) == fmt
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        s = read_impedance(path)
    assert isinstance(s, ImpedanceSpectrum)
    assert len(s) == n
    assert s.metadata["format"] == fmt and s.metadata["file_name"] == path.name
    assert np.all(np.diff(s.frequency_Hz) <= 0)  # sorted high -> low
    if f_lo is not None:
        assert s.frequency_Hz.min() == pytest.approx(f_lo, rel=1e-4)
    if f_hi is not None:
        assert s.frequency_Hz.max() == pytest.approx(f_hi, rel=1e-4)
    if first is not None:
        assert s.impedance[0] == pytest.approx(first, rel=1e-6)
    # capacitive at the low-frequency end in every one of these files: Z'' < 0 there after conversion
    assert s.z_imag[-1] < 0


def test_mpt_and_mpr_of_the_same_measurement_agree(data_file):
    a = read_impedance(data_file("eis/exampleDataBioLogic.mpr"))
    with pytest.warns(DataQualityWarning):
        b = read_impedance(data_file("eis/exampleDataBioLogic.mpt"))
    np.testing.assert_allclose(a.frequency_Hz, b.frequency_Hz, rtol=1e-6)
    np.testing.assert_allclose(a.impedance, b.impedance, rtol=1e-6)
    assert any("-Im(Z)/Ohm" in note for note in b.metadata["notes"])  # the flip is recorded


def test_missing_frequency_name_is_refused_saying_so(data_file):
    with pytest.raises(DataFormatError, match=r"frequency column \(freq/Hz\) is missing from the header"):
        read_impedance(data_file("eis/exampleDataBioLogic_MissingFreq.mpt"))


def test_aborted_gamry_run_is_read_with_a_warning_and_refused_when_strict(data_file):
    path = data_file("eis/exampleDataGamryABORT.DTA")
    with pytest.warns(DataQualityWarning, match=r"aborted.*ends at 0\.01589 Hz.*planned final frequency was 0\.001 Hz"):
        s = read_impedance(path)
    assert s.metadata["aborted"] is True and len(s) == 72
    assert s.metadata["planned_final_frequency_Hz"] == pytest.approx(1e-3)
    with pytest.raises(DataFormatError, match=r"strict=True: the run was aborted"):
        read_impedance(path, strict=True)
    # the complete run has no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        assert read_impedance(data_file("eis/exampleDataGamry.DTA")).metadata["aborted"] is False


def test_gamry_without_zcurve_is_not_a_spectrum(data_file, tmp_path):
    text = data_file("eis/exampleDataGamry.DTA").read_text(encoding="latin-1")
    p = tmp_path / "ocv_only.DTA"
    p.write_text(text[: text.index("ZCURVE")], encoding="latin-1")
    with pytest.raises(DataFormatError, match=r"without a ZCURVE table: this is a EISPOT experiment"):
        read_impedance(p)


def test_mpt_with_ece_columns_named_but_not_recorded(data_file, tmp_path):
    """EC-Lab exports 'with ECE' name the counter-electrode columns in the header while the rows
    carry no values for them: the rows are matched to the first names and the rest reported."""
    lines = data_file("eis/exampleDataBioLogic.mpt").read_text(encoding="latin-1").splitlines()
    lines[60] = lines[60].rstrip("\t") + "\t<Ece>/V\t|Ece|/V\tRe(Zce)/Ohm\t-Im(Zce)/Ohm\t"
    p = tmp_path / "with_ece.mpt"
    p.write_text("\n".join(lines) + "\n", encoding="latin-1")
    with pytest.warns(DataQualityWarning):
        s = read_impedance(p)
    ref = read_impedance(data_file("eis/exampleDataBioLogic.mpr"))
    np.testing.assert_allclose(s.impedance, ref.impedance, rtol=1e-6)
    assert any("'<Ece>/V'" in n and "hold no data" in n for n in s.metadata["notes"])


def test_damaged_values_are_refused(data_file, tmp_path):
    lines = data_file("eis/LIB_data.txt").read_text().splitlines()
    bad = list(lines)
    bad[5] = "nan \t0.11 \t-0.001"
    (tmp_path / "nan.txt").write_text("\n".join(bad))
    with pytest.raises(DataFormatError, match=r"1 of 107 frequencies are not finite"):
        read_impedance(tmp_path / "nan.txt")
    bad = list(lines)
    bad[7] = "-12.5 \t0.11 \t-0.001"
    (tmp_path / "neg.txt").write_text("\n".join(bad))
    with pytest.raises(DataFormatError, match=r"1 frequencies are zero or negative \(e\.g\. -12\.5 Hz"):
        read_impedance(tmp_path / "neg.txt")
    bad = list(lines)
    bad[9] = "12.5 \t0.11"
    (tmp_path / "short.txt").write_text("\n".join(bad))
    with pytest.raises(DataFormatError, match=r"line 10 has 2 values where the other rows have 3"):
        read_impedance(tmp_path / "short.txt")
    # a record cut off at the very end is dropped with a warning
    (tmp_path / "cut.txt").write_text("\n".join(lines[:-1] + ["0.005 \t0.15"]))
    with pytest.warns(DataQualityWarning, match=r"incomplete"):
        assert len(read_impedance(tmp_path / "cut.txt")) == 106


@pytest.mark.parametrize("content", ["", "just some words\nand more words\n"])
def test_empty_and_foreign_files(tmp_path, content):
    p = tmp_path / "x.csv"
    p.write_text(content)
    with pytest.raises(DataFormatError, match=r"empty \(0 bytes\)|no rows of numbers"):
        read_impedance(p)
    with pytest.raises(DataFormatError, match=r"no such file"):
        read_impedance(tmp_path / "absent.csv")


def test_generic_csv_header_units_and_signs(tmp_path):
    f = np.array([1e4, 1e2, 1.0])
    z = np.array([10 - 1j, 12 - 5j, 20 - 8j])
    p = tmp_path / "minus.csv"
    rows = "\n".join(f"{a / 1e3},{b.real / 1e3},{-b.imag / 1e3}" for a, b in zip(f, z))
    p.write_text("Frequency (kHz),Z' (kOhm),-Z'' (kOhm)\n" + rows)
    s = read_impedance(p)
    np.testing.assert_allclose(s.frequency_Hz, f)
    np.testing.assert_allclose(s.impedance, z)  # kHz -> Hz, kOhm -> Ohm, -Z'' -> Z''
    # semicolon + decimal comma, |Z| and phase only
    q = tmp_path / "polar.txt"
    mod, ph = np.abs(z), np.degrees(np.angle(z))
    q.write_text("freq/Hz;|Z|/Ohm;Phase/deg\n" + "\n".join(
        f"{a:.6f};{m:.9f};{g:.9f}".replace(".", ",") for a, m, g in zip(f, mod, ph)))
    s2 = read_impedance(q)
    np.testing.assert_allclose(s2.impedance, z, rtol=1e-8)
    # no header, third column stored as -Z'' (mostly positive): detected and flipped, and the note says so
    r = tmp_path / "noheader.txt"
    r.write_text("\n".join(f"{a} {b.real} {-b.imag}" for a, b in zip(f, z)))
    s3 = read_impedance(r)
    np.testing.assert_allclose(s3.impedance, z)
    assert any("-Z''" in n for n in s3.metadata["notes"])
    np.testing.assert_allclose(read_impedance(r, imag_sign=1).z_imag, -z.imag)
    with pytest.raises(ParameterError, match=r"imag_sign must be \+1"):
        read_impedance(r, imag_sign=2)


def test_header_without_frequency_is_refused(tmp_path):
    p = tmp_path / "nof.csv"
    p.write_text("Zre,Zim\n1,2\n3,4\n")
    with pytest.raises(DataFormatError, match=r"no frequency column among the column names \('Zre', 'Zim'\)"):
        read_impedance(p)


def test_several_sweeps_need_a_choice(tmp_path):
    f = np.logspace(3, -1, 9)
    rows = [f"{a},{10 + k},{-1 - a / 1e3}" for k in (0, 5) for a in f]
    p = tmp_path / "two.csv"
    p.write_text("f (Hz),Zreal (Ohm),Zimag (Ohm)\n" + "\n".join(rows))
    with pytest.raises(DataFormatError, match=r"holds 2 spectra \(9, 9 points\); choose one with sweep=1\.\.2"):
        read_impedance(p)
    assert read_impedance(p, sweep=2).z_real[0] == pytest.approx(15.0)
    with pytest.raises(ParameterError, match=r"sweep=3 but two\.csv holds 2 spectra"):
        read_impedance(p, sweep=3)


def test_spectrum_container_columns_and_checks():
    s = ImpedanceSpectrum.from_arrays([1.0, 10.0, 100.0], z_real=[3.0, 2.0, 1.0], z_imag=[-1.0, -2.0, -0.5])
    assert s.keys()[:4] == ["Frequency [Hz]", "Angular frequency [rad/s]", "Z' [Ω]", "Z'' [Ω]"]
    np.testing.assert_allclose(s["Frequency [Hz]"], [100.0, 10.0, 1.0])
    np.testing.assert_allclose(s["-Z'' [Ω]"], [0.5, 2.0, 1.0])
    assert "sorted" in s.metadata["notes"][0]
    with pytest.raises(KeyNotFoundError, match=r"Did you mean \"Z' \[Ω\]\""):
        s["Z' [Ohm]"]
    with pytest.raises(DataFormatError, match=r"3 frequencies but 2 impedance values"):
        ImpedanceSpectrum.from_arrays([1, 2, 3], [1 - 1j, 2 - 1j])
    with pytest.raises(ParameterError, match=r"impedance unit 'mohm' is not one of"):
        ImpedanceSpectrum.from_arrays([1.0], [1.0 - 1j], unit="mohm")
    # the ASCII spellings are the same units ('Ohm' was refused though metalair.units knows it)
    assert ImpedanceSpectrum.from_arrays([1.0], [1.0 - 1j], unit="Ohm").unit == "Ω"
    assert ImpedanceSpectrum.from_arrays([1.0], [1.0 - 1j], unit="ohm cm2").unit == "Ω·cm²"
    with pytest.raises(DataFormatError, match=r"not finite.*points 1"):
        ImpedanceSpectrum.from_arrays([1.0, 2.0], [1.0 - 1j, complex(np.nan, 0)])
    # real numbers only would silently mean Z'' = 0 (a fit then returned R1 = 85 for a true 100)
    with pytest.raises(ParameterError, match=r"impedance holds real numbers only: Z'' would be taken as 0"):
        ImpedanceSpectrum.from_arrays([1.0, 2.0], [3.0, 2.0])
    with pytest.raises(ParameterError, match=r"z_real has shape \(3,\) and z_imag \(2,\)"):
        ImpedanceSpectrum.from_arrays([1.0, 2.0, 3.0], z_real=[1.0, 2.0, 3.0], z_imag=[-1.0, -2.0])


def test_nova_column_layout(tmp_path):
    """No real Autolab NOVA export with a permissive licence was found; this text is built from the
    column names NOVA writes ('Frequency (Hz)', "Z' (Ω)", "-Z'' (Ω)", ...) to test their mapping."""
    p = tmp_path / "nova.txt"
    p.write_text("Index;Frequency (Hz);Z' (Ω);-Z'' (Ω);Z (Ω);-Phase (°);Time (s)\n"
                 "1;1000;10,5;0,5;10,51;2,7;1\n2;100;11,0;2,0;11,18;10,3;2\n3;10;12,0;3,0;12,37;14,0;3\n",
                 encoding="utf-8")
    s = read_impedance(p)
    assert s.metadata["format"] == "autolab_nova"
    np.testing.assert_allclose(s.impedance, [10.5 - 0.5j, 11.0 - 2.0j, 12.0 - 3.0j])
    assert "decimal comma recognised" in s.metadata["notes"]


@pytest.mark.parametrize("unit", ["Ω·cm²", "Ohm cm2", "Ohm*cm2", "Ohm cm^2", "ohm·cm²"])
def test_area_specific_impedance_is_read_in_ohm_cm2_whatever_the_spelling(tmp_path, unit):
    """'Ohm*cm2' etc. were 'no impedance columns'; Ω·cm² came back as Ω·m², so a fit printed R0 = 0.0036 Ω·m²
    for the 35.7 Ω·cm² metalair's own simulated spectrum holds."""
    from metalair.io.impedance import read_impedance

    f = np.logspace(-1, 5, 30)
    z = 10 + 100 / (1 + 1j * 2 * np.pi * f * 1e-3)
    path = tmp_path / "asr.csv"
    path.write_text(f"f (Hz),Z' ({unit}),Z'' ({unit})\n" + "\n".join(f"{a},{b.real},{b.imag}" for a, b in zip(f, z)))
    spec = read_impedance(path)
    assert spec.unit == "Ω·cm²"
    np.testing.assert_allclose(np.sort(spec.z_real), np.sort(z.real))
