"""Signal-quality checks for surface EMG, one row per channel.

:func:`quality` runs eleven checks on every channel and gives each a value, a
verdict and a plain-language reason; the channel's overall verdict is the worst
of its checks (``"good"``, ``"warn"`` or ``"bad"``).  Thresholds live in
:class:`QualityThresholds`, each with the reason for its default, and can be
overridden.

Verdicts of a check (:data:`VERDICTS`):

``"good"``
    nothing to report;
``"info"``
    a finding that is not a fault (a muscle the pattern expects quiet shows no
    activity, see ``expect_quiet``);
``"corrected"``
    a problem in the raw signal that the processing removes (mains with
    ``notch=``, ECG on the channels named in ``ecg_removed=``); the reason gives
    the raw size and what is left;
``"warn"``
    usable with care;
``"bad"``
    a fault;
``"n/a"``
    could not be assessed (the reason says why and what to record instead).

``"info"``, ``"corrected"`` and ``"n/a"`` do not lower the channel's verdict.

=============  ==========  ======================================================
check          value       what it detects
=============  ==========  ======================================================
``nonfinite``  % samples   NaN / infinite samples (lost data, failed conversion)
``railed``     % samples   samples at >= 90 % of the amplifier rail (OpenBCI
                           Cyton: +/-187,500 uV at gain 24): saturated input,
                           electrode off
``flat``       % time      0.25 s windows with almost no variance (< 0.1 uV SD):
                           disconnected lead, zero-filled gaps, dead channel
``clipping``   % samples   runs of >= 3 identical samples at the channel's
                           extreme values: saturation at an unknown level
``dc_offset``  uV          median of the raw signal; a large offset eats the
                           input range and pushes the channel towards the rail
``jumps``      per minute  sudden level changes (>= 1 mV between 20 ms means,
                           >= 8 x the local variation): contact loss, cable
                           movement.  Level changes that recur at the heart
                           rate with one shape are heartbeats: they are not
                           counted here but reported by the ``ecg`` check
``mains``      % power     power at the mains frequency (50/60 Hz, detected)
                           and its harmonics above the neighbouring spectrum,
                           as a share of the power in the EMG band (Welch);
                           with ``notch=``: the share left after the notch
``ecg``        % power     share of the EMG-band (> 20 Hz) power within 50 ms
                           of the R-peaks that is locked to them (R-peak-locked
                           average against residual, bias-corrected); at least
                           ``"warn"`` when heartbeats show as level changes
``snr``        dB          98th vs 10th percentile of the 0.25 s moving RMS of
                           the EMG band: activity against the baseline noise
                           (``"n/a"`` when the channel is active throughout,
                           ``"info"`` when the muscle is expected quiet)
``dropped``    samples     samples lost in transmission (reader report in
                           ``meta["dropped_samples"]``, a package counter or
                           timestamps)
``not_emg``    % power     share of the power (above DC) below 20 Hz, judged
                           together with the EMG-band level away from
                           heartbeats: a channel typed EMG that carries a
                           goniometer, force, motion or ECG-only signal
=============  ==========  ======================================================

Use in a processing chain
-------------------------
A chain that notches mains, removes ECG from some channels and knows which
muscles its task leaves silent passes that knowledge, so the checks judge the
signal the chain uses::

    quality(rec, notch="auto", ecg_removed=["MF L", "MF R"],
            expect_quiet=["GMax L"])

``"not_emg"`` is a check whose ``"bad"`` verdict no processing repairs: add it
to the hard checks that make a channel unusable.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from .._util import jsonable
from .._validate import check_option, check_positive, check_sfreq
from ..errors import ValidationError
from ..hardware import CYTON_RAIL_UV  # the default rail of the railed check
from .ecg import MIN_SFREQ_TEMPLATE, _as_2d, _is_recording, _sosfiltfilt, ecg_contamination

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from ..recording import Recording

__all__ = ["quality", "QualityReport", "QualityThresholds", "ChannelQuality", "QualityCheck",
           "CHECKS", "VERDICTS", "find_dropped_samples", "CYTON_RAIL_UV"]

VERDICTS = ("good", "info", "corrected", "warn", "bad", "n/a")
"""Verdicts of a check: ``"good"``; ``"info"`` (a finding, not a fault);
``"corrected"`` (removed by the processing the caller declared); ``"warn"``;
``"bad"``; ``"n/a"`` (could not be assessed)."""

CHECKS: Mapping[str, str] = {
    "nonfinite": "pct", "railed": "pct", "flat": "pct", "clipping": "pct",
    "dc_offset": "uV", "jumps": "per_min", "mains": "pct", "ecg": "pct", "snr": "dB",
    "dropped": "samples", "not_emg": "pct",
}
"""Checks run by :func:`quality` and the unit of their value."""

ECG_WINDOW_S = (-0.05, 0.05)
"""Window (s) around each R-peak in which the ECG share is measured: the QRS
complex, where the ECG has its EMG-band (> 20 Hz) power."""

_RANK = {"n/a": 0, "good": 0, "info": 0, "corrected": 0, "warn": 1, "bad": 2}
_REASON_ORDER = {"bad": 0, "warn": 1, "corrected": 2, "info": 3}

_INT_THRESHOLDS = {"clip_min_run": 2, "ecg_jump_min_beats": 3}


@dataclass(frozen=True)
class QualityThresholds:
    """Thresholds of :func:`quality`; override any with ``thresholds={"name": value}``.

    Percentages are of the channel's samples (or time) unless said otherwise;
    a value at or beyond a ``*_bad`` limit is ``"bad"``, beyond a ``*_warn``
    limit ``"warn"``.

    Attributes
    ----------
    rail_fraction : float
        A sample is railed at ``>= rail_fraction x rail`` (0.90: the OpenBCI
        GUI's "railed" limit).
    near_rail_fraction : float
        ... and near the rail at ``>= 0.75 x rail`` (the GUI's "near railed").
    railed_warn_pct, railed_bad_pct : float
        Any railed sample (``> 0 %``) warns: even brief saturation distorts
        amplitudes; ``>= 1 %`` is bad: the channel spends real time saturated.
    near_rail_warn_pct : float
        ``>= 1 %`` of samples near the rail warns (drifting towards saturation).
    flat_sd_uv, flat_window_s : float
        A window of ``flat_window_s`` (0.25 s) is flat when its SD is below
        ``flat_sd_uv`` (0.1 uV): amplifier noise of a connected surface
        electrode is >= 0.3 uV RMS, the Cyton's LSB is 0.022 uV.
    flat_warn_pct, flat_bad_pct : float
        ``> 1 %`` of windows flat warns (brief dropouts), ``>= 20 %`` is bad.
    clip_min_run : int
        Identical consecutive samples at the channel's extreme that make a
        clipped run (3: two equal extremes happen by chance in quantised data).
    clip_warn_pct, clip_bad_pct : float
        Any clipped run warns; ``>= 1 %`` of samples clipped is bad.
    nonfinite_warn_pct, nonfinite_bad_pct : float
        Any non-finite sample is bad (``> 0 %``): most processing cannot run.
    dc_warn_fraction, dc_bad_fraction : float
        ``|DC| >= 0.5 x rail`` warns (half the input range is used up: a
        movement artefact may rail the channel), ``>= 0.8 x rail`` is bad.
        Tens of mV are normal for raw Cyton data and only need a high-pass.
    mains_warn_pct, mains_bad_pct : float
        Mains carrying ``>= 10 %`` of the EMG-band power warns (a notch
        filter is needed, amplitudes are inflated); ``>= 50 %`` is bad (mains
        dominates: poor electrode contact or a broken reference).
    ecg_warn_pct, ecg_bad_pct : float
        ECG carrying ``>= 10 %`` of the EMG-band power near heartbeats warns
        (remove it: see :func:`~emgcontrol.signal.ecg.remove_ecg`); ``>= 50 %``
        is bad (at rest the channel shows mostly the heart).
    ecg_min_bpm : float
        Lowest heart rate accepted when the ECG check looks for heartbeats
        (40 bpm, not the 30 bpm of :func:`~emgcontrol.signal.ecg.find_r_peaks`):
        repeated contractions every 1.5-2 s with sharp movement artefacts
        otherwise pass for a slow, regular heartbeat.
    snr_warn_db, snr_bad_db : float
        SNR below 10 dB warns (bursts barely 3 x the baseline RMS: onsets
        become unreliable); below 4 dB is bad (no activity distinguishable from
        the baseline; expected only for a pure rest recording).
    dropped_warn_pct, dropped_bad_pct : float
        Any dropped sample warns (timing shifts after the gap); ``>= 1 %`` of
        samples lost is bad.
    jump_uv, jump_factor : float
        A jump is a change of the mean level between the 20 ms before and
        the 20 ms after a sample (one mains period, so hum averages out) of
        at least ``jump_uv`` (1 mV: zero-mean EMG does not move a 20 ms mean
        that far) and at least ``jump_factor`` (8) x the robust SD of that
        statistic in its 0.5 s block and the neighbouring blocks (so strong
        contractions do not count).  Jumps come from contact loss
        (intermittent electrode), cable movement or a knocked electrode.
    jumps_warn_per_min, jumps_bad_per_min : float
        Any jump warns; ``>= 2`` per minute is bad (a loose electrode).
    ecg_jump_min_beats : int
        Level changes are taken for heartbeats only when at least 5 of them
        pass the rhythm and shape tests: four regular intervals in a row
        rarely happen by chance among contact-loss steps, and a large ECG
        gives one per beat (a 20 s recording at 60 bpm has 20).
    ecg_jump_min_rr_s, ecg_jump_max_rr_s : float
        Intervals between heartbeats: 0.33-2 s (180-30 bpm), the range of
        heart rates in a clinic; the train's interval is the median of the
        intervals in that range.
    ecg_jump_rr_tolerance : float
        An interval is a heartbeat interval when it is within +/-15 % of
        ``k`` times the train's interval (``k`` = 1-3: beats whose QRS stayed
        below ``jump_uv`` are skipped): resting heart-rate variability,
        respiratory sinus arrhythmia included, stays within about 10 %.
    ecg_jump_min_corr : float
        A level change has the heartbeat shape when its +/-0.1 s waveform
        (centred on its largest deviation) correlates >= 0.8 with the median
        waveform of the train: QRS complexes of one lead repeat their shape
        (correlations > 0.9 even at 125 Hz), contact-loss steps and knocks
        differ in sign, size and duration.
    ecg_jump_min_fraction : float
        The heartbeat interpretation needs >= 60 % of the level changes to
        pass both tests and >= 50 % of the regular intervals to be single
        beat intervals; the others are still counted as jumps.
    ecg_jump_max_size_ratio : float
        When R-peaks were found, a level change within 0.1 s of one whose
        level is back 0.4-0.6 s later is that heartbeat only when it is at
        most 3 x the channel's median level change at R-peaks: QRS amplitude
        varies by well under +/-50 % from beat to beat (the largest beat of the
        real ECG-contaminated emgGO recording is 2.1 x the median); a knock
        that falls on a beat is larger and stays a jump.
    snr_active_pct : float
        Percentile of the 0.25 s RMS windows taken as the active level: the
        98th, so bursts that fill >= 2 % of the recording count (one 1.5 s
        arm raise per 33 s fills 4.5 %, which the 95th percentile missed);
        the quiet level is the 10th percentile.
    snr_active_uv, snr_same_shape_pct : float
        When the SNR is below ``snr_warn_db`` but even the quietest 10 % of
        the 0.25 s windows carry >= 5 uV RMS in the EMG band and the quietest
        30 % of the windows have the spectrum of the most active 10 % (median
        frequencies within +/-40 %), the quiet windows are the same signal at
        a lower level: the channel has no rest to measure the SNR against
        (sustained holds) and the check is ``"n/a"``, not ``"bad"``/``"warn"``.
        Measured: real isometric holds (elderly dataset, 2 kHz) have quiet
        windows at 1.2-1.3 x the median frequency of the most active ones
        (recruitment and fatigue lower it at high force), the second test
        model 1.0-1.1 x; white noise under EMG bursts at 1 kHz sits at ~2 x
        (230 against 110 Hz).  At 250 Hz the band is too narrow to tell noise
        from EMG this way (65-77 Hz for both), so a noisy baseline can also be
        ``"n/a"`` there.  5 uV is above the EMG-band noise of a
        connected surface electrode (amplifier + skin interface, about
        0.5-3 uV RMS; the Cyton's input noise is ~0.2 uV RMS).  A channel
        that carries >= 5 uV of noise and nothing else is therefore not
        flagged by this check (mains, flat and not_emg still apply).
    not_emg_low_pct : float
        ``not_emg``: share of the channel's power above DC that lies below
        20 Hz.  Surface EMG has < 5 % of its power there (spectrum peak
        50-120 Hz); a goniometer, force, motion or ECG-only signal has most of
        it there.  >= 50 % is needed (together with ``not_emg_max_uv``).
    not_emg_max_uv : float
        ``not_emg``: the 95th percentile of the 0.25 s RMS in the EMG band,
        away from heartbeats (+/-0.1 s of R-peaks when found), must stay at or
        below 2 uV: the EMG of a contracting muscle exceeds 5 uV, while a
        non-EMG signal only shows amplifier noise and filter leakage there
        (about 1 uV).  The band is measured with the mains line notched
        (the processing's notch, else the line :func:`detect_mains` finds),
        so hum does not pass for EMG.  Both conditions make the check
        ``"bad"``; a channel listed in ``expect_quiet`` gets ``"info"``
        instead (a silent muscle over drifting skin looks the same).
    """

    rail_fraction: float = 0.90
    near_rail_fraction: float = 0.75
    railed_warn_pct: float = 0.0
    railed_bad_pct: float = 1.0
    near_rail_warn_pct: float = 1.0
    flat_sd_uv: float = 0.1
    flat_window_s: float = 0.25
    flat_warn_pct: float = 1.0
    flat_bad_pct: float = 20.0
    clip_min_run: int = 3
    clip_warn_pct: float = 0.0
    clip_bad_pct: float = 1.0
    nonfinite_warn_pct: float = 0.0
    nonfinite_bad_pct: float = 0.0
    dc_warn_fraction: float = 0.5
    dc_bad_fraction: float = 0.8
    mains_warn_pct: float = 10.0
    mains_bad_pct: float = 50.0
    ecg_warn_pct: float = 10.0
    ecg_bad_pct: float = 50.0
    ecg_min_bpm: float = 40.0
    snr_warn_db: float = 10.0
    snr_bad_db: float = 4.0
    dropped_warn_pct: float = 0.0
    dropped_bad_pct: float = 1.0
    jump_uv: float = 1000.0
    jump_factor: float = 8.0
    jumps_warn_per_min: float = 0.0
    jumps_bad_per_min: float = 2.0
    ecg_jump_min_beats: int = 5
    ecg_jump_min_rr_s: float = 0.33
    ecg_jump_max_rr_s: float = 2.0
    ecg_jump_rr_tolerance: float = 0.15
    ecg_jump_min_corr: float = 0.8
    ecg_jump_min_fraction: float = 0.6
    ecg_jump_max_size_ratio: float = 3.0
    snr_active_pct: float = 98.0
    snr_active_uv: float = 5.0
    snr_same_shape_pct: float = 40.0
    not_emg_low_pct: float = 50.0
    not_emg_max_uv: float = 2.0

    @classmethod
    def from_any(cls, value: QualityThresholds | Mapping[str, Any] | None) -> QualityThresholds:
        """Defaults, or defaults updated from a mapping, or the object itself."""
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if not isinstance(value, Mapping):
            raise ValidationError(
                f"thresholds must be a QualityThresholds or a mapping; got {type(value).__name__}"
            )
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(value) - names)
        if unknown:
            raise ValidationError(
                f"unknown threshold(s) {unknown}; allowed: {', '.join(sorted(names))}"
            )
        clean: dict[str, Any] = {}
        for k, v in value.items():
            if k in _INT_THRESHOLDS:
                low = _INT_THRESHOLDS[k]
                if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
                    raise ValidationError(
                        f"thresholds[{k!r}] must be an int >= {low}; got {v!r}")
                clean[k] = int(v)
            else:
                try:
                    f = float(v)
                except (TypeError, ValueError):
                    raise ValidationError(
                        f"thresholds[{k!r}] must be a number; got {v!r}") from None
                if not math.isfinite(f):
                    raise ValidationError(f"thresholds[{k!r}] must be finite; got {v!r}")
                clean[k] = f
        return replace(cls(), **clean)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class QualityCheck:
    """Result of one check on one channel.

    Attributes
    ----------
    name : str
        Check name (see :data:`CHECKS`).
    value : float or None
        Measured value in ``unit``; None when not assessed.
    unit : str
        ``"pct"``, ``"uV"``, ``"dB"`` or ``"samples"``.
    verdict : str
        ``"good"``, ``"warn"``, ``"bad"`` or ``"n/a"``.
    reason : str
        Plain-language explanation of the verdict.
    """

    name: str
    value: float | None
    unit: str
    verdict: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        v = self.value
        if v is not None and not math.isfinite(v):
            v = None
        return {"value": v, "unit": self.unit, "verdict": self.verdict, "reason": self.reason}


@dataclass(frozen=True)
class ChannelQuality:
    """All checks of one channel."""

    channel: str
    checks: Mapping[str, QualityCheck]

    @property
    def verdict(self) -> str:
        """Worst verdict of the checks (``"good"`` when all are good or n/a)."""
        worst = max((_RANK[c.verdict] for c in self.checks.values()), default=0)
        return {0: "good", 1: "warn", 2: "bad"}[worst]

    @property
    def reason(self) -> str:
        """Reasons of the bad, warn, corrected and info checks, in that order.

        ``"all checks passed"`` when there are none; corrected and info
        findings are prefixed with their verdict (``"mains (corrected): ..."``).
        """
        shown = [c for c in self.checks.values() if c.verdict in _REASON_ORDER]
        shown.sort(key=lambda c: _REASON_ORDER[c.verdict])
        if not shown:
            return "all checks passed"
        return "; ".join(
            f"{c.name}: {c.reason}" if c.verdict in ("bad", "warn")
            else f"{c.name} ({c.verdict}): {c.reason}" for c in shown)

    def findings(self, verdict: str) -> list[str]:
        """Names of the checks with this verdict (e.g. ``"corrected"``)."""
        check_option("verdict", verdict, VERDICTS)
        return [k for k, c in self.checks.items() if c.verdict == verdict]

    def __getitem__(self, name: str) -> QualityCheck:
        return self.checks[name]


@dataclass
class QualityReport:
    """Per-channel quality of a recording (result of :func:`quality`).

    Attributes
    ----------
    channels : list of ChannelQuality
        One entry per checked channel.
    sfreq : float
        Sampling frequency in Hz.
    n_times : int
        Samples per channel.
    thresholds : QualityThresholds
        Thresholds used.
    info : dict
        Recording-level findings: ``mains_freq`` used, ``heart_rate_bpm`` and
        ``n_r_peaks`` of the ECG check, ``rail_uv``, ``dropped`` details.
    """

    channels: list[ChannelQuality]
    sfreq: float
    n_times: int
    thresholds: QualityThresholds
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def ch_names(self) -> list[str]:
        """Names of the checked channels."""
        return [c.channel for c in self.channels]

    @property
    def verdicts(self) -> dict[str, str]:
        """Overall verdict per channel."""
        return {c.channel: c.verdict for c in self.channels}

    @property
    def bad_channels(self) -> list[str]:
        """Channels whose overall verdict is ``"bad"``."""
        return [c.channel for c in self.channels if c.verdict == "bad"]

    @property
    def warn_channels(self) -> list[str]:
        """Channels whose overall verdict is ``"warn"``."""
        return [c.channel for c in self.channels if c.verdict == "warn"]

    def __getitem__(self, channel: str | int) -> ChannelQuality:
        if isinstance(channel, (int, np.integer)):
            return self.channels[int(channel)]
        for c in self.channels:
            if c.channel == channel:
                return c
        raise ValidationError(
            f"channel {channel!r} is not in the report; channels: {', '.join(self.ch_names)}"
        )

    def __len__(self) -> int:
        return len(self.channels)

    def value(self, check: str) -> dict[str, float | None]:
        """Values of one check, per channel."""
        check_option("check", check, CHECKS)
        return {c.channel: c.checks[check].value for c in self.channels}

    def to_dataframe(self, *, long: bool = False) -> pd.DataFrame:
        """Results as a DataFrame.

        Parameters
        ----------
        long : bool
            False (default): one row per channel with columns ``channel``,
            ``verdict``, ``reason`` and, per check, ``<check>_<unit>`` (value),
            ``<check>_verdict`` and ``<check>_reason``.  True: one row per
            channel and check with columns ``channel``, ``check``, ``value``,
            ``unit``, ``verdict``, ``reason``.
        """
        import pandas as pd

        if long:
            rows = [{"channel": c.channel, "check": k, "value": q.value, "unit": q.unit,
                     "verdict": q.verdict, "reason": q.reason}
                    for c in self.channels for k, q in c.checks.items()]
            return pd.DataFrame(rows, columns=["channel", "check", "value", "unit", "verdict",
                                               "reason"])
        rows = []
        for c in self.channels:
            row: dict[str, Any] = {"channel": c.channel, "verdict": c.verdict, "reason": c.reason}
            for k, q in c.checks.items():
                row[f"{k}_{q.unit}"] = np.nan if q.value is None else q.value
            for k, q in c.checks.items():
                row[f"{k}_verdict"] = q.verdict
            for k, q in c.checks.items():
                row[f"{k}_reason"] = q.reason
            rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: channels with their checks, thresholds and info."""
        return {
            "sfreq": self.sfreq, "n_times": self.n_times,
            "channels": [{"channel": c.channel, "verdict": c.verdict, "reason": c.reason,
                          "checks": {k: q.to_dict() for k, q in c.checks.items()}}
                         for c in self.channels],
            "thresholds": self.thresholds.to_dict(),
            "info": jsonable(self.info),
        }

    def __repr__(self) -> str:
        counts = {v: sum(c.verdict == v for c in self.channels) for v in ("good", "warn", "bad")}
        return (f"<QualityReport | {len(self.channels)} channels: {counts['good']} good, "
                f"{counts['warn']} warn, {counts['bad']} bad>")

    def _repr_html_(self) -> str:
        colour = {"good": "#d8f0d8", "warn": "#fff0c0", "bad": "#f8c8c8", "n/a": "#eeeeee",
                  "info": "#dde8f8", "corrected": "#e0f0e8"}
        esc = html.escape
        head = "".join(f"<th>{esc(k)} ({esc(u)})</th>" for k, u in CHECKS.items())
        body = []
        for c in self.channels:
            cells = [f"<td><b>{esc(c.channel)}</b></td>",
                     f"<td style='background:{colour[c.verdict]}'>{c.verdict}</td>"]
            for k in CHECKS:
                q = c.checks[k]
                val = "" if q.value is None else f"{q.value:.3g}"
                cells.append(f"<td style='background:{colour[q.verdict]}' "
                             f"title='{esc(q.reason, quote=True)}'>{val}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        return ("<div class='emgcontrol-quality'><strong>Signal quality</strong> "
                "(hover a cell for the reason)<table><tr><th>channel</th><th>verdict</th>"
                f"{head}</tr>{''.join(body)}</table></div>")


# ------------------------------------------------------------------ helpers
def _grade_high(value: float, warn: float, bad: float, strict_warn: bool = True) -> str:
    """Verdict for a value where higher is worse (``> warn`` warns, ``>= bad`` is bad)."""
    if value >= bad and (bad > 0 or value > 0):
        return "bad"
    if value > warn if strict_warn else value >= warn:
        return "warn"
    return "good"


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop indices of the True runs of a boolean vector."""
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def _fmt_time(sample: int, sfreq: float) -> str:
    return f"{sample / sfreq:.3f} s"


def find_dropped_samples(
    *,
    sfreq: float,
    package_num: Any = None,
    timestamps: Any = None,
    modulus: int = 256,
    step: int | None = None,
    gap_factor: float = 2.5,
) -> dict[str, Any]:
    """Dropped samples from a BrainFlow package counter or from timestamps.

    Parameters
    ----------
    sfreq : float
        Sampling frequency in Hz.
    package_num : array_like of int, optional
        Package counter per sample (BrainFlow's package-number row; the Cyton
        counts 0-255 and wraps).  Preferred: exact.
    timestamps : array_like of float, optional
        Sample times in seconds (used when ``package_num`` is not given).
        A gap is an interval longer than ``gap_factor`` sample periods; the
        missing count is the interval in periods minus one.  Timestamps that
        come in bursts (BrainFlow stamps a packet batch on arrival) make this
        approximate: prefer the counter.
    modulus : int
        Counter period (256 for OpenBCI boards).
    step : int, optional
        Counter increment per sample (default: the most common increment; 2 for
        Cyton+Daisy in BrainFlow).
    gap_factor : float
        Timestamp interval, in sample periods, above which samples are missing.

    Returns
    -------
    dict
        ``{"count": n, "gaps": [{"sample", "time_s", "n_missing", "source"}]}``
        in the layout readers put in ``meta["dropped_samples"]``; ``sample``
        is the index of the first sample after the gap.  A loss of a whole
        number of counter periods is invisible to the counter.
    """
    sf = check_sfreq(sfreq)
    gaps: list[dict[str, Any]] = []
    if package_num is not None:
        c = np.asarray(package_num)
        if c.ndim != 1 or c.dtype.kind not in "iuf" or not np.all(np.isfinite(c)):
            raise ValidationError(
                f"package_num must be a 1-D array of finite counter values; got shape "
                f"{c.shape}, dtype {c.dtype}"
            )
        if not isinstance(modulus, (int, np.integer)) or modulus < 2:
            raise ValidationError(f"modulus must be an int >= 2; got {modulus!r}")
        c = np.round(c).astype(np.int64)
        d = np.mod(np.diff(c), int(modulus))
        if step is None:
            pos = d[d > 0]
            step = int(np.bincount(pos).argmax()) if len(pos) else 1
        if not isinstance(step, (int, np.integer)) or step < 1:
            raise ValidationError(f"step must be an int >= 1; got {step!r}")
        bad = np.flatnonzero(d != step)
        for i in bad:
            miss = int(round(((int(d[i]) - step) % int(modulus)) / step))
            if miss > 0:
                gaps.append({"sample": int(i + 1), "time_s": (i + 1) / sf,
                             "n_missing": miss, "source": "package_num"})
    elif timestamps is not None:
        t = np.asarray(timestamps, dtype=float)
        if t.ndim != 1 or not np.all(np.isfinite(t)):
            raise ValidationError(
                f"timestamps must be a 1-D array of finite seconds; got shape {t.shape}"
            )
        gap_factor = check_positive("gap_factor", gap_factor)
        dt = np.diff(t)
        period = 1.0 / sf
        for i in np.flatnonzero(dt > gap_factor * period):
            miss = int(round(dt[i] / period)) - 1
            if miss > 0:
                gaps.append({"sample": int(i + 1), "time_s": (i + 1) / sf,
                             "n_missing": miss, "source": "timestamps"})
    return {"count": int(sum(g["n_missing"] for g in gaps)), "gaps": gaps}


def _dropped_from_meta(meta: Mapping[str, Any]) -> dict[str, Any] | None:
    info = meta.get("dropped_samples")
    if info is None:
        return None
    if isinstance(info, Mapping):
        gaps = [dict(g) for g in (info.get("gaps") or []) if isinstance(g, Mapping)]
        try:
            count = int(info.get("count", sum(int(g.get("n_missing", 0)) for g in gaps)))
        except (TypeError, ValueError):
            raise ValidationError(
                f"meta['dropped_samples']['count'] must be an integer; got {info.get('count')!r}"
            ) from None
        return {"count": count, "gaps": gaps}
    try:
        return {"count": int(info), "gaps": []}
    except (TypeError, ValueError):
        raise ValidationError(
            "meta['dropped_samples'] must be {'count': n, 'gaps': [...]} or a count; "
            f"got {info!r}"
        ) from None


# ------------------------------------------------------------------- checks
def _check_nonfinite(x: np.ndarray, sf: float, th: QualityThresholds) -> QualityCheck:
    bad = ~np.isfinite(x)
    n_bad = int(bad.sum())
    pct = 100.0 * n_bad / x.size
    if n_bad == 0:
        return QualityCheck("nonfinite", 0.0, "pct", "good", "no NaN or infinite samples")
    n_nan = int(np.isnan(x).sum())
    first = int(np.argmax(bad))
    verdict = _grade_high(pct, th.nonfinite_warn_pct, th.nonfinite_bad_pct)
    return QualityCheck(
        "nonfinite", pct, "pct", verdict,
        f"{n_nan} NaN and {n_bad - n_nan} infinite samples ({pct:.3g} %), the first at "
        f"{_fmt_time(first, sf)}; other checks replaced them by the channel median")


def _check_railed(x_uv: np.ndarray, rail_uv: float, th: QualityThresholds) -> QualityCheck:
    a = np.abs(x_uv)
    railed = 100.0 * np.mean(a >= th.rail_fraction * rail_uv)
    near = 100.0 * np.mean(a >= th.near_rail_fraction * rail_uv)
    verdict = _grade_high(railed, th.railed_warn_pct, th.railed_bad_pct)
    if verdict == "good" and near >= th.near_rail_warn_pct:
        verdict = "warn"
    if railed > 0:
        reason = (f"{railed:.3g} % of samples at >= {100 * th.rail_fraction:.0f} % of the "
                  f"+/-{rail_uv:,.0f} uV rail (amplifier saturated: check the electrode)")
    elif near > 0:
        reason = (f"{near:.3g} % of samples near the rail (>= "
                  f"{100 * th.near_rail_fraction:.0f} % of +/-{rail_uv:,.0f} uV)")
    else:
        reason = f"never near the +/-{rail_uv:,.0f} uV rail"
    return QualityCheck("railed", railed, "pct", verdict, reason)


def _check_flat(x_uv: np.ndarray, sf: float, rail_uv: float, th: QualityThresholds
                ) -> QualityCheck:
    n = len(x_uv)
    w = max(2, int(round(th.flat_window_s * sf)))
    n_win = n // w
    if n_win == 0:
        sd = float(np.std(x_uv))
        flat = np.array([sd < th.flat_sd_uv])
        centres = np.array([np.median(x_uv)])
    else:
        seg = x_uv[: n_win * w].reshape(n_win, w)
        flat = seg.std(axis=1) < th.flat_sd_uv
        centres = np.median(seg, axis=1)
    lo, hi = float(np.min(x_uv)), float(np.max(x_uv))
    whole_flat = bool(np.all(flat))
    # flat windows at the rail are saturation, not a dead lead: the railed check
    # reports them; so are flat windows at the extremes of a channel that moves
    # (clipping)
    excluded = np.abs(centres) >= th.rail_fraction * rail_uv
    if not whole_flat and hi - lo > th.flat_sd_uv:
        excluded |= (np.isclose(centres, lo, rtol=0, atol=1e-9 * max(abs(lo), 1.0))
                     | np.isclose(centres, hi, rtol=0, atol=1e-9 * max(abs(hi), 1.0)))
    stuck = bool(np.any(flat & excluded))
    flat = flat & ~excluded
    pct = 100.0 * float(np.mean(flat))
    verdict = _grade_high(pct, th.flat_warn_pct, th.flat_bad_pct)
    if pct == 0:
        reason = (f"no flat stretch (every {th.flat_window_s:g} s window has SD >= "
                  f"{th.flat_sd_uv:g} uV)")
        if stuck:
            reason = "no flat stretch apart from saturation (see railed / clipping)"
    else:
        starts, stops = _runs(flat)
        longest = int(np.max(stops - starts)) * w
        reason = (f"{pct:.3g} % of the time flat (SD < {th.flat_sd_uv:g} uV), longest "
                  f"{longest / sf:.2f} s from "
                  f"{_fmt_time(int(starts[np.argmax(stops - starts)]) * w, sf)}"
                  + ("; the whole channel is flat: disconnected or switched off"
                     if whole_flat else ": lead off or zero-filled gap"))
    return QualityCheck("flat", pct, "pct", verdict, reason)


def _check_clipping(x: np.ndarray, sf: float, th: QualityThresholds) -> QualityCheck:
    n = len(x)
    lo, hi = float(np.min(x)), float(np.max(x))
    if not hi > lo:
        return QualityCheck("clipping", 0.0, "pct", "good",
                            "constant channel: no clipping to assess (see flat)")
    total = 0
    n_runs = 0
    for level in (lo, hi):
        starts, stops = _runs(x == level)
        keep = (stops - starts) >= th.clip_min_run
        total += int(np.sum((stops - starts)[keep]))
        n_runs += int(np.sum(keep))
    pct = 100.0 * total / n
    verdict = _grade_high(pct, th.clip_warn_pct, th.clip_bad_pct)
    if n_runs == 0:
        reason = f"no run of >= {th.clip_min_run} identical samples at the extremes"
    else:
        reason = (f"{n_runs} run(s) of identical samples at the channel's extreme values "
                  f"({pct:.3g} % of samples): the signal was clipped")
    return QualityCheck("clipping", pct, "pct", verdict, reason)


def _check_dc(x_uv: np.ndarray, rail_uv: float, th: QualityThresholds) -> QualityCheck:
    dc = float(np.median(x_uv))
    frac = abs(dc) / rail_uv
    verdict = "bad" if frac >= th.dc_bad_fraction else (
        "warn" if frac >= th.dc_warn_fraction else "good")
    reason = f"median {dc:,.0f} uV = {100 * frac:.1f} % of the +/-{rail_uv:,.0f} uV input range"
    if verdict != "good":
        reason += ": little headroom before the channel rails (improve skin contact)"
    elif abs(dc) > 1000:
        reason += " (normal for DC-coupled raw data; a high-pass removes it)"
    return QualityCheck("dc_offset", dc, "uV", verdict, reason)


def _check_jumps(x_uv: np.ndarray, sf: float, th: QualityThresholds,
                 r_peaks: np.ndarray | None = None
                 ) -> tuple[QualityCheck, dict[str, Any] | None]:
    """Jumps check, and the heartbeats among the level changes (None if none)."""
    n = len(x_uv)
    w = max(2, int(round(0.02 * sf)))  # 20 ms: one mains period, averages hum out
    minutes = n / sf / 60.0
    if n < 8 * w:
        return (QualityCheck("jumps", None, "per_min", "n/a", "not assessed: signal too short"),
                None)
    c = np.concatenate([[0.0], np.cumsum(x_uv - np.median(x_uv))])
    k = np.arange(w, n - w + 1)
    step = (c[k + w] - c[k]) / w - (c[k] - c[k - w]) / w  # level after - level before
    block = max(4 * w, int(round(0.5 * sf)))
    nb = -(-len(step) // block)
    pad = np.full(nb * block, np.nan)
    pad[: len(step)] = np.abs(step)
    scale = 1.4826 * np.nanmedian(pad.reshape(nb, block), axis=1)
    # the larger of each block and its neighbours: a contraction starting in a
    # block must not make its own onset a "jump"
    wide = np.maximum(scale, np.maximum(np.r_[scale[1:], 0.0], np.r_[0.0, scale[:-1]]))
    local = np.repeat(wide, block)[: len(step)]
    hit = (np.abs(step) >= th.jump_uv) & (np.abs(step) >= th.jump_factor * local)
    idx = np.flatnonzero(hit)
    # one event per cluster of hits (within 0.1 s), placed at its largest change:
    # the sample where the level steps
    clusters = np.split(idx, np.flatnonzero(np.diff(idx) > 0.1 * sf) + 1) if len(idx) else []
    starts = np.array([c[np.argmax(np.abs(step[c]))] + w for c in clusters], dtype=int)
    sizes = np.array([float(np.max(np.abs(step[c]))) for c in clusters])
    beats = _heartbeat_events(x_uv, starts, sf, th, r_peaks,
                              (np.abs(step), w, sizes) if len(starts) else None)
    hb = beats["mask"] if beats is not None else np.zeros(len(starts), bool)
    other = starts[~hb]
    count = len(other)
    rate = count / minutes
    verdict = _grade_high(rate, th.jumps_warn_per_min, th.jumps_bad_per_min)
    if count == 0:
        reason = (f"no sudden level change of >= {th.jump_uv:,.0f} uV" if beats is None else
                  f"no contact-loss level change of >= {th.jump_uv:,.0f} uV")
    else:
        size = float(np.max(sizes[~hb]))
        reason = (f"{count} sudden level change(s) of up to {size:,.0f} uV ({rate:.2g} per "
                  f"minute), the first at {_fmt_time(int(other[0]), sf)}: electrode "
                  "contact lost, cable movement or a knocked electrode")
    if beats is not None:
        beats["size_uv"] = float(np.max(sizes[hb]))
        reason += (f"; {int(hb.sum())} level change(s) of up to {beats['size_uv']:,.0f} uV "
                   f"come with the heartbeats ({beats['bpm']:.0f} bpm): ECG, not contact "
                   "loss, see the ecg check")
    return QualityCheck("jumps", rate, "per_min", verdict, reason), beats


def _heartbeat_events(x_uv: np.ndarray, ev: np.ndarray, sf: float, th: QualityThresholds,
                      r_peaks: np.ndarray | None = None,
                      steps: tuple[np.ndarray, int, np.ndarray] | None = None
                      ) -> dict[str, Any] | None:
    """Which level changes are heartbeats.

    A level change is a heartbeat when it belongs to a train with regular
    intervals and one repeated shape (see the ``ecg_jump_*`` thresholds), or,
    when R-peaks were found in the recording, when it lies within 0.1 s of
    one, the level is back 0.4-0.6 s later (a QRS, not a step) and it is no
    larger than ``ecg_jump_max_size_ratio`` x the channel's median heartbeat
    change (``steps``: the
    absolute level-change statistic, its offset in samples and the events'
    sizes; a knock that happens to fall on a beat is larger).  Returns None
    when no level change is a heartbeat, else ``{"mask", "bpm", "n"}``.
    """
    if len(ev) == 0:
        return None
    mask = np.zeros(len(ev), bool)
    bpm = math.nan
    train = _heartbeat_train(x_uv, ev, sf, th)
    if train is not None:
        mask, bpm = train
    if r_peaks is not None and len(r_peaks) >= 3:
        r = np.sort(np.asarray(r_peaks, dtype=int))
        pos = np.clip(np.searchsorted(r, ev), 1, len(r) - 1)
        near = np.minimum(np.abs(ev - r[pos - 1]), np.abs(ev - r[pos])) <= 0.1 * sf
        n = len(x_uv)
        back = np.zeros(len(ev), bool)
        for i, e in enumerate(ev):
            b0, b1 = max(0, e - int(0.4 * sf)), max(1, e - int(0.2 * sf))
            a0, a1 = min(n - 1, e + int(0.4 * sf)), min(n, e + int(0.6 * sf))
            if b1 > b0 and a1 > a0:
                back[i] = abs(np.median(x_uv[a0:a1]) - np.median(x_uv[b0:b1])) \
                    < 0.5 * th.jump_uv
        locked = near & back
        if steps is not None and locked.any():
            a_step, off, sizes = steps
            h = int(round(0.1 * sf))
            typical = np.median([np.max(a_step[max(0, p - off - h): max(1, p - off + h)])
                                 for p in r if 0 <= p - off < len(a_step)] or [np.inf])
            locked &= sizes <= th.ecg_jump_max_size_ratio * typical
        mask |= locked
        if not math.isfinite(bpm):
            bpm = 60.0 * sf / float(np.median(np.diff(r)))
    if not mask.any():
        return None
    return {"mask": mask, "bpm": bpm, "n": int(mask.sum())}


def _heartbeat_train(x_uv: np.ndarray, ev: np.ndarray, sf: float, th: QualityThresholds
                     ) -> tuple[np.ndarray, float] | None:
    """Level changes with regular heartbeat intervals and one shape: (mask, bpm) or None."""
    if len(ev) < th.ecg_jump_min_beats:
        return None
    d = np.diff(ev) / sf
    cand = d[(d >= th.ecg_jump_min_rr_s) & (d <= th.ecg_jump_max_rr_s)]
    if len(cand) < max(2, th.ecg_jump_min_beats // 2):
        return None
    rr = float(np.median(cand))
    kk = np.round(d / rr)
    ok = (kk >= 1) & (kk <= 3) & (np.abs(d - kk * rr) <= th.ecg_jump_rr_tolerance * kk * rr)
    if not ok.any() or np.mean(kk[ok] == 1) < 0.5:
        return None
    regular = np.zeros(len(ev), bool)
    regular[:-1] |= ok
    regular[1:] |= ok
    # shape: +/-0.1 s around each event, re-centred on its largest deviation
    half = max(2, int(round(0.1 * sf)))
    n = len(x_uv)
    segs = np.empty((len(ev), 2 * half + 1))
    for i, e in enumerate(ev):
        lo, hi = max(0, e - half), min(n, e + half + 1)
        seg = x_uv[lo:hi] - np.median(x_uv[lo:hi])
        centre = lo + int(np.argmax(np.abs(seg)))
        idx = np.clip(np.arange(centre - half, centre + half + 1), 0, n - 1)
        seg = x_uv[idx]
        segs[i] = seg - np.median(seg)
    template = np.median(segs[regular] if regular.sum() >= 3 else segs, axis=0)
    tz = template - template.mean()
    sz = segs - segs.mean(axis=1, keepdims=True)
    den = np.sqrt(np.sum(sz**2, axis=1) * np.sum(tz**2))
    corr = np.where(den > 0, sz @ tz / np.where(den > 0, den, 1.0), 0.0)
    mask = regular & (corr >= th.ecg_jump_min_corr)
    if mask.sum() < th.ecg_jump_min_beats or mask.mean() < th.ecg_jump_min_fraction:
        return None
    return mask, 60.0 / rr


def _emg_band(sf: float) -> tuple[float, float]:
    return 20.0, min(450.0, 0.45 * sf)


def _mains_excess(f: np.ndarray, p: np.ndarray, f0: float, band: tuple[float, float]
                  ) -> tuple[np.ndarray, list[float]]:
    """Excess power (per row) at f0 and harmonics inside ``band``, above the local spectrum."""
    df = f[1] - f[0]
    excess = np.zeros(p.shape[0])
    harm = []
    k = 1
    while k * f0 <= min(band[1], f[-1] - 3 * df):
        fk = k * f0
        k += 1
        if fk < band[0]:
            continue
        harm.append(fk)
        half = max(2.0, 2 * df)
        core = np.abs(f - fk) <= half
        ring = (np.abs(f - fk) > half + df) & (np.abs(f - fk) <= half + 8.0 + 2 * df)
        if not ring.any() or not core.any():
            continue
        base = np.median(p[:, ring], axis=1)
        excess += np.sum(p[:, core] - base[:, None], axis=1) * df
    return np.clip(excess, 0.0, None), harm


def _check_mains(x: np.ndarray, sf: float, mains_freq: float | None, th: QualityThresholds,
                 notched: np.ndarray | None = None, notch_desc: str | None = None
                 ) -> tuple[list[QualityCheck], float | None, list[float] | None]:
    """Mains share of EMG-band power for every row of ``x`` (volts), and the raw shares.

    With ``notched`` (the rows after the processing's notch) the value and the
    verdict are those of the notched rows; a raw share that the notch brings
    below ``mains_warn_pct`` is ``"corrected"``.
    """
    from scipy.signal import welch

    n = x.shape[-1]
    lo, hi = _emg_band(sf)
    cands = [50.0, 60.0] if mains_freq is None else [float(mains_freq)]
    cands = [c for c in cands if c < sf / 2]
    if hi <= lo or not cands or n < 16:
        why = (f"sfreq {sf:g} Hz leaves no EMG band above 20 Hz" if hi <= lo else
               "mains frequency above Nyquist" if not cands else "signal too short")
        return [QualityCheck("mains", None, "pct", "n/a", f"not assessed: {why}")
                for _ in range(x.shape[0])], None, None
    nper = int(min(n, max(16, round(sf))))  # ~1 Hz resolution

    def shares(rows: np.ndarray, f0s: list[float]) -> tuple[float, np.ndarray, list[float]]:
        f, p = welch(rows - np.median(rows, axis=1, keepdims=True), fs=sf, nperseg=nper,
                     axis=-1)
        inband = (f >= lo) & (f <= hi)
        total = np.sum(p[:, inband], axis=1) * (f[1] - f[0])
        best = None
        for c in f0s:
            ex, harm = _mains_excess(f, p, c, (lo, hi))
            if best is None or ex.sum() > best[1].sum():
                best = (c, ex, harm)
        assert best is not None
        pct = np.where(total > 0, 100.0 * best[1] / np.where(total > 0, total, 1.0), 0.0)
        return best[0], pct, best[2]

    f0, raw_pct, harm = shares(x, cands)
    after = shares(notched, [f0])[1] if notched is not None else None
    hz = ", ".join(f"{h:g}" for h in harm)
    out = []
    for i in range(x.shape[0]):
        raw = float(raw_pct[i])
        raw_verdict = _grade_high(raw, th.mains_warn_pct, th.mains_bad_pct, strict_warn=False)
        if after is None:
            reason = (f"{f0:g} Hz mains ({hz} Hz) carries {raw:.3g} % of the "
                      f"{lo:g}-{hi:g} Hz power")
            if notch_desc:
                reason += f" ({notch_desc})"
            if raw_verdict != "good":
                reason += ": check electrode contact and the reference, use a notch filter"
            out.append(QualityCheck("mains", raw, "pct", raw_verdict, reason))
            continue
        left = float(after[i])
        verdict = _grade_high(left, th.mains_warn_pct, th.mains_bad_pct, strict_warn=False)
        reason = (f"{f0:g} Hz mains ({hz} Hz) carries {left:.3g} % of the {lo:g}-{hi:g} Hz "
                  f"power after {notch_desc} ({raw:.3g} % before it)")
        if verdict == "good" and raw_verdict != "good":
            verdict = "corrected"
            reason += ": removed by the notch"
        elif verdict != "good":
            reason += ": the notch does not remove it; check electrode contact and the reference"
        out.append(QualityCheck("mains", left, "pct", verdict, reason))
    return out, f0, [float(v) for v in raw_pct]


def _window_rms(y: np.ndarray, w: int, keep: np.ndarray | None = None) -> np.ndarray:
    """RMS of consecutive windows of ``w`` samples per row; with ``keep`` (samples to
    use), windows with less than half of their samples kept are NaN."""
    n_win = y.shape[-1] // w
    seg = y[:, : n_win * w].reshape(y.shape[0], n_win, w)
    if keep is None:
        return np.sqrt(np.mean(seg**2, axis=2))
    k = keep[: n_win * w].reshape(n_win, w)
    cnt = k.sum(axis=1)
    ms = np.sum(seg**2 * k[None], axis=2) / np.maximum(cnt, 1)[None]
    return np.where((cnt >= w / 2)[None], np.sqrt(ms), np.nan)


def _check_snr(x: np.ndarray, sf: float, th: QualityThresholds,
               quiet: Sequence[bool] | None = None) -> list[QualityCheck]:
    lo, _ = _emg_band(sf)
    n = x.shape[-1]
    w = max(2, int(round(0.25 * sf)))
    quiet = list(quiet) if quiet is not None else [False] * x.shape[0]
    if n < 8 * w:
        return [QualityCheck("snr", None, "dB", "n/a",
                             f"not assessed: needs >= {8 * w / sf:g} s of signal")
                for _ in range(x.shape[0])]
    y = _sosfiltfilt(x, sf, lo, None, 4) if lo < 0.45 * sf else x - x.mean(axis=1, keepdims=True)
    rms = _window_rms(y, w)
    out = []
    for i in range(x.shape[0]):
        p95, p10 = np.percentile(rms[i], [th.snr_active_pct, 10])
        if p10 <= 0:
            snr = math.inf if p95 > 0 else 0.0
        else:
            snr = 20.0 * math.log10(p95 / p10)
        quiet_uv = 1e6 * float(p10)
        pct = f"{th.snr_active_pct:g}th pct"
        if snr >= th.snr_warn_db:
            verdict = "good"
            reason = f"{snr:.1f} dB between active ({pct}) and quiet (10th pct) windows"
        elif quiet[i]:
            verdict = "info"
            reason = (f"{snr:.1f} dB between active and quiet windows: no activity stands "
                      "out, as expected for a muscle the task leaves quiet")
        elif quiet_uv >= th.snr_active_uv and (mdf := _same_shape(y[i], rms[i], w, sf, th)):
            verdict = "n/a"
            reason = (f"not assessable: even the quietest 0.25 s windows carry "
                      f"{quiet_uv:.3g} uV RMS above {lo:g} Hz (>= {th.snr_active_uv:g} uV, "
                      "more than a connected electrode's noise) with the spectrum of the "
                      f"most active ones (median frequency {mdf[0]:.0f} vs {mdf[1]:.0f} Hz), "
                      f"only {snr:.1f} dB below them: the muscle is active throughout (no "
                      "rest to compare with); record a few seconds of rest for an SNR")
        elif snr < th.snr_bad_db:
            verdict = "bad"
            reason = (f"{snr:.1f} dB between active ({pct}) and quiet (10th pct) 0.25 s "
                      "windows: no activity stands out from the baseline")
        else:
            verdict = "warn"
            reason = (f"{snr:.1f} dB between active and quiet windows: weak activity or "
                      "noisy baseline")
        out.append(QualityCheck("snr", snr if math.isfinite(snr) else None, "dB", verdict,
                                reason))
    return out


def _same_shape(y: np.ndarray, rms: np.ndarray, w: int, sf: float, th: QualityThresholds
                ) -> tuple[float, float] | None:
    """Median frequencies (quietest 30 %, most active 10 % of windows) if they agree."""
    lo, hi = _emg_band(sf)
    n_win = len(rms)
    seg = y[: n_win * w].reshape(n_win, w)
    q30, q90 = np.percentile(rms, [30, 90])
    spec = np.abs(np.fft.rfft(seg * np.hanning(w), axis=1)) ** 2
    f = np.fft.rfftfreq(w, 1.0 / sf)
    band = (f >= lo) & (f <= hi)
    if band.sum() < 4:
        return None

    def mdf(rows: np.ndarray) -> float:
        p = spec[rows][:, band].mean(axis=0)
        c = np.cumsum(p)
        return float(f[band][np.searchsorted(c, c[-1] / 2)])

    quiet, active = mdf(rms <= q30), mdf(rms >= q90)
    if abs(quiet / active - 1.0) <= th.snr_same_shape_pct / 100.0:
        return quiet, active
    return None


def _check_not_emg(x: np.ndarray, sf: float, th: QualityThresholds, names: Sequence[str],
                   quiet: Sequence[bool], skip: Sequence[bool], r_peaks: np.ndarray | None
                   ) -> list[QualityCheck]:
    """Is the channel EMG at all: low-frequency share and EMG-band level (see thresholds)."""
    from scipy.signal import welch

    n_rows, n = x.shape
    lo, hi = _emg_band(sf)
    w = max(2, int(round(0.25 * sf)))
    if hi <= lo or n < max(8 * w, int(2 * sf)):
        why = (f"sfreq {sf:g} Hz leaves no EMG band above 20 Hz" if hi <= lo
               else "needs >= 2 s of signal")
        return [QualityCheck("not_emg", None, "pct", "n/a", f"not assessed: {why}")
                for _ in range(n_rows)]
    nper = int(min(n, round(4 * sf)))  # 0.25 Hz resolution: drift and movement count
    f, p = welch(x - np.median(x, axis=1, keepdims=True), fs=sf, nperseg=nper, axis=-1)
    above_dc = f > 0
    low = np.sum(p[:, above_dc & (f < lo)], axis=1)
    tot = np.sum(p[:, above_dc], axis=1)
    low_pct = np.where(tot > 0, 100.0 * low / np.where(tot > 0, tot, 1.0), 0.0)
    y = _sosfiltfilt(x, sf, lo, hi if hi < 0.45 * sf else None, 4)
    keep = None
    beats = ""
    if r_peaks is not None and len(r_peaks) >= 3:
        keep = np.ones(n, bool)
        half = int(round(0.1 * sf))
        for r in np.asarray(r_peaks, dtype=int):
            keep[max(0, r - half): r + half + 1] = False
        if keep.sum() >= 8 * w:
            beats = ", away from heartbeats"
        else:
            keep = None
    rms = _window_rms(y, w, keep)
    out = []
    for i in range(n_rows):
        if skip[i]:
            out.append(QualityCheck("not_emg", None, "pct", "n/a", "ECG channel"))
            continue
        if tot[i] <= 0 or not np.any(np.isfinite(rms[i])):
            out.append(QualityCheck("not_emg", None, "pct", "n/a",
                                    "not assessed: no signal (see flat)"))
            continue
        level = 1e6 * float(np.nanpercentile(rms[i], 95))
        pct = float(low_pct[i])
        nums = (f"{pct:.3g} % of the power is below {lo:g} Hz and the {lo:g}-{hi:g} Hz band "
                f"stays at {level:.2g} uV RMS (95th percentile of 0.25 s windows{beats})")
        if pct >= th.not_emg_low_pct and level <= th.not_emg_max_uv:
            if quiet[i]:
                out.append(QualityCheck(
                    "not_emg", pct, "pct", "info",
                    f"{names[i]}: {nums}: no EMG, as expected for a muscle the task leaves "
                    "quiet (a channel that is not EMG would look the same)"))
            else:
                out.append(QualityCheck(
                    "not_emg", pct, "pct", "bad",
                    f"{names[i]} does not carry EMG: {nums}; EMG has little power below "
                    f"{lo:g} Hz and a contracting muscle exceeds {th.not_emg_max_uv:g} uV. "
                    "A goniometer, force, motion or ECG-only signal typed 'emg', or an "
                    "electrode over a muscle that never contracted: fix the channel type or "
                    "exclude the channel"))
        else:
            out.append(QualityCheck("not_emg", pct, "pct", "good", f"EMG-like: {nums}"))
    return out


def _check_ecg(x: np.ndarray, sf: float, det_x: np.ndarray, is_ecg: Sequence[bool],
               r_peaks: Any, th: QualityThresholds, on_ecg: bool = False
               ) -> tuple[list[QualityCheck], dict[str, Any]]:
    from .ecg import MAX_IRREGULARITY, REFERENCE_MAX_IRREGULARITY, find_r_peaks

    n_rows = x.shape[0]
    info: dict[str, Any] = {}
    if sf < MIN_SFREQ_TEMPLATE or x.shape[-1] < 2 * sf:
        why = (f"sfreq {sf:g} Hz < {MIN_SFREQ_TEMPLATE:g} Hz" if sf < MIN_SFREQ_TEMPLATE
               else "signal shorter than 2 s")
        return [QualityCheck("ecg", None, "pct", "n/a", f"not assessed: {why}")
                for _ in range(n_rows)], info
    if r_peaks is None:
        det = find_r_peaks(det_x, sf, on_missing="ignore", min_bpm=th.ecg_min_bpm,
                           max_irregularity=(REFERENCE_MAX_IRREGULARITY if on_ecg
                                             else MAX_IRREGULARITY))
        r = det.r_peaks
        info.update({"n_r_peaks": int(len(r)),
                     "heart_rate_bpm": None if len(r) < 3 else round(det.heart_rate_bpm, 1)})
    else:
        r = np.asarray(r_peaks)
        info.update({"n_r_peaks": int(len(r)), "r_peaks": "given"})
    info["_r"] = np.asarray(r, dtype=int)
    if len(r) < 3:
        return [QualityCheck("ecg", None if is_ecg[i] else 0.0, "pct",
                             "n/a" if is_ecg[i] else "good",
                             "ECG channel" if is_ecg[i] else "no heartbeat found in the recording")
                for i in range(n_rows)], info
    share = 100.0 * ecg_contamination(x, sf, r, window=ECG_WINDOW_S)
    hr = info.get("heart_rate_bpm")
    out = []
    for i in range(n_rows):
        if is_ecg[i]:
            out.append(QualityCheck("ecg", None, "pct", "n/a", "ECG channel"))
            continue
        pct = float(share[i])
        verdict = _grade_high(pct, th.ecg_warn_pct, th.ecg_bad_pct, strict_warn=False)
        reason = (f"heartbeat-locked ECG carries {pct:.3g} % of the > 20 Hz power within "
                  f"50 ms of {len(r)} R-peaks" + (f" ({hr:g} bpm)" if hr else ""))
        if verdict != "good":
            reason += ": remove it (remove_ecg)"
        out.append(QualityCheck("ecg", pct, "pct", verdict, reason))
    return out, info


def _check_dropped(dropped: Mapping[str, Any] | None, n_times: int, sf: float,
                   th: QualityThresholds) -> QualityCheck:
    if dropped is None:
        return QualityCheck("dropped", None, "samples", "n/a",
                            "not assessed: no counter, timestamps or reader report")
    count = int(dropped.get("count", 0))
    gaps = list(dropped.get("gaps") or [])
    pct = 100.0 * count / max(n_times + count, 1)
    verdict = _grade_high(pct, th.dropped_warn_pct, th.dropped_bad_pct)
    if count == 0:
        reason = "no dropped samples"
    else:
        reason = f"{count} sample(s) lost ({pct:.3g} %)"
        if gaps:
            big = max(gaps, key=lambda g: int(g.get("n_missing", 0)))
            t = big.get("time_s")
            where = f" at {float(t):.3f} s" if t is not None else ""
            reason += f" in {len(gaps)} gap(s), the largest {int(big.get('n_missing', 0))}{where}"
        reason += ": times after a gap are shifted"
    return QualityCheck("dropped", float(count), "samples", verdict, reason)


def _ecg_finding(check: QualityCheck, beats: dict[str, Any] | None, removed: bool
                 ) -> QualityCheck:
    """The ecg check with the heartbeats seen by the jumps check and the removal."""
    if check.reason == "ECG channel":
        return check
    verdict, reason, value = check.verdict, check.reason, check.value
    if reason.endswith(": remove it (remove_ecg)"):
        reason = reason[: -len(": remove it (remove_ecg)")]
    if beats is not None:
        note = (f"{beats['n']} heartbeat(s) of up to {beats['size_uv']:,.0f} uV at "
                f"{beats['bpm']:.0f} bpm show as level changes (large ECG, not contact loss)")
        if verdict in ("n/a", "good") and value in (None, 0.0):
            reason, value = note, None  # the share was not measured (no R-peak found)
        else:
            reason = f"{reason}; {note}"
        if verdict in ("n/a", "good"):
            verdict = "warn"
    check = replace(check, value=value)
    if verdict in ("warn", "bad"):
        if removed:
            return replace(check, verdict="corrected",
                           reason=reason + ": the channel carries ECG, removed by the ECG-"
                           "removal step; the channel stays usable")
        return replace(check, verdict=verdict,
                       reason=reason + ": the channel carries ECG: remove it (remove_ecg); "
                       "the channel stays usable")
    return replace(check, reason=reason)


def _name_flags(arg: str, value: Any, names: Sequence[str], is_ecg: Sequence[bool]
                ) -> list[bool]:
    """Per-row flags from a list of channel names (ValidationError on unknown names)."""
    if value is None:
        return [False] * len(names)
    if isinstance(value, str):
        value = [value]
    try:
        wanted = [str(v) for v in value]
    except TypeError:
        raise ValidationError(
            f"{arg} must be a list of channel names; got {type(value).__name__}") from None
    unknown = [v for v in wanted if v not in names]
    if unknown:
        raise ValidationError(
            f"{arg} names channel(s) {unknown} that are not checked; checked channels: "
            f"{', '.join(names)}")
    return [nm in wanted for nm in names]


def _resolve_quality_notch(x: Any, sf: float, notch: Any, mains_freq: float | None
                           ) -> tuple[float | None, str]:
    """The notch frequency the processing applies, and how to say it."""
    if notch is None:
        return None, "no notch"
    if isinstance(notch, str):
        if notch != "auto":
            raise ValidationError(f"notch must be a frequency in Hz, 'auto' or None; got "
                                  f"{notch!r}")
        from .filters import detect_mains

        found = detect_mains(x, sf)
        if found is None:
            return None, ("notch='auto' finds no mains line in the recording, so the "
                          "processing leaves it in")
        return float(found), f"the {found:g} Hz notch"
    f = check_positive("notch", notch)
    if f >= sf / 2:
        raise ValidationError(f"notch={f:g} Hz is not below Nyquist ({sf / 2:g} Hz)")
    return f, f"the {f:g} Hz notch"


# --------------------------------------------------------------------- API
def quality(
    x: Any,
    sfreq: float | None = None,
    *,
    picks: Any = None,
    ch_names: Sequence[str] | None = None,
    units: str = "V",
    rail_uv: float | None = None,
    mains_freq: float | None = None,
    r_peaks: Any = None,
    dropped: Mapping[str, Any] | None = None,
    package_num: Any = None,
    timestamps: Any = None,
    thresholds: QualityThresholds | Mapping[str, Any] | None = None,
    notch: float | str | None = None,
    ecg_removed: bool | Sequence[str] = False,
    expect_quiet: Sequence[str] | None = None,
) -> QualityReport:
    """Check the signal quality of every channel.

    Parameters
    ----------
    x : Recording or array_like, shape (n_channels, n_times)
        A Recording (NaN allowed if built with ``allow_nonfinite=True``) or an
        array in ``units``; an array may hold NaN/inf (reported).
    sfreq : float
        Sampling frequency in Hz (omit for a Recording).
    picks : optional
        Recording channels to check (default: EMG and ECG channels).  The
        Recording's ECG channels, if any, are used to find heartbeats.
    ch_names : sequence of str, optional
        Names of the array rows (default ``#0``, ``#1``...).
    units : {"V", "mV", "uV", "nV"}
        Unit of an array (default volts, as everywhere in emgcontrol).
    rail_uv : float, optional
        Amplifier rail in uV.  Default ``meta["rail_uV"]`` of a Recording,
        else 187,500 uV (OpenBCI Cyton at gain 24).
    mains_freq : {50, 60} or None
        Mains frequency; default ``meta["mains_freq"]`` if present, else the
        one of 50/60 Hz with more excess power.
    r_peaks : array_like of int, optional
        R-peak samples for the ECG check (default: found with
        :func:`~emgcontrol.signal.ecg.find_r_peaks`, on ECG channels if any).
    dropped : mapping, optional
        ``{"count": n, "gaps": [...]}``; default ``meta["dropped_samples"]``.
    package_num, timestamps : array_like, optional
        BrainFlow package counter or timestamps (s) per sample, to find
        dropped samples with :func:`find_dropped_samples` (takes precedence).
    thresholds : QualityThresholds or mapping, optional
        Thresholds to override (see :class:`QualityThresholds`).
    notch : float, "auto" or None
        The mains notch the processing applies after this check (as
        ``notch=`` of :func:`~emgcontrol.signal.filter_emg`).  None (default):
        the checks see the raw signal.  Otherwise the same notch (harmonics,
        Q = 30, zero phase; ``"auto"`` detects 50/60 Hz as the filter does) is
        applied first: ``mains`` reports the share left after it (a raw share
        it removes is ``"corrected"``, its reason gives both numbers) and
        ``snr``, ``ecg`` and ``not_emg`` are measured on the notched signal.
    ecg_removed : bool or sequence of str
        Channels whose ECG the processing removes (True: all checked
        channels).  Their ``ecg`` finding (a share at or above
        ``ecg_warn_pct``, or heartbeats that show as level changes) is
        ``"corrected"`` instead of ``"warn"``/``"bad"``.
    expect_quiet : sequence of str, optional
        Channels whose muscle the task is expected to leave quiet: "no
        activity stands out" (``snr``) and "no EMG" (``not_emg``) are
        ``"info"`` for them, not faults.

    Returns
    -------
    QualityReport
        One row per channel; ``.to_dataframe()``, ``.to_dict()``,
        ``.bad_channels``.  With ``notch``: ``info["notch"]`` holds the notch
        applied (Hz or None) and ``info["mains_raw_pct"]`` the mains share of
        each channel before it (a lead with no contact reads mostly mains: use
        the raw share for that suspicion, the check's value for the signal
        the chain uses).  ``info["ecg_jumps"]``: the channels whose level
        changes are heartbeats (count, bpm, size in uV);
        ``info["expect_quiet"]``: the channels declared quiet.

    Notes
    -----
    For a processing chain: call with the chain's ``notch``, the channels it
    removes ECG from and the muscles its task leaves quiet; treat ``"bad"``
    of ``nonfinite``, ``railed``, ``flat``, ``clipping``, ``dc_offset``,
    ``jumps`` and ``not_emg`` as "channel not usable" (no processing repairs
    them); ``"corrected"``, ``"info"`` and ``"n/a"`` never lower a channel's
    verdict.

    Examples
    --------
    >>> report = quality(rec)                         # doctest: +SKIP
    >>> report.to_dataframe()[["channel", "verdict", "reason"]]  # doctest: +SKIP
    """
    from ..recording import UNITS

    th = QualityThresholds.from_any(thresholds)
    meta: Mapping[str, Any] = {}
    det_rows: np.ndarray | None = None
    if _is_recording(x):
        rec: Recording = x
        if sfreq is not None and float(sfreq) != rec.sfreq:
            raise ValidationError(
                f"sfreq={sfreq!r} disagrees with the Recording's sfreq={rec.sfreq:g} Hz"
            )
        sf = rec.sfreq
        if picks is None:
            idx = [i for i, t in enumerate(rec.ch_types) if t in ("emg", "ecg")]
            if not idx:
                raise ValidationError("the Recording has no EMG or ECG channel to check; "
                                      f"channel types: {rec.ch_types}")
        else:
            idx = rec._pick_indices(picks)
        data = np.array(rec.data[idx], dtype=np.float64)
        names = [rec.ch_names[i] for i in idx]
        is_ecg = [rec.ch_types[i] == "ecg" for i in idx]
        meta = rec.meta
        ecg_idx = [i for i, t in enumerate(rec.ch_types) if t == "ecg"]
        if ecg_idx:
            det_rows = np.array(rec.data[ecg_idx], dtype=np.float64)
    else:
        if sfreq is None:
            raise ValidationError("quality needs sfreq (Hz) when x is an array")
        sf = check_sfreq(sfreq)
        check_option("units", units, UNITS)
        data, shape = _as_2d("x", x)
        if len(shape) > 2:
            raise ValidationError(f"x must be 2-D (n_channels, n_times); got shape {shape}")
        data = data * UNITS[units]
        names = list(ch_names) if ch_names is not None else [f"#{i}" for i in range(len(data))]
        if len(names) != len(data):
            raise ValidationError(
                f"ch_names has {len(names)} names but x has {len(data)} rows"
            )
        is_ecg = [False] * len(data)
    n_rows, n = data.shape
    if n < 2:
        raise ValidationError(f"quality needs at least 2 samples per channel; got {n}")
    quiet = _name_flags("expect_quiet", expect_quiet, names, is_ecg)
    if isinstance(ecg_removed, (bool, np.bool_)):
        removed = [bool(ecg_removed)] * n_rows
    else:
        removed = _name_flags("ecg_removed", ecg_removed, names, is_ecg)
    if rail_uv is None:
        rail_uv = float(meta.get("rail_uV", CYTON_RAIL_UV)) if meta else CYTON_RAIL_UV
    rail_uv = check_positive("rail_uv", rail_uv)
    if mains_freq is None and meta.get("mains_freq") is not None:
        mains_freq = meta["mains_freq"]
    if mains_freq is not None:
        mains_freq = check_positive("mains_freq", mains_freq)

    # non-finite samples: report, then replace by the channel median for the other checks
    checks: list[dict[str, QualityCheck]] = [{} for _ in range(n_rows)]
    clean = data.copy()
    for i in range(n_rows):
        checks[i]["nonfinite"] = _check_nonfinite(data[i], sf, th)
        bad = ~np.isfinite(data[i])
        if bad.any():
            fin = data[i][~bad]
            clean[i, bad] = np.median(fin) if len(fin) else 0.0
    x_uv = clean * 1e6
    jump_beats: list[dict[str, Any] | None] = []
    for i in range(n_rows):
        checks[i]["railed"] = _check_railed(x_uv[i], rail_uv, th)
        checks[i]["flat"] = _check_flat(x_uv[i], sf, rail_uv, th)
        checks[i]["clipping"] = _check_clipping(clean[i], sf, th)
        checks[i]["dc_offset"] = _check_dc(x_uv[i], rail_uv, th)
    notch_hz, notch_desc = _resolve_quality_notch(
        x if _is_recording(x) and np.isfinite(data).all() else clean, sf, notch, mains_freq)
    used = clean
    if notch_hz is not None:
        from .filters import notch as _notch

        used = _notch(clean, sf, freq=notch_hz)
    mains, f0, mains_raw = _check_mains(clean, sf, mains_freq, th,
                                        notched=used if notch_hz is not None else None,
                                        notch_desc=None if notch is None else notch_desc)
    on_ecg = det_rows is not None
    if det_rows is not None:
        det_rows = np.where(np.isfinite(det_rows), det_rows, 0.0)
    else:
        det_rows = used[[i for i in range(n_rows) if not is_ecg[i]] or list(range(n_rows))]
    ecg, ecg_info = _check_ecg(used, sf, det_rows, is_ecg, r_peaks, th, on_ecg)
    found_r = ecg_info.pop("_r", None)
    for i in range(n_rows):
        checks[i]["jumps"], beats = _check_jumps(x_uv[i], sf, th,
                                                 None if is_ecg[i] else found_r)
        jump_beats.append(None if is_ecg[i] else beats)
    ecg = [_ecg_finding(ecg[i], jump_beats[i], removed[i]) for i in range(n_rows)]
    snr = _check_snr(used, sf, th, quiet)
    if notch_hz is None and f0 is not None and mains_freq is None:
        # not_emg judges the EMG band without hum even when the caller does not notch
        from .filters import detect_mains, notch as _notch

        line = detect_mains(clean, sf)
        ne_rows = _notch(clean, sf, freq=line) if line is not None else clean
    elif notch_hz is None and mains_freq is not None and float(mains_freq) < sf / 2:
        from .filters import notch as _notch

        ne_rows = _notch(clean, sf, freq=float(mains_freq))
    else:
        ne_rows = used
    not_emg = _check_not_emg(ne_rows, sf, th, names, quiet, is_ecg, found_r)
    if package_num is not None or timestamps is not None:
        drop = find_dropped_samples(sfreq=sf, package_num=package_num, timestamps=timestamps)
    elif dropped is not None:
        drop = _dropped_from_meta({"dropped_samples": dropped})
    else:
        drop = _dropped_from_meta(meta)
    drop_check = _check_dropped(drop, n, sf, th)
    for i in range(n_rows):
        checks[i]["mains"] = mains[i]
        checks[i]["ecg"] = ecg[i]
        checks[i]["snr"] = snr[i]
        checks[i]["dropped"] = drop_check
        checks[i]["not_emg"] = not_emg[i]
    channels = [ChannelQuality(names[i], {k: checks[i][k] for k in CHECKS})
                for i in range(n_rows)]
    info: dict[str, Any] = {"rail_uv": rail_uv, "mains_freq": f0, **ecg_info}
    if notch is not None:
        info["notch"] = notch_hz
        if mains_raw is not None:
            info["mains_raw_pct"] = {names[i]: mains_raw[i] for i in range(n_rows)}
    hb = {names[i]: {"n": b["n"], "bpm": round(b["bpm"], 1), "size_uv": round(b["size_uv"])}
          for i, b in enumerate(jump_beats) if b is not None}
    if hb:
        info["ecg_jumps"] = hb
    if quiet.count(True):
        info["expect_quiet"] = [names[i] for i in range(n_rows) if quiet[i]]
    if drop is not None:
        info["dropped"] = drop
    return QualityReport(channels=channels, sfreq=sf, n_times=n, thresholds=th, info=info)
