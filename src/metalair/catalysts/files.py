"""Catalyst files (TOML): read, write and round-trip a :class:`~metalair.catalysts.Catalyst`.

A catalyst file holds one catalyst under the table ``[catalyst]``; its layout
follows the dataclasses field by field, so a field added to
:class:`~metalair.catalysts.Catalyst`, :class:`~metalair.catalysts.Descriptors`
or :class:`~metalair.catalysts.HostCouple` appears in (and is read from) the
file without any change here:

* a scalar field (text, number, true/false) is a key of its table;
* a mapping of scalars (``sources``) is a sub-table, ``[catalyst.sources]``;
* a mapping of dataclasses (``descriptors``) is a table of tables,
  ``[catalyst.descriptors.NaO2]``;
* a sequence of dataclasses (``host_couples``) is an array of tables,
  ``[[catalyst.host_couples]]``.

Values are SI, as inside metalair; each line carries its unit as a comment
(taken from the class docstring). Floats are written with Python's shortest
round-trip representation, so a catalyst written and read back is equal to the
original (``==``) and simulates bit-identically. Every numeric value carries
its source: ``source`` in each descriptor and host couple, and
``[catalyst.sources]`` for the catalyst-level numbers
(:func:`unsourced_values` lists any that do not).

Example
-------
>>> from metalair.catalysts import NLRO
>>> text = catalyst_to_toml(NLRO)
>>> catalyst_from_toml(text) == NLRO
True
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import numbers
import os
import re
import tomllib
import typing
from pathlib import Path
from typing import Any

from metalair._files import as_path
from metalair.catalysts.base import Catalyst, Descriptors, HostCouple
from metalair.errors import DataFormatError, ParameterError

__all__ = [
    "FILE_FORMAT",
    "FILE_VERSION",
    "load_catalyst",
    "save_catalyst",
    "catalyst_to_toml",
    "catalyst_from_toml",
    "unsourced_values",
]

#: Value of the top-level ``format`` key of a catalyst file.
FILE_FORMAT = "metalair catalyst"
#: Version of the file layout written by :func:`catalyst_to_toml`.
FILE_VERSION = 1

# Element types of container fields whose annotation is a bare ``dict``/``tuple``
# (a parameterised annotation such as ``dict[str, Descriptors]`` is used directly).
_ELEMENT_TYPES: dict[tuple[type, str], type] = {
    (Catalyst, "descriptors"): Descriptors,
    (Catalyst, "host_couples"): HostCouple,
}

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


# ----------------------------------------------------------------------------
# reading
# ----------------------------------------------------------------------------
def load_catalyst(path: str | os.PathLike[str]) -> Catalyst:
    """Read a catalyst from a TOML file.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save_catalyst` or by hand in the same layout.

    Returns
    -------
    Catalyst

    Raises
    ------
    ParameterError
        The file does not exist, or a value is outside its allowed range.
    DataFormatError
        The file is not valid TOML, is not a catalyst file, or has an unknown,
        missing or wrongly typed key (the message names the file, the table,
        the key and what is allowed).
    """
    p = as_path(path)
    if not p.is_file():
        raise ParameterError(f"catalyst file {str(p)!r} does not exist" + (" (it is a folder)" if p.is_dir() else ""))
    try:
        text = p.read_text(encoding="utf-8-sig")  # -sig: a byte-order mark (Windows editors) is not TOML
    except UnicodeDecodeError as exc:
        raise DataFormatError(f"catalyst file {str(p)!r} is not UTF-8 text ({exc.reason} at byte {exc.start})") \
            from None
    return catalyst_from_toml(text, origin=str(p))


def catalyst_from_toml(text: str, origin: str = "<string>") -> Catalyst:
    """Build a catalyst from the text of a catalyst file (see :func:`load_catalyst`).

    Parameters
    ----------
    text : str
        TOML text.
    origin : str
        Name used in error messages (the file name).
    """
    try:
        doc = tomllib.loads(text.removeprefix("\ufeff"))  # a byte-order mark left on the text is no statement
    except tomllib.TOMLDecodeError as exc:
        raise DataFormatError(f"catalyst file {origin!r} is not valid TOML: {exc}") from None
    fmt = doc.get("format")
    if fmt is not None and fmt != FILE_FORMAT:
        raise DataFormatError(f"file {origin!r}: format = {fmt!r}; a catalyst file has format = {FILE_FORMAT!r}")
    version = doc.get("version", FILE_VERSION)
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= FILE_VERSION:
        raise DataFormatError(
            f"file {origin!r}: version = {version!r} is not supported; this metalair reads version(s) 1..{FILE_VERSION}"
        )
    extra = sorted(set(doc) - {"format", "version", "catalyst"})
    if extra:
        raise DataFormatError(
            f"file {origin!r}: unknown top-level key(s) {extra}; allowed: 'format', 'version' and the table [catalyst]"
        )
    table = doc.get("catalyst")
    if not isinstance(table, dict):
        raise DataFormatError(f"file {origin!r} has no [catalyst] table; it is not a metalair catalyst file")
    obj = _build(Catalyst, table, origin, "catalyst")
    assert isinstance(obj, Catalyst)
    return obj


def _hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # pragma: no cover - unresolvable annotation: fall back to none
        return {}


def _element_type(cls: type, name: str, hint: Any) -> type | None:
    """Dataclass type of the elements of a container field, or None for scalars."""
    args = typing.get_args(hint)
    origin = typing.get_origin(hint)
    if origin in (dict, typing.Mapping) and len(args) == 2 and dataclasses.is_dataclass(args[1]):
        return args[1]  # type: ignore[return-value]
    if origin in (tuple, list) and args and dataclasses.is_dataclass(args[0]):
        return args[0]  # type: ignore[return-value]
    for klass in getattr(cls, "__mro__", (cls,)):
        if (klass, name) in _ELEMENT_TYPES:
            return _ELEMENT_TYPES[(klass, name)]
    return None


def _kind(hint: Any) -> str:
    """'str', 'float', 'int', 'bool', 'mapping', 'sequence' or 'any' for a field annotation."""
    origin = typing.get_origin(hint) or hint
    if origin is str:
        return "str"
    if origin is float:
        return "float"
    if origin is bool:
        return "bool"
    if origin is int:
        return "int"
    if origin in (dict, typing.Mapping):
        return "mapping"
    if origin in (tuple, list):
        return "sequence"
    return "any"


def _where(origin: str, table: str, key: str | None = None) -> str:
    return f"file {origin!r}, table [{table}]" + (f", key {key!r}" if key is not None else "")


def _build(cls: type, table: Any, origin: str, path: str) -> Any:
    """Construct dataclass ``cls`` from a TOML table, checking keys and types."""
    if not isinstance(table, dict):
        raise DataFormatError(f"{_where(origin, path)}: expected a table, got {type(table).__name__} {table!r}")
    flds = {f.name: f for f in dataclasses.fields(cls)}
    hints = _hints(cls)
    unknown = [k for k in table if k not in flds]
    if unknown:
        k = unknown[0]
        hint = difflib.get_close_matches(k, list(flds), n=1)
        raise DataFormatError(
            f"{_where(origin, path, k)}: unknown key"
            + (f"; did you mean {hint[0]!r}?" if hint else "")
            + f" Allowed keys of {cls.__name__}: {', '.join(flds)}"
        )
    required = [n for n, f in flds.items()
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    missing = [n for n in required if n not in table]
    if missing:
        raise DataFormatError(
            f"{_where(origin, path)}: missing required key(s) {missing} of {cls.__name__} "
            f"(allowed keys: {', '.join(flds)})"
        )
    kwargs: dict[str, Any] = {}
    units = _field_units(cls)
    for name, value in table.items():
        hint = hints.get(name, Any)
        elem = _element_type(cls, name, hint)
        kind = _kind(hint)
        sub = f"{path}.{name}"
        if elem is not None and kind == "mapping":
            if not isinstance(value, dict):
                raise DataFormatError(f"{_where(origin, path, name)}: expected a table of {elem.__name__} tables "
                                      f"([{sub}.<key>]), got {type(value).__name__}")
            kwargs[name] = {k: _build(elem, v, origin, f"{sub}.{_key(k)}") for k, v in value.items()}
        elif elem is not None:
            if not isinstance(value, list):
                raise DataFormatError(f"{_where(origin, path, name)}: expected an array of {elem.__name__} tables "
                                      f"([[{sub}]]), got {type(value).__name__}")
            kwargs[name] = tuple(_build(elem, v, origin, f"{sub}[{i}]") for i, v in enumerate(value))
        else:
            kwargs[name] = _scalar(value, kind, origin, path, name, units.get(name, ""))
    try:
        return cls(**kwargs)
    except ParameterError as exc:
        raise ParameterError(f"{_where(origin, path)}: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise DataFormatError(f"{_where(origin, path)}: {exc}") from None


def _scalar(value: Any, kind: str, origin: str, path: str, name: str, unit: str = "") -> Any:
    where = _where(origin, path, name)
    if kind == "str" and not isinstance(value, str):
        raise DataFormatError(f"{where}: expected text (a quoted string), got {value!r}")
    if kind == "float" and isinstance(value, str) and unit:
        # a quantity with its unit ("124.68 g/mol"), as the catalyst classes take it: converted to the SI unit
        from metalair.units import UNITS, parse_quantity, to_user

        if unit in UNITS:
            try:
                return float(to_user(parse_quantity(value, UNITS[unit][0]), unit))
            except ParameterError as exc:
                raise DataFormatError(f"{where}: expected a number in {unit}, or a quoted quantity with its unit; "
                                      f"{exc}") from None
    if kind == "float" and (isinstance(value, bool) or not isinstance(value, numbers.Real)):
        raise DataFormatError(f"{where}: expected a number, got {value!r} ({type(value).__name__})")
    if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        raise DataFormatError(f"{where}: expected an integer, got {value!r}")
    if kind == "bool" and not isinstance(value, bool):
        raise DataFormatError(f"{where}: expected true or false, got {value!r}")
    if kind == "mapping":
        if not isinstance(value, dict):
            raise DataFormatError(f"{where}: expected a table [{path}.{name}] of key = value, got {value!r}")
        for k, v in value.items():
            if isinstance(v, (dict, list)):
                raise DataFormatError(f"{_where(origin, f'{path}.{name}', k)}: expected text or a number, got {v!r}")
        return dict(value)
    if kind == "sequence":
        if not isinstance(value, list):
            raise DataFormatError(f"{where}: expected an array [...], got {value!r}")
        return tuple(value)
    return value


# ----------------------------------------------------------------------------
# writing
# ----------------------------------------------------------------------------
def catalyst_to_toml(cat: Catalyst) -> str:
    """The catalyst file text of ``cat`` (exact: reading it back gives an equal catalyst)."""
    if not isinstance(cat, Catalyst):
        raise ParameterError(f"catalyst_to_toml needs a Catalyst, got {type(cat).__name__}")
    lines = [
        f"# metalair catalyst file: {cat.name} ({cat.formula})",
        "# Values are SI (units in the comments); every number carries its source",
        "# ('source' in each table, [catalyst.sources] for the catalyst-level values).",
        f"format = {_toml_value(FILE_FORMAT)}",
        f"version = {FILE_VERSION}",
        "",
    ]
    _emit(cat, "catalyst", lines, array=False)
    return "\n".join(lines).rstrip("\n") + "\n"


def save_catalyst(cat: Catalyst, path: str | os.PathLike[str]) -> Path:
    """Write ``cat`` to ``path`` as a catalyst file (atomically)."""
    from metalair._files import atomic_write_text

    return atomic_write_text(path, catalyst_to_toml(cat))


def _emit(obj: Any, path: str, lines: list[str], array: bool) -> None:
    cls = type(obj)
    hints = _hints(cls)
    units = _field_units(cls)
    lines.append(f"[[{path}]]" if array else f"[{path}]")
    nested: list[tuple[str, Any, type, str]] = []
    tables: list[tuple[str, dict]] = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        hint = hints.get(f.name, Any)
        elem = _element_type(cls, f.name, hint)
        if elem is not None:
            nested.append((f.name, value, elem, _kind(hint)))
        elif isinstance(value, dict):
            tables.append((f.name, value))
        else:
            unit = units.get(f.name)
            comment = f"  # {unit}" if unit and isinstance(value, numbers.Real) and not isinstance(value, bool) else ""
            lines.append(f"{_key(f.name)} = {_toml_value(value)}{comment}")
    lines.append("")
    for name, mapping in tables:
        lines.append(f"[{path}.{_key(name)}]")
        for k, v in mapping.items():
            lines.append(f"{_key(str(k))} = {_toml_value(v)}")
        lines.append("")
    for name, value, _elem, kind in nested:
        if kind == "mapping" or isinstance(value, dict):
            for k, v in value.items():
                _emit(v, f"{path}.{_key(name)}.{_key(str(k))}", lines, array=False)
        else:
            if not value:
                lines.append(f"# no {name}")
                lines.append("")
            for v in value:
                _emit(v, f"{path}.{_key(name)}", lines, array=True)


def _key(k: str) -> str:
    return k if _BARE_KEY.match(k) else _toml_string(k)


def _toml_string(s: str) -> str:
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\u{o:04X}")
        elif 0xD800 <= o <= 0xDFFF:
            raise ParameterError(f"text {s!r} contains a lone surrogate (U+{o:04X}) that TOML cannot hold")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)  # shortest text that parses back to the same double
    if isinstance(v, str):
        return _toml_string(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    try:  # numpy scalars
        import numpy as np

        if isinstance(v, np.floating):
            return _toml_value(float(v))
        if isinstance(v, np.integer):
            return str(int(v))
    except ImportError:  # pragma: no cover
        pass
    raise ParameterError(f"cannot write {v!r} ({type(v).__name__}) to a catalyst file; allowed: text, numbers, "
                         "true/false and arrays of these")


_UNIT_IN_DOC = re.compile(r"\[([^\]]+)\]")


def _field_units(cls: type) -> dict[str, str]:
    """``{field: unit}`` from the numpydoc ``Parameters`` section of ``cls`` (first ``[...]`` of each entry)."""
    doc = cls.__doc__ or ""
    units: dict[str, str] = {}
    current = None
    for line in doc.splitlines():
        m = re.match(r"^\s{4}(\w+)\s*:\s*\S", line)
        if m:
            current = m.group(1)
            continue
        if current and current not in units:
            u = _UNIT_IN_DOC.search(line)
            if u:
                units[current] = u.group(1)
    return units


# ----------------------------------------------------------------------------
# provenance check
# ----------------------------------------------------------------------------
def unsourced_values(cat: Catalyst) -> list[str]:
    """Numeric values of ``cat`` that carry no source (an empty list when all do).

    A value counts as sourced when its own table has a non-empty ``source``,
    or (for catalyst-level fields) ``cat.sources`` names the field.
    """
    missing: list[str] = []

    def numeric_fields(obj: Any) -> list[str]:
        return [f.name for f in dataclasses.fields(obj)
                if isinstance(getattr(obj, f.name), (int, float)) and not isinstance(getattr(obj, f.name), bool)]

    for name in numeric_fields(cat):
        if not cat.sources.get(name):
            missing.append(f"catalyst.{name}")
    for key, d in cat.descriptors.items():
        if not getattr(d, "source", "") and not cat.sources.get("descriptors"):
            missing.extend(f"catalyst.descriptors.{key}.{n}" for n in numeric_fields(d))
    for i, hc in enumerate(cat.host_couples):
        if not getattr(hc, "source", "") and not cat.sources.get("host_couples"):
            missing.extend(f"catalyst.host_couples[{i}].{n}" for n in numeric_fields(hc))
    return missing
