"""Criterion kinds: one module per kind, each building a :class:`CriterionKind`.

To add a kind, write a module that defines ``KIND`` (fields, combine rules, unit,
needed measures, ``parse``, ``evaluate``, ``sentence``) and list it in
:data:`REGISTRY` (or call :func:`register`); the pattern format, the comparison and
the patient sentences read it from there.  The chain computes the measures a kind
declares in ``needs`` (:data:`~emgcontrol.patterns.kinds._base.MEASURES`).
"""

from __future__ import annotations

from ..._validate import check_option
from . import amount, cocontraction, flexion_relaxation, latency, mdf_slope, order, ratio
from ._base import CriterionKind, Evaluation, GroupRule, TrialValue

__all__ = ["REGISTRY", "KINDS", "get_kind", "register", "CriterionKind", "Evaluation", "GroupRule",
           "TrialValue"]

REGISTRY: dict[str, CriterionKind] = {k.name: k for k in (
    order.KIND, latency.KIND, amount.KIND, ratio.KIND, cocontraction.KIND,
    flexion_relaxation.KIND, mdf_slope.KIND)}
"""Criterion kinds by name."""

KINDS = tuple(REGISTRY)
"""Names of the built-in criterion kinds."""


def register(kind: CriterionKind) -> CriterionKind:
    """Add a criterion kind (its name must be new and its needs known measures)."""
    from ...errors import ValidationError
    from ._base import MEASURES

    if not isinstance(kind, CriterionKind):
        raise ValidationError(f"kind must be a CriterionKind; got {type(kind).__name__}")
    if kind.name in REGISTRY:
        raise ValidationError(f"criterion kind {kind.name!r} is already registered")
    unknown = set(kind.needs) - set(MEASURES)
    if unknown:
        raise ValidationError(f"criterion kind {kind.name!r} needs unknown measures "
                              f"{sorted(unknown)} (known: {', '.join(MEASURES)})")
    REGISTRY[kind.name] = kind
    return kind


def get_kind(name: str) -> CriterionKind:
    """The kind called ``name``."""
    check_option("kind", name, tuple(REGISTRY))
    return REGISTRY[name]
