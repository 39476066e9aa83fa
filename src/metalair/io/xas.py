"""X-ray absorption files: XDI, Athena projects (``.prj``) and plain column files.

>>> from metalair.io.xas import read_xas
>>> spectra = read_xas("ru_foil.xdi")        # doctest: +SKIP
>>> spectra[0].energy_eV, spectra[0].mu      # doctest: +SKIP

:func:`read_xas` recognises the format from the content and returns a list
of :class:`~metalair.tables.spectra.XasSpectrum` (one per group of an Athena
project, one for the other formats).

Formats
-------
XDI
    ``# XDI/1.0`` first line; ``# Column.N: name [unit]`` header lines, a
    ``# ///`` line, free comments, then whitespace-separated numbers. µ is the
    first column named ``mutrans``, ``mu``, ``xmu``, ``mufluor`` or
    ``murefer``; otherwise ln(I0/It) from ``i0`` and ``itrans``/``i1``, or
    If/I0 from ``ifluor``. Energy in eV or keV (converted).
Athena project
    gzip-compressed (or plain) text written by Demeter: per group a
    ``$old_group`` line, an ``@args`` list of key/value pairs (``label``,
    ``is_xmu``, ``is_kev``, ``bkg_e0`` ...), arrays ``@x``, ``@y`` and
    ``[record]``. The lists are parsed by a small tokenizer for Perl list
    literals (quoted strings, numbers, nested ``[]``); nothing in the file is
    ever executed. Groups that are not µ(E) (χ(k), fits) are skipped with a
    warning.
Plain columns
    Whitespace-, comma- or tab-separated numbers with optional ``#`` comment
    lines; the last comment line with as many words as there are columns
    names them. Without names the first column is the energy and the second
    µ. Names containing ``i0`` and ``it``/``i1``/``itrans`` without a µ
    column give ln(I0/It).

References
----------
Ravel, B. & Newville, M. ATHENA, ARTEMIS, HEPHAESTUS: data analysis for X-ray
absorption spectroscopy using IFEFFIT. J. Synchrotron Rad. 12, 537–541
(2005). doi:10.1107/S0909049505012719 (Athena project files).
Ravel, B. et al. XAS Data Interchange: a single spectrum XAFS data file
format. J. Phys.: Conf. Ser. 712, 012148 (2016).
doi:10.1088/1742-6596/712/1/012148 (XDI).
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from metalair.errors import DataFormatError, ParameterError
from metalair.io._text_columns import sniff, uses_decimal_comma
from metalair.io.detect import as_path
from metalair.io.generic_csv import read_text
from metalair.tables.spectra import XasSpectrum
from metalair.units import convert, find_unit, is_bare_number

__all__ = ["read_xas", "read_xas_spectrum", "read_xdi", "read_athena", "read_xas_columns", "parse_perl_list"]

_MU_NAMES = ("mutrans", "mu", "xmu", "mufluor", "mu_trans", "mu_fluor", "murefer", "mu(e)", "absorption")
_I0_NAMES = ("i0", "io", "i_0")
_IT_NAMES = ("itrans", "it", "i1", "i_t")
_IF_NAMES = ("ifluor", "if", "fluor")
_ENERGY_NAMES = ("energy", "e", "energy_ev", "ev", "enc", "energy(ev)")


# ---------------------------------------------------------------------------
# shared
# ---------------------------------------------------------------------------
def _decimal_commas(lines: list[str], name: str) -> bool:
    """Whether the data rows use decimal commas (``7112,5;0,123``), as European locales export.

    Decided as for every text table (:func:`~metalair.io._text_columns.uses_decimal_comma`): split on
    commas, an energy ``7112,5`` would read as the two values 7112 and 5.
    """
    data = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")][:20]
    return uses_decimal_comma(data, sniff(data), name)


def _numeric_rows(lines: list[str], name: str, first_line: int) -> np.ndarray:
    rows: list[list[float]] = []
    width = None
    comma = _decimal_commas(lines, name)
    for k, line in enumerate(lines):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        parts = re.split(r"[\s;]+", s.replace(",", ".")) if comma else re.split(r"[\s,;]+", s)
        try:
            vals = [float(v) for v in parts if v]
        except ValueError:
            raise DataFormatError(
                f"{name}: line {first_line + k}: {s[:60]!r} is not a row of numbers; the file is damaged or "
                "not an absorption data file"
            ) from None
        if width is None:
            width = len(vals)
        elif len(vals) != width:
            if k == len(lines) - 1 or all(not ln.strip() for ln in lines[k + 1:]):
                break  # a last row cut short: dropped (reported by the caller through the row count)
            raise DataFormatError(f"{name}: line {first_line + k} has {len(vals)} values, earlier rows {width}")
        rows.append(vals)
    if not rows:
        raise DataFormatError(f"{name}: no data rows")
    return np.array(rows, dtype=float)


def _finish(energy: np.ndarray, mu: np.ndarray, name: str, label: str, metadata: dict[str, Any],
            i0: np.ndarray | None = None, it: np.ndarray | None = None) -> XasSpectrum:
    good = np.isfinite(energy) & np.isfinite(mu)
    warnings = metadata.setdefault("warnings", [])
    if not np.all(good):
        warnings.append(f"{int(np.count_nonzero(~good))} points with non-finite energy or mu dropped")
    energy, mu = energy[good], mu[good]
    i0 = None if i0 is None else i0[good]
    it = None if it is None else it[good]
    if energy.size < 10:
        raise DataFormatError(f"{name}: only {energy.size} usable points; an absorption spectrum needs more")
    uniq, inverse, counts = np.unique(energy, return_inverse=True, return_counts=True)
    if uniq.size < energy.size:  # a scan that repeats a point: one point per energy, their mean
        warnings.append(f"{energy.size - uniq.size} repeated energies (first {float(uniq[counts > 1][0]):.6g} eV): "
                        "their points were averaged")

        def mean(v: np.ndarray) -> np.ndarray:
            return np.bincount(inverse, weights=v) / counts

        energy, mu = uniq, mean(mu)
        i0 = None if i0 is None else mean(i0)
        it = None if it is None else mean(it)
    # (a descending scan is sorted by XasSpectrum, which says so in the warnings)
    if not (100.0 < float(np.min(energy)) and float(np.max(energy)) < 2.0e5):
        raise DataFormatError(
            f"{name}: energies {float(np.min(energy)):.6g}-{float(np.max(energy)):.6g} are not photon energies in eV "
            "(100 eV-200 keV)"
        )
    return XasSpectrum(energy_eV=energy, mu=mu, name=label, i0=i0, it=it, metadata=metadata)


def _mu_from_columns(cols: dict[str, np.ndarray], name: str) -> tuple[np.ndarray, str, np.ndarray | None,
                                                                         np.ndarray | None]:
    lower = {k.lower(): k for k in cols}
    i0 = next((cols[lower[n]] for n in _I0_NAMES if n in lower), None)
    it = next((cols[lower[n]] for n in _IT_NAMES if n in lower), None)
    for n in _MU_NAMES:
        if n in lower:
            return cols[lower[n]], f"column {lower[n]!r}", i0, it
    if i0 is not None and it is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            mu = np.log(i0 / it)
        return mu, "ln(I0/It)", i0, it
    fl = next((cols[lower[n]] for n in _IF_NAMES if n in lower), None)
    if i0 is not None and fl is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            return fl / i0, "If/I0", i0, None
    raise DataFormatError(
        f"{name}: no absorption column: looked for mu ({', '.join(_MU_NAMES)}) or I0 with It "
        f"({', '.join(_IT_NAMES)}); columns present: {', '.join(cols)}"
    )


# ---------------------------------------------------------------------------
# XDI
# ---------------------------------------------------------------------------
def read_xdi(path: str | os.PathLike[str]) -> XasSpectrum:
    """Read an XDI file (see the module notes).

    Raises
    ------
    DataFormatError
        Not XDI, no energy/µ columns, non-numeric rows, too few points.
    """
    p = as_path(path)
    text = read_text(p)
    lines = text.splitlines()
    if not lines or not lines[0].lstrip("# ").upper().startswith("XDI/"):
        raise DataFormatError(f"{p.name}: not an XDI file: the first line should start with '# XDI/'")
    header: dict[str, str] = {}
    columns: dict[int, tuple[str, str]] = {}
    k = 1
    while k < len(lines) and lines[k].lstrip().startswith("#"):
        s = lines[k].lstrip()[1:].strip()
        m = re.match(r"([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)\s*:\s*(.*)$", s)
        if m:
            family, key, value = m.groups()
            header[f"{family}.{key}"] = value.strip()
            if family.lower() == "column" and key.isdigit():
                parts = value.split()
                columns[int(key)] = (parts[0] if parts else f"col{key}", parts[1] if len(parts) > 1 else "")
        k += 1
    data = _numeric_rows(lines[k:], p.name, k + 1)
    ncol = data.shape[1]
    names = {i: columns.get(i + 1, (f"col{i + 1}", ""))[0] for i in range(ncol)}
    if not columns:
        raise DataFormatError(f"{p.name}: XDI header names no columns ('# Column.1: energy eV' ...)")
    cols = {names[i]: data[:, i] for i in range(ncol)}
    e_name, e_unit = columns.get(1, ("energy", "eV"))
    if e_name.lower() not in _ENERGY_NAMES:
        raise DataFormatError(f"{p.name}: the first column is {e_name!r}, not an energy (angle scans are not read)")
    e_known = find_unit(e_unit or "eV", "photon energy")
    if e_known is None:
        raise DataFormatError(f"{p.name}: the energy column {e_name!r} has unit {e_unit!r}, not an energy unit "
                              "(write it like '# Column.1: energy eV'; eV or keV)")
    energy = convert(data[:, 0], e_known, "eV")
    finite = data[:, 0][np.isfinite(data[:, 0])]
    if e_known != "eV" and finite.size and float(np.min(finite)) > 200.0:
        raise DataFormatError(
            f"{p.name}: the header gives the energy column in {e_unit} ('# Column.1: {e_name} {e_unit}'), but its "
            f"values run {float(np.min(finite)):.6g}-{float(np.max(finite)):.6g}, photon energies in eV: correct "
            f"the unit in the header to eV")
    mu, source, i0, it = _mu_from_columns({n: v for n, v in cols.items() if n != e_name}, p.name)
    label = header.get("Sample.name") or p.stem
    meta: dict[str, Any] = {
        "file_name": p.name, "format": "xdi", "mu_source": source, "header": header, "warnings": [],
        "element": header.get("Element.symbol") or header.get("Scan.element"),
        "edge": header.get("Element.edge") or header.get("Scan.edge"),
    }
    if data.shape[0] < sum(1 for ln in lines[k:] if ln.strip() and not ln.lstrip().startswith("#")):
        meta["warnings"].append("the last data row is cut short and was dropped (file truncated)")
    return _finish(energy, mu, p.name, label, meta, i0, it)


# ---------------------------------------------------------------------------
# plain columns
# ---------------------------------------------------------------------------
def read_xas_columns(path: str | os.PathLike[str], *, energy_column: str | int | None = None,
                     mu_column: str | int | None = None) -> XasSpectrum:
    """Read a plain column file (energy and µ, or energy, I0 and It).

    Parameters
    ----------
    path : path-like
        The file.
    energy_column, mu_column : str or int, optional
        Column names (from the header line) or 0-based indices; default as
        in the module notes.

    Raises
    ------
    DataFormatError
        Non-numeric rows, no µ, energies that are not eV/keV photon energies.
    """
    p = as_path(path)
    text = read_text(p)
    lines = text.splitlines()
    first_data = next((i for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")), None)
    if first_data is None:
        raise DataFormatError(f"{p.name}: no data rows (only comments or blank lines)")
    comments = [ln.lstrip()[1:].strip() for ln in lines[:first_data] if ln.lstrip().startswith("#")]
    plain_header = [w for w in re.split(r"[\s,;]+", lines[first_data].strip()) if w]
    header_line = None
    if plain_header and not all(is_bare_number(w) for w in plain_header):  # a header line without '#' (CSV)
        comments.append(" ".join(plain_header))
        header_line = first_data + 1
        first_data += 1
        if first_data >= len(lines):
            raise DataFormatError(f"{p.name}: a header line ({lines[first_data - 1].strip()[:60]!r}) and no data")
    data = _numeric_rows(lines[first_data:], p.name, first_data + 1)
    ncol = data.shape[1]
    if header_line is not None and len(plain_header) != ncol:  # a CSV header names every column of its table
        raise DataFormatError(
            f"{p.name}: the header (line {header_line}) names {len(plain_header)} columns "
            f"({', '.join(plain_header[:6])}) but the data rows have {ncol} values: check the separator and the "
            "decimal mark")
    if ncol < 2:
        raise DataFormatError(f"{p.name}: one column only; need energy and mu (or I0 and It)")
    names = [f"col{i + 1}" for i in range(ncol)]
    for c in reversed(comments):
        words = c.replace(",", " ").replace(";", " ").split()
        if len(words) == ncol and not all(is_bare_number(w) for w in words):
            names = words
            break
    cols = {n: data[:, i] for i, n in enumerate(names)}
    if energy_column is None:  # the column named as an energy, wherever it stands; else the first
        energy_column = next((i for i, n in enumerate(names) if n.lower() in _ENERGY_NAMES), 0)

    def pick(sel: str | int, what: str) -> tuple[str, np.ndarray]:
        if isinstance(sel, int) and not isinstance(sel, bool):
            if not 0 <= sel < ncol:
                raise ParameterError(f"{what} = {sel} is not a column index (0-{ncol - 1})")
            return names[sel], data[:, sel]
        if sel in cols:
            return str(sel), cols[str(sel)]
        raise ParameterError(f"{what} = {sel!r} is not a column; columns: {', '.join(names)}")

    e_name, energy = pick(energy_column, "energy_column")
    if mu_column is not None:
        m_name, mu = pick(mu_column, "mu_column")
        source, i0, it = f"column {m_name!r}", None, None
    elif names[0] == "col1":
        mu, source, i0, it = data[:, 1], "column 2 (no column names)", None, None
    else:
        mu, source, i0, it = _mu_from_columns({n: v for n, v in cols.items() if n != e_name}, p.name)
    meta: dict[str, Any] = {"file_name": p.name, "format": "columns", "mu_source": source, "warnings": [],
                            "header": {"comments": comments}}
    if _decimal_commas(lines[first_data:], p.name):
        meta["warnings"].append("decimal commas read as decimal points (7112,5 is 7112.5)")
    if data.shape[0] < sum(1 for ln in lines[first_data:] if ln.strip() and not ln.lstrip().startswith("#")):
        meta["warnings"].append("the last data row is cut short and was dropped (file truncated)")
    if np.nanmax(energy) < 200.0:  # keV
        energy = convert(energy, "keV", "eV")
        meta["warnings"].append("energies below 200 read as keV and converted to eV")
    return _finish(energy, mu, p.name, p.stem, meta, i0, it)



# ---------------------------------------------------------------------------
# Athena project: a safe reader of Perl list literals
# ---------------------------------------------------------------------------
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<sq>'(?:[^'\\]|\\.)*')          # single-quoted string
      | (?P<dq>"(?:[^"\\]|\\.)*")          # double-quoted string
      | (?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
      | (?P<punct>=>|[\[\](),])
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


def parse_perl_list(text: str) -> list[Any]:
    r"""Parse a Perl list literal ``('a', 1, [2, 'b'], ...)`` into Python values without evaluating it.

    Strings become str (single-quote escapes ``\'`` and ``\\`` undone),
    numbers float, ``[...]`` and ``(...)`` lists, barewords str; ``=>`` is a
    comma. Anything else (code, variables, function calls) raises.

    Raises
    ------
    DataFormatError
        On text that is not a plain list literal.
    """
    pos = 0
    n = len(text)

    def parse_seq(close: str) -> list[Any]:
        nonlocal pos
        out: list[Any] = []
        expect_item = True
        while True:
            m = _TOKEN.match(text, pos)
            if not m:
                rest = text[pos:pos + 30].strip()
                if not rest and close == "":
                    return out
                raise DataFormatError(f"unexpected text {rest!r} in a Perl list")
            pos = m.end()
            if m.group("punct") in (")", "]"):
                if m.group("punct") != close:
                    raise DataFormatError(f"mismatched {m.group('punct')!r} in a Perl list")
                return out
            if m.group("punct") in (",", "=>"):
                expect_item = True
                continue
            if not expect_item:
                raise DataFormatError("missing comma in a Perl list")
            if m.group("punct") in ("[", "("):
                out.append(parse_seq("]" if m.group("punct") == "[" else ")"))
            elif m.group("sq") is not None:
                out.append(re.sub(r"\\([\\'])", r"\1", m.group("sq")[1:-1]))
            elif m.group("dq") is not None:
                out.append(re.sub(r"\\(.)", r"\1", m.group("dq")[1:-1]))
            elif m.group("num") is not None:
                out.append(float(m.group("num")))
            else:
                out.append(m.group("word"))
            expect_item = False
            if pos >= n:
                raise DataFormatError("a Perl list is not closed (file truncated?)")

    m = re.match(r"\s*\(", text)
    if not m:
        raise DataFormatError(f"a Perl list should start with '(': {text[:30]!r}")
    pos = m.end()
    result = parse_seq(")")
    if text[pos:].strip().rstrip(";").strip():
        raise DataFormatError(f"unexpected text after a Perl list: {text[pos:pos + 30]!r}")
    return result


def _floats(values: list[Any], what: str, name: str) -> np.ndarray:
    try:
        return np.array([float(v) for v in values], dtype=float)
    except (TypeError, ValueError):
        raise DataFormatError(f"{name}: array {what} holds values that are not numbers") from None


def read_athena(path: str | os.PathLike[str]) -> list[XasSpectrum]:
    """Read the µ(E) groups of an Athena project file (never evaluating its Perl).

    Returns
    -------
    list of XasSpectrum
        One per µ(E) group, in file order, labelled by the group's label;
        ``metadata["athena_args"]`` holds the group's parameters (e.g. Athena's
        ``bkg_e0``).

    Raises
    ------
    DataFormatError
        Not an Athena project, damaged compression, malformed lists, no µ(E) group.
    """
    p = as_path(path)
    raw = p.read_bytes()
    if not raw:
        raise DataFormatError(f"{p.name}: the file is empty (0 bytes)")
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataFormatError(f"{p.name}: the gzip stream is damaged or truncated ({exc})") from None
    text = raw.decode("utf-8", errors="replace")
    if "Athena project file" not in text[:400] and "$old_group" not in text:
        raise DataFormatError(f"{p.name}: not an Athena project file (no '# Athena project file' header)")
    spectra: list[XasSpectrum] = []
    skipped: list[str] = []
    records = re.split(r"^\[record\].*$", text, flags=re.MULTILINE)
    complete = len(records) - 1
    for rec in records[:complete]:
        arrays: dict[str, Any] = {}
        for m in re.finditer(r"^@(\w+)\s*=\s*(\(.*?\));\s*$", rec, flags=re.MULTILINE | re.DOTALL):
            arrays[m.group(1)] = parse_perl_list(m.group(2))
        if "args" not in arrays:
            continue
        items = arrays["args"]
        if len(items) % 2:
            raise DataFormatError(f"{p.name}: an @args list has an odd number of items")
        args = {str(items[i]): items[i + 1] for i in range(0, len(items), 2)}
        label = str(args.get("label") or args.get("group") or f"group{len(spectra) + 1}")
        is_xmu = str(args.get("is_xmu", "1")).strip() in ("1", "1.0")
        if not is_xmu or "x" not in arrays or "y" not in arrays:
            skipped.append(label)
            continue
        x = _floats(arrays["x"], "@x", p.name)
        y = _floats(arrays["y"], "@y", p.name)
        if x.size != y.size:
            raise DataFormatError(f"{p.name}: group {label!r} has {x.size} energies and {y.size} mu values")
        if str(args.get("is_kev", "0")).strip() in ("1", "1.0"):
            x = convert(x, "keV", "eV")
        i0 = _floats(arrays["i0"], "@i0", p.name) if "i0" in arrays and len(arrays["i0"]) == x.size else None
        meta: dict[str, Any] = {
            "file_name": p.name, "format": "athena", "mu_source": "Athena @y (mu(E))", "warnings": [],
            "athena_args": args, "element": args.get("bkg_z"), "edge": args.get("fft_edge"),
        }
        e0 = args.get("bkg_e0")
        if isinstance(e0, (int, float)) or (isinstance(e0, str) and is_bare_number(e0)):
            meta["athena_e0_eV"] = float(e0)
        spectra.append(_finish(x, y, p.name, label, meta, i0=i0))
    tail = records[complete] if records else ""
    if "@x" in tail or "@args" in tail:
        truncated = f"; the last group is incomplete (file truncated): {len(spectra)} complete group(s) read"
        if not spectra:
            raise DataFormatError(f"{p.name}: no complete group{truncated}")
        spectra[-1].metadata["warnings"].append(truncated.lstrip("; "))
    if not spectra:
        what = f" (skipped non-mu(E) groups: {', '.join(skipped)})" if skipped else ""
        raise DataFormatError(f"{p.name}: no mu(E) group in the project{what}")
    if skipped:
        spectra[0].metadata["warnings"].append(f"groups that are not mu(E) skipped: {', '.join(skipped)}")
    return spectra


# ---------------------------------------------------------------------------
# dispatch
# ---------------------------------------------------------------------------
def read_xas(path: str | os.PathLike[str]) -> list[XasSpectrum]:
    """Read any supported absorption file (format from the content); one spectrum per group.

    Raises
    ------
    DataFormatError
        Missing, empty, binary or unrecognised files, with the reason.
    """
    p = as_path(path)
    if not p.is_file():
        raise DataFormatError(f"{p}: no such file")
    head = p.read_bytes()[:4096]
    if not head:
        raise DataFormatError(f"{p.name}: the file is empty (0 bytes)")
    if head[:2] == b"\x1f\x8b" or b"Athena project file" in head[:400]:
        return read_athena(p)
    if head.lstrip()[:1] == b"#" and b"XDI/" in head.splitlines()[0].upper():
        return [read_xdi(p)]
    if b"\x00" in head or head[:4] == b"PK\x03\x04":
        raise DataFormatError(f"{p.name}: binary content; not an XDI, Athena project or column text file")
    return [read_xas_columns(p)]


def read_xas_spectrum(path: str | os.PathLike[str], group: str | int | None = None) -> XasSpectrum:
    """One spectrum from a file: the only one, or the Athena group named (label) or numbered (from 0).

    Raises
    ------
    ParameterError
        Several groups and none chosen, or an unknown group (labels listed).
    """
    spectra = read_xas(path)
    if group is None:
        if len(spectra) > 1:
            raise ParameterError(
                f"{Path(path).name} holds {len(spectra)} spectra ({', '.join(s.name for s in spectra)}); choose one "
                "with group=<label or index>"
            )
        return spectra[0]
    if isinstance(group, int) and not isinstance(group, bool):
        if not 0 <= group < len(spectra):
            raise ParameterError(f"group {group} out of range 0-{len(spectra) - 1}")
        return spectra[group]
    for s in spectra:
        if s.name == group:
            return s
    raise ParameterError(f"no group {group!r}; groups: {', '.join(s.name for s in spectra)}")

