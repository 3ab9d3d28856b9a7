"""Ground-truth records of a simulated session and their (de)serialisation."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._util import jsonable
from ..errors import FileFormatError, RecordingFileNotFoundError, ValidationError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["Burst", "Movement", "Activation", "GroundTruth", "save_truth", "load_truth",
           "TRUTH_FORMAT", "TRUTH_VERSION"]

TRUTH_FORMAT = "emgcontrol.simulate.truth"
TRUTH_VERSION = 1


@dataclass(frozen=True)
class Burst:
    """One muscle activation to simulate (input of :func:`simulate_custom`).

    The RMS envelope is 0 before ``onset``, rises linearly to the plateau over
    ``ramp_on`` seconds, stays at the plateau, and falls linearly to 0 over the last
    ``ramp_off`` seconds before ``offset``.  ``onset`` and ``offset`` are thus the
    first and last instants with activity: what an onset detector should find.

    Attributes
    ----------
    channel : str
        Channel name (must be a channel of the montage).
    onset, offset : float
        Start and end of activity, seconds from the first sample.
    amplitude_mvc : float
        Plateau RMS amplitude in percent of the channel's MVC RMS amplitude.
    ramp_on, ramp_off : float
        Durations of the linear rise and fall, seconds (0 for a step).
    trial : int
        Trial index (0-based); -1 for activity outside trials (MVC block).
    phase : str
        Name of the movement phase (``"lift"``, ``"extension"``, ``"mvc"``...).
        Bursts of phase ``"mvc"`` are excluded from the SNR reference.
    mdf_slope : float
        Fatigue: linear change of the median frequency during the burst in percent
        of its initial value per second (e.g. -0.3).  0 for no fatigue.
    """

    channel: str
    onset: float
    offset: float
    amplitude_mvc: float
    ramp_on: float = 0.05
    ramp_off: float = 0.1
    trial: int = 0
    phase: str = "task"
    mdf_slope: float = 0.0


@dataclass(frozen=True)
class Movement:
    """One segment rotation seen by the accelerometer (input and ground truth).

    The segment angle follows a minimum-jerk profile (Flash & Hogan 1985) from its
    current value by ``delta_deg`` over ``duration`` seconds starting at ``onset``.

    Attributes
    ----------
    onset : float
        Movement onset, seconds from the first sample.
    duration : float
        Movement time, seconds.
    delta_deg : float
        Change of the segment angle, degrees (positive = towards vertical up).
    trial : int
        Trial index (0-based).
    phase : str
        Movement phase name (``"lift"``, ``"lower"``, ``"flexion"``...).
    """

    onset: float
    duration: float
    delta_deg: float
    trial: int = 0
    phase: str = "movement"


@dataclass(frozen=True)
class Activation:
    """A simulated activation as it is in the recording (a ground-truth row).

    Attributes
    ----------
    channel, muscle, side : str, str, str or None
        Channel name, muscle id and body side.
    trial : int
        Trial index (0-based), -1 for the MVC block.
    phase : str
        Movement phase.
    onset, offset : float
        First and last instant of activity, s.
    ramp_on, ramp_off : float
        Linear rise and fall durations, s.
    amplitude_mvc : float
        Plateau amplitude, percent of the channel's MVC RMS.
    amplitude_v : float
        Plateau RMS amplitude of the EMG in the recording, V.
    mdf_slope : float
        Median-frequency change during the activation, % of initial per s.
    """

    channel: str
    muscle: str | None
    side: str | None
    trial: int
    phase: str
    onset: float
    offset: float
    ramp_on: float
    ramp_off: float
    amplitude_mvc: float
    amplitude_v: float
    mdf_slope: float = 0.0

    @property
    def plateau(self) -> tuple[float, float]:
        """Start and end of the plateau, s."""
        return (self.onset + self.ramp_on, self.offset - self.ramp_off)


_TABLES = ("activations", "channels", "movements", "r_peaks", "artifacts", "faults",
           "trials")


@dataclass(frozen=True)
class GroundTruth:
    """Everything the simulator put into a recording, to score analyses against.

    Attributes
    ----------
    protocol : str
        Protocol id (``"prone-hip-extension"``...) or ``"custom"``.
    variant : str or None
        Protocol variant (``"typical"``...).
    sfreq : float
        Sampling rate, Hz.
    n_times : int
        Number of samples.
    snr_db : float
        Requested SNR: 20 log10(A_ref / sigma), A_ref the channel's EMG plateau RMS
        (quadratic mean over its task bursts), sigma the baseline-noise RMS.
    seed : int
        Seed that reproduces the session bit for bit.
    channels : tuple of str
        EMG channel names.
    muscles : tuple of (str or None)
        Muscle under each EMG channel (``"left multifidus"``).
    activations : tuple of Activation
        Every simulated activation (task and MVC).
    firing_order : tuple of tuple of str
        Groups of channels whose onsets, in every trial, all precede every onset of
        the next group (the recruitment order the variant stands for).  Empty where
        the protocol is about amplitude, not timing.
    movements : tuple of Movement
        Accelerometer movements (onsets are the movement onsets).
    mvc_rms_v : dict
        Channel -> RMS (V) of its EMG at 100 %MVC as recorded at ``sfreq``.
    noise_rms_v : dict
        Channel -> RMS (V) of the baseline noise.
    mdf_hz : dict
        Channel -> median frequency (Hz) of its unfatigued EMG as recorded at
        ``sfreq`` (model spectrum truncated at Nyquist).
    mdf_slope_hz_per_s : dict
        Fatiguing channel -> least-squares slope (Hz/s) of the model median frequency
        over the plateau of its fatiguing activation(s), at ``sfreq``.
    r_peaks : tuple of float
        ECG R-peak times, s (empty if no ECG).
    heart_rate_bpm : float or None
        Mean heart rate of the simulated ECG.
    ecg_r_v : dict
        Channel -> signed R-wave amplitude (V); 0 for channels without ECG.
    mains_hz : float or None
        Mains frequency.
    mains_v : dict
        Channel -> peak amplitude (V) of the mains fundamental.
    artifacts : tuple of dict
        Motion artefacts: ``kind``, ``channel``, ``onset``, ``duration``, ``amplitude_v``.
    faults : dict
        Channel -> ``{"kind": ..., "intervals": [[start_s, end_s], ...]}``.
    trials : tuple of dict
        ``trial``, ``onset``, ``duration``, ``cue`` (s) of each trial.
    dc_offset_v : dict
        Channel -> DC offset added in OpenBCI mode (V), empty otherwise.
    options : dict
        Remaining simulation options (openbci, acc, motion...).
    """

    protocol: str
    variant: str | None
    sfreq: float
    n_times: int
    snr_db: float
    seed: int
    channels: tuple[str, ...]
    muscles: tuple[str | None, ...]
    activations: tuple[Activation, ...]
    firing_order: tuple[tuple[str, ...], ...] = ()
    movements: tuple[Movement, ...] = ()
    mvc_rms_v: dict[str, float] = field(default_factory=dict)
    noise_rms_v: dict[str, float] = field(default_factory=dict)
    mdf_hz: dict[str, float] = field(default_factory=dict)
    mdf_slope_hz_per_s: dict[str, float] = field(default_factory=dict)
    r_peaks: tuple[float, ...] = ()
    heart_rate_bpm: float | None = None
    ecg_r_v: dict[str, float] = field(default_factory=dict)
    mains_hz: float | None = None
    mains_v: dict[str, float] = field(default_factory=dict)
    artifacts: tuple[dict[str, Any], ...] = ()
    faults: dict[str, dict[str, Any]] = field(default_factory=dict)
    trials: tuple[dict[str, Any], ...] = ()
    dc_offset_v: dict[str, float] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)

    # ---------------------------------------------------------------- queries
    @property
    def duration(self) -> float:
        """Length of the recording, s."""
        return self.n_times / self.sfreq

    @property
    def movement_onsets(self) -> tuple[float, ...]:
        """Onset (s) of the first movement of each trial, in trial order."""
        first: dict[int, float] = {}
        for mv in self.movements:
            if mv.trial not in first or mv.onset < first[mv.trial]:
                first[mv.trial] = mv.onset
        return tuple(first[k] for k in sorted(first))

    def select(self, channel: str | None = None, *, phase: str | None = None,
               trial: int | None = None, include_mvc: bool = False) -> list[Activation]:
        """Activations filtered by channel, phase and trial (MVC excluded by default)."""
        out = []
        for a in self.activations:
            if channel is not None and a.channel != channel:
                continue
            if phase is not None and a.phase != phase:
                continue
            if trial is not None and a.trial != trial:
                continue
            if not include_mvc and a.phase == "mvc" and phase != "mvc":
                continue
            out.append(a)
        return out

    def onsets(self, channel: str, phase: str | None = None) -> list[float]:
        """Onset times (s) of a channel's task activations, sorted."""
        return sorted(a.onset for a in self.select(channel, phase=phase))

    # ---------------------------------------------------------------- export
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (restored by :meth:`from_dict`)."""
        out: dict[str, Any] = {"format": TRUTH_FORMAT, "version": TRUTH_VERSION}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("activations", "movements"):
                value = [asdict(v) for v in value]
            elif f.name == "firing_order":
                value = [list(g) for g in value]
            elif isinstance(value, tuple):
                value = [dict(v) if isinstance(v, Mapping) else v for v in value]
            out[f.name] = jsonable(value)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GroundTruth:
        """Rebuild from :meth:`to_dict` output.

        Raises
        ------
        ValidationError
            If ``data`` is not a ground-truth dict of a known version.
        """
        if not isinstance(data, Mapping) or data.get("format") != TRUTH_FORMAT:
            raise ValidationError(
                f"not an emgcontrol ground truth: expected format {TRUTH_FORMAT!r}, got "
                f"{data.get('format') if isinstance(data, Mapping) else type(data).__name__!r}"
            )
        if data.get("version") != TRUTH_VERSION:
            raise ValidationError(
                f"ground-truth version {data.get('version')!r} is not supported "
                f"(this emgcontrol reads version {TRUTH_VERSION})")
        kw: dict[str, Any] = {}
        try:
            for f in fields(cls):
                if f.name not in data:
                    continue
                value = data[f.name]
                if f.name == "activations":
                    value = tuple(Activation(**v) for v in value)
                elif f.name == "movements":
                    value = tuple(Movement(**v) for v in value)
                elif f.name == "firing_order":
                    value = tuple(tuple(g) for g in value)
                elif f.name in ("channels", "muscles", "r_peaks", "artifacts", "trials"):
                    value = tuple(value)
                kw[f.name] = value
            return cls(**kw)
        except TypeError as err:
            raise ValidationError(f"malformed ground truth: {err}") from None

    def to_dataframe(self, table: str = "activations") -> pd.DataFrame:
        """One table of the ground truth as a pandas DataFrame.

        Parameters
        ----------
        table : {"activations", "channels", "movements", "r_peaks", "artifacts", \
"faults", "trials"}
            ``activations``: one row per activation (channel, muscle, side, trial,
            phase, onset, offset, ramp_on, ramp_off, amplitude_mvc [%],
            amplitude_v [V RMS], mdf_slope [%/s]).  ``channels``: one row per EMG
            channel (mvc_rms_v, noise_rms_v, mdf_hz, ecg_r_v, mains_v, fault...).
        """
        import pandas as pd

        from .._validate import check_option

        check_option("table", table, _TABLES)
        if table == "activations":
            cols = [f.name for f in fields(Activation)]
            return pd.DataFrame([asdict(a) for a in self.activations], columns=cols)
        if table == "movements":
            cols = [f.name for f in fields(Movement)]
            return pd.DataFrame([asdict(m) for m in self.movements], columns=cols)
        if table == "r_peaks":
            return pd.DataFrame({"time_s": list(self.r_peaks)})
        if table == "artifacts":
            return pd.DataFrame(list(self.artifacts),
                                columns=["kind", "channel", "onset", "duration",
                                         "amplitude_v"])
        if table == "trials":
            return pd.DataFrame(list(self.trials),
                                columns=["trial", "onset", "duration", "cue"])
        if table == "faults":
            rows = [{"channel": ch, "kind": f["kind"], "start": s, "end": e}
                    for ch, f in self.faults.items() for s, e in f["intervals"]]
            return pd.DataFrame(rows, columns=["channel", "kind", "start", "end"])
        rows = []
        for ch, mus in zip(self.channels, self.muscles):
            rows.append({
                "channel": ch, "muscle": mus,
                "mvc_rms_v": self.mvc_rms_v.get(ch), "noise_rms_v": self.noise_rms_v.get(ch),
                "mdf_hz": self.mdf_hz.get(ch),
                "mdf_slope_hz_per_s": self.mdf_slope_hz_per_s.get(ch, 0.0),
                "ecg_r_v": self.ecg_r_v.get(ch, 0.0), "mains_v": self.mains_v.get(ch, 0.0),
                "dc_offset_v": self.dc_offset_v.get(ch, 0.0),
                "fault": self.faults.get(ch, {}).get("kind"),
            })
        return pd.DataFrame(rows)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write to a JSON file (see :func:`save_truth`)."""
        return save_truth(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> GroundTruth:
        """Read a file written by :meth:`save` (see :func:`load_truth`)."""
        return load_truth(path)

    def __repr__(self) -> str:
        n_task = sum(a.phase != "mvc" for a in self.activations)
        return (f"<GroundTruth | {self.protocol}/{self.variant}, {len(self.channels)} EMG "
                f"channels, {len(self.trials)} trials, {n_task} activations, "
                f"{self.sfreq:g} Hz, SNR {self.snr_db:g} dB, seed {self.seed}>")


def _truth_path(path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    if not p.name.endswith(".json"):
        p = p.with_name(p.name + ".truth.json")
    return p


def save_truth(truth: GroundTruth, path: str | os.PathLike[str]) -> Path:
    """Write a ground truth as JSON.

    Parameters
    ----------
    truth : GroundTruth
        What to write.
    path : path-like
        Output file.  A name not ending in ``.json`` gets ``.truth.json`` appended
        (``session.bdf`` -> ``session.bdf.truth.json``).

    Returns
    -------
    Path
        The file written.
    """
    if not isinstance(truth, GroundTruth):
        raise ValidationError(f"truth must be a GroundTruth; got {type(truth).__name__}")
    p = _truth_path(path)
    text = json.dumps(truth.to_dict(), indent=1, allow_nan=False)
    p.write_text(text + "\n", encoding="utf-8")
    return p


def load_truth(path: str | os.PathLike[str]) -> GroundTruth:
    """Read a ground truth written by :func:`save_truth`.

    Raises
    ------
    RecordingFileNotFoundError
        If the file does not exist.
    FileFormatError
        If it is not valid JSON or not a ground truth of a known version.
    """
    p = Path(path)
    if not p.exists() and _truth_path(p).exists():
        p = _truth_path(p)
    if not p.exists():
        raise RecordingFileNotFoundError(f"ground-truth file not found: {p}")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        line = getattr(err, "lineno", None)
        raise FileFormatError(f"not valid JSON ({err})", p, line) from None
    try:
        return GroundTruth.from_dict(data)
    except ValidationError as err:
        raise FileFormatError(str(err), p) from None
