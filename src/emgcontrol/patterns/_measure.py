"""The assessment chain: from a Recording to the measures a pattern needs.

:func:`measure` runs, through the public APIs of emgcontrol, the chain a
comparison rests on and records it:

1. signal quality of every EMG channel (:func:`emgcontrol.signal.quality.quality`);
   a channel is *unusable* when a check that no processing can repair is bad
   (non-finite, railed, flat, clipping, DC offset near the rail, jumps);
2. ECG removal (:func:`emgcontrol.signal.ecg.remove_ecg`, template subtraction)
   when the pattern uses trunk muscles, on every usable channel that can carry
   heartbeats (all but thigh and leg muscles);
3. band-pass and mains notch adapted to the sampling rate
   (:func:`emgcontrol.signal.filter_emg`, ``notch="auto"``);
4. trials (events, or movements) and movement onsets
   (:func:`emgcontrol.metrics.detect_movement_onset` or events);
5. onsets (:func:`emgcontrol.onset.detect_onsets` on the ECG-cleaned signal,
   with the pattern's detector parameters); per trial the first onset inside the
   pattern's search window around the movement counts;
6. noise floor of each channel: RMS of the filtered signal over its quiet
   samples (:func:`emgcontrol.onset.quiet_mask`);
7. amplitudes per phase and trial (:func:`emgcontrol.metrics.compute_amount`),
   normalised to MVC (:func:`emgcontrol.metrics.normalize`), noise-corrected; the
   MVC reference (:func:`emgcontrol.patterns.mvc_reference`) is each muscle's own
   contraction (``"mvc:<muscle>"`` labels), clearly above its rest, and is refused
   where it would put the task above
   :data:`~emgcontrol.patterns.MAX_TASK_PERCENT_MVC` (that muscle's amounts are then
   not assessable, with the reason);
   flexion-relaxation ratios (:func:`emgcontrol.metrics.compute_flexion_relaxation`);
   median-frequency slopes (:func:`emgcontrol.metrics.compute_sorensen`);
   co-contraction (:func:`emgcontrol.metrics.compute_cocontraction`).

Noise correction
    White baseline noise adds its power to the EMG: a muscle at rest reads the
    noise RMS ``n``, not zero.  Amplitudes are corrected by power subtraction,
    ``a_c = sqrt(max(a**2 - n**2, 0))`` (Clancy et al. 2002), with ``n`` the
    channel's noise floor measured on its quiet samples.  A ratio whose
    denominator is at the noise level (the back extensors at full flexion when
    flexion-relaxation is present) uses ``max(a_c, 0.5 n)`` as denominator: over a
    2-3 s phase, activity below half the noise RMS cannot be told from none, so the
    ratio is reported as the lower bound it is.  Both raw and corrected values
    are kept in the measures.

References
----------
Clancy EA, Morin EL, Merletti R (2002) Sampling, noise-reduction and amplitude
estimation issues in surface electromyography. J Electromyogr Kinesiol 12:1-16.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validate import check_option
from ..errors import EmgcontrolError, ValidationError
from .._util import jsonable
from . import _actions
from ._actions import channel_action
from ._format import Criterion, MuscleGroup, TargetPattern
from ._rows import (NOT_ASSESSABLE, OK, AmountRow, ChannelRow, CocontractionRow,
                    FatigueRow, FlexionRelaxationRow, OnsetRow, TrialRow)

if TYPE_CHECKING:  # pragma: no cover
    from ..recording import Recording

__all__ = ["Measures", "measure", "HARD_CHECKS", "NOISE_FLOOR_FRACTION"]

HARD_CHECKS = ("nonfinite", "railed", "flat", "clipping", "dc_offset", "jumps", "not_emg")
"""Quality checks whose ``"bad"`` verdict makes a channel unusable: no processing
repairs them (``not_emg``: the channel carries no EMG -- most of its power below
20 Hz, microvolts after band-pass -- so any %MVC or onset from it would be garbage).
Mains and ECG are removed by the chain (quality then says ``"corrected"``; jumps that
recur at the heart rate are ECG, not contact loss); a low SNR is handled per
criterion."""

NOISE_FLOOR_FRACTION = 0.5
"""Smallest denominator of a noise-corrected ratio, in noise RMS units (see the
module notes)."""

ACTIVITY_MIN = 1.4
"""A channel whose quality check suggests lost contact (mains or SNR ``"bad"``) and
whose RMS over :data:`ACTIVITY_WINDOW_S` windows stays below this multiple of its
noise floor in all but 1 % of the windows (99th percentile) shows no EMG: an
electrode not in contact reads mains and drift, which the filters remove.  It is not
usable.  On simulated sessions a disconnected electrode reads 1.16 (500 Hz) to 1.27
(250 Hz); channels with rapid-arm-raise bursts 3 dB above the noise (0.3 s bursts,
5 % of the time) read 1.48-2.0."""

ACTIVITY_WINDOW_S = 0.25

GAP_TOLERANCE_S = 0.010
"""Samples lost in transmission (s) that an onset search window may hold: the data stay
contiguous, so a gap shifts every later time by its length; up to 10 ms is below the
onset bias between channels at any rate (8-19 ms, ``benchmarks/bench_onset_bias.py``),
more makes that trial not assessable for timing."""

LOW_ACTIVITY = 1.5
"""A usable channel with no onset in a trial whose RMS over the search window stays
below this multiple of its noise floor shows activity too low to time (a finding:
the muscle worked little or not at all); the reason says so, with the %MVC where an
MVC reference exists.  Bursts 3 dB above the noise over 0.3 s of a 1.2 s window read
about 1.3-1.6; a quiet channel reads 1.0."""

ACTIVITY_PERCENTILE = 99.0

MIN_SPECTRAL_POWER_FRACTION = 0.5
"""Median-frequency slopes are not assessed when the analysed band keeps less than
this share of a typical lumbar EMG spectrum's power (below about 200 Hz sampling;
:func:`emgcontrol.metrics.spectral_bias`)."""

_ARV_PER_RMS = math.sqrt(2.0 / math.pi)
"""ARV / RMS of a Gaussian signal: the ARV reference derived from an MVC RMS value given
alone (surface EMG at full recruitment is close to Gaussian)."""

MOVEMENT_EVENT = "movement"
"""Label of events marking movement onsets; used when a pattern times the movement
with an accelerometer and the recording has none."""

_NO_ECG_GROUPS = ("thigh", "leg")
_TRUNK_GROUPS = ("back", "abdominal")


@dataclass
class Measures:
    """What the assessment chain measured for a pattern (input of :func:`compare`).

    Every table is a list of typed rows (:mod:`emgcontrol.patterns._rows`); values
    in SI units or the unit named by the field (``_s``, ``_v``, ``%MVC``...).

    Attributes
    ----------
    pattern : str
        Id of the pattern the measures were made for.
    sfreq : float or None
        Sampling rate of the recording, Hz.
    channels : list of ChannelRow
        Per channel: muscle, side, usable (and why not), quality, SNR, noise floor.
    trials : list of TrialRow
        Per trial: window, movement onset (or why unknown) and its source, events.
    onsets : list of OnsetRow
        Per trial and channel: the first onset inside the search window.
    amounts : list of AmountRow
        Per trial, phase, channel and measure: raw and noise-corrected amplitude (V),
        %MVC noise-corrected (``value``) and uncorrected (``value_raw``).
    flexion_relaxation : list of FlexionRelaxationRow
        Per trial and channel: flexion- and extension-relaxation ratios.
    fatigue : list of FatigueRow
        Per channel: median-frequency slope over the hold.
    cocontraction : list of CocontractionRow
        Per criterion, trial, phase and pair: co-contraction index.
    tables : dict
        JSON-ready source tables (activations, movement onsets, quality report,
        MVC reference, firing order...).
    processing : dict
        The processing chain: one entry per step with its parameters and what was
        applied and what not (with the reason); ``steps`` lists them in order.
    warnings : list of str
        What the user should know (missing muscles, ECG not removed, low rate...).
    mvc : bool
        Whether amplitudes are normalised to an MVC (or other) reference.
    computed : set of str
        Measures the chain computed (``onsets``, ``amounts``, ...).
    """

    pattern: str
    sfreq: float | None = None
    channels: list[ChannelRow] = field(default_factory=list)
    trials: list[TrialRow] = field(default_factory=list)
    onsets: list[OnsetRow] = field(default_factory=list)
    amounts: list[AmountRow] = field(default_factory=list)
    flexion_relaxation: list[FlexionRelaxationRow] = field(default_factory=list)
    fatigue: list[FatigueRow] = field(default_factory=list)
    cocontraction: list[CocontractionRow] = field(default_factory=list)
    tables: dict[str, Any] = field(default_factory=dict)
    processing: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    mvc: bool = False
    computed: set[str] = field(default_factory=set)

    _ROWS = {"channels": ChannelRow, "trials": TrialRow, "onsets": OnsetRow,
             "amounts": AmountRow, "flexion_relaxation": FlexionRelaxationRow,
             "fatigue": FatigueRow, "cocontraction": CocontractionRow}

    def __post_init__(self) -> None:
        self.coerce()

    def coerce(self) -> Measures:
        """Turn rows given as dicts (``m.onsets.append({...})``) into typed rows, in
        place; :func:`compare` calls it on the measures it is given."""
        for name, cls in self._ROWS.items():
            setattr(self, name, [cls.from_dict(r) for r in getattr(self, name)])
        return self

    def channel(self, name: str) -> ChannelRow:
        """The row of one channel."""
        for c in self.channels:
            if c.channel == name:
                return c
        raise ValidationError(f"no channel {name!r} in the measures (channels: "
                              f"{', '.join(c.channel for c in self.channels)})")

    def no_mvc_action(self) -> str:
        """What to do about :meth:`no_mvc_reason`."""
        norm = self.processing.get("normalization") or {}
        return str(norm.get("action") or _actions.RECORD_MVC)

    def no_mvc_reason(self) -> str:
        """Why the measures carry no MVC reference, as the measuring step said it."""
        norm = self.processing.get("normalization") or {}
        return str(norm.get("reason") or
                   "no MVC reference: record an MVC contraction of each muscle (markers "
                   "'mvc:<muscle>' ... 'mvc_end', or events 'mvc') or give mvc=")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict of every measure."""
        out: dict[str, Any] = {"pattern": self.pattern, "sfreq": self.sfreq, "mvc": self.mvc}
        for name in self._ROWS:
            out[name] = [r.to_dict() for r in getattr(self, name)]
        out["tables"] = self.tables
        out["computed"] = sorted(self.computed)
        return jsonable(out)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Measures:
        """Measures from :meth:`to_dict` output."""
        try:
            return cls(pattern=str(d["pattern"]), sfreq=d.get("sfreq"),
                       mvc=bool(d.get("mvc")), computed=set(d.get("computed") or ()),
                       tables=dict(d.get("tables") or {}),
                       processing=dict(d.get("processing") or {}),
                       warnings=list(d.get("warnings") or ()),
                       **{name: list(d.get(name) or ()) for name in cls._ROWS})
        except (KeyError, TypeError) as err:
            raise ValidationError(f"malformed measures dict: {err}") from None

    @classmethod
    def from_activations(cls, activations: Any, *, pattern: str = "",
                         movement_onsets: Mapping[int, float] | Sequence[float] | None = None,
                         window: tuple[float, float] | None = None) -> Measures:
        """Measures holding onsets only, from an activation table.

        Parameters
        ----------
        activations : Activations or DataFrame
            Output of :func:`emgcontrol.onset.detect_onsets` (or a table with its
            columns).
        pattern : str
            Pattern id (for the record).
        movement_onsets : mapping trial -> s, or sequence, optional
            Movement onsets; with ``window`` they bound the onset search.
        window : (float, float), optional
            Search window relative to the movement onset, s.
        """
        from ..metrics import activation_rows

        rows, chans, meta = activation_rows(activations)
        m = cls(pattern=pattern)
        m.computed.add("onsets")
        for c in chans:
            ok = c["status"] == "ok"
            m.channels.append(ChannelRow(channel=c["channel"], muscle=c["muscle"],
                                         side=c["side"], usable=ok,
                                         reason=None if ok else c["reason"]))
        trial_ids = sorted({r["trial"] for r in rows if r["trial"] is not None})
        if not trial_ids:
            trial_ids = [0]
            for r in rows:
                r["trial"] = 0
        mo: dict[int, float] = {}
        if movement_onsets is not None:
            mo = ({int(k): float(v) for k, v in movement_onsets.items()}
                  if isinstance(movement_onsets, Mapping)
                  else {k: float(v) for k, v in enumerate(movement_onsets)})
        for t in trial_ids:
            m.trials.append(TrialRow(trial=t, movement_onset_s=mo.get(t),
                                     movement_source="given" if t in mo else None))
        for t in trial_ids:
            for c in m.channels:
                mine = [r for r in rows if r["channel"] == c.channel and r["trial"] == t]
                win = None
                if window is not None and mo.get(t) is not None:
                    win = (mo[t] + window[0], mo[t] + window[1])
                    mine = [r for r in mine if win[0] <= r["onset"] <= win[1]]
                m.onsets.append(_onset_row(t, c, mine, win))
        m.tables["detector"] = jsonable(meta)
        m.processing["detector"] = jsonable(meta)
        return m


