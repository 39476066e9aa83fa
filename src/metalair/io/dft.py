"""Readers for DFT outputs used as catalyst descriptors.

* :func:`read_vasprun_pdos`: the site- and orbital-projected DOS of a VASP
  ``vasprun.xml`` (optionally gzip-compressed), streamed with
  :func:`xml.etree.ElementTree.iterparse` so large files are read in bounded
  memory (the band projections and eigenvalues are dropped element by element
  as they are parsed: a 53 MB ``<projected>`` block adds 3 MB to the peak) and
  pymatgen is not needed.
* :func:`read_icohplist`: bond ICOHPs from LOBSTER's ``ICOHPLIST.lobster``
  (formats of LOBSTER 2.x-5.x: with or without translations, one spin block
  after the other or both spins in one row; LOBSTER 2.x's "number of bonds"
  per row kept; orbital-resolved rows skipped unless asked for).
* :func:`read_free_energy_steps`: a small CSV table of elementary steps.

The records and the computations on them are in
:mod:`metalair.catalysts.dft`.

References
----------
.. [1] VASP ``vasprun.xml`` layout: https://www.vasp.at/wiki/index.php/Vasprun.xml (VASP Software GmbH).
.. [2] Maintz, S.; Deringer, V. L.; Tchougréeff, A. L.; Dronskowski, R. J. Comput. Chem. 37, 1030 (2016).
   doi:10.1002/jcc.24300 (LOBSTER and its output files).
"""

from __future__ import annotations

import csv
import gzip
import math
import os
import re
import sys
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import numpy as np

from metalair._files import file_sha256
from metalair.catalysts.dft import FreeEnergyStep, IcohpBond, ProjectedDOS, orbital_kind
from metalair.errors import DataFormatError, ParameterError

__all__ = ["read_vasprun_pdos", "read_icohplist", "read_free_energy_steps", "file_digest"]


def file_digest(path: str | os.PathLike[str], n: int = 16) -> str:
    """First ``n`` hex digits of the SHA-256 of a file (for provenance strings)."""
    return file_sha256(path)[:n]


def _open_binary(path: Path) -> IO[bytes]:
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _gzip_errors() -> tuple[type[Exception], ...]:
    """What reading a damaged gzip stream raises.

    ``EOFError`` for a file cut short, ``gzip.BadGzipFile`` for a bad header
    or checksum, the decompressor's error for damaged data: ``zlib.error``,
    or ISA-L's own class once ``fastnda`` (the Neware reader) has swapped
    zlib's decompressor for ISA-L's.
    """
    errors: list[type[Exception]] = [EOFError, gzip.BadGzipFile, zlib.error]
    isal_error = getattr(sys.modules.get("isal.isal_zlib"), "error", None)
    if isinstance(isal_error, type) and issubclass(isal_error, Exception):
        errors.append(isal_error)
    return tuple(errors)


@contextmanager
def _gzip_damage(where: str) -> Iterator[None]:
    """Turn the errors of a damaged gzip stream, read inside the block, into a :class:`DataFormatError`.

    :mod:`gzip` raises ``EOFError`` for a file cut short (which a command-line
    framework takes for Ctrl-D and answers with a bare "Aborted."),
    ``gzip.BadGzipFile`` for a bad header or checksum and the decompressor's
    error for damaged compressed data (see :func:`_gzip_errors`).

    Parameters
    ----------
    where : str
        The file as messages name it (``"ICOHPLIST 'x.gz'"``).

    Raises
    ------
    DataFormatError
        Saying the file is truncated or not valid gzip, with gzip's reason.
    """
    try:
        yield
    except _gzip_errors() as exc:
        reason = ("the compressed data end before the end-of-stream marker" if isinstance(exc, EOFError)
                  else str(exc) or type(exc).__name__)
        raise DataFormatError(
            f"{where} is gzip-compressed but truncated or not valid gzip ({reason}): it was cut off or damaged while "
            "being copied or written; copy it again from the calculation, or give the uncompressed file"
        ) from None


