"""The ``boards``, ``record`` and ``live`` commands of the ``emgcontrol`` CLI.

Wire them into a parser with :func:`add_acquire_commands`::

    sub = parser.add_subparsers(dest="command", required=True)
    add_acquire_commands(sub)          # boards, record, live; each sets func=...

Each command function takes the parsed ``argparse.Namespace`` and returns the
exit code; errors are emgcontrol exceptions for the CLI's usual handling.
``live`` joins a board session (:mod:`emgcontrol.acquire`) to the biofeedback
loop (:mod:`emgcontrol.feedback`) here, above both.  Nothing heavy is imported
here.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import signal
import sys
import threading
import time
from typing import Any

from ..errors import ValidationError
from ._help import one_of, pattern_ids, simulated_protocols

__all__ = ["add_acquire_commands", "add_board_arguments", "boards_command", "record_command",
           "live_command", "boards_text", "board_options_from_args"]

_CONN = ("serial_port", "mac_address", "ip_address", "ip_port", "ip_protocol",
         "serial_number", "other_info", "timeout", "file", "master_board")

RECORD_SUFFIXES = (".csv", ".txt")
"""Extensions of the BrainFlow CSV files ``record`` and ``live --out`` write."""


def check_record_path(out: Any, flag: str = "--out") -> None:
    """Refuse an output name whose extension promises another format than BrainFlow CSV.

    BrainFlow's file streamer writes BrainFlow CSV whatever the name; a file named
    ``s01.bdf`` would hold CSV text.
    """
    import os

    suffix = os.path.splitext(os.fspath(out))[1].lower()
    if suffix not in RECORD_SUFFIXES:
        raise ValidationError(
            f"{flag} {out}: recordings are written as BrainFlow CSV as the data arrive "
            f"(crash-safe); name the file {' or '.join(RECORD_SUFFIXES)}, e.g. s01.csv")


# ------------------------------------------------------------------ arguments
def add_board_arguments(p: argparse.ArgumentParser) -> None:
    """Board selection, connection, reliability and simulation options."""
    g = p.add_argument_group("board")
    g.add_argument("--board", default="simulated",
                   help="board name or BrainFlow id (default: simulated; see `emgcontrol "
                        "boards`)")
    g.add_argument("--montage",
                   help="preset (e.g. cyton-low-back-8), muscles in channel order "
                        "('left multifidus,right multifidus,...') or 'CH=muscle,...'")
    g.add_argument("--serial-port", help="serial port (Cyton, Ganglion dongle)")
    g.add_argument("--mac-address", help="MAC address (Ganglion, BLE boards)")
    g.add_argument("--ip-address", help="IP address (WiFi shield)")
    g.add_argument("--ip-port", type=int, help="local IP port (WiFi shield)")
    g.add_argument("--ip-protocol", type=int, help="BrainFlow IpProtocolTypes value")
    g.add_argument("--serial-number", help="serial number (some boards)")
    g.add_argument("--other-info", help="BrainFlow other_info string")
    g.add_argument("--timeout", type=int, help="BrainFlow connection timeout, s")
    g.add_argument("--file", help="file to replay (board 'playback')")
    g.add_argument("--master-board", help="board whose file is replayed (board 'playback')")
    g.add_argument("--channel-settings", nargs="+", metavar="CMD",
                   help="Cyton channel commands, e.g. x1040100X (gain 8, normal input, "
                        "bias, no SRB2)")
    g.add_argument("--config", nargs="+", metavar="STR",
                   help="other raw config_board strings, sent as given")
    g.add_argument("--stall-timeout", type=float, default=3.0,
                   help="seconds without data before the connection is taken as lost "
                        "(default 3)")
    g.add_argument("--reconnect-attempts", type=int, default=3,
                   help="reconnection attempts after a loss (default 3)")
    s = p.add_argument_group("simulated board (--board simulated)")
    protocols, default = simulated_protocols()
    s.add_argument("--protocol", default=None, help=one_of(protocols, default))
    s.add_argument("--variant", default=None,
                   help="variant (default typical; see `emgcontrol simulate PROTOCOL "
                        "--list-variants`)")
    s.add_argument("--seed", type=int, default=None, help="simulator seed (default 0)")
    s.add_argument("--snr", type=float, default=None, help="SNR in dB (default 20)")
    s.add_argument("--fault", action="append", metavar="CH=KIND",
                   help="electrode fault, e.g. 'GMax L=railed' (railed, flat, "
                        "disconnected, intermittent); repeatable")
    s.add_argument("--drop", action="append", metavar="T:N",
                   help="lose N samples at T s (radio loss); repeatable")
    s.add_argument("--cable-pull", metavar="T:D",
                   help="pull the (virtual) dongle at T s for D s")


def board_options_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of :class:`~emgcontrol.acquire.BoardSession` from parsed args."""
    opts: dict[str, Any] = {}
    for k in _CONN:
        v = getattr(args, k, None)
        if v is not None:
            opts[k] = v
    sim = {"protocol": args.protocol, "variant": args.variant, "seed": args.seed,
           "snr_db": args.snr}
    sim = {k: v for k, v in sim.items() if v is not None}
    if args.fault:
        faults = {}
        for f in args.fault:
            if "=" not in f:
                raise ValidationError(f"--fault must be CH=KIND; got {f!r}")
            ch, kind = f.split("=", 1)
            faults[ch.strip()] = kind.strip()
        sim["faults"] = faults
    if args.drop:
        drops = []
        for d in args.drop:
            try:
                t, n = d.split(":")
                drops.append((float(t), int(n)))
            except ValueError:
                raise ValidationError(f"--drop must be T:N (seconds:samples); got {d!r}") \
                    from None
        sim["drop"] = drops
    if args.cable_pull:
        try:
            t, dur = args.cable_pull.split(":")
            sim["cable_pull"] = (float(t), float(dur))
        except ValueError:
            raise ValidationError(
                f"--cable-pull must be T:D (seconds:seconds); got {args.cable_pull!r}") from None
    from ..acquire import SIMULATED, resolve_board

    name, _ = resolve_board(args.board)
    if sim and name != SIMULATED:
        raise ValidationError(
            f"--protocol/--variant/--seed/--snr/--fault/--drop/--cable-pull need "
            f"--board simulated; got --board {args.board}")
    opts.update(sim)
    if args.montage:
        opts["montage"] = args.montage
    if args.channel_settings:
        opts["channel_settings"] = list(args.channel_settings)
    if args.config:
        opts["config"] = list(args.config)
    opts["stall_timeout"] = args.stall_timeout
    opts["reconnect_attempts"] = args.reconnect_attempts
    return opts