def _onset_row(t: int, c: ChannelRow, mine: list[dict[str, Any]],
               win: tuple[float, float] | None) -> OnsetRow:
    """The first observed onset among ``mine`` (activation rows inside the window).

    Rows whose onset is censored (already active at the recording's or the
    trial's start) are not onsets; when only such a row is there, the muscle was
    active all along and the reason says so.
    """
    row = OnsetRow(trial=t, channel=c.channel, muscle=c.muscle, side=c.side,
                   window_s=list(win) if win else None)
    seen = [r for r in mine if not r.get("onset_censored")]
    if not c.usable or c.onset_reason:
        row.status, row.reason = NOT_ASSESSABLE, c.onset_reason or c.reason
        row.action = (c.excluded_action(timing=True)
                      or channel_action(c.onset_reason or c.reason))
    elif not seen:
        where = (f"between {win[0]:.2f} and {win[1]:.2f} s" if win else "in the trial")
        row.status, row.reason = NOT_ASSESSABLE, (
            f"no onset {where}: the muscle was already active when the trial (or the "
            "recording) started and did not return to rest, so its onset was not observed"
            if mine else f"no onset {where}")
        row.action = _actions.RELAX if mine else _actions.LOW_ACTIVITY
    else:
        first = min(seen, key=lambda r: r["onset"])
        row.onset_s, row.offset_s = float(first["onset"]), float(first["offset"])
    return row


# ------------------------------------------------------------------ helpers
def channels_of(group: MuscleGroup, channels: Sequence[ChannelRow]) -> list[str]:
    """Channels recording the group's muscles (a muscle without side: both sides)."""
    out = []
    for c in channels:
        for m in group.muscles:
            if c.muscle == m.muscle and (m.side is None or c.side == m.side):
                out.append(c.channel)
                break
    return out


def criterion_channels(c: Criterion, measures: Measures) -> dict[str, list[str]]:
    """Channels of each group a criterion uses (helper for reports)."""
    return {g.name: channels_of(g, measures.channels) for g in c.groups()}


def _needs(pattern: TargetPattern) -> set[str]:
    """Measures the pattern's criteria need (the kinds declare them)."""
    from .kinds import REGISTRY

    out: set[str] = set()
    for c in pattern.criteria:
        out |= REGISTRY[c.kind].needs
    if any(p.anchor.startswith("onset:") for p in pattern.phases.values()):
        out.add("onsets")
    return out


def _first_event(rec: Recording, label: str, a: float, b: float) -> float | None:
    evs = sorted(e.onset for e in rec.events if e.label == label and a <= e.onset < b)
    return evs[0] if evs else None