def _check_file(path: str | os.PathLike[str], what: str) -> Path:
    p = Path(path)
    if not p.is_file():
        raise ParameterError(f"{what} {str(p)!r} does not exist" + (" (it is a folder)" if p.is_dir() else ""))
    return p


# ----------------------------------------------------------------------------
# vasprun.xml
# ----------------------------------------------------------------------------
#: Blocks inside a ``<calculation>`` that are not read; dropped element by element while they are parsed.
_NOT_NEEDED = ("projected", "projected_kpoints_opt", "eigenvalues", "eigenvalues_kpoints_opt")


def _rows(array_elem: ET.Element) -> list[ET.Element]:
    return list(array_elem.iter("r"))


def _numbers(rows: list[ET.Element], where: str) -> np.ndarray:
    try:
        return np.array(" ".join((r.text or "") for r in rows).split(), dtype=float)
    except ValueError as exc:
        raise DataFormatError(f"{where}: a value is not a number ({exc})") from None


def read_vasprun_pdos(path: str | os.PathLike[str]) -> ProjectedDOS:
    """Read the projected DOS of the last calculation in a ``vasprun.xml(.gz)``.

    Parameters
    ----------
    path : str or path-like
        ``vasprun.xml`` or ``vasprun.xml.gz`` (recognised by content).

    Returns
    -------
    ProjectedDOS
        Energies, Fermi level, element of each site, orbital columns and the
        densities ``(site, spin, orbital, energy)``.

    Raises
    ------
    ParameterError
        The file does not exist.
    DataFormatError
        Not XML, truncated, damaged gzip, no ``<dos>``, or no projections (``<partial>``):
        the calculation was run without ``LORBIT``.
    """
    p = _check_file(path, "vasprun file")
    where = f"vasprun {str(p)!r}"
    elements: list[str] = []
    open_elems: list[ET.Element] = []  # the elements now open, outermost first
    in_calculation = 0
    skipping = 0  # > 0 inside a block that is not needed (band projections, eigenvalues)
    last_dos: ET.Element | None = None
    try:
        with _gzip_damage(where), _open_binary(p) as fh:
            for event, elem in ET.iterparse(fh, events=("start", "end")):
                if event == "start":
                    if skipping or (in_calculation and elem.tag in _NOT_NEEDED):
                        skipping += 1
                    elif elem.tag == "calculation":
                        in_calculation += 1
                    open_elems.append(elem)
                    continue
                open_elems.pop()
                parent = open_elems[-1] if open_elems else None
                if skipping:
                    # drop each element of a skipped block as soon as it ends (the <r> rows first, then their
                    # <set>s): the tree never holds more than the open path, so memory does not grow with the
                    # block (the band projections can be GB)
                    skipping -= 1
                    elem.clear()
                    if parent is not None:
                        parent.remove(elem)
                    continue
                tag = elem.tag
                if tag == "array" and elem.get("name") == "atoms" and parent is not None \
                        and parent.tag == "atominfo":
                    elements = [(getattr(rc.find("c"), "text", "") or "").strip() for rc in elem.iter("rc")]
                elif tag == "dos" and parent is not None and parent.tag == "calculation":
                    last_dos = elem  # keep: the projected DOS is what is read
                elif tag == "varray" and in_calculation:
                    elem.clear()  # forces, stresses, positions of each ionic step: not needed
                elif tag == "calculation":
                    in_calculation -= 1
                    elem.clear()  # an earlier ionic step's <dos> is replaced by the last one's; last_dos is kept
                    if parent is not None:
                        parent.remove(elem)
    except ET.ParseError as exc:
        line = getattr(exc, "position", (None,))[0]
        raise DataFormatError(f"{where} is not well-formed XML (truncated or damaged) near line {line}: {exc}") \
            from None
    except (OSError, EOFError) as exc:
        raise DataFormatError(f"{where} cannot be read: {exc}") from None
    if last_dos is None:
        raise DataFormatError(f"{where} has no <dos> block in any <calculation>; it is not a finished VASP run")
    efermi_el = last_dos.find("i[@name='efermi']")
    try:
        efermi = float((efermi_el.text or "").strip())  # type: ignore[union-attr]
    except (AttributeError, ValueError):
        raise DataFormatError(f"{where}: the <dos> block has no readable efermi") from None
    partial = last_dos.find("partial")
    if partial is None:
        raise DataFormatError(
            f"{where} has no projected DOS (no <partial> block in <dos>): the calculation was run without "
            "projections. Rerun VASP with LORBIT = 11 (or 10, 12) and a DOS (NEDOS), then read its vasprun.xml"
        )
    arr = partial.find("array")
    if arr is None:
        raise DataFormatError(f"{where}: <partial> has no <array>")
    fields = [(f.text or "").strip() for f in arr.findall("field")]
    if not fields or fields[0] != "energy":
        raise DataFormatError(f"{where}: projected DOS fields {fields} do not start with 'energy'")
    orbitals = tuple(fields[1:])
    for o in orbitals:
        orbital_kind(o)  # raises on an unknown column
    top = arr.find("set")
    if top is None:
        raise DataFormatError(f"{where}: <partial> has no data")
    ion_sets = top.findall("set")
    if not ion_sets:
        raise DataFormatError(f"{where}: <partial> has no per-ion data")
    n_f = len(fields)
    blocks = []
    energies = None
    for i, ion in enumerate(ion_sets):
        spins = ion.findall("set")
        per_spin = []
        for s, spin in enumerate(spins):
            vals = _numbers(_rows(spin), f"{where}, ion {i + 1} spin {s + 1}")
            if vals.size % n_f:
                raise DataFormatError(f"{where}, ion {i + 1} spin {s + 1}: {vals.size} numbers is not a whole number "
                                      f"of rows of {n_f} fields")
            table = vals.reshape(-1, n_f)
            if energies is None:
                energies = table[:, 0].copy()
            elif table.shape[0] != energies.size:
                raise DataFormatError(f"{where}, ion {i + 1} spin {s + 1}: {table.shape[0]} energies, expected "
                                      f"{energies.size}")
            per_spin.append(table[:, 1:].T)
        blocks.append(per_spin)
    n_spin = {len(b) for b in blocks}
    if len(n_spin) != 1 or next(iter(n_spin)) not in (1, 2):
        raise DataFormatError(f"{where}: inconsistent spin channels per ion {sorted(n_spin)}")
    density = np.array(blocks, dtype=float)  # (ion, spin, orbital, energy)
    if elements and len(elements) != density.shape[0]:
        raise DataFormatError(f"{where}: {len(elements)} atoms in <atominfo> but {density.shape[0]} projected ions")
    if not elements:
        raise DataFormatError(f"{where}: no <atominfo> atom list; cannot tell which site is which element")
    assert energies is not None
    return ProjectedDOS(energies=energies, e_fermi=efermi, elements=tuple(elements), orbitals=orbitals,
                        density=density, source=f"{p.name} (sha256 {file_digest(p)})")