def add_acquire_commands(subparsers: Any) -> None:
    """Add ``boards``, ``record`` and ``live`` to an ``add_subparsers()`` object."""
    p = subparsers.add_parser("boards", help="list BrainFlow boards: rates, EMG channels, "
                                             "connection parameters")
    p.add_argument("--all", action="store_true", dest="all_boards",
                   help="every BrainFlow board (default: common ones and EMG boards)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=boards_command)

    p = subparsers.add_parser(
        "record", help="record a board to a crash-safe BrainFlow CSV file (+ JSON sidecar)")
    p.add_argument("--out", required=True,
                   help="output file, BrainFlow CSV named .csv or .txt (e.g. s01.csv; "
                        "sidecar s01.csv.json), written as the data arrive")
    p.add_argument("--duration", type=float, help="seconds (default: until Ctrl+C)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing file")
    p.add_argument("--no-keyboard", action="store_true",
                   help="do not read markers from the keyboard (Enter = marker, text + Enter "
                        "= labelled marker)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    add_board_arguments(p)
    p.set_defaults(func=record_command)

    p = subparsers.add_parser("live", help="live biofeedback: %%MVC bars with target zones, "
                                           "onsets and order checks")
    p.add_argument("--pattern", help=f"target pattern: name (e.g. {pattern_ids()[0]}) or "
                                     ".toml file (default: the simulated protocol's)")
    p.add_argument("--duration", type=float, help="seconds (default: until Ctrl+C)")
    p.add_argument("--display", default="terminal",
                   choices=("terminal", "matplotlib", "web", "none"),
                   help="terminal (default), matplotlib (a figure window), web (a page in "
                        "the browser: patient view and clinician panel; prints its address) "
                        "or none (a summary at the end)")
    p.add_argument("--level", type=int,
                   help="training level of the pattern (its criteria and targets)")
    p.add_argument("--host", default="127.0.0.1",
                   help="--display web: address to serve on (default 127.0.0.1, this "
                        "computer only; another address, e.g. 0.0.0.0 for a tablet on the "
                        "clinic network, adds a random access token to the page address)")
    p.add_argument("--port", type=int, default=8765,
                   help="--display web: port (default 8765; 0: any free port)")
    p.add_argument("--reference", default="auto",
                   help="%%MVC reference: auto (simulated subject; none for real boards), "
                        "capture (guided MVC), rvc (guided reference contraction), none, or "
                        "an MVC recording file")
    p.add_argument("--reference-seconds", type=float, default=5.0,
                   help="contraction length of a guided capture (default 5 s)")
    p.add_argument("--out", help="also record the session to this BrainFlow CSV file "
                                 "(.csv or .txt)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out file")
    p.add_argument("--save-figure", help="with --display matplotlib: save the final figure")
    p.add_argument("--notch", type=float, default=50.0,
                   help="mains frequency to notch in Hz (default 50; 0: none)")
    from ..feedback import LIVE_ONSET_METHOD
    from ..onset import METHODS

    p.add_argument("--onset-method", choices=METHODS,
                   help=f"onset detector of the order checks: {', '.join(METHODS)} (default: "
                        f"the pattern's, else {LIVE_ONSET_METHOD})")
    p.add_argument("--events", default="checks", choices=("all", "checks", "none"),
                   help="terminal: events printed (default checks)")
    p.add_argument("--json", action="store_true", help="print the result as JSON at the end")
    add_board_arguments(p)
    p.set_defaults(func=live_command)


# ------------------------------------------------------------------- commands
def boards_text(all_boards: bool = False, as_json: bool = False) -> str:
    """The output of ``emgcontrol boards``."""
    from ..acquire import SFREQ_CAVEATS, list_boards

    boards = list_boards(all_boards=all_boards)
    if as_json:
        return json.dumps({"boards": [b.to_dict() for b in boards],
                           "sfreq_caveats": list(SFREQ_CAVEATS)}, indent=2)
    rows = [("board", "id", "Hz", "EMG", "EXG", "acc", "connect with")]
    for b in boards:
        conn = ", ".join(b.required) or "-"
        if b.optional:
            conn += " [" + ", ".join(b.optional) + "]"
        rows.append((b.name, str(b.board_id), "-" if b.sfreq is None else f"{b.sfreq:g}",
                     str(b.n_emg), str(b.n_exg), str(b.n_accel), conn))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for r in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r[:-1], widths)) + "  " + r[-1])
    lines.insert(1, "-" * len(lines[0]))
    lines.append("")
    lines.append("'simulated' (the default) replays the emgcontrol simulator through "
                 "BrainFlow's playback board: no hardware needed.")
    lines.append("Sampling rates are BrainFlow's nominal rates:")
    lines += [f"  - {c}" for c in SFREQ_CAVEATS]
    if not all_boards:
        lines.append("`emgcontrol boards --all` lists every BrainFlow board.")
    return "\n".join(lines)


