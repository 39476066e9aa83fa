"""Local identifiability from the sensitivity matrix: rank, importance, collinearity, subset selection.

The sensitivity matrix used here is dimensionless: S_ij = ∂(y_i/σ_i)/∂log10 θ_j,
the change of target i's model value, in units of its standard uncertainty,
per decade of parameter j (the Jacobian of the weighted residuals in the
log10 space the calibration works in). From it:

Importance (Brun et al. 2001, δ^msqr)
    δ_j = sqrt(mean_i S_ij²): how strongly parameter j moves the targets on
    average; parameters are ranked by it. A parameter whose column norm
    ‖S_j‖ = δ_j·sqrt(m) is below ``min_norm`` (default 1.96) is
    *insensitive*: even with every other parameter known, its linearised 95 %
    interval would be wider than ±1 decade.
Collinearity index (Brun et al. 2001)
    For a subset K of parameters, with the columns of S_K scaled to unit
    length (S̃_K), γ_K = 1 / sqrt(λ_min(S̃_Kᵀ S̃_K)). γ_K = 1 for orthogonal
    columns; a change of the parameters of K along the eigenvector of λ_min
    can be compensated, to 1/γ_K of its effect, by the others. Brun et al.
    suggest γ_K below 5–20 for a subset to be identifiable; this module uses
    ``threshold`` = 10 by default.
Rank and singular values
    The singular values s_k of S: a parameter combination along the k-th
    right singular vector has a linearised standard error of 1/s_k decades.
    ``rank`` counts s_k above 1e-8 s_max (the matrix rank); ``effective_rank``
    counts s_k ≥ ``min_singular`` (default 1.96: a combination whose 95 %
    interval is at most ±1 decade).
Subset selection (Brun et al. 2001, forward selection)
    Parameters in order of decreasing importance are added to the identifiable
    subset as long as they are important enough and the subset's collinearity
    index stays at or below the threshold; the others are reported as not
    identifiable from these targets ("fix from literature"), with the reason.
Profile likelihood (Raue et al. 2009)
    See :func:`metalair.calibration.calibrate.profile_likelihood`.

References
----------
.. [1] Brun, R., Reichert, P. & Künsch, H. R. Practical identifiability
   analysis of large environmental simulation models. Water Resour. Res. 37,
   1015–1030 (2001). doi:10.1029/2000WR900350
.. [2] Raue, A. et al. Structural and practical identifiability analysis of
   partially observed dynamical models by exploiting the profile likelihood.
   Bioinformatics 25, 1923–1929 (2009). doi:10.1093/bioinformatics/btp358
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from metalair.errors import ParameterError

__all__ = ["IdentifiabilityReport", "collinearity_index", "identifiability", "COLLINEARITY_THRESHOLD"]

#: Collinearity index above which a subset is not identifiable (Brun et al. 2001 suggest 5–20).
COLLINEARITY_THRESHOLD = 10.0
#: Column norm ‖S_j‖ (σ per decade) below which a parameter is insensitive: alone, its 95 % interval exceeds ±1 decade.
MIN_NORM = 1.96
#: Singular value (σ per decade) a combination needs to be determined to ±1 decade (95 %).
MIN_SINGULAR = 1.96


def collinearity_index(S: np.ndarray) -> float:
    """Collinearity index γ of the columns of ``S`` (Brun et al. 2001); inf for a zero or dependent column.

    References
    ----------
    Brun, R., Reichert, P. & Künsch, H. R. Water Resour. Res. 37, 1015–1030 (2001).
    doi:10.1029/2000WR900350
    """
    S = np.asarray(S, dtype=float)
    if S.ndim != 2 or S.shape[1] == 0:
        raise ParameterError(f"sensitivity matrix must be 2-D with at least one column, got shape {S.shape}")
    norms = np.linalg.norm(S, axis=0)
    if not np.all(np.isfinite(S)) or np.any(norms == 0):
        return math.inf
    lam = np.linalg.eigvalsh((S / norms).T @ (S / norms))
    lmin = float(lam[0])
    return 1.0 / math.sqrt(lmin) if lmin > 1e-300 else math.inf


@dataclass
class IdentifiabilityReport:
    """Result of :func:`identifiability`.

    Attributes
    ----------
    names, target_ids : tuple of str
    sensitivity : ndarray (m, n)
        S_ij = ∂(y_i/σ_i)/∂log10 θ_j.
    importance : ndarray (n,)
        δ^msqr of each parameter.
    singular_values : ndarray
    rank, effective_rank : int
    collinearity : float
        γ of all parameters together.
    identifiable : tuple of str
        The forward-selected identifiable subset.
    verdicts : dict
        Parameter -> "identifiable" or "not identifiable: fix from literature (...)".
    identified_by : dict
        Parameter -> target ids that it moves most (largest |S_ij|, together
        at least ``share`` of its squared column norm).
    """

    names: tuple[str, ...]
    target_ids: tuple[str, ...]
    sensitivity: np.ndarray
    importance: np.ndarray
    singular_values: np.ndarray
    rank: int
    effective_rank: int
    collinearity: float
    identifiable: tuple[str, ...]
    verdicts: dict[str, str] = field(default_factory=dict)
    identified_by: dict[str, tuple[str, ...]] = field(default_factory=dict)
    threshold: float = COLLINEARITY_THRESHOLD

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        def f(x: float) -> float | None:
            return float(x) if math.isfinite(float(x)) else None
        return {"parameters": list(self.names), "targets": list(self.target_ids),
                "sensitivity": [[f(v) for v in row] for row in self.sensitivity],
                "importance": {n: f(v) for n, v in zip(self.names, self.importance)},
                "singular_values": [f(v) for v in self.singular_values], "rank": self.rank,
                "effective_rank": self.effective_rank, "collinearity_index": f(self.collinearity),
                "collinearity_threshold": self.threshold, "identifiable_subset": list(self.identifiable),
                "verdicts": dict(self.verdicts), "identified_by": {k: list(v) for k, v in self.identified_by.items()}}

    def text(self) -> str:
        """Plain-text summary."""
        w = max([9, *(len(n) for n in self.names)])
        lines = [f"sensitivity matrix: {len(self.target_ids)} targets x {len(self.names)} parameters, "
                 f"rank {self.rank}, effective rank {self.effective_rank} (singular value >= {MIN_SINGULAR}); "
                 f"collinearity index of all: {self.collinearity:.3g}",
                 "singular values [sigma/decade]: " + ", ".join(f"{s:.3g}" for s in self.singular_values),
                 f"{'parameter':<{w}}  {'importance':>10}  identified by / verdict"]
        for j, n in enumerate(self.names):
            lines.append(f"{n:<{w}}  {self.importance[j]:>10.3g}  {', '.join(self.identified_by.get(n, ()))}"
                         f"  -> {self.verdicts.get(n, '')}")
        return "\n".join(lines)


def identifiability(S: np.ndarray, names: Sequence[str], target_ids: Sequence[str], *,
                    threshold: float = COLLINEARITY_THRESHOLD, min_norm: float = MIN_NORM,
                    share: float = 0.8) -> IdentifiabilityReport:
    """Identifiability analysis of a sensitivity matrix (see the module notes).

    Parameters
    ----------
    S : ndarray, shape (m, n)
        ∂(y_i/σ_i)/∂log10 θ_j.
    names, target_ids : sequence of str
        Column and row labels.
    threshold : float
        Largest collinearity index of an identifiable subset.
    min_norm : float
        Smallest column norm ‖S_j‖ of an identifiable parameter (σ per decade).
    share : float
        Fraction of a parameter's squared sensitivity the listed identifying targets cover.

    References
    ----------
    Brun, R., Reichert, P. & Künsch, H. R. Water Resour. Res. 37, 1015–1030 (2001).
    doi:10.1029/2000WR900350
    """
    S = np.asarray(S, dtype=float)
    names, tids = tuple(names), tuple(target_ids)
    if S.shape != (len(tids), len(names)):
        raise ParameterError(f"sensitivity matrix has shape {S.shape}; expected ({len(tids)}, {len(names)})")
    S = np.where(np.isfinite(S), S, 0.0)
    importance = np.sqrt(np.mean(S**2, axis=0))
    sv = np.linalg.svd(S, compute_uv=False) if S.size else np.zeros(0)
    rank = int(np.sum(sv > 1e-8 * (sv[0] if sv.size else 0.0))) if sv.size else 0
    eff = int(np.sum(sv >= MIN_SINGULAR))
    gamma_all = collinearity_index(S) if len(names) else math.nan
    order = np.argsort(-importance)
    chosen: list[int] = []
    verdicts: dict[str, str] = {}
    for j in order:
        n = names[j]
        norm = float(np.linalg.norm(S[:, j]))
        if norm < min_norm:
            verdicts[n] = (f"not identifiable: fix from literature (insensitive: |S_j| = {norm:.2g} < {min_norm:g} "
                           "sigma/decade, 95 % interval wider than +-1 decade)")
            continue
        g = collinearity_index(S[:, chosen + [j]])
        if g <= threshold:
            chosen.append(j)
            verdicts[n] = "identifiable"
        else:
            partner = _partner(S, chosen, j, names)
            verdicts[n] = (f"not identifiable: fix from literature (collinearity index {g:.3g} > {threshold:g} "
                           f"with {partner})")
    by: dict[str, tuple[str, ...]] = {}
    for j, n in enumerate(names):
        col = S[:, j] ** 2
        tot = float(col.sum())
        if tot <= 0:
            by[n] = ()
            continue
        idx = np.argsort(-col)
        acc, pick = 0.0, []
        for i in idx:
            pick.append(tids[i])
            acc += col[i]
            if acc >= share * tot:
                break
        by[n] = tuple(pick)
    return IdentifiabilityReport(names, tids, S, importance, sv, rank, eff, gamma_all,
                                 tuple(names[j] for j in sorted(chosen)), verdicts, by, threshold)


def _partner(S: np.ndarray, chosen: list[int], j: int, names: tuple[str, ...]) -> str:
    """The already-chosen parameter(s) whose columns best reproduce column j (largest |cosine| first)."""
    if not chosen:
        return "-"
    u = S[:, j] / (np.linalg.norm(S[:, j]) or 1.0)
    cos = [(abs(float(u @ (S[:, k] / (np.linalg.norm(S[:, k]) or 1.0)))), names[k]) for k in chosen]
    cos.sort(reverse=True)
    return ", ".join(f"{n} (|cos| {c:.2f})" for c, n in cos[:2])
