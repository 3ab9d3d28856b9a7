"""The ``info``, ``simulate``, ``onsets`` and ``warmup`` commands.

Each ``*_command`` function takes the parsed ``argparse.Namespace`` and
returns the exit code; errors are emgcontrol exceptions, which
:func:`emgcontrol.cli.main` prints as one line (exit code 2).  The parsers are
built by :func:`add_file_commands` and :func:`add_warmup_command`.  Nothing
heavy is imported here.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from ..errors import EmgcontrolError, ValidationError
from ._readopts import add_reader_arguments

__all__ = ["add_file_commands", "add_warmup_command", "info_command", "simulate_command",
           "onsets_command", "warmup_command", "onsets_text", "WRITE_FORMATS", "FORMAT_NAMES"]

WRITE_FORMATS = {".bdf": "bdf", ".edf": "edf", ".csv": "brainflow", ".txt": "brainflow"}
"""Output format by file extension (``--format`` overrides it)."""

FORMAT_NAMES = {"bdf": "BDF+ (24 bit)", "edf": "EDF+ (16 bit)",
                "brainflow": "BrainFlow CSV", "csv": "CSV table with a header"}
"""Formats ``emgcontrol simulate`` writes (values of ``--format``)."""


def info_command(args: argparse.Namespace) -> int:
    from ._readopts import read_recording

    rec = read_recording(args)
    desc = rec.to_dict()
    desc["file"] = str(args.file)
    if args.json:
        print(json.dumps(desc, indent=2, default=str))
        return 0
    print(f"{args.file}")
    print(f"  {rec.n_channels} channels, {rec.sfreq:g} Hz, {rec.duration:.2f} s "
          f"({rec.n_times} samples)")
    for row in desc["channels"]:
        muscle = (f"{row['side'] + ' ' if row['side'] else ''}{row['muscle'].replace('_', ' ')}"
                  if row["muscle"] else "-")
        print(f"  {row['channel']:<12} {row['type']:<4} {muscle}")
    labels: dict[str, int] = {}
    for ev in rec.events:
        labels[ev.label] = labels.get(ev.label, 0) + 1
    print("  events: " + (", ".join(f"{k} x{v}" for k, v in labels.items()) or "none"))
    dropped = rec.meta.get("dropped_samples")
    if dropped:
        print(f"  dropped samples: {dropped['count']} in {len(dropped['gaps'])} gap(s)")
    status = recording_status(rec.meta)
    if status:
        print(f"  recording: {status}")
    return 0


_STATUS_TEXT = {
    "interrupted": "INTERRUPTED (stopped with Ctrl+C before its planned end): it holds what "
                   "was recorded up to then",
    "disconnected": "INCOMPLETE (the board disconnected and did not come back)",
    "reconnecting": "INCOMPLETE (it ended while the board was reconnecting)",
    "recording": "INCOMPLETE (the recording program stopped without closing it: crash or "
                 "power loss)",
    "streaming": "INCOMPLETE (the recording program stopped without closing it)",
    "error": "INCOMPLETE (stopped by an error)",
}


def recording_status(meta: Any) -> str | None:
    """How a recording made by emgcontrol ended, when not complete (None: complete, or
    not recorded by emgcontrol)."""
    acq = meta.get("acquisition") if isinstance(meta, dict) else None
    status = acq.get("status") if isinstance(acq, dict) else None
    if status is None or status == "complete":
        return None
    return _STATUS_TEXT.get(str(status), f"status {status!r} (not complete)")


def _out_format(out: Path, fmt: str | None = None) -> str:
    if fmt is not None:
        return fmt
    found = WRITE_FORMATS.get(out.suffix.lower())
    if found is None:
        raise EmgcontrolError(
            f"--out {out}: cannot tell the format from the extension {out.suffix!r}; "
            f"use one of {', '.join(WRITE_FORMATS)} or give --format "
            f"({', '.join(FORMAT_NAMES)})"
        )
    return found


_BOARD_PREFERENCE = ("cyton", "cyton-daisy", "ganglion", "synthetic")  # EMG boards first


def _brainflow_board(n_exg: int, n_acc: int, sfreq: float, board: str | None
                     ) -> dict[str, Any]:
    """The BrainFlow row layout a recording is written with (``--board`` or the best fit).

    Without ``--board``: among the boards whose EXG and accelerometer rows hold the
    channels, one that streams at ``sfreq`` (fewest EXG rows, EMG boards first), else
    the smallest that holds them, the rate then being stated in the sidecar.
    """
    from ..io.brainflow_csv import board_layout

    def holds(lay: dict[str, Any]) -> bool:
        return n_exg <= len(lay["exg"]) and n_acc <= len(lay["accel"])

    layouts = [board_layout(name) for name in _BOARD_PREFERENCE]
    if board is not None:
        try:
            lay = board_layout(board)
        except ValidationError as err:
            raise ValidationError(f"--board {board}: {err}") from None
        if not holds(lay):
            fit = [f"{x['name']} ({len(x['exg'])})" for x in layouts if holds(x)]
            raise ValidationError(
                f"--board {board}: board {lay['name']!r} has {len(lay['exg'])} EXG and "
                f"{len(lay['accel'])} accelerometer rows but the recording has {n_exg} EMG "
                f"and {n_acc} accelerometer channels; "
                + (f"boards that hold them: {', '.join(fit)}, or leave --board out"
                   if fit else "write .bdf or .edf instead"))
        return lay
    fit = [x for x in layouts if holds(x)]
    if not fit:
        raise ValidationError(
            f"no BrainFlow board layout holds {n_exg} EMG and {n_acc} accelerometer "
            f"channels (the largest has {max(len(x['exg']) for x in layouts)} EXG rows); "
            "write .bdf or .edf instead")
    same = [x for x in fit if abs(x["sfreq"] - sfreq) <= 1e-6 * sfreq]
    pool = same or fit
    return min(pool, key=lambda x: (len(x["exg"]), pool.index(x)))


def _write(rec: Any, out: Path, fmt: str, board: str | None = None) -> str:
    """Write ``rec`` to ``out``; return a description of the file for the output line."""
    from ..io import write_bdf, write_brainflow_csv, write_csv, write_edf

    if board is not None and fmt != "brainflow":
        raise EmgcontrolError(f"--board applies to BrainFlow CSV output only; --out {out} is "
                              f"{FORMAT_NAMES[fmt]}")
    if fmt == "bdf":
        write_bdf(rec, out)
    elif fmt == "edf":
        write_edf(rec, out)
    elif fmt == "csv":
        write_csv(rec, out)
    else:
        types = rec.ch_types
        n_exg = sum(t in ("emg", "ecg") for t in types)
        n_acc = sum(t == "acc" for t in types)
        lay = _brainflow_board(n_exg, n_acc, rec.sfreq, board)
        native = abs(lay["sfreq"] - rec.sfreq) <= 1e-6 * rec.sfreq
        write_brainflow_csv(rec, out, board=lay["name"], native_rate=native)
        text = f"BrainFlow CSV in the row layout of board {lay['name']!r}"
        if not native:
            text += (f"; the rate is stated in {out.name}.json, as board {lay['name']!r} "
                     f"streams at {lay['sfreq']:g} Hz (BrainFlow's own playback would "
                     "replay the file at that rate)")
        return text
    return FORMAT_NAMES[fmt]


def simulate_command(args: argparse.Namespace) -> int:
    from ..simulate import SFREQ_RANGE, SNR_RANGE, simulate, variant_summaries

    summaries = variant_summaries(args.protocol)  # checks the protocol name
    if args.list_variants:
        width = max(len(v) for v in summaries)
        print("\n".join(f"{name:<{width}}  {text}" for name, text in summaries.items()))
        return 0
    if args.out is None:
        raise EmgcontrolError("simulate needs --out FILE (or --list-variants)")
    out = Path(args.out)
    fmt = _out_format(out, args.format)
    sfreq = args.sfreq
    if sfreq is None:
        sfreq = 1000.0
        if args.board is not None and fmt == "brainflow":
            from ..io.brainflow_csv import board_layout

            try:
                sfreq = board_layout(args.board)["sfreq"]
            except EmgcontrolError as err:
                raise EmgcontrolError(f"--board {args.board}: {err}") from None
    lo, hi = SFREQ_RANGE
    if not lo <= sfreq <= hi:
        raise EmgcontrolError(f"--sfreq {sfreq:g}: the simulator writes {lo:g} to {hi:g} Hz")
    lo, hi = SNR_RANGE
    if not lo <= args.snr <= hi:
        raise EmgcontrolError(f"--snr {args.snr:g}: the simulator takes {lo:g} to {hi:g} dB")
    if args.trials is not None and not 1 <= args.trials <= 100:
        raise EmgcontrolError(f"--trials must be 1 to 100; got {args.trials}")
    rec, truth = simulate(args.protocol, args.variant, sfreq=sfreq,
                              snr_db=args.snr, seed=args.seed, mvc=args.mvc,
                              n_trials=args.trials)
    what = _write(rec, out, fmt, args.board)
    truth_path = out.with_name(out.name + ".truth.json")
    truth.save(truth_path)
    n_emg = sum(t == "emg" for t in rec.ch_types)
    print(f"wrote {out} ({n_emg} EMG + {rec.n_channels - n_emg} other channels, "
          f"{rec.sfreq:g} Hz, {rec.duration:.1f} s"
          + (", MVC block first" if args.mvc else "") + f"): {what}")
    print(f"wrote {truth_path} (ground truth)")
    return 0


def onsets_command(args: argparse.Namespace) -> int:
    from ._readopts import flag_message, flags_in_errors, read_recording

    rec = read_recording(args)
    picks = None
    if args.picks is not None:
        picks = [t.strip() for t in args.picks.split(",") if t.strip()]
    baseline: Any = None
    if args.baseline is not None:
        parts = args.baseline.split(",")
        try:
            baseline = tuple(float(v) for v in parts) if len(parts) == 2 else None
        except ValueError:
            baseline = None
        if baseline is None and args.baseline != "auto":
            path = Path(args.baseline)
            if not path.exists():
                raise ValidationError(
                    f"--baseline {args.baseline!r} is neither 'auto', START,STOP (seconds) "
                    "nor an existing rest recording file")
            baseline = read_recording(args, path)
    with flags_in_errors():
        text = onsets_text(args.file, method=args.method, as_json=args.json, rec=rec,
                           picks=picks, baseline=baseline)
    if not args.json:  # the channels' reasons name keywords too ("give baseline=...");
        # the first line is the file's path, left as it is
        path_line, _, tables = text.partition("\n")
        text = f"{path_line}\n{flag_message(tables)}"
    print(text)
    return 0


def warmup_command(args: argparse.Namespace) -> int:
    from ..onset import warmup_steps

    methods = args.methods if args.methods == "all" else [
        m.strip() for m in args.methods.split(",") if m.strip()]
    try:
        steps = warmup_steps(methods, large=args.large)
    except EmgcontrolError as err:
        raise EmgcontrolError(f"--methods: {err}") from None
    for st in steps:
        print(f"{st.name:<45} {st.seconds:6.2f} s")
    print(f"{'total':<45} {sum(st.seconds for st in steps):6.2f} s")
    folders = sorted({st.cache_dir for st in steps if st.cache_dir})
    if folders:
        print("numba cache: " + ", ".join(folders))
    return 0


def onsets_text(path: str | os.PathLike[str], method: str | None = None,
                as_json: bool = False, rec: Any = None, **kwargs: Any) -> str:
    """Read a recording, detect onsets and return the table as text or JSON.

    This is the output of ``emgcontrol onsets FILE [--method M] [--json]``.

    Parameters
    ----------
    path : str or path-like
        Any file :func:`emgcontrol.read` understands.
    method : str, optional
        Detection method (default: :data:`~emgcontrol.onset.DEFAULT_METHOD`).
    as_json : bool
        Return JSON: a list of activation row objects (``channel, muscle, side,
        trial, onset_s, offset_s, duration_s, peak_uV, area_uVs, onset_censored,
        offset_censored``: the units of the text table, named in each key).  Otherwise two plain-text tables: channels (status, threshold,
        baseline) and activations.
    rec : Recording, optional
        The recording already read from ``path`` (with the reader options).
    **kwargs :
        Passed to :func:`~emgcontrol.onset.detect_onsets`.

    Returns
    -------
    str
        The text to print.

    Raises
    ------
    RecordingFileNotFoundError, FileFormatError
        From the reader.
    ValidationError
        Bad method or parameter.
    """
    from ..io import read
    from ..onset import detect_onsets

    if rec is None:
        rec = read(path)
    acts = detect_onsets(rec, method=method, **kwargs)
    if as_json:
        return json.dumps([_onset_row(r) for r in acts.to_dict()["activations"]], indent=2)
    return f"{os.fspath(path)}\n" + acts.to_text()


def _onset_row(r: dict[str, Any]) -> dict[str, Any]:
    """An activation row in the units of the text table, each key naming its unit
    (``onset_s``, ``peak_uV``, ``area_uVs``), rounded to what the data resolve
    (1 us, 0.1 nV): no ``111.99999999999832``."""
    def num(v: Any, scale: float, nd: int) -> Any:
        if v is None:
            return None
        x = round(float(v) * scale, nd)
        return 0.0 if x == 0 else x

    return {"channel": r.get("channel"), "muscle": r.get("muscle"), "side": r.get("side"),
            "trial": r.get("trial"),
            "onset_s": num(r.get("onset"), 1.0, 6), "offset_s": num(r.get("offset"), 1.0, 6),
            "duration_s": num(r.get("duration"), 1.0, 6),
            "peak_uV": num(r.get("peak"), 1e6, 4), "area_uVs": num(r.get("area"), 1e6, 4),
            "onset_censored": bool(r.get("onset_censored")),
            "offset_censored": bool(r.get("offset_censored"))}


# ------------------------------------------------------------------- parsers
def add_file_commands(subparsers: Any) -> None:
    """Add ``info``, ``simulate`` and ``onsets`` to an ``add_subparsers()`` object."""
    p = subparsers.add_parser("info", help="describe a recording file")
    p.add_argument("file", type=Path,
                   help="any recording emgcontrol reads (the format is recognised from the "
                        "content)")
    p.add_argument("--json", action="store_true",
                   help="print JSON (channels, events, metadata, history)")
    add_reader_arguments(p)
    p.set_defaults(func=info_command)

    from ..simulate import PROTOCOLS, SFREQ_RANGE

    p = subparsers.add_parser("simulate",
                              help="write a simulated session with its ground truth",
                              description="Write a simulated session with its ground truth "
                                          "(FILE.truth.json: onsets, amplitudes, order, ...).")
    p.add_argument("protocol", help=", ".join(PROTOCOLS))
    p.add_argument("--variant", default="typical",
                   help="healthy 'typical' (default) or a fault variant (see --list-variants)")
    p.add_argument("--list-variants", action="store_true",
                   help="print the variants and what each simulates, then exit")
    p.add_argument("--out", metavar="FILE",
                   help="output file: .bdf, .edf, or .csv/.txt for BrainFlow CSV (a JSON "
                        "sidecar FILE.json holds names, muscles, events and the rate)")
    p.add_argument("--format", choices=tuple(FORMAT_NAMES),
                   help="output format when the extension does not tell it: bdf, edf, "
                        "brainflow, or csv for a CSV table with a header (default: from "
                        "the extension)")
    p.add_argument("--board", metavar="NAME",
                   help=f"BrainFlow CSV row layout: {', '.join(_BOARD_PREFERENCE)} "
                        "(default: a board that holds the channels, at --sfreq if one "
                        "streams at that rate; a rate the board does not stream at is "
                        "stated in the sidecar)")
    p.add_argument("--sfreq", type=float, default=None,
                   help=f"sampling rate in Hz, {SFREQ_RANGE[0]:g}-{SFREQ_RANGE[1]:g} "
                        "(default 1000; with --board, the board's rate)")
    p.add_argument("--snr", type=float, default=20.0,
                   help="signal-to-noise ratio in dB (default 20)")
    p.add_argument("--seed", type=int, default=0,
                   help="random seed: the same seed writes the same data (default 0)")
    p.add_argument("--mvc", action="store_true",
                   help="start with an MVC block ('mvc' events), so that `emgcontrol assess "
                        "--input FILE` can normalise amplitudes (%%MVC)")
    p.add_argument("--trials", type=int, metavar="N",
                   help="repetitions (default: the protocol's, 5; 1 for sorensen)")
    p.set_defaults(func=simulate_command)

    from ..onset import DEFAULT_METHOD, METHODS

    p = subparsers.add_parser("onsets", help="detect muscle activations (onsets, offsets)")
    p.add_argument("file", type=Path, help="any recording emgcontrol reads")
    p.add_argument("--method", default=None, choices=METHODS,
                   help=f"detector: {', '.join(METHODS)} (default: {DEFAULT_METHOD})")
    p.add_argument("--json", action="store_true",
                   help="print JSON: a list of row objects (onset_s, offset_s, duration_s, "
                        "peak_uV, area_uVs, onset_censored, offset_censored)")
    p.add_argument("--baseline", default=None, metavar="START,STOP|FILE",
                   help="where the muscles rest: 'auto' (default: found per channel), a "
                        "window in seconds (0,2), or a separate rest recording of the same "
                        "channels (read with the same flags): for a muscle active during "
                        "the whole file, such as an isometric hold")
    add_reader_arguments(p, picks=True)
    p.set_defaults(func=onsets_command)


def add_warmup_command(subparsers: Any) -> None:
    """Add ``warmup`` to an ``add_subparsers()`` object."""
    from ..onset import DEFAULT_METHOD, METHODS

    p = subparsers.add_parser(
        "warmup", help="compile the numba kernels once (later runs load them from the cache)",
        description="Compile the signal kernels and onset detectors for this machine, or "
                    "load them from numba's on-disk cache if that was done before, and "
                    "print the time of each step and the cache folder.")
    p.add_argument("--methods", default=DEFAULT_METHOD, metavar="M[,M...]",
                   help=f"onset detectors to prepare: {', '.join(METHODS)} or 'all' "
                        f"(default: {DEFAULT_METHOD})")
    p.add_argument("--large", action="store_true",
                   help="also the detectors' parallel versions for arrays of more than "
                        "2 M samples (several seconds more each)")
    p.set_defaults(func=warmup_command)