def boards_command(args: argparse.Namespace) -> int:
    """``emgcontrol boards [--all] [--json]``."""
    print(boards_text(getattr(args, "all_boards", False), getattr(args, "json", False)))
    return 0


class TimeOrderedLines:
    """A text stream for ``live`` output that is not a terminal: lines carrying a time
    (status ``t=4.2s``, events ``[   3.67 s]``) are written in time order.

    The feedback loop reports a movement's checks when the movement ends, with the
    movement's time, after status lines of later times; in a log that reads out of
    order.  Timed lines are held until a movement summary (``movement N (a-b s)``)
    releases every held line up to its end ``b``, sorted by time; a line without a time
    (header, notes, the final summary) and :meth:`close` release everything first.
    Lines held for longer than ``max_hold_s`` of stream time are released anyway.
    """

    _TIME = re.compile(r"^(?:t=(?P<t>-?\d+(?:\.\d+)?)s\b|(?:!!|  ) \[\s*(?P<e>-?\d+(?:\.\d+)?) s\])")
    _MOVEMENT = re.compile(r"movement \d+ \((?P<a>-?[\d.]+)-(?P<b>-?[\d.]+) s\)")

    def __init__(self, stream: Any, max_hold_s: float = 120.0) -> None:
        self.stream = stream
        self.max_hold_s = float(max_hold_s)
        self._partial = ""
        self._held: list[tuple[float, int, str]] = []
        self._n = 0

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        self._partial += text
        *lines, self._partial = self._partial.split("\n")
        for ln in lines:
            self._line(ln)
        return len(text)

    def _release(self, upto: float = math.inf) -> None:
        self._held.sort()
        keep = [h for h in self._held if h[0] > upto]
        for t, _, ln in self._held:
            if t <= upto:
                self.stream.write(ln + "\n")
        self._held = keep

    def _line(self, ln: str) -> None:
        m = self._TIME.match(ln)
        if m is None:
            self._release()
            self.stream.write(ln + "\n")
            return
        t = float(m.group("t") if m.group("t") is not None else m.group("e"))
        self._n += 1
        self._held.append((t, self._n, ln))
        mv = self._MOVEMENT.search(ln)
        if mv is not None:
            self._release(float(mv.group("b")))
        elif self._held and t - min(h[0] for h in self._held) > self.max_hold_s:
            self._release(t - self.max_hold_s)

    def flush(self) -> None:
        self.stream.flush()

    def close(self) -> None:
        if self._partial:
            self._line(self._partial)
            self._partial = ""
        self._release()
        self.stream.flush()


