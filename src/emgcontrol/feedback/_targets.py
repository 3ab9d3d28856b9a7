"""Targets for live feedback: amplitude zones per muscle and onset-order rules.

Targets come from a target pattern (:mod:`emgcontrol.patterns`, TOML: its
``amount`` criteria become zones, its ``order`` criteria order rules; criteria
that need a whole trial offline -- ratios, co-contraction, flexion-relaxation,
fatigue -- are listed in :attr:`Targets.not_live`), from a plain mapping, or
from the built-in defaults for the simulator's protocols
(:data:`BUILTIN_TARGETS`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import UnknownMuscleError, ValidationError
from ..montage import MuscleRef, parse_muscle

__all__ = ["Targets", "ZoneTarget", "OrderTarget", "BUILTIN_TARGETS", "get_targets",
           "match_channels"]

_COMBINE_ZONE = ("each", "mean", "max", "min")
_COMBINE_ORDER = ("earliest", "latest", "each")


@dataclass(frozen=True)
class ZoneTarget:
    """An amplitude zone: a muscle (group) should reach ``low``-``high`` in a movement.

    Attributes
    ----------
    id : str
        Identifier.
    muscles : tuple of str
        Muscles (``"right gluteus_maximus"``; without side: both sides) or channel
        names.
    low, high : float or None
        The zone in the feedback unit (%MVC with a reference); None: open side.
    combine : {"each", "mean", "max", "min"}
        How the channels' peak levels are combined (``"each"``: every channel is
        judged).
    description : str
        Plain-language text.
    """

    id: str
    muscles: tuple[str, ...]
    low: float | None
    high: float | None
    combine: str = "each"
    description: str = ""


@dataclass(frozen=True)
class OrderTarget:
    """An onset-timing rule between two muscle groups.

    ``kind="order"``: ``first`` starts before ``then``, ``then`` may lead by up to
    ``tolerance_s``.  ``kind="latency"``: the onset of ``then`` relative to the
    onset of ``first`` (the reference, e.g. the deltoid of a rapid arm raise)
    lies within ``min_lead_s``-``max_lead_s``.

    Attributes
    ----------
    id : str
        Identifier.
    first, then : tuple of str
        Muscles or channel names of the two groups.
    tolerance_s : float
        Order rules: ``then`` may start up to this long before ``first``.
    combine : {"earliest", "latest", "each"}
        ``then``'s onset is the earliest (latest) of its channels, or each channel
        is judged (``"each"``).  ``first`` always counts from its earliest onset.
    description : str
        Plain-language text.
    kind : {"order", "latency"}
        The rule's kind.
    min_lead_s, max_lead_s : float or None
        Latency band of ``then`` after ``first`` (None: open).
    """

    id: str
    first: tuple[str, ...]
    then: tuple[str, ...]
    tolerance_s: float = 0.0
    combine: str = "earliest"
    description: str = ""
    kind: str = "order"
    min_lead_s: float | None = None
    max_lead_s: float | None = None

    @property
    def band(self) -> tuple[float | None, float | None]:
        """Allowed ``onset(then) - onset(first)`` in s (None: open side)."""
        if self.kind == "order":
            return -self.tolerance_s, None
        return self.min_lead_s, self.max_lead_s


@dataclass(frozen=True)
class Targets:
    """Zones and order rules for live feedback.

    Attributes
    ----------
    name : str
        Name (pattern id, protocol...).
    zones : tuple of ZoneTarget
    order : tuple of OrderTarget
    unit : str
        Unit of the zones (``"%MVC"``).
    source : str
        Where they come from.
    not_live : tuple of str
        Pattern criteria that live feedback does not check (with the reason).
    onset_params : mapping
        Onset-detector method and parameters the pattern asks for.
    """

    name: str
    zones: tuple[ZoneTarget, ...] = ()
    order: tuple[OrderTarget, ...] = ()
    unit: str = "%MVC"
    source: str = ""
    not_live: tuple[str, ...] = field(default_factory=tuple)
    onset_params: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, spec: Mapping[str, Any], *, name: str = "custom") -> Targets:
        """Targets from a plain mapping.

        Parameters
        ----------
        spec : mapping
            ``{"zones": {"right gluteus_maximus": (20, 45), ...},
            "order": [("right gluteus_maximus", ["left longissimus", ...]), ...],
            "tolerance_s": 0.0}``.  Zone values are ``(low, high)`` (None for an
            open side); order entries ``(first, then)`` with a muscle or a list of
            muscles on each side.
        name : str
            Name of the targets.
        """
        if not isinstance(spec, Mapping):
            raise ValidationError(f"targets must be a mapping with 'zones' and/or 'order'; "
                                  f"got {spec!r}")
        unknown = set(spec) - {"zones", "order", "tolerance_s", "unit", "name"}
        if unknown:
            raise ValidationError(f"targets: unknown key(s) {sorted(unknown)}; allowed: "
                                  "zones, order, tolerance_s, unit, name")
        zones = []
        zspec = spec.get("zones") or {}
        if not isinstance(zspec, Mapping):
            raise ValidationError("targets['zones'] must map muscle -> (low, high)")
        for k, band in zspec.items():
            try:
                lo, hi = band
            except (TypeError, ValueError):
                raise ValidationError(
                    f"targets['zones'][{k!r}] must be (low, high); got {band!r}") from None
            lo = None if lo is None else float(lo)
            hi = None if hi is None else float(hi)
            if lo is not None and hi is not None and lo > hi:
                raise ValidationError(f"targets['zones'][{k!r}]: low {lo} is above high {hi}")
            muscles = (k,) if isinstance(k, str) else tuple(k)
            zones.append(ZoneTarget(f"zone:{k}", tuple(str(m) for m in muscles), lo, hi,
                                    description=f"{k} between {_band(lo, hi)}"))
        tol = float(spec.get("tolerance_s", 0.0))
        order = []
        for i, item in enumerate(spec.get("order") or []):
            try:
                first, then = item
            except (TypeError, ValueError):
                raise ValidationError(
                    f"targets['order'][{i}] must be (first, then); got {item!r}") from None
            f = (first,) if isinstance(first, str) else tuple(first)
            t = (then,) if isinstance(then, str) else tuple(then)
            order.append(OrderTarget(f"order:{i}", tuple(map(str, f)), tuple(map(str, t)),
                                     tol, description=f"{' / '.join(f)} before "
                                                      f"{' / '.join(t)}"))
        return cls(str(spec.get("name", name)), tuple(zones), tuple(order),
                   str(spec.get("unit", "%MVC")), source="mapping")

    @classmethod
    def from_pattern(cls, pattern: Any) -> Targets:
        """Targets from an :class:`emgcontrol.patterns.TargetPattern`.

        ``amount`` criteria (%MVC band of a muscle group) become zones judged on
        the peak 0.5 s RMS of each movement; ``order`` criteria (``first``/``then``
        or a ``sequence``) become order rules with their tolerance; ``latency``
        criteria relative to another muscle group become latency rules.  Other
        kinds (and latencies relative to the movement or an event) are listed in
        :attr:`Targets.not_live`.
        """
        zones: list[ZoneTarget] = []
        order: list[OrderTarget] = []
        not_live: list[str] = []
        for c in getattr(pattern, "criteria", ()):
            kind = getattr(c, "kind", None)
            params = getattr(c, "params", {})
            if kind == "amount":
                g = params.get("muscle")
                combine = c.combine if c.combine in _COMBINE_ZONE else "each"
                zones.append(ZoneTarget(c.id, tuple(str(m) for m in g.muscles), c.minimum,
                                        c.maximum, combine, c.description))
            elif kind == "latency" and hasattr(params.get("relative_to"), "muscles"):
                ref, g = params["relative_to"], params["muscle"]
                combine = c.combine if c.combine in _COMBINE_ORDER else "each"
                lo = None if c.minimum is None else c.minimum / 1000.0
                hi = None if c.maximum is None else c.maximum / 1000.0
                order.append(OrderTarget(c.id, tuple(str(m) for m in ref.muscles),
                                         tuple(str(m) for m in g.muscles), 0.0, combine,
                                         c.description, "latency", lo, hi))
            elif kind == "order":
                tol = float(params.get("tolerance_ms", 0.0) or 0.0) / 1000.0
                combine = c.combine if c.combine in _COMBINE_ORDER else "earliest"
                seq = params.get("sequence")
                pairs = (list(zip(seq[:-1], seq[1:])) if seq
                         else [(params["first"], params["then"])])
                for j, (a, b) in enumerate(pairs):
                    cid = c.id if len(pairs) == 1 else f"{c.id}[{j + 1}]"
                    order.append(OrderTarget(cid, tuple(str(m) for m in a.muscles),
                                             tuple(str(m) for m in b.muscles), tol, combine,
                                             c.description))
            else:
                not_live.append(f"{getattr(c, 'id', '?')} ({kind}: needs the whole trial, "
                                "judged offline by patterns.compare)")
        onset_params: dict[str, Any] = {}
        spec = getattr(getattr(pattern, "onsets", None), "params", None) or {}
        if spec:
            from ..onset import DEFAULT_METHOD, DEFAULTS

            method = spec.get("method") or DEFAULT_METHOD
            if method in DEFAULTS:
                onset_params = {k: v for k, v in spec.items() if k in DEFAULTS[method]}
                if spec.get("method"):
                    onset_params["method"] = method
        return cls(str(getattr(pattern, "id", "pattern")), tuple(zones), tuple(order),
                   source=str(getattr(pattern, "source", None) or "pattern"),
                   not_live=tuple(not_live), onset_params=onset_params)

    def describe(self) -> str:
        """Plain-text description."""
        lines = [f"targets {self.name!r} ({self.source})"]
        for z in self.zones:
            lines.append(f"  zone  {', '.join(z.muscles)}: {_band(z.low, z.high)} {self.unit}")
        for o in self.order:
            tol = f" (tolerance {o.tolerance_s * 1000:g} ms)" if o.tolerance_s else ""
            lines.append(f"  order {' / '.join(o.first)} before {' / '.join(o.then)}{tol}")
        for s in self.not_live:
            lines.append(f"  not checked live: {s}")
        return "\n".join(lines)


def _band(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"{lo:g}-{hi:g}"
    if lo is not None:
        return f">= {lo:g}"
    if hi is not None:
        return f"<= {hi:g}"
    return "any"


_ES = ["left longissimus", "right longissimus", "left multifidus", "right multifidus",
       "left iliocostalis", "right iliocostalis"]

BUILTIN_TARGETS: dict[str, dict[str, Any]] = {
    # Janda's prone hip extension: hamstrings and gluteus maximus before the erector
    # spinae (Pierce & Lee 1990; Sakamoto et al. 2009); gluteus maximus of the lifting
    # (right) leg at a moderate level.  Bruno & Bagust (2007) and Lehman et al. (2004)
    # found the order inconsistent in healthy people: use as a training target, not a
    # diagnosis.
    "prone-hip-extension": {
        "zones": {"right gluteus_maximus": (20.0, 45.0),
                  "right biceps_femoris": (15.0, 50.0)},
        "order": [("right gluteus_maximus", _ES), ("right biceps_femoris", _ES)],
    },
    # Rapid arm raise: feedforward activation of the deep abdominals (IO/TrA) before
    # the anterior deltoid (Hodges & Richardson 1996, 1997).
    "arm-raise": {
        "zones": {"internal_oblique": (5.0, 30.0)},
        "order": [(["left internal_oblique", "right internal_oblique"],
                   "right anterior_deltoid")],
    },
    # Squat lift: knee and hip extensors lead, the erector spinae follow at a moderate
    # level (stoop/back-dominant lifting loads the lumbar extensors more).
    "lift": {
        "zones": {"longissimus": (10.0, 45.0)},
        "order": [(["vastus_lateralis", "gluteus_maximus"], _ES)],
    },
}
"""Default live targets for the simulator's protocols (used when
:mod:`emgcontrol.patterns` has no pattern of that name)."""


def get_targets(spec: Any) -> Targets | None:
    """Targets from a Targets, a pattern, a pattern name or file, or a mapping.

    Parameters
    ----------
    spec : Targets, TargetPattern, str, path or mapping or None
        A name is looked up among the patterns of :mod:`emgcontrol.patterns`
        (``get_pattern``) first, then :data:`BUILTIN_TARGETS`; a path ending in
        ``.toml`` is loaded with ``emgcontrol.patterns.load_pattern``.

    Returns
    -------
    Targets or None
    """
    if spec is None or isinstance(spec, Targets):
        return spec
    if isinstance(spec, Mapping):
        return Targets.from_mapping(spec)
    if hasattr(spec, "criteria"):
        return Targets.from_pattern(spec)
    import os

    if isinstance(spec, (str, os.PathLike)):
        from ..patterns import get_pattern, load_pattern

        text = os.fspath(spec)
        if text.lower().endswith(".toml"):
            return Targets.from_pattern(load_pattern(text))
        try:
            return Targets.from_pattern(get_pattern(text))
        except (ValidationError, KeyError, LookupError):
            if text not in BUILTIN_TARGETS:
                raise
        if text in BUILTIN_TARGETS:
            t = Targets.from_mapping(BUILTIN_TARGETS[text], name=text)
            return Targets(t.name, t.zones, t.order, t.unit, source="built-in live defaults")
        raise ValidationError(
            f"unknown pattern {text!r}; built-in live targets: "
            f"{', '.join(BUILTIN_TARGETS)} (or give a .toml pattern file)")
    raise ValidationError(
        f"targets must be Targets, a pattern, a pattern name or file, or a mapping; got "
        f"{type(spec).__name__}")


def match_channels(spec: str, ch_names: Sequence[str],
                   muscles: Sequence[MuscleRef | None]) -> list[int]:
    """Channels a muscle spec names: a channel name, a muscle with side, or without.

    Raises
    ------
    UnknownMuscleError
        The spec is neither a channel name nor a muscle.
    """
    if spec in ch_names:
        return [list(ch_names).index(spec)]
    try:
        ref = parse_muscle(spec)
    except UnknownMuscleError:
        raise
    except ValidationError as err:  # pragma: no cover
        raise ValidationError(f"target muscle {spec!r}: {err}") from None
    out = []
    for i, m in enumerate(muscles):
        if m is None or m.muscle != ref.muscle:
            continue
        if ref.side is None or m.side == ref.side:
            out.append(i)
    return out
