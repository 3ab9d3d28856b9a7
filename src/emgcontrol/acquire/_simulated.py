"""The built-in ``"simulated"`` board: the simulator replayed by BrainFlow.

A session of :func:`emgcontrol.simulate.simulate` is written as a BrainFlow CSV
file (:func:`emgcontrol.io.write_brainflow_csv`, Cyton layout; Cyton+Daisy for
more than 8 channels) and replayed by BrainFlow's ``PLAYBACK_FILE_BOARD`` with
that master board and ``config_board("new_timestamps")``, so the data go
through BrainFlow's real acquisition path: its streaming thread, ring buffer,
timestamps, markers and file streamer.  The simulated session's events
(``trial``, ``cue``, ``mvc``) become BrainFlow markers: the playback board does
not replay a file's marker row, so the session inserts them
(``insert_marker``) when the stream reaches them; they land on the first sample
after the poll that reached them (at most one polling block late).

Faults of a real acquisition can be staged: ``drop=[(time_s, n_samples)]``
removes samples while the package counter advances (a radio loss), and
``cable_pull=(time_s, duration_s)`` ends the stream at ``time_s`` and refuses
reconnection for ``duration_s`` seconds (a pulled dongle), after which the
replay resumes where the virtual subject is by then.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .._validate import check_positive
from ..errors import ValidationError
from ..recording import Recording

__all__ = ["SimulatedBoard", "SIMULATION_OPTIONS"]

SIMULATION_OPTIONS = ("protocol", "variant", "seed", "snr_db", "n_trials", "faults",
                      "mvc", "montage", "mains_hz", "ecg", "motion_v", "start_s", "drop",
                      "cable_pull", "loop", "openbci")
"""Keyword arguments that configure the simulated board."""

_TRIAL_S = {"prone-hip-extension": 8.0, "flexion-relaxation": 14.0, "arm-raise": 6.0,
            "sorensen": 66.0, "lift": 8.0}
_PERIOD = 256  # replayed lengths are multiples of the counter period: seamless loops


@dataclass
class SimulatedBoard:
    """Configuration and state of the simulated board.

    Parameters
    ----------
    protocol : str
        Simulated protocol (default ``"prone-hip-extension"``).
    variant : str
        Its variant (default ``"typical"``).
    seed : int
        Simulator seed (default 0).
    snr_db : float
        Signal-to-noise ratio (default 20 dB).
    n_trials : int, optional
        Trials to simulate; default 5, or more when the session's duration needs
        them.
    faults : mapping, optional
        Electrode faults per channel (``{"GMax L": "railed"}``), as in the simulator.
    mvc : bool
        Start with the simulator's MVC block (default False).
    montage : optional
        Montage of the simulated subject (default the protocol's).
    mains_hz, ecg, motion_v :
        As in :func:`~emgcontrol.simulate.simulate`.
    openbci : bool
        Cyton front end (DC offset, rails, quantisation; default True).
    start_s : float
        Skip the first seconds of the simulated session (default 0: a 2 s quiet
        lead-in, then the first trial).
    drop : sequence of (time_s, n_samples)
        Radio losses: samples removed at those stream times while the package
        counter advances (reported as dropped samples).
    cable_pull : (time_s, duration_s), optional
        The replay stops at ``time_s`` and reconnection fails for ``duration_s``.
    loop : bool
        Replay in a loop (BrainFlow ``loopback_true``) for open-ended live sessions.
    """

    protocol: str = "prone-hip-extension"
    variant: str = "typical"
    seed: int = 0
    snr_db: float = 20.0
    n_trials: int | None = None
    faults: Mapping[str, str] | None = None
    mvc: bool = False
    montage: Any = None
    mains_hz: float | None = 50.0
    ecg: bool | float | None = None
    motion_v: float = 50e-6
    openbci: bool = True
    start_s: float = 0.0
    drop: Sequence[tuple[float, int]] = ()
    cable_pull: tuple[float, float] | None = None
    loop: bool = False
    workdir: Path | None = None
    # state
    recording: Recording | None = field(default=None, init=False, repr=False)
    truth: Any = field(default=None, init=False, repr=False)
    table: np.ndarray | None = field(default=None, init=False, repr=False)
    layout: dict[str, Any] | None = field(default=None, init=False, repr=False)
    marker_labels: dict[float, str] = field(default_factory=dict, init=False)
    marker_events: list[tuple[int, float]] = field(default_factory=list, init=False)
    dropped_truth: list[dict[str, Any]] = field(default_factory=list, init=False)
    segments: list[dict[str, Any]] = field(default_factory=list, init=False)
    _tmp: Any = field(default=None, init=False, repr=False)
    _stream_t0: float | None = field(default=None, init=False, repr=False)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> SimulatedBoard:
        """Build from keyword options (names in :data:`SIMULATION_OPTIONS`)."""
        unknown = sorted(set(options) - set(SIMULATION_OPTIONS) - {"workdir"})
        if unknown:
            raise ValidationError(
                f"unknown option(s) {', '.join(unknown)} for the simulated board; allowed: "
                f"{', '.join(SIMULATION_OPTIONS)}")
        return cls(**dict(options))

    # ------------------------------------------------------------------ build
    def build(self, duration: float | None = None) -> None:
        """Simulate the session and prepare the replay table (once)."""
        if self.table is not None:
            return
        from ..io.brainflow_csv import board_layout
        from ..simulate import simulate

        start = check_positive("start_s", self.start_s, allow_zero=True)
        if self.cable_pull is not None:
            self._pull()
        n_trials = self.n_trials
        if n_trials is None:
            per = _TRIAL_S.get(str(self.protocol), 8.0)
            need = (duration or 0.0) + start + 5.0
            # the protocol's usual 5 trials unless the duration needs more: the same
            # seed gives the same session whatever the duration asked for
            n_trials = int(min(100, max(5, math.ceil(need / per))))
        mont = self.montage
        if isinstance(mont, str):
            from ..montage import PRESETS, get_preset

            mont = get_preset(mont) if mont in PRESETS else mont
        # the board's rate depends on the channel count: simulate at 250 Hz first
        # only to learn the montage size when a montage is given; else protocol default
        kw = dict(snr_db=self.snr_db, seed=self.seed, n_trials=n_trials, faults=self.faults,
                  mvc=self.mvc, mains_hz=self.mains_hz, ecg=self.ecg, motion_v=self.motion_v,
                  openbci=self.openbci, montage=mont)
        probe, _ = simulate(self.protocol, self.variant, sfreq=250.0, **{**kw, "n_trials": 1})
        n_emg = sum(t in ("emg", "ecg") for t in probe.ch_types)
        board = "cyton" if n_emg <= 8 else "cyton-daisy"
        if n_emg > 16:
            raise ValidationError(
                f"the simulated board has at most 16 channels (Cyton+Daisy); the montage "
                f"has {n_emg}")
        lay = board_layout(board)
        rec, truth = simulate(self.protocol, self.variant, sfreq=lay["sfreq"], **kw)
        if start > 0:
            if start >= rec.duration - 1.0:
                raise ValidationError(
                    f"start_s={start} leaves less than 1 s of the {rec.duration:g} s session")
            rec = rec.crop(tmin=start)
        n = (rec.n_times // _PERIOD) * _PERIOD
        if n < rec.n_times:
            rec = rec.crop(tmax=(n - 0.5) / rec.sfreq)
        rec = rec.with_step("simulated_board", {"start_s": start, "n_times": rec.n_times})
        # full table in board rows (counter = sample index), via the project's writer
        tmpdir = self._workdir()
        full = tmpdir / "simulated_full.csv"
        from ..io import write_brainflow_csv

        write_brainflow_csv(rec, full, board=board)
        from brainflow.data_filter import DataFilter

        table = np.ascontiguousarray(DataFilter.read_file(str(full)))
        codes = {}
        side = json.loads((full.parent / (full.name + ".json")).read_text())
        events = []
        for ev in side.get("events", []):
            codes[float(ev["code"])] = str(ev["label"])
            events.append((int(ev["sample"]), float(ev["code"])))
        self.recording = rec
        self.truth = truth
        self.layout = lay
        self.marker_labels = codes
        self.table = self._apply_drops(table, rec.sfreq, lay)
        # BrainFlow's playback board does not replay the marker row: the session
        # inserts these markers when the stream reaches them (kept-sample indices)
        removed = [(d["source_sample"] - d["n_missing"], d["n_missing"])
                   for d in self.dropped_truth]
        for sample, code in sorted(events):
            if any(a <= sample < a + k for a, k in removed):
                continue
            shift = sum(k for a, k in removed if a + k <= sample)
            self.marker_events.append((sample - shift, code))

    def _workdir(self) -> Path:
        if self.workdir is not None:
            p = Path(self.workdir)
            p.mkdir(parents=True, exist_ok=True)
            return p
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="emgcontrol-simulated-")
        return Path(self._tmp.name)

    def _apply_drops(self, table: np.ndarray, sfreq: float, lay: Mapping[str, Any]
                     ) -> np.ndarray:
        drops = []
        for item in self.drop or ():
            try:
                t, k = float(item[0]), int(item[1])
            except (TypeError, ValueError, IndexError):
                raise ValidationError(
                    f"drop entries must be (time_s, n_samples); got {item!r}") from None
            if not (t > 0 and k > 0):
                raise ValidationError(
                    f"drop entries need time_s > 0 and n_samples > 0; got {item!r}")
            drops.append((int(round(t * sfreq)), k))
        if not drops:
            return table
        keep = np.ones(table.shape[1], dtype=bool)
        removed = 0
        for s, k in sorted(drops):
            if s + k >= table.shape[1]:
                raise ValidationError(f"drop at sample {s} (+{k}) is past the simulated "
                                      f"session ({table.shape[1]} samples)")
            keep[s:s + k] = False
            # the first sample after the gap, as an index of the kept samples
            self.dropped_truth.append({"sample": s - removed, "n_missing": k,
                                       "source_sample": s + k})
            removed += k
        return np.ascontiguousarray(table[:, keep])

    # ----------------------------------------------------------- replay files
    def next_file(self, attempt_time: float) -> Path | None:
        """The file to replay now (None: the simulated cable is still unplugged).

        Parameters
        ----------
        attempt_time : float
            ``time.time()`` of the connection attempt.
        """
        assert self.table is not None
        n = self.table.shape[1]
        start = 0
        stop = n
        if not self.segments:  # first connection
            if self.cable_pull is not None:
                at, _ = self._pull()
                stop = min(n, max(1, int(round(at * self.layout["sfreq"]))))
        else:
            at, for_s = self._pull()
            t0 = self._stream_t0 if self._stream_t0 is not None else attempt_time
            if attempt_time < t0 + at + for_s:
                return None
            start = int(round((attempt_time - t0) * self.layout["sfreq"]))
            if start >= n - 1:  # the virtual session is over: nothing to reconnect to
                return None
        path = self._workdir() / f"replay_{len(self.segments)}.csv"
        from brainflow.data_filter import DataFilter

        DataFilter.write_file(np.ascontiguousarray(self.table[:, start:stop]), str(path), "w")
        self.segments.append({"start": start, "stop": stop, "file": str(path)})
        return path

    def _pull(self) -> tuple[float, float]:
        cp = self.cable_pull
        try:
            at, for_s = float(cp[0]), float(cp[1])  # type: ignore[index]
        except (TypeError, ValueError, IndexError):
            raise ValidationError(
                f"cable_pull must be (time_s, duration_s); got {cp!r}") from None
        if not (at > 0 and for_s >= 0):
            raise ValidationError(f"cable_pull needs time_s > 0, duration_s >= 0; got {cp!r}")
        return at, for_s

    def stream_started(self, t: float) -> None:
        """Note when the first replay started (the virtual subject's clock)."""
        if self._stream_t0 is None:
            self._stream_t0 = t

    def describe(self) -> dict[str, Any]:
        """JSON-ready description for metadata."""
        out = {"protocol": self.protocol, "variant": self.variant, "seed": self.seed,
               "snr_db": self.snr_db, "openbci": self.openbci, "start_s": self.start_s,
               "mvc": self.mvc, "faults": dict(self.faults or {})}
        if self.drop:
            out["drop"] = [list(d) for d in self.drop]
        if self.cable_pull is not None:
            out["cable_pull"] = list(self.cable_pull)
        if self.recording is not None:
            out["n_trials"] = self.recording.meta.get("n_trials")
        return out

    def mvc_recording(self) -> Recording:
        """The simulated subject's MVC block: raw, as a live MVC capture would record it.

        The simulator's MVC contractions for the same subject (same seed, faults,
        montage and rate as the stream), with their ``"mvc"`` events, cropped
        0.5 s after the last contraction.  The caller filters it and computes the
        reference from it (the live feedback does so with its own causal filter
        and :func:`emgcontrol.metrics.compute_mvc_reference`); the board itself
        computes no metric.

        Returns
        -------
        Recording
            Unfiltered, in volts.
        """
        from ..simulate import simulate

        self.build()
        assert self.recording is not None
        kw = dict(snr_db=self.snr_db, seed=self.seed, n_trials=1, faults=self.faults,
                  mvc=True, mains_hz=self.mains_hz, ecg=self.ecg, motion_v=self.motion_v,
                  openbci=self.openbci, montage=self.montage if not isinstance(
                      self.montage, str) else _preset_or(self.montage))
        rec, _ = simulate(self.protocol, self.variant, sfreq=self.recording.sfreq, **kw)
        mvc_events = [e for e in rec.events if e.label == "mvc"]
        stop = max(e.onset + e.duration for e in mvc_events) + 0.5
        return rec.crop(tmax=min(stop, rec.duration - 1.0 / rec.sfreq))

    def close(self) -> None:
        """Remove temporary files."""
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _preset_or(name: str) -> Any:
    from ..montage import PRESETS, get_preset

    return get_preset(name) if name in PRESETS else name
