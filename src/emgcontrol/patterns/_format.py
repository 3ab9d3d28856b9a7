"""Target patterns: the TOML format, its validation and the frozen dataclasses.

A target pattern describes a movement (prone hip extension, trunk flexion...): the
muscles it needs, how trials and phases are found, and the criteria a recording is
compared with, each with a plain-language description, a weight and the literature
behind it.  See :mod:`emgcontrol.patterns` for the format with an example.
"""

from __future__ import annotations

import copy
import difflib
import math
import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..errors import FileFormatError, RecordingFileNotFoundError, ValidationError
from ..montage import MUSCLES, MuscleRef, parse_muscle
from ._locate import Locator
from .kinds import KINDS as _KINDS
from .kinds import REGISTRY
from .kinds import amount as _amount

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "KINDS",
    "SEVERITIES",
    "MuscleGroup",
    "Phase",
    "Criterion",
    "Advance",
    "Level",
    "TrialSpec",
    "MovementSpec",
    "OnsetSpec",
    "TargetPattern",
    "load_pattern",
    "loads_pattern",
    "pattern_from_dict",
]

FORMAT = "emgcontrol-pattern"
"""Value of the optional top-level ``format`` key."""

FORMAT_VERSION = 1
"""Version of the target-pattern format read by this emgcontrol."""

KINDS = _KINDS
"""Criterion kinds (:data:`emgcontrol.patterns.kinds.REGISTRY`: one module per kind)."""

SEVERITIES = ("core", "informative")
"""Criterion severities: ``"core"`` criteria make the pattern; ``"informative"`` ones
report a finding whose norm is debated (they count in the score with their weight,
usually small)."""

ANCHORS = ("movement", "trial")
"""Time anchors of phases and onset windows (besides ``"event:<label>"`` and
``"onset:<group>"``)."""

AMOUNT_MEASURES = _amount.MEASURES
COMBINE = {name: k.combine for name, k in REGISTRY.items()}
"""How the channels of a muscle group are combined, per kind (first = default).

``earliest``/``latest``: the group's onset is the earliest/latest onset of its
channels (``latest`` needs every channel's onset; ``earliest`` tolerates an
unusable channel only where the verdict cannot depend on it, see
:data:`emgcontrol.patterns._compare.NEEDS_ALL`).  ``each``: every channel is
judged and the worst value counts (needs every channel).  ``mean``: the mean of the
channels' values (needs at least half of the channels: a noisy channel of a
bilateral group does not block the criterion).  ``max``/``min``: the
largest/smallest (needs every channel).
"""

_COMMON = {"id", "kind", "description", "weight", "severity", "reference", "pass_text",
           "fail_text", "combine"}

_TOP = {"format", "version", "id", "title", "description", "evidence", "options", "montage",
        "groups", "trials", "movement", "onsets", "phases", "criteria", "levels"}
_ONSET_PARAMS = {"method", "threshold", "off_threshold", "window", "min_on", "min_off",
                 "refine", "ramp", "look_back", "look_ahead", "m", "n", "l_freq", "h_freq",
                 "phase", "baseline_dof", "baseline_z"}
_MOVEMENT_PARAMS = {"threshold_sd", "min_threshold_g", "smooth_s", "min_duration_s",
                    "backtrack_sd", "baseline"}
_SIDE_WORDS = {"ipsilateral": "ipsi", "ipsi": "ipsi", "contralateral": "contra",
               "contra": "contra"}


# ---------------------------------------------------------------- dataclasses
@dataclass(frozen=True)
class MuscleGroup:
    """Muscles that a criterion treats as one (e.g. the erector spinae of one side).

    Attributes
    ----------
    name : str
        Group name (a key of ``[groups]``, or the muscle text for an ad-hoc group).
    muscles : tuple of MuscleRef
        The muscles, sides resolved (``"ipsilateral"`` -> the ``side`` option).
    written : tuple of str
        The muscles as written in the file.
    plain : str
        Plain-language name for patients (``"buttock muscle of the lifting leg"``).
    """

    name: str
    muscles: tuple[MuscleRef, ...]
    written: tuple[str, ...]
    plain: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"name": self.name, "muscles": [str(m) for m in self.muscles],
                "written": list(self.written), "plain": self.plain}


@dataclass(frozen=True)
class Phase:
    """A movement phase: a window relative to a per-trial anchor.

    Attributes
    ----------
    name : str
        Phase name.
    anchor : str
        ``"movement"`` (movement onset), ``"trial"`` (trial start), ``"event:<label>"``
        (first event with that label in the trial) or ``"onset:<group>"`` (the group's
        first activation onset in the trial).
    start, stop : float
        Window relative to the anchor, s.
    description : str
        What happens in it.
    """

    name: str
    anchor: str
    start: float
    stop: float
    description: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"name": self.name, "anchor": self.anchor, "start": self.start,
                "stop": self.stop, "description": self.description}


