"""Impedance analysis: equivalent circuits, Kramers–Kronig validity (Lin-KK) and DRT.

Every function takes a :class:`~metalair.tables.impedance.ImpedanceSpectrum`,
measured (:func:`metalair.io.impedance.read_impedance`) or simulated
(:meth:`ImpedanceSpectrum.from_arrays`), so both are analysed by the same code.
"""

from __future__ import annotations

from metalair._lazy import lazy_exports

__all__ = [
    "Circuit", "parse_circuit", "ELEMENT_TYPES",
    "fit_circuit", "CircuitFit", "compare_circuits",
    "lin_kk", "LinKKResult",
    "drt", "DRTResult", "DRTPeak",
]

_LAZY = {
    "Circuit": "metalair.analysis.impedance.circuits",
    "parse_circuit": "metalair.analysis.impedance.circuits",
    "ELEMENT_TYPES": "metalair.analysis.impedance.circuits",
    "fit_circuit": "metalair.analysis.impedance.fitting",
    "CircuitFit": "metalair.analysis.impedance.fitting",
    "compare_circuits": "metalair.analysis.impedance.fitting",
    "lin_kk": "metalair.analysis.impedance.kramers_kronig",
    "LinKKResult": "metalair.analysis.impedance.kramers_kronig",
    "drt": "metalair.analysis.impedance.relaxation_times",
    "DRTResult": "metalair.analysis.impedance.relaxation_times",
    "DRTPeak": "metalair.analysis.impedance.relaxation_times",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