@contextmanager
def _collect(notes: list[str], where: str) -> Iterator[None]:
    """Run a step, keeping its warnings as notes (``"<where>: <message>"``)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    notes.extend(_warning_texts(caught, where))


# --------------------------------------------------------------- the chain
@dataclass
class _State:
    """What the steps of one run of the chain share: the input, the signals made on
    the way, and the measures being filled."""

    rec: Recording
    pattern: TargetPattern
    m: Measures
    wanted: list[str] = field(default_factory=list)
    clean: Any = None        # Recording after ECG removal
    filt: Any = None         # band-passed and notched Recording
    band: tuple[float, float] = (0.0, 0.0)
    windows: list[tuple[float, float]] = field(default_factory=list)
    ref: Any = None          # NormalizationReference or None
    phase_windows: dict[str, tuple[float, float]] = field(default_factory=dict)
    phase_why: dict[tuple[str, int], str] = field(default_factory=dict)
    phase_action: dict[tuple[str, int], str | None] = field(default_factory=dict)
    ecg_channels: list[str] = field(default_factory=list)
    no_heartbeat: bool = False
    ecg_heavy: list[str] = field(default_factory=list)
    notch_hz: float | None = None
    ecg_bad_pct: float = 50.0
    ecg_warn_pct: float = 10.0
    unmarked: bool = False   # the pattern wants trials, none were found: one whole trial
    gaps: list[tuple[float, int]] = field(default_factory=list)   # (time s, samples lost)
    _notched: Any = None

    @property
    def notes(self) -> list[str]:
        return self.m.warnings

    @property
    def usable(self) -> list[str]:
        """Usable channels that a group of the pattern uses."""
        return [c.channel for c in self.m.channels if c.usable and c.channel in self.wanted]

    def notched(self) -> Any:
        """The raw recording with the mains notch the chain applies, made once (the
        heartbeat searches use it: a 50 Hz line leaks into the QRS band)."""
        if self._notched is None:
            self._notched = self.rec.notch(self.notch_hz) if self.notch_hz else self.rec
        return self._notched

    def step(self, name: str, **info: Any) -> dict[str, Any]:
        """Record a step and its parameters in ``processing`` (in order)."""
        self.m.processing.setdefault("steps", []).append(name)
        entry = self.m.processing.setdefault(name, {})
        entry.update(jsonable(info))
        return entry


def _ecg_candidates(s: _State, ecg: str | None) -> list[str]:
    """Channels the ECG step would clean if usable: trunk patterns, at >= 100 Hz for
    >= 2 s, every channel but thigh and leg muscles."""
    trunk = any(r.info.group in _TRUNK_GROUPS for r in s.pattern.muscles)
    if ecg is None or not trunk or s.rec.sfreq < 100.0 or s.rec.duration < 2.0:
        return []
    return [c.channel for c in s.m.channels if c.in_pattern
            and _group_of(c.muscle) not in _NO_ECG_GROUPS]


def _step_channels(s: _State, thresholds: Any, notch: Any, ecg: str | None) -> None:
    """Quality of every EMG channel, judged on the signal the chain uses (after its
    notch, with the ECG it removes, muscles the pattern does not use expected quiet);
    unusable = a check no processing repairs is bad (:data:`HARD_CHECKS`)."""
    from ..signal.quality import quality

    rec, m = s.rec, s.m
    emg = [i for i, t in enumerate(rec.ch_types) if t == "emg"]
    for i in emg:
        mus = rec.muscles[i]
        m.channels.append(ChannelRow(channel=rec.ch_names[i],
                                     muscle=mus.muscle if mus else None,
                                     side=mus.side if mus else None))
    for c in s.pattern.criteria:
        for g in c.groups():
            s.wanted += [ch for ch in channels_of(g, m.channels) if ch not in s.wanted]
    for ref in s.pattern.required:
        if not any(c.muscle == ref.muscle and (ref.side is None or c.side == ref.side)
                   for c in m.channels):
            s.notes.append(f"required muscle not recorded: {ref}")
    for c in m.channels:
        c.in_pattern = c.channel in s.wanted
    s.ecg_channels = _ecg_candidates(s, ecg)
    quiet = [c.channel for c in m.channels if not c.in_pattern]
    with _collect(s.notes, "quality"):
        report = quality(rec, picks=[rec.ch_names[i] for i in emg], thresholds=thresholds,
                         notch=notch, ecg_removed=s.ecg_channels if ecg is not None else False,
                         expect_quiet=quiet)
    m.tables["quality"] = report.to_dict()
    s.notch_hz = report.info.get("notch")
    if ecg is not None:  # heartbeats seen as level changes: the ECG step removes them
        s.ecg_channels += [ch for ch in report.info.get("ecg_jumps", {})
                           if ch in s.wanted and ch not in s.ecg_channels]
        # heart-dominated channels of any muscle (a thigh near the heart's vector, a
        # poor contact): ECG removal there too
        heavy = [c for c in s.wanted if report[c].checks["ecg"].verdict in ("warn", "bad")
                 and c not in s.ecg_channels]
        s.ecg_channels += heavy
        # where the heart dominates (share at or above the quality check's "bad"
        # level, or beats seen as level changes), beats would pass for onsets if the
        # removal failed
        bad_pct = s.ecg_bad_pct = report.thresholds.ecg_bad_pct
        s.ecg_warn_pct = report.thresholds.ecg_warn_pct
        s.ecg_heavy = [c for c in s.wanted if c in report.info.get("ecg_jumps", {}) or (
            report[c].checks["ecg"].value is not None
            and report[c].checks["ecg"].value >= bad_pct)]
        if int(report.info.get("n_r_peaks") or 0) < 3 and not report.info.get("ecg_jumps"):
            s.no_heartbeat = True
    for c in m.channels:
        cq = report[c.channel]
        hard = [f"{k}: {cq.checks[k].reason}" for k in HARD_CHECKS
                if k in cq.checks and cq.checks[k].verdict == "bad"]
        suspect = [k for k in ("mains", "snr") if cq.checks[k].verdict == "bad"]
        c.usable = not hard
        c.reason = "; ".join(hard) or None
        c.action = channel_action(c.reason) if hard else None
        c.quality, c.quality_reason = cq.verdict, cq.reason
        c.snr_db = cq.checks["snr"].value
        c.contact_suspect = "; ".join(f"{k}: {cq.checks[k].reason}" for k in suspect) or None
        c.corrected = [f"{k}: {chk.reason}" for k, chk in cq.checks.items()
                       if chk.verdict == "corrected"]
    bad = [c for c in m.channels if not c.usable and c.in_pattern]
    for c in bad:
        s.notes.append(f"channel {c.channel} is not usable ({c.reason}): criteria that need "
                       "it are not assessable")
    s.step("quality", thresholds=report.thresholds.to_dict(), hard_checks=list(HARD_CHECKS),
           unusable=[c.channel for c in bad])


def _step_ecg(s: _State, ecg: str | None) -> None:
    """ECG removal on the usable channels that can carry heartbeats (trunk patterns)
    and on any channel whose level changes recur at the heart rate; then on every
    pattern channel where the heart dominates on its own (:func:`_own_heartbeats`)."""
    s.clean = s.rec
    if ecg is None:
        s.step("ecg", applied=False, reason="switched off (ecg=None)")
        return
    _step_ecg_shared(s, ecg)
    _step_ecg_own(s, ecg)


_ECG_NOT_REMOVED = "heartbeat (ECG) dominates this channel and could not be removed"

def _ecg_not_removed(err: Exception) -> str:
    """Why a heart-dominated channel whose ECG could not be removed gives no onsets."""
    return (f"{_ECG_NOT_REMOVED} ({_short(str(err), 120)}): its onsets cannot be told "
            "from heartbeats; move the electrode away from the heart's line or record a "
            "reference ECG")


OWN_BEAT_MIN_SNR_DB = 10.0
"""Beat-locked SNR (dB, :class:`~emgcontrol.signal.ecg.HeartbeatDetection`) from which
heartbeats found on one channel alone are that channel's ECG: a clear ECG reads
5-30 dB, EMG bursts mistaken for beats below 0 dB; 1 mV R waves over a working
muscle read about 26 dB."""


def _own_heartbeats(s: _State, det: Any, ch: str) -> tuple[Any, float] | None:
    """Heartbeats clear on one channel by themselves (R-peaks found on that channel
    alone at >= :data:`OWN_BEAT_MIN_SNR_DB`, carrying >= the quality check's 'warn'
    share of its power near beats) and that share (%), or None.

    Beats that the recording-level search misses (a channel near the heart among many
    bursting muscles) would otherwise pass for onsets: 1 mV R waves over a working
    erector spinae carry only about 30 % of its power near beats, yet each beat reads
    as a 150-200 ms activation."""
    from ..signal.ecg import ecg_contamination, find_r_peaks

    if s.rec.sfreq < 100.0 or s.rec.duration < 10.0:
        return None
    try:
        beats = find_r_peaks(det, picks=[ch], on_missing="raise")
    except EmgcontrolError:
        return None
    if not beats.snr_db >= OWN_BEAT_MIN_SNR_DB:
        return None
    y = det.data[det.ch_names.index(ch)][None, :]
    share = 100.0 * float(ecg_contamination(y, det.sfreq, beats.r_peaks)[0])
    return (beats, share) if share >= s.ecg_warn_pct else None


def _step_ecg_own(s: _State, ecg: str) -> None:
    """ECG removal, with its own beats, on each pattern channel the shared step did not
    clean and whose heartbeats are clear by themselves (:func:`_own_heartbeats`)."""
    from ..signal.ecg import remove_ecg

    det = s.notched()
    method = "template" if ecg == "auto" else ecg
    done = []
    cleaned = s.m.processing["ecg"].get("channels", []) \
        if s.m.processing["ecg"].get("applied") else []
    for ch in s.wanted:
        c = s.m.channel(ch)
        if not c.usable or ch in cleaned:
            continue
        found = _own_heartbeats(s, det, ch)
        if found is None:
            continue
        beats, share = found
        if ch not in s.ecg_heavy:
            s.ecg_heavy.append(ch)
        try:
            s.clean = remove_ecg(s.clean, method=method, picks=[ch], r_peaks=beats.r_peaks)
            done.append(ch)
            if c.onset_reason and c.onset_reason.startswith(_ECG_NOT_REMOVED):
                # the shared step failed here; this one did not
                c.onset_reason = c.onset_action = None
            if share >= s.ecg_bad_pct:
                # the heart dominates: what the template leaves (beat-to-beat changes,
                # T waves) still reads as short activations, so no onsets from here
                c.onset_reason = (
                    f"heartbeat (ECG) dominates this channel ({share:.0f} % of its "
                    "power near beats): even after its removal, onsets cannot be told from "
                    "heartbeat residue; move the electrode away from the heart's line")
                c.onset_action = _actions.MOVE_FROM_HEART
        except EmgcontrolError as err:
            c.onset_reason = _ecg_not_removed(err)
            c.onset_action = _actions.MOVE_FROM_HEART
    if done:
        entry = s.m.processing["ecg"]
        entry["own_heartbeats"] = done
        s.notes.append(f"heartbeats clear on {', '.join(done)} alone: removed there with "
                       "the beats found on each of these channels")


def _step_ecg_shared(s: _State, ecg: str) -> None:
    if s.no_heartbeat:
        s.step("ecg", applied=False, reason="no heartbeat found in the recording (quality "
               "check: fewer than 3 R-peaks)")
        return
    picks = [ch for ch in s.ecg_channels if ch in s.usable]
    method = "template" if ecg == "auto" else ecg
    if not picks:
        trunk = any(r.info.group in _TRUNK_GROUPS for r in s.pattern.muscles)
        s.step("ecg", applied=False, reason=(
            "the pattern uses no trunk muscle" if not trunk else
            "needs >= 2 s at >= 100 Hz" if s.rec.sfreq < 100.0 or s.rec.duration < 2.0
            else "no usable channel that carries heartbeats"))
        return
    from ..signal.ecg import find_r_peaks, remove_ecg

    try:
        with _collect(s.notes, "ECG removal"):
            try:
                s.clean = remove_ecg(s.rec, method=method, picks=picks)
            except EmgcontrolError:
                # no plausible heartbeat on the channels to clean alone: look on every
                # usable channel that can carry them (used by the pattern or not), with
                # the mains notched (a 50 Hz line leaks into the QRS band and hides
                # small R waves), and subtract those beats where the pattern needs it
                beats = find_r_peaks(s.notched(), picks=sorted(set(picks) | {
                    c.channel for c in s.m.channels
                    if c.usable and _group_of(c.muscle) not in _NO_ECG_GROUPS}),
                    on_missing="raise")
                s.clean = remove_ecg(s.rec, method=method, picks=picks,
                                     r_peaks=beats.r_peaks)
        s.step("ecg", applied=True, method=method, channels=picks)
    except EmgcontrolError as err:
        s.step("ecg", applied=False, method=method, channels=picks, reason=str(err))
        s.notes.append(f"ECG not removed: {_short(str(err))}")
        # where the heart dominates and could not be removed, beats pass for onsets
        for ch in s.ecg_heavy:
            c = s.m.channel(ch)
            if c.usable:
                c.onset_reason = _ecg_not_removed(err)
                c.onset_action = _actions.MOVE_FROM_HEART


def _step_filter(s: _State, notch: Any) -> None:
    """Band-pass and mains notch adapted to the sampling rate."""
    from ..signal import filter_emg

    with _collect(s.notes, "filter"):
        s.filt = filter_emg(s.clean, notch=notch)
    fstep = s.filt.history[-1]["params"]
    s.band = (float(fstep["l_freq"]), float(fstep["h_freq"]))
    s.step("filter", **fstep)


def _step_noise(s: _State) -> None:
    """Noise floor of each channel; a suspect channel with no activity above it is
    not usable (an electrode out of contact reads mains and drift)."""
    bw = s.band[1] - s.band[0]
    for c in s.m.channels:
        if not c.usable or not c.in_pattern:
            continue
        y = s.filt.data[s.filt.ch_names.index(c.channel)]
        c.noise_rms_v = noise_floor(y, s.filt.sfreq, bw)
        c.activity_ratio = _activity_ratio(y, s.filt.sfreq, c.noise_rms_v)
        if c.contact_suspect and c.activity_ratio is not None \
                and c.activity_ratio < ACTIVITY_MIN:
            why = (f"no EMG activity above the noise in the recording ({ACTIVITY_WINDOW_S:g} s "
                   f"RMS at its {ACTIVITY_PERCENTILE:g}th percentile "
                   f"{c.activity_ratio:.2f} x the noise floor, needs {ACTIVITY_MIN:g}): "
                   f"electrode not in contact, or the muscle never contracted; "
                   f"{c.contact_suspect}")
            c.usable, c.reason, c.action = False, why, _actions.CHECK_CONTACT
            s.notes.append(f"channel {c.channel} is not usable ({why})")
    s.step("noise_floor", method="RMS of the band-passed signal over its quiet blocks "
                                 "(emgcontrol.patterns noise_floor: blocks of 50 degrees "
                                 "of freedom, grown from the quietest 10 % up to 2 "
                                 "log-power spreads above their median)",
           ratio_floor_noise_fraction=NOISE_FLOOR_FRACTION)


def _trial_windows(rec: Recording, pattern: TargetPattern) -> tuple[list[tuple[float, float]],
                                                                     str]:
    spec = pattern.trials
    dur = rec.duration
    if spec.source != "whole":
        tr = [(e.onset, min(e.onset + e.duration, dur)) for e in rec.events
              if e.label == spec.label and e.duration > 0 and e.onset < dur]
        if tr:
            return tr, f"events labelled {spec.label!r}"
    if spec.source in ("events", "movement") and "acc" in rec.ch_types \
            and pattern.movement.source == "accelerometer":
        found = _movement_trials(rec, pattern)
        if found:
            return found, "movements found by the accelerometer"
    return [(0.0, dur)], "whole recording (one trial)"


def _movement_trials(rec: Recording, pattern: TargetPattern) -> list[tuple[float, float]]:
    """Trials cut around successive movements (no trial events)."""
    from ..metrics import detect_movement_onset

    spec = pattern.trials
    params = dict(pattern.movement.params)
    base = params.get("baseline", (0.0, 0.5))
    out: list[tuple[float, float]] = []
    t = 0.0
    dur = rec.duration
    while t + base[1] + spec.post_s <= dur + 1e-9:
        stop = min(dur, t + 60.0)
        try:
            tab = detect_movement_onset(rec, windows=[(t, stop)], trials=None, **params)
        except ValidationError:
            break
        row = tab.rows[0]
        if row["status"] != "ok":
            break
        on = float(row["onset_s"])
        a, b = max(0.0, on - spec.pre_s), min(dur, on + spec.post_s)
        out.append((a, b))
        t = b
    return out


def _step_trials(s: _State) -> None:
    """Trial windows (events, movements found by the accelerometer, or the whole
    recording) and the events latency criteria are timed to."""
    s.windows, source = _trial_windows(s.rec, s.pattern)
    labels = sorted({str(c.params["relative_to"])[6:] for c in s.pattern.criteria
                     if c.kind == "latency" and isinstance(c.params["relative_to"], str)
                     and c.params["relative_to"].startswith("event:")})
    gaps = _gaps(s.rec)
    for k, (a, b) in enumerate(s.windows):
        lost = sum(n for t, n in gaps if a <= t <= b)
        s.m.trials.append(TrialRow(trial=k, start_s=a, stop_s=b, events={
            lab: _first_event(s.rec, lab, a, b) for lab in labels},
            gap_s=lost / s.rec.sfreq if lost else None))
    s.step("trials", source=source, n=len(s.windows))
    s.unmarked = s.pattern.trials.source != "whole" and source.startswith("whole recording")
    if s.unmarked:
        s.notes.append(f"no {s.pattern.trials.label!r} events: the whole recording is "
                       "assessed as one trial" + _marker_hint(s.rec, s.pattern.trials.label))
    s.gaps = gaps
    if gaps:
        total = sum(n for _, n in gaps)
        hit = [t.trial for t in s.m.trials if t.gap_s]
        s.notes.append(
            f"{total} sample(s) ({100.0 * total / max(s.rec.n_times + total, 1):.2g} % of "
            f"the recording) were dropped in transmission, in {len(gaps)} gap(s)"
            + (f"; trial(s) {', '.join(str(k + 1) for k in hit)} hold gaps, and a trial "
               f"whose onset search window lost more than {1000 * GAP_TOLERANCE_S:g} ms is "
               "not assessable for timing" if hit else "; no trial holds a gap")
            + ": check the radio link (distance, dongle, battery) and record again if "
              "timing matters")


def _marker_hint(rec: Recording, label: str) -> str:
    """``"; the recording holds numeric markers ...: read it with markers=..."`` when
    numeric markers could be the missing events (OpenBCI, BrainFlow, BioSemi codes)."""
    from ..io import marker_codes

    codes = marker_codes(rec)
    if not codes:
        return ""
    shown = ", ".join(f"{c!r} x{n}" for c, n in codes.items())
    return (f"; the recording holds numeric markers ({shown}) but no {label!r} events: "
            f"name the code that marks them when reading (markers={{CODE: {label!r}}}, "
            f"--markers CODE={label})")


def _gaps(rec: Recording) -> list[tuple[float, int]]:
    """Dropped-sample gaps of a recording: (time s, samples missing), from its
    ``meta["dropped_samples"]`` or its ``"dropped_samples"`` events."""
    meta = rec.meta.get("dropped_samples") if isinstance(rec.meta, Mapping) else None
    if isinstance(meta, Mapping) and isinstance(meta.get("gaps"), list):
        return [(float(g.get("time_s", 0.0)), int(g.get("n_missing", 0)))
                for g in meta["gaps"] if int(g.get("n_missing", 0)) > 0]
    return [(e.onset, max(int(round(e.duration * rec.sfreq)), 1)) for e in rec.events
            if e.label == "dropped_samples"]


def _uses_movement(pattern: TargetPattern) -> bool:
    return pattern.onsets.anchor == "movement" or any(
        p.anchor == "movement" for p in pattern.phases.values()) or any(
        c.params.get("relative_to") == "movement" for c in pattern.criteria)


def _step_movement(s: _State) -> None:
    """Movement onset of each trial: the accelerometer, or ``event:<label>`` events."""
    rec, m, msrc = s.rec, s.m, s.pattern.movement.source
    if msrc == "accelerometer":
        if "acc" not in rec.ch_types:
            if any(e.label == MOVEMENT_EVENT for e in rec.events):
                _movement_from_events(s, MOVEMENT_EVENT, "no accelerometer channel: "
                                      f"movement onsets from the {MOVEMENT_EVENT!r} events")
                return
            s.step("movement", source="none", reason="no accelerometer channel and no "
                   f"{MOVEMENT_EVENT!r} events")
            if _uses_movement(s.pattern):
                s.notes.append(
                    "no accelerometer and no 'movement' events: movement onsets unknown "
                    "(onsets are searched in the whole trial; criteria and phases timed to "
                    "the movement are not assessable): record with the accelerometer, or "
                    "mark each movement onset with a 'movement' event")
            for t in m.trials:
                t.movement_reason = ("movement onset unknown: no accelerometer channel and "
                                     "no 'movement' event")
                t.movement_action = _actions.MARK_MOVEMENT
            return
        from ..metrics import detect_movement_onset

        try:
            tab = detect_movement_onset(rec, windows=s.windows, trials=None,
                                        **dict(s.pattern.movement.params))
        except ValidationError as err:
            s.step("movement", source="accelerometer", error=str(err))
            s.notes.append(f"movement onsets not found: {err}")
            return
        m.tables["movement_onsets"] = tab.to_dict()
        s.step("movement", source="accelerometer", **jsonable(tab.meta))
        for t, r in zip(m.trials, tab.rows):
            t.movement_source = "accelerometer"
            if r["status"] == "ok":
                t.movement_onset_s = float(r["onset_s"])
            else:
                t.movement_reason = f"movement onset: {r['reason']}"
                t.movement_action = _actions.FIND_MOVEMENT
    elif msrc.startswith("event:"):
        _movement_from_events(s, msrc[6:], None)
    else:
        s.step("movement", source="none")


def _movement_from_events(s: _State, label: str, note: str | None) -> None:
    for t, (a, b) in zip(s.m.trials, s.windows):
        t.movement_onset_s = _first_event(s.rec, label, a, b)
        t.movement_source = f"event:{label}"
        if t.movement_onset_s is None:
            t.movement_reason = f"no {label!r} event in the trial"
            t.movement_action = _actions.mark_event(label)
    s.step("movement", source=f"event:{label}", **({"note": note} if note else {}))
    if note:
        s.notes.append(note)


def _anchor_time(s: _State, anchor: str, k: int) -> tuple[float | None, str | None]:
    """Time (s) of a phase's or onset window's anchor in trial ``k``, or None and why."""
    a, b = s.windows[k]
    tr = s.m.trials[k]
    if anchor == "trial":
        return a, None
    if anchor == "movement":
        t = tr.movement_onset_s
        return t, (tr.movement_reason or "movement onset unknown") if t is None else None
    if anchor.startswith("event:"):
        t = _first_event(s.rec, anchor[6:], a, b)
        return t, None if t is not None else f"no {anchor[6:]!r} event in trial {k}"
    if anchor.startswith("onset:"):
        g = s.pattern.groups[anchor[6:]]
        chans = channels_of(g, s.m.channels)
        ons = [o.onset_s for o in s.m.onsets if o.trial == k and o.channel in chans
               and o.status == OK and o.onset_s is not None]
        if not ons:
            return None, f"no onset of {g.name} in trial {k}"
        return min(ons), None
    return None, f"unknown anchor {anchor!r}"  # pragma: no cover - validated on load


def _anchor_action(s: _State, anchor: str, k: int) -> str | None:
    """What to do when the anchor of a phase is missing in trial ``k``
    (:func:`_anchor_time` said why)."""
    if anchor == "movement":
        return s.m.trials[k].movement_action or _actions.MARK_MOVEMENT
    if anchor.startswith("event:"):
        return _actions.mark_event(anchor[6:])
    if anchor.startswith("onset:"):
        g = s.pattern.groups[anchor[6:]]
        chans = channels_of(g, s.m.channels)
        return _actions.join_actions(o.action for o in s.m.onsets
                                     if o.trial == k and o.channel in chans)
    return None


def _step_onsets(s: _State, onset_params: Mapping[str, Any] | None) -> None:
    """Onsets of the usable channels; per trial the first inside the search window."""
    m = s.m
    m.computed.add("onsets")
    det = s.usable
    params = {**dict(s.pattern.onsets.params), **dict(onset_params or {})}
    act_rows: list[dict[str, Any]] = []
    acts = None
    if det:
        from ..onset import detect_onsets

        with _collect(s.notes, "onset detection"):
            acts = detect_onsets(s.clean, picks=det, ecg=None, **params)
        m.tables["activations"] = acts.to_dict()
        s.step("detector", **jsonable(acts.meta))
        for st in acts.channels:
            if st.status != "ok":
                row_c = m.channel(st.channel)
                row_c.onset_reason = f"onset detector: {st.reason}"
                row_c.onset_action = (_actions.REST_FOR_BASELINE
                                      if "rest" in str(st.reason) else
                                      _actions.CHECK_ELECTRODE)
        act_rows = [r.to_dict() for r in acts]
    win = s.pattern.onsets.window
    for k, (a, b) in enumerate(s.windows):
        w: tuple[float, float] = (a, b)
        note = None
        if win is not None:
            t0, why = _anchor_time(s, s.pattern.onsets.anchor, k)
            if t0 is not None:
                w = (t0 + win[0], t0 + win[1])
            else:
                note = f"{why}; searched the whole trial"
        mo = m.trials[k].movement_onset_s
        for c in m.channels:
            if not c.in_pattern:
                continue
            mine = [r for r in act_rows if r["channel"] == c.channel
                    and w[0] <= r["onset"] <= w[1]]
            row = _onset_row(k, c, mine, w)
            row.note = note
            gap = sum(n for t, n in s.gaps if w[0] <= t <= w[1]) / s.rec.sfreq
            if s.unmarked and note and row.status == OK:
                # one "trial" spanning the recording (MVC block, rests, every
                # repetition) with no anchor: its first onset belongs to nothing
                row.onset_s = row.offset_s = None
                row.status, row.reason = NOT_ASSESSABLE, (
                    "no trial markers and no movement onset: an onset cannot be tied to "
                    "a repetition; mark each repetition (events 'trial') or record with "
                    "the accelerometer")
                row.action = _actions.MARK_TRIALS
            elif gap > GAP_TOLERANCE_S and row.status == OK:
                row.onset_s = row.offset_s = None
                row.status, row.reason = NOT_ASSESSABLE, (
                    f"{1000.0 * gap:.0f} ms of samples were dropped in transmission inside "
                    "this trial's onset search window: its timing cannot be trusted")
                row.action = _actions.RADIO_LINK
            elif row.status != OK and c.usable and not c.onset_reason:
                row.reason, row.action = _no_onset_reason(s, c, w, row.reason, row.action)
            if mo is not None and row.onset_s is not None:
                row.latency_movement_ms = 1000.0 * (row.onset_s - mo)
            m.onsets.append(row)
    if acts is not None and len(det) >= 2:
        from ..metrics import compute_firing_order

        fo = compute_firing_order(acts, channels=det)
        m.tables["firing_order"] = jsonable(fo.summary)


def _no_onset_reason(s: Any, c: ChannelRow, w: tuple[float, float],
                     reason: str | None, action: str | None = None
                     ) -> tuple[str, str | None]:
    """Why a usable channel shows no onset in a window, and what to do: the activity
    there, against the channel's noise floor and (with an MVC reference) in %MVC --
    activity too low to time is a finding about the muscle, not an electrode fault
    (:data:`~emgcontrol.patterns._actions.LOW_ACTIVITY`); activity without a clear rise
    from rest asks for rest before a brisk movement
    (:data:`~emgcontrol.patterns._actions.NO_CLEAR_RISE`), unless the muscle was
    already active at the trial's start (``action`` is then kept).  ``s`` needs
    ``filt`` (the band-passed Recording) and ``ref`` (the MVC reference or None)."""
    n = c.noise_rms_v
    i = s.filt.ch_names.index(c.channel)
    a, b = (max(0, int(round(t * s.filt.sfreq))) for t in w)
    y = s.filt.data[i, a:b]
    if not n or y.size < 4:
        return str(reason), action
    rms = float(np.sqrt(np.mean(np.square(y))))
    ratio = rms / n
    pct = ""
    if s.ref is not None:
        r = s.ref.lookup(c.channel, c.muscle, c.side)
        val = r.get("rms_v") if r is not None and r.get("status", "ok") == "ok" else None
        if val and math.isfinite(val):
            pct = f", about {100.0 * math.sqrt(max(rms * rms - n * n, 0.0)) / val:.0f} %MVC"
    if ratio < LOW_ACTIVITY:
        return (f"activity too low to time: the RMS in the search window is "
                f"{ratio:.2f} x the noise floor{pct} (timing needs a clear rise above "
                "the noise)"), _actions.LOW_ACTIVITY
    return (f"{reason} although the activity in the window is {ratio:.1f} x the noise "
            f"floor{pct}: no clear rise from rest to time"), (
        action if action == _actions.RELAX else _actions.NO_CLEAR_RISE)


def _step_reference(s: _State, mvc: Any, notch: Any) -> None:
    """Each muscle's MVC reference from its own contraction, refused where it would
    put the task far above 100 %MVC."""
    ref, why, info = _mvc_reference(s.rec, s.filt, mvc, notch)
    if ref is None:
        hint = _marker_hint(s.rec, "mvc")
        s.step("normalization", reference=None, reason=why, action=(
            "name the code that marks the MVC contractions when reading (markers="
            "{CODE: 'mvc'}, --markers CODE=mvc), or " + _actions.RECORD_MVC
            if hint else _actions.RECORD_MVC))
        s.notes.append(f"amplitudes are not normalised: {why}")
        return
    from ._mvc import refuse_implausible, task_mvc_windows

    s.m.mvc = True
    ref, refused, pct = refuse_implausible(ref, s.filt, s.usable, s.windows,
                                           exclude=task_mvc_windows(s.rec))
    s.ref = ref
    s.m.tables["mvc_reference"] = ref.to_dict()
    s.step("normalization", **jsonable(ref.meta),
           task_percent_mvc={k: round(v, 1) for k, v in pct.items()})
    if info.get("note"):
        s.notes.append(f"MVC reference: {info['note']}")
    for ch, reason in {**info.get("rejected", {}), **refused}.items():
        if ch in s.wanted:
            s.notes.append(f"amplitudes of {ch} are not normalised: {reason}")


def _step_phases(s: _State) -> None:
    """Windows (s) of the phases that amount criteria use, per trial, or why not."""
    names = sorted({c.params["phase"] for c in s.pattern.criteria if "phase" in c.params})
    for pname in names:
        ph = s.pattern.phases[pname]
        for k in range(len(s.windows)):
            t0, why = _anchor_time(s, ph.anchor, k)
            if t0 is None:
                s.phase_why[(pname, k)] = f"phase {pname!r}: {why}"
                s.phase_action[(pname, k)] = _anchor_action(s, ph.anchor, k)
                continue
            w0, w1 = max(0.0, t0 + ph.start), min(s.rec.duration, t0 + ph.stop)
            if w1 - w0 < 4.0 / s.rec.sfreq:
                s.phase_why[(pname, k)] = f"phase {pname!r} lies outside the recording"
                continue
            s.phase_windows[f"{pname}|{k}"] = (w0, w1)
    s.m.tables["phase_windows"] = {k: list(v) for k, v in s.phase_windows.items()}


def _step_amounts(s: _State) -> None:
    """Amplitudes per phase, trial and channel: raw, noise-corrected, %MVC."""
    m = s.m
    crits = [c for c in s.pattern.criteria if "amounts" in _kind_needs(c)]
    if not crits:
        return
    m.computed.add("amounts")
    measures = sorted({c.params["measure"] for c in crits})
    usable = s.usable
    norm_reason = (m.processing.get("normalization") or {}).get("reason")
    norm_action = (m.processing.get("normalization") or {}).get("action")

    def na(k: int, pname: str, ch: str, ms: str, why: str | None,
           act: str | None = None) -> AmountRow:
        c = m.channel(ch)
        return AmountRow(trial=k, phase=pname, channel=ch, measure=ms, muscle=c.muscle,
                         side=c.side, status=NOT_ASSESSABLE,
                         reason=why or c.reason or "channel not usable",
                         action=act if why else (c.action or channel_action(c.reason)))

    for (pname, k), why in s.phase_why.items():
        act = s.phase_action.get((pname, k))
        m.amounts += [na(k, pname, ch, ms, why, act) for ch in s.wanted for ms in measures]
    if s.phase_windows and usable:
        from ..metrics import compute_amount, normalize

        with _collect(s.notes, "amplitude"):
            raw = compute_amount(s.filt, windows=s.phase_windows, measures=measures,
                                 picks=usable)
            norm = normalize(raw, s.ref) if s.ref is not None else None
        s.step("amount", measures=measures, peak_window_s=raw.meta.get("peak_window_s"))
        for i, r in enumerate(raw.rows):
            pname, k = r["segment"].split("|")
            nr = norm.rows[i] if norm is not None else None
            n = m.channel(r["channel"]).noise_rms_v
            row = AmountRow(trial=int(k), phase=pname, channel=r["channel"],
                            measure=r["measure"], muscle=r["muscle"], side=r["side"],
                            start_s=r["start_s"], stop_s=r["stop_s"], raw_v=r["value"],
                            noise_rms_v=n, unit=nr["unit"] if nr is not None else None,
                            status=r["status"], reason=r["reason"])
            if r["status"] == "ok":
                rv = float(r["value"])
                nn = (n or 0.0) * (_ARV_PER_RMS if r["measure"] == "arv" else 1.0)
                cv = math.sqrt(max(rv * rv - nn * nn, 0.0))
                row.corrected_v = cv
                if nr is None:
                    row.status, row.reason = NOT_ASSESSABLE, norm_reason
                    row.action = norm_action or _actions.RECORD_MVC
                elif nr["status"] != "ok":
                    row.status, row.reason = NOT_ASSESSABLE, nr["reason"]
                    row.action = _actions.RECORD_MVC
                else:
                    row.value_raw = float(nr["value"])
                    row.value = float(nr["value"]) * (cv / rv if rv > 0 else 0.0)
            m.amounts.append(row)
    for ch in [c for c in s.wanted if c not in usable]:
        for key in s.phase_windows:
            pname, k = key.split("|")
            m.amounts += [na(int(k), pname, ch, ms, None) for ms in measures]


def _kind_needs(c: Criterion) -> frozenset[str]:
    from .kinds import REGISTRY

    return REGISTRY[c.kind].needs


def _step_cocontraction(s: _State) -> None:
    """Co-contraction of the same-side agonist/antagonist pairs per phase and trial."""
    from ..metrics import compute_cocontraction

    m, usable = s.m, s.usable
    crits = [c for c in s.pattern.criteria if "cocontraction" in _kind_needs(c)]
    if not crits:
        return
    m.computed.add("cocontraction")
    for c in crits:
        ag = [ch for ch in channels_of(c.params["agonist"], m.channels) if ch in usable]
        an = [ch for ch in channels_of(c.params["antagonist"], m.channels) if ch in usable]
        pname = c.params["phase"]
        wins = {k: v for k, v in s.phase_windows.items() if k.startswith(pname + "|")}
        if s.ref is None or not ag or not an or not wins:
            continue
        pairs = [(a, b) for a in ag for b in an
                 if m.channel(a).side == m.channel(b).side or len(ag) == 1 or len(an) == 1]
        if not pairs:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tab = compute_cocontraction(s.filt, pairs, reference=s.ref, windows=wins,
                                            methods=[c.params["method"]])
        except ValidationError as err:
            s.notes.append(f"co-contraction {c.id}: {err}")
            continue
        for r in tab.rows:
            ph, k = str(r["segment"]).split("|")
            m.cocontraction.append(CocontractionRow(
                criterion=c.id, trial=int(k), phase=ph, agonist=r["agonist"],
                antagonist=r["antagonist"], method=r["method"], value=r["value"],
                unit=r["unit"], status=r["status"], reason=r["reason"]))


def _muscle_criteria(s: _State, measure: str) -> tuple[list[Criterion], list[str]]:
    """The criteria whose kind needs ``measure`` (marked computed when there are any)
    and the usable channels of their ``muscle`` groups, in order, once each."""
    crits = [c for c in s.pattern.criteria if measure in _kind_needs(c)]
    if crits:
        s.m.computed.add(measure)
    usable = s.usable
    chans: list[str] = []
    for c in crits:
        chans += [ch for ch in channels_of(c.params["muscle"], s.m.channels)
                  if ch in usable and ch not in chans]
    return crits, chans


def _step_flexion_relaxation(s: _State) -> None:
    """Flexion- and extension-relaxation ratios, noise-corrected (module notes)."""
    from ..metrics import compute_flexion_relaxation

    m = s.m
    crits, chans = _muscle_criteria(s, "flexion_relaxation")
    if not chans:
        return
    for definition in sorted({c.params["definition"] for c in crits}):
        try:
            with _collect(s.notes, "flexion-relaxation"):
                tab = compute_flexion_relaxation(s.filt, definition=definition, picks=chans)
        except ValidationError as err:
            s.notes.append(f"flexion-relaxation not computed: {err}")
            continue
        m.tables[f"flexion_relaxation_{definition}"] = tab.to_dict()
        s.step(f"flexion_relaxation_{definition}", **jsonable(tab.meta))
        for r in tab.rows:
            n = m.channel(r["channel"]).noise_rms_v or 0.0
            row = FlexionRelaxationRow(
                definition=definition, trial=r["trial"] if r["trial"] is not None else 0,
                channel=r["channel"], muscle=r["muscle"], side=r["side"],
                flexion_v=r["flexion_v"], full_flexion_v=r["full_flexion_v"],
                extension_v=r["extension_v"], noise_rms_v=n or None, frr_raw=r["frr"],
                err_raw=r["err"], status=r["status"], reason=r["reason"])
            ff = r["full_flexion_v"]
            if r["status"] == "ok" and ff is not None and math.isfinite(ff):
                ffc = math.sqrt(max(ff * ff - n * n, 0.0))
                den = max(ffc, NOISE_FLOOR_FRACTION * n, 1e-30)
                for key, num in (("frr", r["flexion_v"]), ("err", r["extension_v"])):
                    if num is not None and math.isfinite(num):
                        setattr(row, key, math.sqrt(max(num * num - n * n, 0.0)) / den)
                row.full_flexion_at_noise = bool(ffc < NOISE_FLOOR_FRACTION * n)
            m.flexion_relaxation.append(row)


def _step_fatigue(s: _State) -> None:
    """Median-frequency slopes over the hold, corrected for the band a low rate keeps."""
    from ..metrics import compute_amount, compute_sorensen, spectral_bias

    m = s.m
    _, chans = _muscle_criteria(s, "fatigue")
    if not chans:
        return
    try:
        with _collect(s.notes, "spectral fatigue"):
            tab = compute_sorensen(s.filt, picks=chans)
    except ValidationError as err:
        s.notes.append(f"median-frequency slopes not computed: {err}")
        for ch in chans:
            c = m.channel(ch)
            m.fatigue.append(FatigueRow(channel=ch, muscle=c.muscle, side=c.side,
                                        status=NOT_ASSESSABLE,
                                        reason=f"no hold found: {err}"))
        return
    m.tables["fatigue"] = tab.to_dict()
    s.step("fatigue", **jsonable(tab.meta))
    hold = tab.meta["hold_s"]
    amp = compute_amount(s.filt, windows=[tuple(hold)], measures=["rms"], picks=chans)
    hold_rms = {r["channel"]: r["value"] for r in amp.rows}
    h = tab.meta.get("band_hz", [20.0, 450.0])[1]
    factor = 1.0
    low_rate = None
    if h < 449.0:
        bias = spectral_bias(s.filt.sfreq, h_freq=h)
        factor = float(bias["slope_ratio_pct"])
        if bias["power_fraction"] < MIN_SPECTRAL_POWER_FRACTION:
            low_rate = (f"at {s.filt.sfreq:g} Hz the analysed band (up to {h:g} Hz) keeps "
                        f"only {100 * bias['power_fraction']:.0f} % of a typical lumbar EMG "
                        "spectrum's power: the median frequency is not interpretable "
                        f"(needs >= {100 * MIN_SPECTRAL_POWER_FRACTION:.0f} %, i.e. >= 250 "
                        "Hz sampling)")
    for r in tab.rows:
        if r["measure"] != "mdf":
            continue
        n = m.channel(r["channel"]).noise_rms_v or 0.0
        hr = hold_rms.get(r["channel"])
        snr = None
        if hr is not None and math.isfinite(hr) and n > 0:
            sig = math.sqrt(max(hr * hr - n * n, 0.0))
            snr = 20 * math.log10(sig / n) if sig > 0 else -math.inf
        slope = r["slope_pct_per_s"]
        m.fatigue.append(FatigueRow(
            channel=r["channel"], muscle=r["muscle"], side=r["side"],
            slope_pct_per_s_band=slope,
            slope_pct_per_s=slope / factor if slope is not None and factor > 0 else None,
            slope_hz_per_s=r["slope_hz_per_s"], initial_hz=r["initial_hz"], r2=r["r2"],
            hold_s=list(hold), hold_rms_v=hr, noise_rms_v=n or None, snr_db=snr,
            rate_factor=factor, status=r["status"] if low_rate is None else NOT_ASSESSABLE,
            reason=r["reason"] if low_rate is None else low_rate))


def measure(
    rec: Recording,
    pattern: TargetPattern,
    *,
    mvc: Any = None,
    quality_thresholds: Any = None,
    onset_params: Mapping[str, Any] | None = None,
    ecg: str | None = "auto",
    notch: float | str | None = "auto",
) -> Measures:
    """Run the assessment chain on a recording for a pattern (see the module notes).

    Parameters
    ----------
    rec : Recording
        Raw EMG (V) with muscles assigned to channels, trial events and, ideally,
        accelerometer channels.
    pattern : TargetPattern
        What to measure for.
    mvc : optional
        Normalisation reference: None (the recording's ``"mvc"`` events if any), a
        Recording of MVC contractions, a mapping channel/muscle -> RMS in V (the ARV
        reference is then taken as ``RMS * sqrt(2/pi)``, exact for Gaussian EMG) or
        ``{"rms": V, "arv": V}``, or a :class:`~emgcontrol.metrics.NormalizationReference`.
    quality_thresholds : optional
        Overrides of the quality thresholds
        (:class:`~emgcontrol.signal.quality.QualityThresholds`).
    onset_params : mapping, optional
        Detector parameters overriding the pattern's ``[onsets]``.
    ecg : {"auto", "template", "highpass"} or None
        ECG removal method (``"auto"``: template subtraction when the pattern uses
        trunk muscles); None: no removal.
    notch : "auto", float or None
        Mains notch of the band-pass step.

    Returns
    -------
    Measures
        ``processing["steps"]`` lists the steps run, in order, each with its entry.
    """
    from ..recording import Recording

    if not isinstance(rec, Recording):
        raise ValidationError(f"rec must be a Recording; got {type(rec).__name__}")
    if ecg is not None:
        check_option("ecg", ecg, ("auto", "template", "highpass"))
    if "emg" not in rec.ch_types:
        raise ValidationError("the recording has no EMG channel to compare "
                              f"(channel types: {', '.join(sorted(set(rec.ch_types)))})")
    needs = _needs(pattern)
    s = _State(rec=rec, pattern=pattern, m=Measures(pattern=pattern.id, sfreq=rec.sfreq))
    _step_channels(s, quality_thresholds, notch, ecg)  # quality -> usable channels
    _step_ecg(s, ecg)                         # ECG removal
    _step_filter(s, notch)                    # band-pass + notch
    _step_noise(s)                            # noise floors; no activity -> unusable
    _step_trials(s)                           # trials
    _step_movement(s)                         # movement onsets
    if needs & {"amounts", "cocontraction"}:
        _step_reference(s, mvc, notch)        # MVC reference
    if "onsets" in needs:
        _step_onsets(s, onset_params)         # onsets
    _step_phases(s)                           # phase windows
    _step_amounts(s)                          # amounts
    _step_cocontraction(s)                    # protocol measures
    _step_flexion_relaxation(s)
    _step_fatigue(s)
    s.m.processing["history"] = jsonable(s.filt.history)
    s.m.warnings = list(dict.fromkeys(s.notes))
    return s.m


def noise_floor(y: np.ndarray, sfreq: float, bandwidth: float, *, dof: float = 50.0,
                z: float = 2.0, start: float = 0.1) -> float | None:
    """Noise RMS of one band-passed channel from its quiet blocks, V.

    Blocks hold about ``dof`` degrees of freedom (``dof / (2 bandwidth)`` s).
    Starting from the quietest ``start`` share of the blocks, the baseline level
    ``c`` (median log power) and its spread ``s`` (RMS deviation of the blocks
    below ``c``) are estimated and every block below ``c + z s`` is kept, until the
    set stops changing -- the rule of :func:`emgcontrol.onset.quiet_mask`, started
    from the quietest 10 % instead of 25 % so that a recording at rest only 10-20 %
    of the time (a 60 s Biering-Sorensen hold) still finds its rest, and with
    ``z = 2`` instead of 3 so that weak activity (3 dB above the noise) is not
    absorbed into the noise.  On simulated sessions (20-225 Hz band at 500 Hz) it
    reads 0.85-0.93 of the simulated broadband noise RMS at 10 and 3 dB SNR,
    i.e. the noise in the band (0.91 of it) within a few percent.

    Returns
    -------
    float or None
        ``sqrt(mean power)`` of the kept blocks; None if there are fewer than 4
        blocks or all are silent.
    """
    n_blk = max(int(round(dof / (2.0 * bandwidth) * sfreq)), 4)
    nb = y.shape[-1] // n_blk
    if nb < 4:
        return None
    pw = np.mean(np.square(y[:nb * n_blk]).reshape(nb, n_blk), axis=1)
    valid = pw > 0
    if valid.sum() < 4:
        return None
    lp = np.log(pw[valid])
    keep = lp <= np.quantile(lp, start)
    for _ in range(100):
        kv = lp[keep]
        c = float(np.median(kv))
        lo = kv[kv <= c]
        s = float(np.sqrt(np.mean((lo - c) ** 2))) if lo.size > 1 else 0.0
        new = lp <= c + z * s
        if np.array_equal(new, keep):
            break
        keep = new
    return float(np.sqrt(np.mean(pw[valid][keep])))


def _activity_ratio(y: np.ndarray, sfreq: float, noise: float | None) -> float | None:
    """99th percentile of the RMS over windows of ACTIVITY_WINDOW_S, in units of the
    noise floor (the first and last second, where the filters settle, left out)."""
    if noise is None or not noise > 0:
        return None
    n = max(int(round(ACTIVITY_WINDOW_S * sfreq)), 2)
    edge = int(round(1.0 * sfreq))  # filter settling at both ends
    if y.shape[-1] > 2 * edge + 4 * n:
        y = y[edge:-edge]
    nb = y.shape[-1] // n
    if nb < 1:
        return None
    rms = np.sqrt(np.mean(np.square(y[:nb * n]).reshape(nb, n), axis=1))
    return float(np.percentile(rms, ACTIVITY_PERCENTILE) / noise)


def _group_of(muscle: str | None) -> str | None:
    from ..montage import MUSCLES

    return MUSCLES[muscle].group if muscle in MUSCLES else None


def _short(text: str, n: int = 240) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _warning_texts(caught: Sequence[warnings.WarningMessage], where: str) -> list[str]:
    return [f"{where}: {_short(str(w.message))}" for w in caught
            if not issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning,
                                           ResourceWarning))]


def _mvc_reference(rec: Recording, filt: Recording, mvc: Any, notch: Any
                   ) -> tuple[Any, str | None, dict[str, Any]]:
    """The normalisation reference, why there is none, and the MVC checks' details
    (:func:`emgcontrol.patterns.mvc_reference`: per-muscle contractions above rest)."""
    from ..metrics import NormalizationReference
    from ..recording import Recording
    from ._mvc import has_mvc_marks, mvc_reference

    if isinstance(mvc, NormalizationReference):
        return mvc, None, {}
    if isinstance(mvc, Mapping):
        vals = {k: (v if isinstance(v, Mapping) or v is None
                    else {"rms": v, "arv": _ARV_PER_RMS * float(v)}) for k, v in mvc.items()}
        return NormalizationReference.from_values(
            vals, method="mvc", source="values given to compare (ARV = RMS x sqrt(2/pi) "
                                       "where only the RMS was given)"), None, {}
    if isinstance(mvc, Recording):
        ref, info = mvc_reference(mvc, notch=notch, source="MVC recording given to compare")
        return ref, None, info
    if mvc is not None:
        raise ValidationError(
            "mvc must be None, a Recording, a mapping channel/muscle -> V or a "
            f"NormalizationReference; got {type(mvc).__name__}")
    if has_mvc_marks(rec):
        ref, info = mvc_reference(rec, notch=notch, filtered=filt,
                                  source="the recording's own 'mvc' contractions")
        return ref, None, info
    return None, ("no MVC reference: record an MVC contraction of each muscle (markers "
                  "'mvc:<muscle>' ... 'mvc_end', or events 'mvc') or give mvc= (an MVC "
                  "recording or reference values)" + _marker_hint(rec, "mvc")), {}


