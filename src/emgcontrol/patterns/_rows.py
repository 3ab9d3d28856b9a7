"""Typed rows of the assessment chain's tables (:class:`~emgcontrol.patterns.Measures`).

Every step of the chain (:mod:`emgcontrol.patterns._measure`) writes rows of one of
these dataclasses; the comparison reads their attributes.  Values are in SI units or
the unit the field's name ends with (``_s`` seconds, ``_v`` volts, ``_ms``, ``_db``);
``value`` fields carry the unit in ``unit``.  ``to_dict``/``from_dict`` give and read
the JSON form stored in results files.  Where a row's ``reason`` says why something is
not assessable, an ``action`` field (``onset_action``, ``movement_action``) says what
the clinician should do about it (:mod:`emgcontrol.patterns._actions`); rows read from
files written before these fields existed get None.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, TypeVar

__all__ = ["ChannelRow", "TrialRow", "OnsetRow", "AmountRow", "FlexionRelaxationRow",
           "FatigueRow", "CocontractionRow", "OK", "NOT_ASSESSABLE"]

OK = "ok"
NOT_ASSESSABLE = "not_assessable"

R = TypeVar("R", bound="_Row")


class _Row:
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the keys are the field names)."""
        from .._util import jsonable

        return jsonable(asdict(self))  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls: type[R], d: Any) -> R:
        """A row from its dict form (unknown keys are ignored, missing ones default)."""
        if isinstance(d, cls):
            return d
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in dict(d).items() if k in names})


@dataclass
class ChannelRow(_Row):
    """A channel of the recording as the chain judged it.

    ``usable`` is False when a check that no processing repairs is bad (``reason``
    says which, in words); ``onset_reason`` is set when the onset detector could not
    run on it (timing criteria then treat it as unusable); ``noise_rms_v`` is the
    noise floor (V) of the band-passed signal over its quiet blocks; ``in_pattern``:
    a muscle group of the pattern uses it; ``action`` and ``onset_action``: what to do
    about ``reason`` and ``onset_reason`` (None: not known, e.g. rows from an older
    file)."""

    channel: str
    muscle: str | None = None
    side: str | None = None
    usable: bool = True
    reason: str | None = None
    quality: str | None = None
    quality_reason: str | None = None
    snr_db: float | None = None
    noise_rms_v: float | None = None
    activity_ratio: float | None = None
    contact_suspect: str | None = None
    in_pattern: bool = True
    onset_reason: str | None = None
    corrected: list[str] = field(default_factory=list)
    action: str | None = None
    onset_action: str | None = None

    def excluded(self, timing: bool = False) -> str | None:
        """Why the channel cannot serve a criterion (None: it can)."""
        if not self.usable:
            return self.reason or "not usable"
        return self.onset_reason if timing else None

    def excluded_action(self, timing: bool = False) -> str | None:
        """What to do about :meth:`excluded` (None: the row does not say)."""
        if not self.usable:
            return self.action
        return self.onset_action if timing and self.onset_reason else None


@dataclass
class TrialRow(_Row):
    """A trial: its window (s), its movement onset (s, or None, why and what to do:
    ``movement_reason``, ``movement_action``) and where the onset came from, and the
    first time of each event label latency criteria use."""

    trial: int
    start_s: float | None = None
    stop_s: float | None = None
    movement_onset_s: float | None = None
    movement_reason: str | None = None
    movement_source: str | None = None
    events: dict[str, float | None] = field(default_factory=dict)
    gap_s: float | None = None
    movement_action: str | None = None


@dataclass
class OnsetRow(_Row):
    """The first onset (s) of a channel inside a trial's search window; when there is
    none (``status`` not assessable), ``reason`` says why and ``action`` what to do."""

    trial: int
    channel: str
    muscle: str | None = None
    side: str | None = None
    window_s: list[float] | None = None
    onset_s: float | None = None
    offset_s: float | None = None
    status: str = OK
    reason: str | None = None
    note: str | None = None
    latency_movement_ms: float | None = None
    action: str | None = None

    def reason_text(self) -> str:
        """The reason, naming the channel once (``"EXG4: no onset ..."``)."""
        r = str(self.reason or "no onset")
        return r if r.startswith(f"{self.channel}: ") else f"{self.channel}: {r}"


@dataclass
class AmountRow(_Row):
    """An amplitude of a channel in a phase of a trial: ``raw_v`` (V), noise-corrected
    ``corrected_v`` (V), ``value`` (%MVC, noise-corrected) and ``value_raw`` (%MVC);
    when not assessable, ``reason`` says why and ``action`` what to do."""

    trial: int
    phase: str
    channel: str
    measure: str
    muscle: str | None = None
    side: str | None = None
    start_s: float | None = None
    stop_s: float | None = None
    raw_v: float | None = None
    noise_rms_v: float | None = None
    corrected_v: float | None = None
    value: float | None = None
    value_raw: float | None = None
    unit: str | None = None
    status: str = OK
    reason: str | None = None
    action: str | None = None


@dataclass
class FlexionRelaxationRow(_Row):
    """Flexion-relaxation of a channel in a trial: phase amplitudes (V), ratios raw
    and noise-corrected; ``full_flexion_at_noise``: the denominator was at the noise
    floor, so the corrected ratio is a lower bound."""

    definition: str
    trial: int
    channel: str
    muscle: str | None = None
    side: str | None = None
    flexion_v: float | None = None
    full_flexion_v: float | None = None
    extension_v: float | None = None
    noise_rms_v: float | None = None
    frr_raw: float | None = None
    err_raw: float | None = None
    frr: float | None = None
    err: float | None = None
    status: str = OK
    reason: str | None = None
    full_flexion_at_noise: bool = False


@dataclass
class FatigueRow(_Row):
    """Median-frequency slope of a channel over the hold (%/s, corrected for the
    sampling rate's band by ``rate_factor``), with the hold's SNR (dB)."""

    channel: str
    muscle: str | None = None
    side: str | None = None
    slope_pct_per_s_band: float | None = None
    slope_pct_per_s: float | None = None
    slope_hz_per_s: float | None = None
    initial_hz: float | None = None
    r2: float | None = None
    hold_s: list[float] | None = None
    hold_rms_v: float | None = None
    noise_rms_v: float | None = None
    snr_db: float | None = None
    rate_factor: float | None = None
    status: str = OK
    reason: str | None = None


@dataclass
class CocontractionRow(_Row):
    """Co-contraction index of an agonist/antagonist pair in a phase of a trial."""

    criterion: str
    trial: int
    phase: str
    agonist: str
    antagonist: str
    method: str
    value: float | None = None
    unit: str | None = None
    status: str = OK
    reason: str | None = None
