"""``serve_feedback``: live feedback in the browser with the clinician's controls.

One page serves a sequence of runs: each run opens the board, streams, records
(crash-safe, as :func:`emgcontrol.acquire.record`) and feeds
:func:`emgcontrol.feedback.run_feedback` with a :class:`WebDisplay`.  From the
clinician panel: *Stop* ends the run (the recording is closed properly), *Start*
begins the next one (recorded to ``NAME-2.csv``, ``NAME-3.csv``...), *Level*
switches the pattern's training level and *MVC* starts a run with a guided MVC
capture whose reference the following runs keep (both restart a running run),
*Marker* inserts a marker in the stream.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...errors import ValidationError
from ._display import DEFAULT_PORT, WebDisplay

__all__ = ["serve_feedback", "resolve_live_pattern"]


def resolve_live_pattern(pattern: Any, level: int | None = None) -> tuple[Any, Any]:
    """The targets spec and the pattern object for a pattern name, file or object at a level.

    Parameters
    ----------
    pattern : str, path, TargetPattern, Targets, mapping or None
        As :func:`emgcontrol.feedback.get_targets` takes it.
    level : int, optional
        Training level of the pattern (its criteria and targets).

    Returns
    -------
    targets : object
        What to pass as ``targets`` to :func:`~emgcontrol.feedback.run_feedback`.
    pattern : TargetPattern or None
        The resolved pattern (None for built-in live targets and mappings).
    """
    obj: Any = None
    if hasattr(pattern, "criteria"):
        obj = pattern
    elif isinstance(pattern, (str, os.PathLike)):
        from ...patterns import get_pattern, load_pattern

        text = os.fspath(pattern)
        if text.lower().endswith(".toml"):
            obj = load_pattern(text)
        else:
            try:
                obj = get_pattern(text)
            except (ValidationError, KeyError, LookupError):
                obj = None
    if level is not None:
        if isinstance(level, bool) or not isinstance(level, int) or level < 1:
            raise ValidationError(f"level must be an integer >= 1; got {level!r}")
        if obj is None:
            raise ValidationError(
                f"level {level} needs a target pattern with training levels; {pattern!r} "
                "is not one (give --pattern NAME or a .toml file)")
        obj = obj.for_level(level)
    return (obj if obj is not None else pattern), obj


def _numbered(path: Any, k: int) -> Any:
    if path is None or k == 1:
        return path
    p = Path(os.fspath(path))
    return p.with_name(f"{p.stem}-{k}{p.suffix}")


class _Controller:
    def __init__(self, display: WebDisplay, quit_event: threading.Event, level: int | None,
                 reference: Any) -> None:
        self.display = display
        self.quit = quit_event
        self.level = level
        self.reference = reference
        self.start_event = threading.Event()
        self.run_stop = threading.Event()
        self.session: Any = None
        self.running = False
        self.levels: list[dict[str, Any]] = []
        self.pattern_base: Any = None
        self.restart = False

    def command(self, name: str, arg: Any) -> str | None:
        if name == "stop":
            self.restart = False
            self.run_stop.set()
            return "stopping" if self.running else "not running"
        if name == "start":
            if self.running:
                return "already running"
            self.start_event.set()
            return "starting"
        if name == "marker":
            s = self.session
            if s is None or not self.running:
                return "a marker needs a running session"
            label = str(arg or "").strip() or "mark"
            code = s.marker(label)
            t = s.n_samples / s.sfreq
            self.display.publish({"t": "msg", "text": f"marker {label!r} (code {code:g}) at "
                                  f"{t:.2f} s"})
            return None
        if name == "level":
            try:
                lv = int(arg)
            except (TypeError, ValueError):
                return f"level must be a number; got {arg!r}"
            if self.pattern_base is None:
                return "this pattern has no training levels"
            try:
                self.pattern_base.get_level(lv)
            except ValidationError as err:
                return str(err)
            self.level = lv
            return self._restart(f"level {lv}")
        if name == "mvc":
            self.reference = "capture"
            return self._restart("MVC capture")
        return f"unknown command {name!r}"

    def _restart(self, what: str) -> str:
        if self.running:
            self.restart = True
            self.run_stop.set()
            return f"{what}: restarting"
        return f"{what}: applies when you press Start"


def serve_feedback(*, board: Any = "simulated", pattern: Any = None, level: int | None = None,
                   reference: Any = "auto", duration: float | None = None,
                   record_to: Any = None, overwrite: bool = False,
                   host: str = "127.0.0.1", port: int = DEFAULT_PORT, token: str | None = None,
                   display: WebDisplay | None = None, stop: threading.Event | None = None,
                   autostart: bool = True, keep_serving: bool | None = None,
                   reference_seconds: float = 5.0,
                   processor_options: Mapping[str, Any] | None = None,
                   on_result: Any = None, **board_options: Any) -> list[Any]:
    """Serve the live feedback page and run feedback sessions controlled from it.

    Parameters
    ----------
    board : str
        Board (default ``"simulated"``).
    pattern : str, path or TargetPattern, optional
        Target pattern (default: the simulated protocol's).
    level : int, optional
        Training level of the pattern.
    reference : str, NormalizationReference, path or None
        %MVC reference as in :func:`~emgcontrol.feedback.run_feedback`
        (``"capture"`` for a guided MVC; the page's *MVC* button sets it).
    duration : float, optional
        Seconds of each run (None: until Stop or Ctrl+C).
    record_to : path, optional
        Recording of the first run (BrainFlow CSV, crash-safe); later runs add
        ``-2``, ``-3``... to the name.
    overwrite : bool
        Replace existing recordings.
    host, port, token :
        As :class:`WebDisplay` (loopback by default; another host needs a token).
    display : WebDisplay, optional
        Use this display (its server keeps running after return).
    stop : threading.Event, optional
        Set it to stop everything (Ctrl+C in the command line).
    autostart : bool
        Start the first run at once (default) or wait for *Start* on the page.
    keep_serving : bool, optional
        After a run ends, wait for *Start* again (default: when ``duration`` is
        None).
    reference_seconds : float
        Contraction length of a guided MVC capture.
    processor_options : mapping, optional
        Passed to :class:`~emgcontrol.feedback.FeedbackProcessor`.
    on_result : callable, optional
        Called with each run's :class:`~emgcontrol.feedback.FeedbackResult`.
    **board_options
        Board and simulation options (``protocol``, ``variant``, ``faults``...).

    Returns
    -------
    list of FeedbackResult
        One per run.
    """
    from ...acquire import BoardSession
    from .._loop import run_feedback

    quit_event = stop if stop is not None else threading.Event()
    own = display is None
    disp = display if display is not None else WebDisplay(host, port, token=token)
    ctl = _Controller(disp, quit_event, level, reference)
    disp._on_command = ctl.command
    if keep_serving is None:
        keep_serving = duration is None
    results: list[Any] = []
    disp.start()
    try:
        k = 0
        if autostart:
            ctl.start_event.set()
        while not quit_event.is_set():
            if not ctl.restart:
                disp.set_status(running=False, waiting=True)
                while not ctl.start_event.wait(0.1):
                    if quit_event.is_set():
                        return results
            ctl.start_event.clear()
            ctl.restart = False
            ctl.run_stop.clear()
            k += 1
            opts = dict(board_options)
            if board in ("simulated", "sim", None) and duration is None:
                opts.setdefault("loop", True)
            session = BoardSession(board, duration=duration, **opts)
            try:
                spec = pattern
                if spec is None and session.simulation is not None:
                    spec = session.simulation.protocol
                base = resolve_live_pattern(spec)[1]
                ctl.pattern_base = base
                targets, pat = resolve_live_pattern(spec, ctl.level)
                disp.pattern = pat
                levels = [{"level": lv.level, "name": lv.name,
                           "description": lv.description}
                          for lv in getattr(base, "levels", ())]
                path = _numbered(record_to, k)
                ctl.session = session
                ctl.running = True
                disp.set_status(running=True, waiting=False, run=k, board=session.name,
                                record_path=None if path is None else os.fspath(path),
                                level=ctl.level, levels=levels,
                                reference=ctl.reference if isinstance(ctl.reference, str)
                                else type(ctl.reference).__name__)
                watch = threading.Thread(target=_forward, args=(quit_event, ctl.run_stop),
                                         daemon=True)
                watch.start()
                ref = ctl.reference
                if isinstance(ref, str) and ref in ("capture", "mvc", "rvc"):
                    # guided capture on this run's stream (recorded), kept for later runs
                    ref = _capture(session, disp, ref, path, overwrite, reference_seconds,
                                   processor_options, ctl.run_stop)
                    if ref is None:  # stopped during the capture
                        continue
                    ctl.reference = ref
                    disp.set_status(reference="captured MVC")
                result = run_feedback(session, targets=targets, reference=ref, display=disp,
                                      duration=duration, record_to=path, overwrite=overwrite,
                                      stop=ctl.run_stop, reference_seconds=reference_seconds,
                                      processor_options=processor_options)
                results.append(result)
                if on_result is not None:
                    on_result(result)
            finally:
                ctl.running = False
                ctl.session = None
                ctl.run_stop.set()
                session.close()
                disp.set_status(running=False)
            if not keep_serving and not ctl.restart:
                break
        return results
    finally:
        if own:
            disp.stop()


def _capture(session: Any, disp: WebDisplay, kind: str, path: Any, overwrite: bool,
             seconds: float, processor_options: Mapping[str, Any] | None,
             stop: threading.Event) -> Any:
    """Guided MVC/RVC capture at the start of a run; prompts go to the page."""
    from .._loop import capture_reference, filter_stages, warmup

    opts = dict(processor_options or {})
    session.open()
    warmup()
    session.start(record_to=path, overwrite=overwrite)
    stages = filter_stages(session.sfreq, opts.get("l_freq", 20.0), opts.get("h_freq"),
                           opts.get("notch", 50.0))
    disp.message("MVC capture: follow the instructions")
    ref = capture_reference(session, method="rvc" if kind == "rvc" else "mvc",
                            seconds=seconds, prompt=disp.message, stages=stages, stop=stop)
    return None if stop.is_set() else ref


def _forward(src: threading.Event, dst: threading.Event) -> None:
    while not dst.is_set():
        if src.wait(0.1):
            dst.set()
            return
