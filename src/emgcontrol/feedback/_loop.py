"""The live loop: board -> FeedbackProcessor -> displays, with latency measured.

Latency is measured end to end with BrainFlow's timestamps: for each block,
``time.time()`` right after processing (``update``) and right after a display
redraw (``display``) minus the timestamp of the newest sample of the block.
BrainFlow's timestamps are host arrival times, so the radio/USB path before the
host is not included (see :data:`emgcontrol.acquire.SFREQ_CAVEATS`); an older
sample of the same block waited up to the block's span longer.  Processing time
per block is measured with ``time.perf_counter``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._validate import check_positive
from ..errors import ValidationError
from ._display import Display, make_display
from ._processor import FeedbackEvent, FeedbackProcessor

__all__ = ["run_feedback", "FeedbackResult", "capture_reference", "reference_from_capture",
           "latency_stats", "filter_stages", "warmup"]


def latency_stats(values: Sequence[float]) -> dict[str, float]:
    """``n``, ``median``, ``p95``, ``p99``, ``max``, ``mean`` of a sample (NaN when empty)."""
    a = np.asarray(values, dtype=float)
    if a.size == 0:
        nan = float("nan")
        return {"n": 0, "median": nan, "p95": nan, "p99": nan, "max": nan, "mean": nan}
    return {"n": int(a.size), "median": float(np.median(a)),
            "p95": float(np.percentile(a, 95)), "p99": float(np.percentile(a, 99)),
            "max": float(a.max()), "mean": float(a.mean())}


def filter_stages(sfreq: float, l_freq: float = 20.0, h_freq: float | None = None,
                  notch: float | None = 50.0) -> list[Any]:
    """The causal filter stages of the feedback chain at ``sfreq`` (band-pass, notch)."""
    import warnings

    from ..errors import EmgcontrolWarning
    from ..signal import BandPass, Notch, default_band

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EmgcontrolWarning)
        lo, hi = default_band(sfreq, l_freq, h_freq)
    stages: list[Any] = [BandPass(lo, hi)]
    if notch is not None and notch < sfreq / 2:
        stages.append(Notch(float(notch)))
    return stages


def warmup() -> float:
    """Load (or compile) the kernels of the live chain so the first block is fast.

    Returns
    -------
    float
        Seconds spent.
    """
    t0 = time.perf_counter()
    from ..onset import OnsetDetector
    from ..signal import warmup as signal_warmup

    signal_warmup(offline=False)
    rng = np.random.default_rng(0)
    det = OnsetDetector(250.0, 2, thresholds={"thr_on": [1e9, 1e9], "thr_off": [1e9, 1e9],
                                              "sig0": [1.0, 1.0]})
    det.process(rng.standard_normal((2, 64)) * 1e-5)
    det.flush()
    return time.perf_counter() - t0


@dataclass
class FeedbackResult:
    """What a live feedback run produced.

    Attributes
    ----------
    movements : list of dict
        One summary per movement: ``movement``, ``start_s``, ``end_s``, ``judged``,
        ``onsets`` (channel -> s), ``peaks`` (channel -> level), ``checks`` (events
        as dicts), ``n_violations``.
    events : list of FeedbackEvent
        Every event.
    latency : dict
        ``processing_us`` (per block), ``update_ms`` (newest sample -> feedback
        computed), ``display_ms`` (newest sample -> display redrawn): each
        :func:`latency_stats`.
    n_blocks, n_samples : int
        Blocks and samples processed.
    sfreq : float
        Sampling rate, Hz.
    settings : dict
        The processor's settings (band, unit, reference, targets, notes).
    session : dict
        Board, dropped samples, channel flags, reconnections, recording path.
    """

    movements: list[dict[str, Any]]
    events: list[FeedbackEvent]
    latency: dict[str, dict[str, float]]
    n_blocks: int
    n_samples: int
    sfreq: float
    settings: dict[str, Any]
    session: dict[str, Any] = field(default_factory=dict)

    @property
    def violations(self) -> list[FeedbackEvent]:
        """Every missed target (zone, order, missing activation)."""
        return [e for e in self.events if e.violation and e.kind != "movement"]

    @property
    def duration(self) -> float:
        """Seconds of data processed."""
        return self.n_samples / self.sfreq

    def summary(self) -> str:
        """A few lines for a user."""
        lat = self.latency
        n_mov = sum(1 for m in self.movements if m["judged"])
        lines = [f"live feedback: {self.duration:.1f} s, {self.n_blocks} blocks, "
                 f"{n_mov} movement(s) judged, {len(self.violations)} target(s) missed"]
        for v in self.violations:
            lines.append(f"  !! movement {v.movement}: {v.message}")
        p, u, d = lat["processing_us"], lat["update_ms"], lat["display_ms"]
        lines.append(f"  processing per block: median {p['median']:.0f} us, "
                     f"p99 {p['p99']:.0f} us")
        lines.append(f"  latency newest sample -> feedback: median {u['median']:.1f} ms, "
                     f"p99 {u['p99']:.1f} ms" + (
                         f"; -> display: median {d['median']:.1f} ms, p99 {d['p99']:.1f} ms"
                         if d["n"] else ""))
        drop = self.session.get("dropped_samples") or {}
        if drop.get("count"):
            lines.append(f"  dropped samples: {drop['count']}")
        if self.session.get("record_path"):
            lines.append(f"  recorded to {self.session['record_path']}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"movements": self.movements, "events": [e.to_dict() for e in self.events],
                "violations": [e.to_dict() for e in self.violations],
                "latency": self.latency, "n_blocks": self.n_blocks,
                "n_samples": self.n_samples, "sfreq": self.sfreq, "settings": self.settings,
                "session": self.session}

    def to_dataframe(self) -> Any:
        """One row per check (zone, order, missing) of each movement (pandas)."""
        import pandas as pd

        rows = []
        for m in self.movements:
            for c in m["checks"]:
                rows.append({"movement": m["movement"], "kind": c["kind"],
                             "target": c["target"], "channel": c["channel"],
                             "value": c["value"], "violation": c["violation"],
                             "message": c["message"]})
        return pd.DataFrame(rows, columns=["movement", "kind", "target", "channel", "value",
                                           "violation", "message"])


# ------------------------------------------------------------------ reference
def reference_from_capture(data: np.ndarray, sfreq: float, ch_names: Sequence[str],
                           muscles: Sequence[Any], windows: Mapping[str, Sequence[tuple[
                               float, float]]] | Sequence[tuple[float, float]], *,
                           method: str = "mvc", stages: Sequence[Any] | None = None,
                           window_s: float = 0.5) -> Any:
    """Reference amplitudes from captured raw data, filtered like the live chain.

    Parameters
    ----------
    data : ndarray, shape (n_channels, n)
        Raw EMG in volts.
    sfreq : float
        Hz.
    ch_names, muscles : sequence
        Channel names and muscles.
    windows : sequence of (start_s, stop_s)
        The contractions (every channel takes its largest value over all of them).
    method : {"mvc", "rvc"}
        Largest ``window_s`` RMS (MVC) or RMS over the windows (RVC).
    stages : sequence of Stage, optional
        Causal filter (default :func:`filter_stages`).

    Returns
    -------
    emgcontrol.metrics.NormalizationReference
    """
    from ..metrics import compute_mvc_reference
    from ..recording import Recording
    from ..signal import Pipeline

    x = np.ascontiguousarray(data, dtype=np.float64)
    stages = list(stages) if stages is not None else filter_stages(sfreq)
    y = Pipeline(stages, sfreq, x.shape[0]).process(x)
    wins = [w for ws in windows.values() for w in ws] if isinstance(windows, Mapping) \
        else list(windows)
    label = "mvc" if method == "mvc" else "rvc"
    rec = Recording(y, sfreq, list(ch_names), muscles=list(muscles),
                    events=[(a, b - a, label) for a, b in wins])
    return compute_mvc_reference(rec, method=method, window_s=window_s, label=label)


def capture_reference(session: Any, *, method: str = "mvc", seconds: float = 5.0,
                      rest_s: float = 3.0, muscles: Sequence[str] | None = None,
                      prompt: Callable[[str], Any] = print, stages: Sequence[Any] | None = None,
                      stop: threading.Event | None = None) -> Any:
    """Guide a short MVC (or reference) capture on a streaming session.

    For each muscle (both sides together) the subject is asked to contract as
    hard as possible (``method="mvc"``) or to hold the reference task
    (``"rvc"``) for ``seconds``, then to rest ``rest_s``.  A marker
    ``"mvc:<muscle>"`` is inserted at each start, so the contractions are in the
    recording too.  The reference is the largest 0.5 s RMS (MVC) or the RMS
    (RVC) of the causally filtered signal, as the live envelopes are filtered.

    Parameters
    ----------
    session : BoardSession
        Streaming (it is started if needed).
    method : {"mvc", "rvc"}
    seconds, rest_s : float
        Contraction and rest durations.
    muscles : sequence of str, optional
        Muscle ids to capture, in order (default: every muscle of the montage).
    prompt : callable
        Shows the instructions (default ``print``).
    stages : sequence of Stage, optional
        Causal filter (default :func:`filter_stages` at the session's rate).

    Returns
    -------
    emgcontrol.metrics.NormalizationReference
    """
    if method not in ("mvc", "rvc"):
        raise ValidationError(f"method must be 'mvc' or 'rvc'; got {method!r}")
    seconds = check_positive("seconds", seconds)
    if method == "mvc" and seconds < 0.5:
        raise ValidationError(
            f"seconds must be at least the 0.5 s window of the MVC reference; got {seconds!r}")
    rest_s = check_positive("rest_s", rest_s, allow_zero=True)
    if not session.is_streaming:
        session.start()
    refs = session.muscles
    if muscles is None:
        order: list[str] = []
        for r in refs:
            if r is not None and r.muscle not in order:
                order.append(r.muscle)
        groups = order or ["all channels"]
    else:
        groups = [str(m) for m in muscles]
    chunks: list[np.ndarray] = []
    windows: list[tuple[float, float]] = []
    n0: int | None = None
    word = "as hard as you can" if method == "mvc" else "at the reference level"
    for k, g in enumerate(groups, 1):
        prompt(f"{method.upper()} {k}/{len(groups)}: contract {g.replace('_', ' ')} "
               f"{word} for {seconds:g} s -- now")
        try:
            session.marker(f"{method}:{g}")
        except Exception:  # pragma: no cover - markers are a bonus here
            pass
        for phase, dur in (("contract", seconds), ("rest", rest_s)):
            if dur == 0:
                continue
            start = None
            end = None
            for blk in session.blocks(poll_s=0.01, stop=stop):
                if n0 is None:
                    n0 = blk.first_sample
                if start is None:
                    start = blk.first_sample
                chunks.append(blk.data)
                end = blk.first_sample + blk.n_samples
                if end - start >= dur * session.sfreq:
                    break
            if phase == "contract" and start is not None and end is not None:
                windows.append(((start - n0) / session.sfreq, (end - n0) / session.sfreq))
            if phase == "contract":
                prompt("rest" if rest_s else "done")
    if not chunks:
        raise ValidationError("no data arrived during the reference capture")
    data = np.concatenate(chunks, axis=1)
    return reference_from_capture(data, session.sfreq, session.ch_names, session.muscles,
                                  windows, method=method,
                                  stages=stages or filter_stages(session.sfreq))


# ----------------------------------------------------------------------- loop
def run_feedback(
    session: Any = None,
    *,
    board: Any = "simulated",
    targets: Any = None,
    reference: Any = "auto",
    display: Any = "terminal",
    duration: float | None = None,
    record_to: Any = None,
    overwrite: bool = False,
    stop: threading.Event | None = None,
    poll_s: float = 0.005,
    reference_seconds: float = 5.0,
    processor_options: Mapping[str, Any] | None = None,
    **board_options: Any,
) -> FeedbackResult:
    """Run live biofeedback: stream, process every block, update displays.

    Parameters
    ----------
    session : BoardSession, optional
        An open session (default: open ``board`` with ``board_options``; for the
        simulated board the protocol's targets are the default).
    board : str
        Board when no session is given (default ``"simulated"``).
    targets : Targets, pattern, name, path or mapping, optional
        Zones and order rules (default: for the simulated board, its protocol's
        pattern or built-in targets; otherwise none).
    reference : str, NormalizationReference, mapping, Recording, path or None
        %MVC reference: ``"auto"``, ``"capture"``, ``"mvc"``, ``"rvc"``, a reference,
        a recording or None.  ``"auto"``: the simulated board's subject (its MVC
        block simulated and filtered like the live chain); for other boards none
        (envelopes in uV).  ``"capture"``/``"mvc"``/``"rvc"``: a guided capture
        (:func:`capture_reference`) before the feedback starts.  A Recording or
        a file: :func:`emgcontrol.metrics.compute_mvc_reference` on it, filtered
        like the live chain.
    display : "terminal", "matplotlib", Display, callable, list or None
        Where the feedback goes (default the terminal).
    duration : float, optional
        Seconds to run (stream time); None: until ``stop`` is set or Ctrl+C.
    record_to : path, optional
        Also record the session (crash-safe, as :func:`emgcontrol.acquire.record`).
    overwrite : bool
        Replace an existing recording file.
    stop : threading.Event, optional
        Set it to stop.
    poll_s : float
        Polling interval when no data are waiting (default 5 ms).
    reference_seconds : float
        Contraction length of a guided capture.
    processor_options : mapping, optional
        Passed to :class:`FeedbackProcessor` (``l_freq``, ``notch``,
        ``envelope_window``, ``onset_method``, ``onset_baseline``...).
    **board_options
        Options of the board when no session is given.

    Returns
    -------
    FeedbackResult
    """
    from ..acquire import BoardSession

    if duration is not None:
        duration = check_positive("duration", duration)
    displays: list[Display] = make_display(display)
    own = session is None
    if own:
        if board in ("simulated", None) and duration is None:
            board_options.setdefault("loop", True)
        session = BoardSession(board, duration=duration, on_message=None, **board_options)
    opts = dict(processor_options or {})
    sfreq = session.sfreq

    def say(text: str) -> None:
        for d in displays:
            d.message(text)

    session._on_message = say if displays else session._on_message
    try:
        session.open()
        if targets is None and session.simulation is not None:
            targets = session.simulation.protocol
        stages = filter_stages(sfreq, opts.get("l_freq", 20.0), opts.get("h_freq"),
                               opts.get("notch", 50.0))
        ref = _resolve_reference(reference, session, stages)
        warmup()
        if not session.is_streaming:
            session.start(record_to=record_to, overwrite=overwrite)
        if isinstance(ref, str):  # guided capture on the running stream
            ref = capture_reference(session, method="rvc" if ref == "rvc" else "mvc",
                                    seconds=reference_seconds, prompt=say, stages=stages,
                                    stop=stop)
        proc = FeedbackProcessor(sfreq, session.ch_names, session.muscles, targets=targets,
                                 reference=ref, **opts)
        info = proc.describe()
        info["labels"] = proc.labels
        info["zones_by_channel"] = proc.zone_of
        for d in displays:
            d.open(info)
        if ref is None:
            say("no %MVC reference: envelopes in uV, zones not checked (reference='capture' "
                "or an MVC recording gives %MVC)")
        proc_us: list[float] = []
        upd_ms: list[float] = []
        disp_ms: list[float] = []
        last_draw = [-np.inf] * len(displays)
        n_blocks = 0
        for blk in session.blocks(duration, poll_s=poll_s, stop=stop):
            t0 = time.perf_counter()
            state = proc.process(blk.data, blk.first_sample)
            proc_us.append((time.perf_counter() - t0) * 1e6)
            newest = float(blk.timestamps[-1])
            state.received = newest
            upd_ms.append((time.time() - newest) * 1e3)
            n_blocks += 1
            extra = _signal_events(blk)
            for d_i, d in enumerate(displays):
                for ev in extra + state.events:
                    d.event(ev)
                now = time.monotonic()
                if now - last_draw[d_i] >= 1.0 / d.fps:
                    last_draw[d_i] = now
                    d.update(state)
                    disp_ms.append((time.time() - newest) * 1e3)
        last = session.stop()
        if last is not None:
            proc.process(last.data, last.first_sample)
        final = proc.flush()
        for d in displays:
            for ev in final:
                d.event(ev)
        desc = session.describe()
        result = FeedbackResult(
            movements=proc.movements, events=list(proc.events),
            latency={"processing_us": latency_stats(proc_us),
                     "update_ms": latency_stats(upd_ms),
                     "display_ms": latency_stats(disp_ms)},
            n_blocks=n_blocks, n_samples=proc._n_seen, sfreq=sfreq, settings=proc.describe(),
            session={"board": session.name, "dropped_samples": desc["dropped_samples"],
                     "channel_flags": desc["channel_flags"],
                     "reconnections": desc["reconnections"],
                     "record_path": None if session.record_path is None
                     else str(session.record_path)})
        for d in displays:
            d.close(result)
        return result
    finally:
        if own:
            session.close()


def _signal_events(blk: Any) -> list[FeedbackEvent]:
    out = []
    for g in blk.gaps:
        out.append(FeedbackEvent("signal", g["time_s"], f"{g['n_missing']} sample(s) lost "
                                 f"({g['source']})", False, detail=dict(g)))
    for f in blk.flags:
        out.append(FeedbackEvent("signal", f.time_s, f.message(), f.active, f.channel,
                                 detail=f.to_dict()))
    return out


def _resolve_reference(reference: Any, session: Any, stages: Sequence[Any]) -> Any:
    import os

    if reference is None:
        return None
    if isinstance(reference, str) and reference in ("auto", "capture", "mvc", "rvc"):
        if reference == "auto":
            if session.simulation is not None:
                return simulated_reference(session.simulation, stages)
            return None
        return reference
    from ..recording import Recording

    if isinstance(reference, (str, os.PathLike)):
        from ..io import read

        reference = read(reference)
    if isinstance(reference, Recording):
        from ..metrics import compute_mvc_reference

        return compute_mvc_reference(filter_causal(reference, stages))
    return reference


def filter_causal(rec: Any, stages: Sequence[Any] | None) -> Any:
    """Apply causal pipeline stages to the EMG (and ECG) channels of a recording.

    What the live feedback does to its stream, applied offline to a reference
    recording so that its %MVC scale matches the live envelopes.

    Parameters
    ----------
    rec : Recording
        The recording (volts).
    stages : sequence of stages, optional
        :mod:`emgcontrol.signal` pipeline stages (default: ``[BandPass()]``).

    Returns
    -------
    Recording
        A new recording with a ``causal_filter`` history step.
    """
    from ..signal import BandPass, Pipeline

    stages = list(stages) if stages is not None else [BandPass()]
    idx = [i for i, t in enumerate(rec.ch_types) if t in ("emg", "ecg")]
    pipe = Pipeline(stages, rec.sfreq, len(idx))
    data = rec.data.copy()
    data[idx] = pipe.process(rec.data[idx])
    return rec.with_step("causal_filter", {"stages": pipe.params()}, data=data)


def simulated_reference(simulation: Any, stages: Sequence[Any] | None = None, *,
                        window_s: float = 0.5) -> Any:
    """MVC reference of a simulated board's subject, measured like a live MVC capture.

    The board's MVC block (:meth:`emgcontrol.acquire.SimulatedBoard.mvc_recording`:
    same subject, seed and rate) is filtered by ``stages`` (causal, as the live
    feedback filters) and passed to :func:`emgcontrol.metrics.compute_mvc_reference`
    (largest ``window_s`` RMS within each muscle's MVC plateau).

    Parameters
    ----------
    simulation : SimulatedBoard
        ``BoardSession.simulation`` of a session on the simulated board.
    stages : sequence of stages, optional
        The feedback's causal filter stages (default: ``[BandPass()]``).
    window_s : float
        RMS window, s (default 0.5).

    Returns
    -------
    emgcontrol.metrics.NormalizationReference
    """
    from ..metrics import compute_mvc_reference

    rec = filter_causal(simulation.mvc_recording(), stages)
    return compute_mvc_reference(rec, method="mvc", window_s=window_s, label="mvc")