class _Signals:
    """Ctrl+C / SIGTERM set a stop event (the recording is then closed properly)."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self._old: dict[int, Any] = {}

    def __enter__(self) -> threading.Event:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    self._old[sig] = signal.signal(sig, self._handle)
                except (ValueError, OSError):  # pragma: no cover
                    pass
        return self.stop

    def _handle(self, signum: int, frame: Any) -> None:
        if self.stop.is_set():  # second Ctrl+C: stop at once
            raise KeyboardInterrupt
        self.stop.set()

    def __exit__(self, *exc: Any) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


def _keyboard_markers(session: Any, stop: threading.Event, out: Any) -> threading.Thread:
    def run() -> None:
        k = 0
        for line in sys.stdin:
            if stop.is_set():
                return
            label = line.strip()
            if not label:
                k += 1
                label = f"mark{k}"
            try:
                if session.is_streaming:
                    code = session.marker(label)
                    print(f"marker {label!r} (code {code:g}) at "
                          f"{session.n_samples / session.sfreq:.2f} s", file=out, flush=True)
            except Exception as err:  # pragma: no cover - keyboard thread must not die loudly
                print(f"marker {label!r} not inserted: {err}", file=out, flush=True)

    t = threading.Thread(target=run, name="emgcontrol-markers", daemon=True)
    t.start()
    return t


def record_command(args: argparse.Namespace) -> int:
    """``emgcontrol record --out FILE [--duration S] [--board NAME] [--montage M] ...``."""
    from ..acquire import BoardSession, record

    check_record_path(args.out)
    opts = board_options_from_args(args)
    err = sys.stderr
    quiet = getattr(args, "quiet", False)
    session = BoardSession(args.board, duration=args.duration,
                           on_message=lambda m: print(f"-- {m}", file=err, flush=True),
                           **{k: v for k, v in opts.items()})
    with _Signals() as stop:
        try:
            session.open()
            if not quiet:
                where = "until Ctrl+C" if args.duration is None else f"{args.duration:g} s"
                print(f"recording board {session.name!r} ({session.n_channels} channels at "
                      f"{session.sfreq:g} Hz) to {args.out}, {where}"
                      + ("" if getattr(args, "no_keyboard", False) or not sys.stdin.isatty()
                         else "; Enter inserts a marker (type a label first to name it)"),
                      file=err, flush=True)
            last = [time.monotonic()]

            def progress(blk: Any) -> None:
                if quiet:
                    return
                now = time.monotonic()
                if now - last[0] >= 1.0:
                    last[0] = now
                    d = session.dropped["count"]
                    print(f"  {session.n_samples / session.sfreq:6.1f} s  "
                          f"{session.n_samples} samples  {d} dropped", file=err, flush=True)

            if not getattr(args, "no_keyboard", False) and sys.stdin.isatty():
                _keyboard_markers(session, stop, err)
            result = record(args.out, session=session, duration=args.duration,
                            overwrite=args.overwrite, on_block=progress, stop=stop)
        finally:
            session.close()
    if getattr(args, "json", False):
        print(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        print(result.summary())
    return 0


def live_command(args: argparse.Namespace) -> int:
    """``emgcontrol live [--board NAME] [--pattern P] [--duration S] [--display ...]``."""
    from ..acquire import BoardSession
    from ..feedback import MatplotlibDisplay, TerminalDisplay, run_feedback

    if args.out is not None:
        check_record_path(args.out)
    opts = board_options_from_args(args)
    display_kind = getattr(args, "display", "terminal")
    level = getattr(args, "level", None)
    if display_kind != "web" and (getattr(args, "host", "127.0.0.1") != "127.0.0.1"
                                  or getattr(args, "port", 8765) != 8765):
        raise ValidationError("--host and --port need --display web")
    if display_kind == "web":
        return _live_web(args, opts)
    targets: Any = args.pattern
    if level is not None:
        from ..feedback.web import resolve_live_pattern

        spec = args.pattern
        if spec is None and args.board in ("simulated", "sim"):
            spec = args.protocol or "prone-hip-extension"
        targets = resolve_live_pattern(spec, level)[0]
    if args.board in ("simulated", "sim") and args.duration is None:
        opts.setdefault("loop", True)
    display: Any
    ordered = None
    if args.display == "terminal":
        if not sys.stdout.isatty():
            ordered = TimeOrderedLines(sys.stdout)
        display = TerminalDisplay(ordered, events=args.events)
    elif args.display == "matplotlib":
        import matplotlib

        if matplotlib.get_backend().lower() == "agg" and not args.save_figure:
            print("-- matplotlib has no window backend here (Agg); use --save-figure or "
                  "--display terminal", file=sys.stderr)
        display = MatplotlibDisplay(save=args.save_figure)
    else:
        display = None
    ref: Any = args.reference
    if isinstance(ref, str) and ref.lower() == "none":
        ref = None
    proc_opts: dict[str, Any] = {"notch": None if not args.notch else args.notch}
    if args.onset_method:
        proc_opts["onset_method"] = args.onset_method
    session = BoardSession(args.board, duration=args.duration, **opts)
    with _Signals() as stop:
        try:
            result = run_feedback(session, targets=targets, reference=ref,
                                  display=display, duration=args.duration,
                                  record_to=args.out, overwrite=args.overwrite, stop=stop,
                                  reference_seconds=args.reference_seconds,
                                  processor_options=proc_opts)
        finally:
            session.close()
            if ordered is not None:
                ordered.close()
    if getattr(args, "json", False):
        print(json.dumps(result.to_dict(), indent=2, default=str))
    elif display is None:
        print(result.summary())
    return 0


def _proc_options(args: argparse.Namespace) -> dict[str, Any]:
    proc_opts: dict[str, Any] = {"notch": None if not args.notch else args.notch}
    if args.onset_method:
        proc_opts["onset_method"] = args.onset_method
    return proc_opts


def _live_web(args: argparse.Namespace, opts: dict[str, Any]) -> int:
    """``live --display web``: serve the page, run sessions until Ctrl+C (or --duration)."""
    from ..feedback.web import WebDisplay, serve_feedback

    ref: Any = args.reference
    if isinstance(ref, str) and ref.lower() == "none":
        ref = None
    display = WebDisplay(args.host, args.port,
                         announce=lambda m: print(m, flush=True))
    board_opts = {k: v for k, v in opts.items()}
    results: list[Any] = []
    with _Signals() as stop:
        try:
            serve_feedback(board=args.board, pattern=args.pattern, level=args.level,
                           reference=ref, duration=args.duration, record_to=args.out,
                           overwrite=args.overwrite, display=display, stop=stop,
                           reference_seconds=args.reference_seconds,
                           processor_options=_proc_options(args), on_result=results.append,
                           **board_opts)
        finally:
            display.stop()
    if getattr(args, "json", False):
        print(json.dumps([r.to_dict() for r in results], indent=2, default=str))
    else:
        for r in results:
            print(r.summary())
    return 0