@dataclass(frozen=True)
class Criterion:
    """One criterion of a target pattern.

    Attributes
    ----------
    id : str
        Identifier, unique in the pattern.
    kind : str
        One of :data:`KINDS`.
    description : str
        What is checked, in plain language.
    weight : float
        Weight in the score (>= 0).
    severity : {"core", "informative"}
        ``"informative"`` for criteria whose norm the literature debates.
    reference : tuple of str
        Literature behind the criterion and its target.
    params : mapping
        Kind-specific parameters (muscle groups resolved to :class:`MuscleGroup`).
    unit : str
        Unit of the measured value (``"ms"``, ``"%MVC"``, ``"ratio"``, ``"%/s"``...).
    minimum, maximum : float or None
        The target band (inclusive); None for an open side.
    combine : str
        How the channels of a group are combined (see :data:`COMBINE`).
    pass_text, fail_text : str or None
        Patient sentences overriding the generated ones (``str.format`` fields:
        ``measured``, ``target``, ``unit``, ``n_pass``, ``n``).
    line : int or None
        Line of the criterion in its file.
    """

    id: str
    kind: str
    description: str
    weight: float
    severity: str
    reference: tuple[str, ...]
    params: Mapping[str, Any]
    unit: str
    minimum: float | None
    maximum: float | None
    combine: str
    pass_text: str | None = None
    fail_text: str | None = None
    line: int | None = None

    @property
    def target_text(self) -> str:
        """The target band as text (``">= -20 ms"``, ``"2 to 5 ratio"``)."""
        return _band_text(self.minimum, self.maximum, self.unit)

    def groups(self) -> list[MuscleGroup]:
        """Muscle groups the criterion needs."""
        out: list[MuscleGroup] = []
        for v in self.params.values():
            if isinstance(v, MuscleGroup):
                out.append(v)
            elif isinstance(v, tuple) and v and isinstance(v[0], MuscleGroup):
                out.extend(v)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        params: dict[str, Any] = {}
        for k, v in self.params.items():
            if isinstance(v, MuscleGroup):
                params[k] = v.to_dict()
            elif isinstance(v, tuple) and v and isinstance(v[0], MuscleGroup):
                params[k] = [g.to_dict() for g in v]
            else:
                params[k] = v
        return {"id": self.id, "kind": self.kind, "description": self.description,
                "weight": self.weight, "severity": self.severity,
                "reference": list(self.reference), "params": params, "unit": self.unit,
                "min": self.minimum, "max": self.maximum, "target": self.target_text,
                "combine": self.combine}


@dataclass(frozen=True)
class Advance:
    """What moves a patient up from a training level.

    Attributes
    ----------
    criteria : tuple of str
        Criteria that must pass.
    min_pass_share : float
        Share of the trials of a session in which each of them passes (0-1).
    sessions : int
        Consecutive sessions that must meet it.
    """

    criteria: tuple[str, ...]
    min_pass_share: float
    sessions: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"criteria": list(self.criteria), "min_pass_share": self.min_pass_share,
                "sessions": self.sessions}


@dataclass(frozen=True)
class Level:
    """A training level of a protocol: its own criteria/targets and how to move up.

    Attributes
    ----------
    level : int
        1 for the easiest.
    name, description : str
        What the patient trains at this level.
    criteria : tuple of str
        Criteria judged at this level (default: all).
    targets : mapping
        Criterion id -> overridden fields (``min``, ``max``, ``tolerance_ms``...).
    advance : Advance or None
        How to move to the next level (None for the last level).
    """

    level: int
    name: str
    description: str
    criteria: tuple[str, ...]
    targets: Mapping[str, Mapping[str, Any]]
    advance: Advance | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"level": self.level, "name": self.name, "description": self.description,
                "criteria": list(self.criteria),
                "targets": {k: dict(v) for k, v in self.targets.items()},
                "advance": self.advance.to_dict() if self.advance else None}


@dataclass(frozen=True)
class TrialSpec:
    """How trials are found.

    Attributes
    ----------
    source : {"events", "whole", "movement"}
        ``"events"`` and ``"movement"``: events labelled ``label`` with a duration;
        when the recording has none, trials are cut around the successive movements
        the accelerometer finds (``pre_s`` before to ``post_s`` after each movement
        onset; needs ``[movement] source = "accelerometer"``), else the whole
        recording is one trial.  ``"whole"``: the recording is one trial.
    label : str
        Event label of the trials.
    min_trials : int
        Fewest trials in which a criterion must be assessable.
    min_share : float
        Smallest share of the trials in which it must be assessable.
    pre_s, post_s : float
        Trial window around a movement onset for ``source="movement"``, s.
    """

    source: str = "events"
    label: str = "trial"
    min_trials: int = 2
    min_share: float = 0.5
    pre_s: float = 1.5
    post_s: float = 4.0


@dataclass(frozen=True)
class MovementSpec:
    """Where movement onsets come from: ``"accelerometer"``, ``"event:<label>"`` or
    ``"none"``, with :func:`~emgcontrol.metrics.detect_movement_onset` parameters."""

    source: str = "accelerometer"
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class OnsetSpec:
    """Onset detection: detector parameters and the search window.

    Attributes
    ----------
    params : mapping
        Passed to :func:`emgcontrol.onset.detect_onsets` (``method``, ``threshold``...).
    anchor : str
        Anchor of the search window (as for :class:`Phase`, without ``onset:``).
    window : (float, float) or None
        Only the first onset within ``anchor + window`` (s) counts in a trial: the
        activation that belongs to the movement.  None: the first onset in the trial.
    """

    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    anchor: str = "trial"
    window: tuple[float, float] | None = None