# ----------------------------------------------------------------------------
# ICOHPLIST.lobster
# ----------------------------------------------------------------------------
def _text_lines(p: Path, where: str) -> list[str]:
    """The lines of a text file, gzip-compressed or not; ``where`` names it in the error for damaged gzip."""
    with _gzip_damage(where), _open_binary(p) as fh:
        raw = fh.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return text.splitlines()


def read_icohplist(path: str | os.PathLike[str], orbital_resolved: bool = False) -> list[IcohpBond]:
    """Read the bonds of a LOBSTER ``ICOHPLIST.lobster`` (optionally gzip-compressed).

    Parameters
    ----------
    path : str or path-like
    orbital_resolved : bool
        Also return the orbital-resolved rows (atom labels like ``"Ti2_3d_xy"``);
        by default only the whole-bond rows.

    Returns
    -------
    list of IcohpBond
        One per row; for a spin-polarised run ``icohp_by_spin`` holds both
        channels (from two blocks, or from two columns in LOBSTER >= 5.1). In
        the LOBSTER 2.x layout a row stands for a set of equivalent bonds: its
        "number of bonds" column is kept as ``num_bonds`` (1 otherwise), and
        :func:`metalair.catalysts.dft.bond_icohp` weights the row by it.

    Raises
    ------
    ParameterError
        The file does not exist.
    DataFormatError
        A gzip file that is truncated or damaged, not an ICOHPLIST (no
        ``COHP#`` header), or a row that cannot be read (the message gives
        the line).
    """
    p = _check_file(path, "ICOHPLIST file")
    where = f"ICOHPLIST {str(p)!r}"
    lines = _text_lines(p, where)
    blocks: list[dict[tuple, tuple]] = []  # per spin block: key -> (index, a1, a2, d, tr, values, number of bonds)
    order: list[tuple] = []
    current: dict[tuple, tuple] | None = None
    has_translation = False
    has_bond_count = False
    for ln, line in enumerate(lines, start=1):
        s = line.strip()
        if not s:
            continue
        if s.startswith("COHP#") or s.startswith("COOP#") or s.startswith("COBI#"):
            if not s.startswith("COHP#"):
                raise DataFormatError(f"{where}: line {ln} is a {s[:4]} list, not ICOHP; give ICOHPLIST.lobster")
            has_translation = "translation" in s
            has_bond_count = "number of bonds" in s.lower()  # LOBSTER 2.x: a row stands for that many bonds
            current = {}
            blocks.append(current)
            continue
        if current is None:
            if s.startswith("for spin"):
                continue
            raise DataFormatError(f"{where}: line {ln} comes before any 'COHP#' header; not an ICOHPLIST.lobster file")
        if s.startswith("for spin"):  # second header line of the LOBSTER 5.1 layout
            continue
        parts = s.split()
        try:
            index = int(parts[0])
            a1, a2 = parts[1], parts[2]
            dist = float(parts[3])
            n_bonds = 1
            if has_translation:
                tr = (int(parts[4]), int(parts[5]), int(parts[6]))
                vals = tuple(float(x) for x in parts[7:])
            else:
                tr = (0, 0, 0)
                vals = tuple(float(x) for x in parts[4:5])  # old layout: ICOHP, then number of bonds
                if has_bond_count:
                    n_bonds = int(parts[5])
        except (ValueError, IndexError):
            raise DataFormatError(f"{where}: line {ln} is not a bond row: {s[:80]!r}") from None
        if not vals or not all(math.isfinite(v) for v in vals):
            raise DataFormatError(f"{where}: line {ln} has no finite ICOHP value: {s[:80]!r}")
        if n_bonds < 1:
            raise DataFormatError(f"{where}: line {ln} gives {n_bonds} as its number of bonds; it must be at least 1: "
                                  f"{s[:80]!r}")
        resolved = "_" in a1 or "_" in a2
        if resolved and not orbital_resolved:
            continue
        key = (index, a1, a2, tr)
        if key not in current:
            current[key] = (index, a1, a2, dist, tr, vals, n_bonds)
            if len(blocks) == 1:
                order.append(key)
    if not blocks:
        raise DataFormatError(f"{where} has no 'COHP#' header; not an ICOHPLIST.lobster file")
    if len(blocks) > 2:
        raise DataFormatError(f"{where} has {len(blocks)} spin blocks; expected 1 or 2")
    bonds = []
    for key in order:
        index, a1, a2, dist, tr, vals, n_bonds = blocks[0][key]
        if len(blocks) == 2:
            other = blocks[1].get(key)
            if other is None:
                raise DataFormatError(f"{where}: bond {index} ({a1}-{a2}) is missing from the spin-2 block")
            if other[6] != n_bonds:
                raise DataFormatError(f"{where}: bond {index} ({a1}-{a2}) stands for {n_bonds} bond(s) in the spin-1 "
                                      f"block but {other[6]} in the spin-2 block; the blocks must list the same bonds")
            vals = vals + other[5]
        bonds.append(IcohpBond(index=index, atom1=a1, atom2=a2, distance=dist, translation=tr,
                               icohp_by_spin=vals, num_bonds=n_bonds))
    if not bonds:
        raise DataFormatError(f"{where} lists no bonds")
    return bonds