@dataclass(frozen=True)
class TargetPattern:
    """A target recruitment pattern for a movement (loaded from TOML).

    Build one with :func:`load_pattern`, :func:`loads_pattern`,
    :func:`get_pattern` or :func:`pattern_from_dict`.  Everything is validated on
    loading; options (``side``...) are resolved.  :meth:`with_options` and
    :meth:`for_level` return re-resolved copies.

    Attributes
    ----------
    id, title, description, evidence : str
        Identity and the evidence behind the pattern (where the literature
        disagrees, ``evidence`` says so).
    version : int
        Format version.
    options : mapping
        Option values in use (defaults from the file, overridden by the user).
    required, optional : tuple of MuscleRef
        Muscles the pattern needs / can use.
    preset : str or None
        Recommended montage preset.
    groups : mapping
        Named muscle groups.
    trials, movement, onsets : TrialSpec, MovementSpec, OnsetSpec
        How trials, movement onsets and activation onsets are found.
    phases : mapping
        Named phases.
    criteria : tuple of Criterion
        The criteria.
    levels : tuple of Level
        Training levels (may be empty).
    level : int or None
        The level this pattern was resolved for (:meth:`for_level`).
    source : str or None
        File it was read from.
    """

    id: str
    title: str
    description: str
    evidence: str
    version: int
    options: Mapping[str, Any]
    required: tuple[MuscleRef, ...]
    optional: tuple[MuscleRef, ...]
    preset: str | None
    groups: Mapping[str, MuscleGroup]
    trials: TrialSpec
    movement: MovementSpec
    onsets: OnsetSpec
    phases: Mapping[str, Phase]
    criteria: tuple[Criterion, ...]
    levels: tuple[Level, ...]
    level: int | None = None
    source: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    text: str | None = field(default=None, repr=False, compare=False)

    # ----------------------------------------------------------------- access
    def criterion(self, id: str) -> Criterion:
        """The criterion with this id (ValidationError listing the ids otherwise)."""
        for c in self.criteria:
            if c.id == id:
                return c
        raise ValidationError(
            f"pattern {self.id!r} has no criterion {id!r} (criteria: "
            f"{', '.join(c.id for c in self.criteria)})")

    @property
    def muscles(self) -> list[MuscleRef]:
        """Every muscle the criteria use, in order of first use."""
        out: list[MuscleRef] = []
        for c in self.criteria:
            for g in c.groups():
                for m in g.muscles:
                    if m not in out:
                        out.append(m)
        return out

    def get_level(self, level: int) -> Level:
        """A training level by number."""
        for lv in self.levels:
            if lv.level == level:
                return lv
        raise ValidationError(
            f"pattern {self.id!r} has no level {level!r} (levels: "
            f"{', '.join(str(lv.level) for lv in self.levels) or 'none'})")

    # -------------------------------------------------------------- variants
    def with_options(self, **options: Any) -> TargetPattern:
        """A copy with options overridden (e.g. ``side="left"``), re-validated."""
        return _rebuild(self, options=options, level=self.level)

    def for_level(self, level: int) -> TargetPattern:
        """The pattern of a training level: its criteria, with its targets."""
        self.get_level(level)
        return _rebuild(self, options={}, level=level)

    # ---------------------------------------------------------------- export
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary of the resolved pattern."""
        return {"id": self.id, "title": self.title, "version": self.version,
                "level": self.level, "source": self.source, "options": dict(self.options),
                "required": [str(m) for m in self.required],
                "optional": [str(m) for m in self.optional], "preset": self.preset,
                "criteria": [c.to_dict() for c in self.criteria],
                "phases": {k: p.to_dict() for k, p in self.phases.items()},
                "levels": [lv.to_dict() for lv in self.levels]}

    def describe(self) -> str:
        """Plain-text description: criteria with targets, weights and references."""
        lines = [f"{self.title} ({self.id})" + (f", level {self.level}" if self.level else "")]
        if self.description:
            lines.append(self.description.strip())
        if self.options:
            lines.append("options: " + ", ".join(f"{k}={v!r}" for k, v in self.options.items()))
        for c in self.criteria:
            tag = "" if c.severity == "core" else " [informative]"
            lines.append(f"- {c.id} ({c.kind}, weight {c.weight:g}){tag}: {c.description} "
                         f"Target: {c.target_text}.")
            for ref in c.reference:
                lines.append(f"    ref: {ref}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        lv = f", level {self.level}" if self.level else ""
        return (f"<TargetPattern | {self.id}{lv}: {len(self.criteria)} criteria, "
                f"{len(self.levels)} levels>")


# ------------------------------------------------------------------ helpers
def _band_text(lo: float | None, hi: float | None, unit: str) -> str:
    u = "" if unit in ("ratio", "fraction", "") else f" {unit}"
    if lo is not None and hi is not None:
        return f"{lo:g} to {hi:g}{u}"
    if lo is not None:
        return f">= {lo:g}{u}"
    if hi is not None:
        return f"<= {hi:g}{u}"
    return "any"


class _Ctx:
    """Where the pattern comes from, to build errors that name file and line."""

    def __init__(self, source: str | None, text: str | None) -> None:
        self.source = source
        self.locator = Locator(text) if text is not None else None

    def error(self, message: str, path: Sequence[object] = (), value: object = None
              ) -> Exception:
        where = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in path)
        where = where.replace(".[", "[")
        msg = f"{where}: {message}" if where else message
        if self.locator is not None or self.source is not None:
            line = self.locator.line_of(path, value) if self.locator is not None else None
            return FileFormatError(msg, self.source, line)
        return ValidationError(f"target pattern: {msg}")


def _check_keys(ctx: _Ctx, table: Mapping[str, Any], allowed: set[str], path: tuple,
                what: str) -> None:
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=2)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ctx.error(f"unknown key {key!r} in {what}{hint} (allowed: "
                            f"{', '.join(sorted(allowed))})", path + (key,))


def _table(ctx: _Ctx, value: Any, path: tuple, what: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ctx.error(f"{what} must be a table; got {type(value).__name__}", path)
    return value


def _str(ctx: _Ctx, value: Any, path: tuple, *, required: bool = False,
         default: str | None = None) -> str | None:
    if value is None:
        if required:
            raise ctx.error("is required (a string)", path)
        return default
    if not isinstance(value, str):
        raise ctx.error(f"must be a string; got {value!r}", path)
    if required and not value.strip():
        raise ctx.error("must not be empty", path)
    return value


def _num(ctx: _Ctx, value: Any, path: tuple, *, default: float | None = None,
         lo: float | None = None, hi: float | None = None) -> float | None:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ctx.error(f"must be a number; got {value!r}", path)
    f = float(value)
    if not math.isfinite(f):
        raise ctx.error(f"must be finite; got {value!r}", path)
    if lo is not None and f < lo:
        raise ctx.error(f"must be >= {lo:g}; got {value!r}", path)
    if hi is not None and f > hi:
        raise ctx.error(f"must be <= {hi:g}; got {value!r}", path)
    return f


def _bool(ctx: _Ctx, value: Any, path: tuple, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ctx.error(f"must be true or false; got {value!r}", path)
    return value


def _choice(ctx: _Ctx, value: Any, path: tuple, allowed: Sequence[str],
            default: str | None = None) -> str:
    if value is None:
        if default is None:
            raise ctx.error(f"is required (one of {', '.join(map(repr, allowed))})", path)
        return default
    if value not in allowed:
        close = difflib.get_close_matches(str(value), list(allowed), n=2)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ctx.error(f"must be one of {', '.join(map(repr, allowed))}; got {value!r}{hint}",
                        path, value if isinstance(value, str) else None)
    return str(value)


def _subst(ctx: _Ctx, value: Any, options: Mapping[str, Any], path: tuple) -> Any:
    """Replace ``"$name"`` by the option ``name``."""
    if isinstance(value, str) and value.startswith("$") and len(value) > 1:
        name = value[1:]
        if name not in options:
            raise ctx.error(f"refers to option {name!r}, which [options] does not define "
                            f"(options: {', '.join(options) or 'none'})", path, value)
        return options[name]
    return value


def _resolve_muscle(ctx: _Ctx, text: Any, options: Mapping[str, Any], path: tuple
                    ) -> MuscleRef:
    if not isinstance(text, str) or not text.strip():
        raise ctx.error(f"a muscle must be a non-empty string; got {text!r}", path)
    words = text.strip().split(None, 1)
    rel = _SIDE_WORDS.get(words[0].lower()) if len(words) == 2 else None
    spec = words[1] if rel else text
    try:
        ref = parse_muscle(spec)
    except ValidationError as err:
        raise ctx.error(f"{err}", path, text) from None
    if rel is not None:
        side = options.get("side")
        if side not in ("left", "right"):
            raise ctx.error(
                f"muscle {text!r} is {'ipsi' if rel == 'ipsi' else 'contra'}lateral but the "
                "pattern has no option side = 'left' or 'right' (the moving side)", path, text)
        if ref.side is not None:
            raise ctx.error(f"muscle {text!r} names both a relative and an absolute side",
                            path, text)
        own = side if rel == "ipsi" else ("left" if side == "right" else "right")
        ref = MuscleRef(ref.muscle, own)
    return ref


_PLAIN_MUSCLE = {
    "longissimus": "lower-back muscle (erector spinae)",
    "iliocostalis": "lower-back muscle (iliocostalis)",
    "multifidus": "deep lower-back muscle (multifidus)",
    "gluteus_maximus": "buttock muscle (gluteus maximus)",
    "gluteus_medius": "side-hip muscle (gluteus medius)",
    "biceps_femoris": "outer hamstring (back of the thigh)",
    "semitendinosus": "inner hamstring (back of the thigh)",
    "rectus_abdominis": "front abdominal muscle (rectus abdominis)",
    "external_oblique": "side abdominal muscle (external oblique)",
    "internal_oblique": "deep abdominal muscle (internal oblique / transversus)",
    "anterior_deltoid": "front shoulder muscle (deltoid)",
    "rectus_femoris": "front thigh muscle (rectus femoris)",
    "vastus_lateralis": "front thigh muscle (vastus lateralis)",
    "vastus_medialis": "front thigh muscle (vastus medialis)",
    "tibialis_anterior": "shin muscle (tibialis anterior)",
    "gastrocnemius_medialis": "calf muscle (gastrocnemius)",
    "gastrocnemius_lateralis": "calf muscle (gastrocnemius)",
}


def plain_muscle(ref: MuscleRef) -> str:
    """Plain-language name of a muscle (``"right buttock muscle (gluteus maximus)"``)."""
    base = _PLAIN_MUSCLE.get(ref.muscle, MUSCLES[ref.muscle].name.lower())
    return f"{ref.side} {base}" if ref.side else base


def _plain_group(refs: Sequence[MuscleRef]) -> str:
    names = list(dict.fromkeys(plain_muscle(r) for r in refs))
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _group(ctx: _Ctx, value: Any, groups: Mapping[str, MuscleGroup],
           options: Mapping[str, Any], path: tuple) -> MuscleGroup:
    """A muscle spec: a group name, a muscle, or a list of muscles."""
    if isinstance(value, str) and value in groups:
        return groups[value]
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise ctx.error("must be a group name, a muscle or a non-empty list of muscles; got "
                        f"{value!r}", path)
    refs: list[MuscleRef] = []
    for k, item in enumerate(items):
        p = path if isinstance(value, str) else path
        if isinstance(item, str) and item in groups:
            refs.extend(m for m in groups[item].muscles if m not in refs)
            continue
        try:
            ref = _resolve_muscle(ctx, item, options, p)
        except (FileFormatError, ValidationError) as err:
            if isinstance(item, str) and groups:
                close = difflib.get_close_matches(item, list(groups), n=2)
                if close:
                    raise ctx.error(
                        f"{item!r} is neither a group ({', '.join(groups)}) nor a known "
                        f"muscle; did you mean {', '.join(map(repr, close))}?", p,
                        item) from None
            raise err from None
        if ref not in refs:
            refs.append(ref)
    name = value if isinstance(value, str) else " + ".join(str(v) for v in items)
    return MuscleGroup(name, tuple(refs), tuple(str(v) for v in items), _plain_group(refs))


def _anchor(ctx: _Ctx, value: Any, path: tuple, groups: Mapping[str, MuscleGroup],
            allow_onset: bool, default: str) -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        raise ctx.error(f"must be a string; got {value!r}", path)
    if value in ANCHORS:
        return value
    kind, _, name = value.partition(":")
    if kind == "event" and name:
        return value
    if kind == "onset" and allow_onset:
        if name not in groups:
            raise ctx.error(f"anchor {value!r} names no group (groups: "
                            f"{', '.join(groups) or 'none'})", path, value)
        return value
    allowed = ["'movement'", "'trial'", "'event:<label>'"] + (["'onset:<group>'"]
                                                               if allow_onset else [])
    raise ctx.error(f"anchor must be {', '.join(allowed)}; got {value!r}", path, value)


def _pair(ctx: _Ctx, value: Any, path: tuple) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise ctx.error(f"must be a pair [start_s, stop_s]; got {value!r}", path)
    a = _num(ctx, value[0], path)
    b = _num(ctx, value[1], path)
    assert a is not None and b is not None
    if not a < b:
        raise ctx.error(f"needs start < stop; got {value!r}", path)
    return a, b


# ------------------------------------------------------------------- build
def _build(raw: Mapping[str, Any], ctx: _Ctx, *, overrides: Mapping[str, Any] | None,
           level: int | None, source: str | None, text: str | None) -> TargetPattern:
    if not isinstance(raw, Mapping):
        raise ctx.error(f"a target pattern must be a table; got {type(raw).__name__}")
    _check_keys(ctx, raw, _TOP, (), "the pattern")
    fmt = raw.get("format")
    if fmt is not None and fmt != FORMAT:
        raise ctx.error(f"format must be {FORMAT!r}; got {fmt!r}", ("format",))
    version = raw.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise ctx.error(f"format version {version!r} is not supported (this emgcontrol reads "
                        f"version {FORMAT_VERSION})", ("version",))
    pid = _str(ctx, raw.get("id"), ("id",), required=True)
    assert pid is not None
    title = _str(ctx, raw.get("title"), ("title",), default=pid) or pid
    description = _str(ctx, raw.get("description"), ("description",), default="") or ""
    evidence = _str(ctx, raw.get("evidence"), ("evidence",), default="") or ""

    # options: defaults from the file, overridden by the caller
    file_opts = dict(_table(ctx, raw.get("options"), ("options",), "[options]"))
    options = dict(file_opts)
    for k, v in (overrides or {}).items():
        if k not in file_opts and k != "side":
            raise ValidationError(
                f"option {k!r} is not an option of pattern {pid!r} (options: "
                f"{', '.join(file_opts) or 'none'})")
        if k in file_opts and file_opts[k] is not None and v is not None:
            if isinstance(file_opts[k], bool) != isinstance(v, bool) or (
                    isinstance(file_opts[k], (int, float)) and not isinstance(v, (int, float))):
                raise ValidationError(
                    f"option {k!r} must be of the type of its default {file_opts[k]!r}; "
                    f"got {v!r}")
        options[k] = v
    if "side" in options:
        side = options["side"]
        if side not in ("left", "right"):
            where = ("options", "side")
            if "side" in (overrides or {}):
                raise ValidationError(f"option side must be 'left' or 'right'; got {side!r}")
            raise ctx.error(f"side must be 'left' or 'right'; got {side!r}", where)

    # groups
    groups: dict[str, MuscleGroup] = {}
    for gname, gval in _table(ctx, raw.get("groups"), ("groups",), "[groups]").items():
        path = ("groups", gname)
        gtab = _table(ctx, gval, path, f"group {gname!r}")
        _check_keys(ctx, gtab, {"muscles", "plain"}, path, f"group {gname!r}")
        if "muscles" not in gtab:
            raise ctx.error("needs muscles = [...]", path)
        mus = gtab["muscles"]
        items = [mus] if isinstance(mus, str) else mus
        if not isinstance(items, list) or not items:
            raise ctx.error(f"muscles must be a non-empty list; got {mus!r}", path + ("muscles",))
        refs = []
        for item in items:
            r = _resolve_muscle(ctx, item, options, path + ("muscles",))
            if r not in refs:
                refs.append(r)
        plain = _str(ctx, gtab.get("plain"), path + ("plain",)) or _plain_group(refs)
        groups[gname] = MuscleGroup(gname, tuple(refs), tuple(items), plain)

    # montage
    mont = _table(ctx, raw.get("montage"), ("montage",), "[montage]")
    _check_keys(ctx, mont, {"required", "optional", "preset"}, ("montage",), "[montage]")
    req: list[MuscleRef] = []
    opt: list[MuscleRef] = []
    for key, out in (("required", req), ("optional", opt)):
        items = mont.get(key, [])
        if not isinstance(items, list):
            raise ctx.error(f"must be a list of muscles; got {items!r}", ("montage", key))
        for item in items:
            if isinstance(item, str) and item in groups:
                out.extend(m for m in groups[item].muscles if m not in out)
            else:
                r = _resolve_muscle(ctx, item, options, ("montage", key))
                if r not in out:
                    out.append(r)
    preset = _str(ctx, mont.get("preset"), ("montage", "preset"))
    if preset is not None:
        from ..montage import PRESETS

        _choice(ctx, preset, ("montage", "preset"), PRESETS)

    # trials, movement, onsets
    tr = _table(ctx, raw.get("trials"), ("trials",), "[trials]")
    _check_keys(ctx, tr, {"source", "label", "min_trials", "min_share", "pre_s", "post_s"},
                ("trials",), "[trials]")
    mt = _num(ctx, tr.get("min_trials"), ("trials", "min_trials"), default=2, lo=1)
    trials = TrialSpec(
        source=_choice(ctx, tr.get("source"), ("trials", "source"),
                       ("events", "whole", "movement"), "events"),
        label=_str(ctx, tr.get("label"), ("trials", "label"), default="trial") or "trial",
        min_trials=int(mt or 2),
        min_share=float(_num(ctx, tr.get("min_share"), ("trials", "min_share"), default=0.5,
                             lo=0, hi=1) or 0.0),
        pre_s=float(_num(ctx, tr.get("pre_s"), ("trials", "pre_s"), default=1.5, lo=0) or 0),
        post_s=float(_num(ctx, tr.get("post_s"), ("trials", "post_s"), default=4.0, lo=0.1)
                     or 4.0))
    mv = dict(_table(ctx, raw.get("movement"), ("movement",), "[movement]"))
    src = mv.pop("source", "accelerometer")
    if not isinstance(src, str) or not (src in ("accelerometer", "none") or (
            src.startswith("event:") and len(src) > 6)):
        raise ctx.error(f"must be 'accelerometer', 'none' or 'event:<label>'; got {src!r}",
                        ("movement", "source"), src if isinstance(src, str) else None)
    _check_keys(ctx, mv, _MOVEMENT_PARAMS, ("movement",), "[movement]")
    if "baseline" in mv:
        mv["baseline"] = _pair(ctx, mv["baseline"], ("movement", "baseline"))
    for k in _MOVEMENT_PARAMS - {"baseline"}:
        if k in mv:
            mv[k] = _num(ctx, mv[k], ("movement", k), lo=0)
    movement = MovementSpec(src, MappingProxyType(mv))
    on = dict(_table(ctx, raw.get("onsets"), ("onsets",), "[onsets]"))
    anchor = _anchor(ctx, on.pop("anchor", None), ("onsets", "anchor"), groups, False, "trial")
    search = on.pop("search", None)
    win = _pair(ctx, search, ("onsets", "search")) if search is not None else None
    _check_keys(ctx, on, _ONSET_PARAMS, ("onsets",), "[onsets] (detector parameters)")
    onsets = OnsetSpec(MappingProxyType(dict(on)), anchor, win)

    # phases
    phases: dict[str, Phase] = {}
    for pname, pval in _table(ctx, raw.get("phases"), ("phases",), "[phases]").items():
        path = ("phases", pname)
        ptab = {k: _subst(ctx, v, options, path + (k,))
                for k, v in _table(ctx, pval, path, f"phase {pname!r}").items()}
        _check_keys(ctx, ptab, {"anchor", "start", "stop", "description"}, path,
                    f"phase {pname!r}")
        a = _anchor(ctx, ptab.get("anchor"), path + ("anchor",), groups, True, "movement")
        s0 = _num(ctx, ptab.get("start"), path + ("start",), default=0.0)
        s1 = _num(ctx, ptab.get("stop"), path + ("stop",))
        if s1 is None:
            raise ctx.error("needs stop (s after the anchor)", path)
        assert s0 is not None
        if not s0 < s1:
            raise ctx.error(f"needs start < stop; got {s0:g}, {s1:g}", path + ("stop",))
        phases[pname] = Phase(pname, a, s0, s1,
                              _str(ctx, ptab.get("description"), path + ("description",),
                                   default="") or "")

    # criteria
    crit_raw = raw.get("criteria")
    if not isinstance(crit_raw, list) or not crit_raw:
        raise ctx.error("needs at least one [[criteria]] table", ("criteria",))
    levels_raw = raw.get("levels", [])
    if not isinstance(levels_raw, list):
        raise ctx.error("must be an array of tables [[levels]]", ("levels",))
    ids = [c.get("id") if isinstance(c, Mapping) else None for c in crit_raw]
    level_raw: Mapping[str, Any] | None = None
    if level is not None:
        for k, lv in enumerate(levels_raw):
            if isinstance(lv, Mapping) and lv.get("level") == level:
                level_raw = lv
        if level_raw is None:
            raise ValidationError(f"pattern {pid!r} has no level {level!r}")
    criteria: list[Criterion] = []
    seen: set[str] = set()
    for k, c in enumerate(crit_raw):
        crit = _criterion(ctx, c, k, groups, phases, options, level_raw)
        if crit.id in seen:
            raise ctx.error(f"duplicate criterion id {crit.id!r}", ("criteria", k, "id"),
                            crit.id)
        seen.add(crit.id)
        if level_raw is not None and level_raw.get("criteria") is not None \
                and crit.id not in level_raw["criteria"]:
            continue
        criteria.append(crit)

    # levels
    levels: list[Level] = []
    for k, lv in enumerate(levels_raw):
        levels.append(_level(ctx, lv, k, [i for i in ids if isinstance(i, str)], crit_raw,
                             groups, phases, options))
    nums = [lv.level for lv in levels]
    if nums and nums != list(range(1, len(nums) + 1)):
        raise ctx.error(f"levels must be numbered 1, 2, 3... in order; got {nums}",
                        ("levels",))
    if levels and levels[-1].advance is not None:
        pass  # an advance rule on the last level is allowed: it says "mastered"
    return TargetPattern(
        id=pid, title=title, description=description, evidence=evidence, version=version,
        options=MappingProxyType(options), required=tuple(req), optional=tuple(opt),
        preset=preset, groups=MappingProxyType(groups), trials=trials, movement=movement,
        onsets=onsets, phases=MappingProxyType(phases), criteria=tuple(criteria),
        levels=tuple(levels), level=level, source=source, raw=raw, text=text)


def _criterion(ctx: _Ctx, c: Any, k: int, groups: Mapping[str, MuscleGroup],
               phases: Mapping[str, Phase], options: Mapping[str, Any],
               level_raw: Mapping[str, Any] | None) -> Criterion:
    path: tuple = ("criteria", k)
    if not isinstance(c, Mapping):
        raise ctx.error("each [[criteria]] entry must be a table", path)
    tab = {key: _subst(ctx, v, options, path + (key,)) for key, v in c.items()}
    cid = _str(ctx, tab.get("id"), path + ("id",), required=True)
    assert cid is not None
    kind = tab.get("kind")
    if kind is None:
        raise ctx.error(f"criterion {cid!r} needs kind = one of {', '.join(REGISTRY)}",
                        path)
    _choice(ctx, kind, path + ("kind",), tuple(REGISTRY))
    kdef = REGISTRY[kind]
    _check_keys(ctx, tab, _COMMON | kdef.fields, path, f"criterion {cid!r} ({kind})")
    # training-level overrides
    if level_raw is not None:
        over = (level_raw.get("targets") or {}).get(cid)
        if over:
            tab = {**tab, **dict(over)}
    desc = _str(ctx, tab.get("description"), path + ("description",), required=True) or ""
    weight = _num(ctx, tab.get("weight"), path + ("weight",), default=1.0, lo=0.0)
    severity = _choice(ctx, tab.get("severity"), path + ("severity",), SEVERITIES, "core")
    ref = tab.get("reference")
    refs = [ref] if isinstance(ref, str) else ref
    if not isinstance(refs, list) or not refs or not all(
            isinstance(r, str) and r.strip() for r in refs):
        raise ctx.error(f"criterion {cid!r} needs reference = the literature behind it (a "
                        "string or a list of strings)", path + ("reference",))
    combine = _choice(ctx, tab.get("combine"), path + ("combine",), kdef.combine,
                      kdef.combine[0])
    params, lo, hi, unit = kdef.parse(_Spec(ctx, tab, path, cid, kind, groups, phases,
                                            options))
    if not kdef.timing and lo is None and hi is None:  # timing kinds check their own
        raise ctx.error(f"criterion {cid!r} needs min and/or max (the target band)", path)
    if lo is not None and hi is not None and lo > hi:
        raise ctx.error(f"criterion {cid!r}: min ({lo:g}) is above max ({hi:g})", path)
    line = ctx.locator.line_of(path) if ctx.locator is not None else None
    return Criterion(
        id=cid, kind=kind, description=desc.strip(), weight=float(weight or 0.0),
        severity=severity, reference=tuple(r.strip() for r in refs),
        params=MappingProxyType(params), unit=unit, minimum=lo, maximum=hi, combine=combine,
        pass_text=_str(ctx, tab.get("pass_text"), path + ("pass_text",)),
        fail_text=_str(ctx, tab.get("fail_text"), path + ("fail_text",)), line=line)


class _Spec:
    """The reader of one criterion table that a kind's ``parse`` uses
    (:class:`emgcontrol.patterns.kinds.ParseSpec`): every error names file, line, key."""

    def __init__(self, ctx: _Ctx, tab: Mapping[str, Any], path: tuple, cid: str, kind: str,
                 groups: Mapping[str, MuscleGroup], phases: Mapping[str, Phase],
                 options: Mapping[str, Any]) -> None:
        self.ctx, self.tab, self.path, self.cid, self.kind = ctx, tab, path, cid, kind
        self._groups, self._phases, self._options = groups, phases, options

    def has(self, key: str) -> bool:
        return self.tab.get(key) is not None

    def text(self, key: str) -> Any:
        return self.tab.get(key)

    def error(self, message: str, key: str | None = None) -> Exception:
        return self.ctx.error(message, self.path + ((key,) if key else ()))

    def group(self, key: str, required: bool = True) -> MuscleGroup | None:
        if self.tab.get(key) is None:
            if required:
                raise self.error(f"criterion {self.cid!r} ({self.kind}) needs {key} = a "
                                 "group or muscle")
            return None
        return _group(self.ctx, self.tab[key], self._groups, self._options,
                      self.path + (key,))

    def groups(self, key: str) -> tuple[MuscleGroup, ...]:
        seq = self.tab.get(key)
        if not isinstance(seq, list) or len(seq) < 2:
            raise self.error(f"{key} must list at least two groups/muscles", key)
        return tuple(_group(self.ctx, x, self._groups, self._options, self.path + (key,))
                     for x in seq)

    def phase(self, required: bool = True) -> str | None:
        name = self.tab.get("phase")
        if name is None:
            if required:
                raise self.error(f"criterion {self.cid!r} ({self.kind}) needs phase = one "
                                 f"of {', '.join(self._phases) or '(no [phases] defined)'}")
            return None
        if name not in self._phases:
            raise self.ctx.error(f"unknown phase {name!r} (phases: "
                                 f"{', '.join(self._phases) or 'none'})",
                                 self.path + ("phase",), name)
        return str(name)

    def number(self, key: str, default: float | None = None, lo: float | None = None,
               hi: float | None = None) -> float | None:
        return _num(self.ctx, self.tab.get(key), self.path + (key,), default=default,
                    lo=lo, hi=hi)

    def choice(self, key: str, allowed: Sequence[str], default: str) -> str:
        return _choice(self.ctx, self.tab.get(key), self.path + (key,), allowed, default)

    def flag(self, key: str, default: bool) -> bool:
        return _bool(self.ctx, self.tab.get(key), self.path + (key,), default)


def _level(ctx: _Ctx, lv: Any, k: int, ids: list[str], crit_raw: list[Any],
           groups: Mapping[str, MuscleGroup], phases: Mapping[str, Phase],
           options: Mapping[str, Any]) -> Level:
    path: tuple = ("levels", k)
    if not isinstance(lv, Mapping):
        raise ctx.error("each [[levels]] entry must be a table", path)
    _check_keys(ctx, lv, {"level", "name", "description", "criteria", "targets", "advance"},
                path, "a level")
    num = lv.get("level")
    if isinstance(num, bool) or not isinstance(num, int) or num < 1:
        raise ctx.error(f"level must be an integer >= 1; got {num!r}", path + ("level",))
    crits = lv.get("criteria", ids)
    if not isinstance(crits, list) or not crits:
        raise ctx.error("criteria must be a non-empty list of criterion ids",
                        path + ("criteria",))
    for cid in crits:
        if cid not in ids:
            close = difflib.get_close_matches(str(cid), ids, n=2)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ctx.error(f"unknown criterion {cid!r}{hint} (criteria: {', '.join(ids)})",
                            path + ("criteria",), cid)
    targets = _table(ctx, lv.get("targets"), path + ("targets",), "targets")
    for cid, over in targets.items():
        if cid not in ids:
            raise ctx.error(f"unknown criterion {cid!r} (criteria: {', '.join(ids)})",
                            path + ("targets", cid))
        if not isinstance(over, Mapping):
            raise ctx.error("must be a table of overridden fields", path + ("targets", cid))
        c = crit_raw[ids.index(cid)]
        kdef = REGISTRY.get(c.get("kind"))
        allowed = (kdef.fields if kdef else set()) | {"weight", "severity", "pass_text",
                                                      "fail_text"}
        _check_keys(ctx, over, allowed, path + ("targets", cid), f"targets of {cid!r}")
        # validate the overridden criterion by building it; errors point at the level
        try:
            _criterion(ctx, {**c, **over}, ids.index(cid), groups, phases, options, None)
        except FileFormatError as err:
            raise ctx.error(f"targets of {cid!r}: {err.reason}",
                            path + ("targets", cid)) from None
        except ValidationError as err:
            raise ctx.error(f"targets of {cid!r}: {err}", path + ("targets", cid)) from None
    adv = lv.get("advance")
    advance = None
    if adv is not None:
        apath = path + ("advance",)
        adv = _table(ctx, adv, apath, "advance")
        _check_keys(ctx, adv, {"criteria", "min_pass_share", "sessions"}, apath, "advance")
        ac = adv.get("criteria", crits)
        if not isinstance(ac, list) or not ac:
            raise ctx.error("criteria must be a non-empty list", apath + ("criteria",))
        for cid in ac:
            if cid not in crits:
                raise ctx.error(f"criterion {cid!r} is not judged at this level (level "
                                f"criteria: {', '.join(crits)})", apath + ("criteria",), cid)
        share = _num(ctx, adv.get("min_pass_share"), apath + ("min_pass_share",),
                     default=0.8, lo=0.0, hi=1.0)
        sess = adv.get("sessions", 2)
        if isinstance(sess, bool) or not isinstance(sess, int) or sess < 1:
            raise ctx.error(f"sessions must be an integer >= 1; got {sess!r}",
                            apath + ("sessions",))
        advance = Advance(tuple(ac), float(share or 0.0), sess)
    return Level(num, _str(ctx, lv.get("name"), path + ("name",), default=f"level {num}")
                 or f"level {num}",
                 _str(ctx, lv.get("description"), path + ("description",), default="") or "",
                 tuple(crits), MappingProxyType({k2: MappingProxyType(dict(v))
                                                 for k2, v in targets.items()}), advance)


def _rebuild(p: TargetPattern, *, options: Mapping[str, Any], level: int | None
             ) -> TargetPattern:
    merged = {k: v for k, v in p.options.items()}
    merged.update(options)
    base_opts = dict(p.raw.get("options") or {})
    over = {k: v for k, v in merged.items() if base_opts.get(k, object()) != v}
    ctx = _Ctx(p.source, p.text)
    return _build(p.raw, ctx, overrides=over, level=level, source=p.source, text=p.text)


# -------------------------------------------------------------------- entry
def loads_pattern(text: str, *, source: str | None = None,
                  options: Mapping[str, Any] | None = None) -> TargetPattern:
    """Read a target pattern from TOML text.

    Parameters
    ----------
    text : str
        The TOML source.
    source : str, optional
        Name for messages (a file name); default ``"<string>"``.
    options : mapping, optional
        Option values overriding the file's ``[options]`` (e.g. ``{"side": "left"}``).

    Raises
    ------
    FileFormatError
        For a TOML syntax error or a semantic error (unknown muscle, criterion kind,
        group, phase, key...), with the line.
    """
    src = source or "<string>"
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        line = getattr(err, "lineno", None)
        if line is None:
            import re

            m = re.search(r"line (\d+)", str(err))
            line = int(m.group(1)) if m else None
        raise FileFormatError(f"not valid TOML: {err}", src, line) from None
    return _build(raw, _Ctx(src, text), overrides=options, level=None, source=src, text=text)


def load_pattern(path: str | os.PathLike[str], *,
                 options: Mapping[str, Any] | None = None) -> TargetPattern:
    """Read a target pattern from a TOML file.

    Parameters
    ----------
    path : path-like
        The ``.toml`` file.
    options : mapping, optional
        Option values overriding the file's ``[options]``.

    Raises
    ------
    RecordingFileNotFoundError
        If the file does not exist.
    FileFormatError
        If it is not a valid target pattern (the message names file and line).
    """
    p = Path(path)
    if not p.is_file():
        raise RecordingFileNotFoundError(f"target-pattern file not found: {p}")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise FileFormatError(f"not UTF-8 text ({err})", p) from None
    return loads_pattern(text, source=str(p), options=options)


def pattern_from_dict(data: Mapping[str, Any], *,
                      options: Mapping[str, Any] | None = None) -> TargetPattern:
    """Build a target pattern from a dict with the TOML structure.

    Raises
    ------
    ValidationError
        For any semantic error (the message names the key path).
    """
    raw = copy.deepcopy(dict(data))
    return _build(raw, _Ctx(None, None), overrides=options, level=None, source=None, text=None)