# ----------------------------------------------------------------------------
# free-energy steps
# ----------------------------------------------------------------------------
_STEP_COLUMNS = {"step": ("step", "label", "reaction"), "delta_g": ("delta_g_ev", "dg_ev", "delta_g", "dg"),
                 "electrons": ("electrons", "n_electrons", "n_e", "n")}


def read_free_energy_steps(path: str | os.PathLike[str]) -> list[FreeEnergyStep]:
    """Read elementary discharge steps from a CSV table.

    The table has a header with columns ``step`` (label), ``delta_G_eV``
    (reaction free energy at 0 V vs Na+/Na) and optionally ``electrons``
    (1 by default; 0 for a chemical step). Lines starting with ``#`` are
    comments. Example::

        step,delta_G_eV,electrons
        * + Na+ + e- + O2 -> NaO2*,-2.10,1
        NaO2* + Na+ + e- -> Na2O2*,-2.05,1

    Raises
    ------
    DataFormatError
        Missing columns (the message lists the accepted names), a row with
        more cells than the header (a decimal comma, a column the header does
        not name), a value that is not a number, or no steps.
    """
    from metalair.io._text_columns import check_row_width

    p = _check_file(path, "free-energy steps file")
    where = f"free-energy steps {str(p)!r}"
    kept = [(n, line) for n, line in enumerate(_text_lines(p, where), start=1) if not line.lstrip().startswith("#")]
    reader = csv.reader(line for _n, line in kept)
    numbered = []  # (line in the file, cells): an error names the row as the user's editor shows it
    for r in reader:
        if any(c.strip() for c in r):
            numbered.append((kept[reader.line_num - 1][0], r))
    rows = [r for _n, r in numbered]
    if not rows:
        raise DataFormatError(f"{where} is empty")
    header = [h.strip().lower() for h in rows[0]]
    cols = {}
    for key, names in _STEP_COLUMNS.items():
        hit = next((header.index(n) for n in names if n in header), None)
        if hit is None and key != "electrons":
            raise DataFormatError(f"{where}: no {key!r} column in the header {rows[0]}; accepted names: "
                                  f"{', '.join(names)}")
        cols[key] = hit
    accepted = {n: key for key, names in _STEP_COLUMNS.items() for n in names}
    # an electron count under another name would be ignored (every step counted as 1 e-); other extra columns
    # (a comment, the empty name of a trailing comma) are left alone
    unknown = [h for h in rows[0] if h.strip() and h.strip().lower() not in accepted
               and re.fullmatch(r"(n|num|number)?[_ ]?(e|el|elec|electrons?)", h.strip().lower())]
    if unknown:
        raise DataFormatError(
            f"{where}: column(s) {', '.join(map(repr, unknown))} are not read; accepted names: "
            + "; ".join(f"{key}: {', '.join(names)}" for key, names in _STEP_COLUMNS.items()))
    for key, names in _STEP_COLUMNS.items():
        present = [n for n in names if n in header]
        if len(present) > 1:
            raise DataFormatError(f"{where}: {len(present)} columns for {key} ({', '.join(present)}); give one")
    steps = []
    for i, r in numbered[1:]:
        check_row_width(where, i, r, rows[0])  # extra cells (a decimal comma, an unnamed column) are never dropped
        try:
            label = r[cols["step"]].strip()  # type: ignore[index]
            dg = float(r[cols["delta_g"]])  # type: ignore[index]
            n = int(r[cols["electrons"]]) if cols["electrons"] is not None and r[cols["electrons"]].strip() else 1
        except (ValueError, IndexError):
            raise DataFormatError(f"{where}: row {i} {r} does not hold a label, a ΔG in eV and an electron count") \
                from None
        try:
            steps.append(FreeEnergyStep(label=label, delta_g=dg, electrons=n))
        except ParameterError as exc:
            raise DataFormatError(f"{where}: row {i}: {exc}") from None
    if not steps:
        raise DataFormatError(f"{where} has a header but no steps")
    return steps
