"""The ``emgcontrol assess`` command: arguments and the command function.

Wire it into a parser with :func:`add_assess_command` (``sub`` from
``add_subparsers()``), or add the arguments to a parser of your own::

    p = sub.add_parser("assess", help=ASSESS_HELP)
    add_assess_arguments(p)
    p.set_defaults(func=assess_command)

Nothing heavy is imported here.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..errors import ValidationError
from ._help import pattern_ids
from ._readopts import add_reader_arguments, flags_in_errors, reader_kwargs

__all__ = ["add_assess_command", "add_assess_arguments", "assess_command", "ASSESS_HELP",
           "ASSESS_EPILOG", "interrupted_message"]

ASSESS_HELP = "assess a movement against a target pattern: HTML/PDF report + results.json"

ASSESS_EPILOG = """\
examples:
  emgcontrol assess prone-hip-extension --yes --out assessment
      guided session on the built-in simulated board (no hardware), then the report
  emgcontrol assess prone-hip-extension --variant reversed --yes --out demo-reversed
  emgcontrol assess prone-hip-extension --input s01.bdf --mvc mvc01.bdf --patient p001
  emgcontrol assess arm-raise --board cyton --serial-port /dev/ttyUSB0 \\
      --montage cyton-trunk-8 --patient p001 --trials 5

outputs (in --out): report.html (self-contained), report.pdf, results.json,
recordings/ (when recorded). Exit code 0 when the assessment ran, whatever the
verdicts; 2 with a message when it could not; 130 when interrupted.
"""

_CONN = ("serial_port", "mac_address", "ip_address", "ip_port", "serial_number",
         "other_info", "timeout")


def add_assess_command(subparsers: Any) -> None:
    """Add ``assess`` to an ``add_subparsers()`` object."""
    p = subparsers.add_parser("assess", help=ASSESS_HELP, description=ASSESS_HELP)
    add_assess_arguments(p)
    p.set_defaults(func=assess_command)


def add_assess_arguments(p: argparse.ArgumentParser) -> None:
    """Add the arguments of ``emgcontrol assess`` to a (sub)parser."""
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = ASSESS_EPILOG
    p.add_argument("protocol", metavar="PROTOCOL",
                   help=f"{', '.join(pattern_ids())}, or a pattern .toml file")
    src = p.add_argument_group("what to assess")
    src.add_argument("--input", metavar="FILE",
                     help="an existing recording (BDF/EDF, BrainFlow CSV, OpenBCI txt, ...); "
                          "default: record a guided session on --board")
    src.add_argument("--board", default="simulated",
                     help="board to record from (default: simulated; see `emgcontrol boards`)")
    src.add_argument("--montage",
                     help="preset (e.g. cyton-low-back-8), muscles in channel order, or "
                          "'CH=muscle,...'")
    src.add_argument("--mvc", metavar="FILE",
                     help="MVC recording ('mvc' markers mark the contractions; without them "
                          "the whole file is the reference); default: a guided capture when "
                          "recording, the 'mvc' contractions of the --input file if it has "
                          "any (e.g. `emgcontrol simulate ... --mvc`), else amounts are not "
                          "assessable")
    add_reader_arguments(p, montage=False)  # for the --input and --mvc files
    pat = p.add_argument_group("pattern and patient")
    pat.add_argument("--patient", metavar="ID",
                     help="pseudonymous patient id: store the session, use the patient's "
                          "training level, show progress")
    pat.add_argument("--store", metavar="DIR",
                     help="progress store (default $EMGCONTROL_STORE or "
                          "~/.local/share/emgcontrol/progress)")
    pat.add_argument("--level", default="auto",
                     help="auto (the patient's level; full pattern without --patient), full, "
                          "or a level number")
    pat.add_argument("--option", action="append", metavar="KEY=VALUE",
                     help="pattern option, e.g. side=left; repeatable")
    pat.add_argument("--session-date", metavar="ISO",
                     help="date of the session (default: the recording's start, else now)")
    ses = p.add_argument_group("guided session (when recording)")
    ses.add_argument("--yes", "-y", action="store_true",
                     help="do not wait for Enter between steps (always so without a terminal)")
    ses.add_argument("--trials", type=int, metavar="N",
                     help="repetitions (default: the pattern's minimum, e.g. 3; 1 for "
                          "sorensen)")
    ses.add_argument("--trial-seconds", type=float, metavar="S",
                     help="recording time after each cue on a real board")
    ses.add_argument("--mvc-seconds", type=float, metavar="S",
                     help="length of each maximal contraction (default 4)")
    ses.add_argument("--rest-seconds", type=float, metavar="S",
                     help="rest after each contraction / repetition (default 3)")
    sim = p.add_argument_group("simulated board")
    sim.add_argument("--variant", help="simulated variant, e.g. reversed (see `emgcontrol "
                                       "simulate PROTOCOL --list-variants`)")
    sim.add_argument("--seed", type=int, help="simulator seed (default 0)")
    sim.add_argument("--snr", type=float, help="signal-to-noise ratio in dB (default 20)")
    sim.add_argument("--fault", action="append", metavar="CH=KIND",
                     help="electrode fault, e.g. 'GMax R=disconnected'; repeatable")
    sim.add_argument("--sim-protocol", metavar="NAME",
                     help="simulated protocol for a custom pattern (default: the pattern id)")
    conn = p.add_argument_group("board connection")
    conn.add_argument("--serial-port", help="serial port (Cyton, Ganglion dongle)")
    conn.add_argument("--mac-address", help="MAC address (Ganglion, BLE boards)")
    conn.add_argument("--ip-address", help="IP address (WiFi shield)")
    conn.add_argument("--ip-port", type=int, help="local IP port (WiFi shield)")
    conn.add_argument("--serial-number", help="serial number (some boards)")
    conn.add_argument("--other-info", help="BrainFlow other_info string")
    conn.add_argument("--timeout", type=int, help="BrainFlow connection timeout, s")
    o = p.add_argument_group("output")
    o.add_argument("--out", metavar="DIR", default="assessment",
                   help="output directory (default: ./assessment)")
    o.add_argument("--overwrite", action="store_true",
                   help="write into a directory that already holds an assessment")
    o.add_argument("--no-pdf", action="store_true", help="skip report.pdf")
    o.add_argument("--info", action="append", metavar="KEY=VALUE",
                   help="reporting item the recording cannot know, e.g. "
                        "'electrode_type=Ag/AgCl gel, disposable', "
                        "inter_electrode_distance='20 mm'; repeatable")
    o.add_argument("--json", action="store_true",
                   help="print the summary as JSON (score, verdicts, files)")
    o.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr")


def _pairs(values: list[str] | None, flag: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for v in values or []:
        if "=" not in v:
            raise ValidationError(f"{flag} must be KEY=VALUE; got {v!r}")
        k, val = v.split("=", 1)
        k = k.strip()
        if not k:
            raise ValidationError(f"{flag} must be KEY=VALUE; got {v!r}")
        val = val.strip()
        conv: Any = val
        if flag == "--option":
            for cast in (int, float):
                try:
                    conv = cast(val)
                    break
                except ValueError:
                    continue
            if val.lower() in ("true", "false"):
                conv = val.lower() == "true"
        out[k] = conv
    return out


def interrupted_message(kept: Any) -> str:
    """What an interrupted ``assess`` says: the complete files it kept and where, or
    that it kept nothing."""
    kept = dict(kept or {})
    if not kept:
        return ("emgcontrol assess: interrupted; nothing was kept (no report was written, "
                "no recording was made)")
    lines = ["emgcontrol assess: interrupted; kept:"]
    lines += [f"  {k}: {v}" for k, v in kept.items()]
    if any(str(k).startswith("recording") or k in ("task", "mvc") for k in kept):
        lines.append("assess the recording later with --input FILE (and --mvc FILE)")
    return "\n".join(lines)


def assess_command(args: argparse.Namespace) -> int:
    """``emgcontrol assess PROTOCOL [...]``: run :func:`emgcontrol.assess.assess`."""
    from ..assess import assess

    quiet = getattr(args, "quiet", False)

    def prompt(text: str) -> None:
        if not quiet:
            print(text, file=sys.stderr, flush=True)

    sim: dict[str, Any] = {}
    for key, name in (("variant", "variant"), ("seed", "seed"), ("snr", "snr_db"),
                      ("sim_protocol", "protocol")):
        v = getattr(args, key, None)
        if v is not None:
            sim[name] = v
    if args.fault:
        sim["faults"] = _pairs(args.fault, "--fault")
    conn = {k: getattr(args, k) for k in _CONN if getattr(args, k, None) is not None}
    if args.input is not None and args.board != "simulated":
        raise ValidationError("give either --input FILE or --board NAME, not both")
    if sim:
        from ..acquire import resolve_board

        if args.input is None and resolve_board(args.board)[0] != "simulated":
            raise ValidationError(
                "--variant/--seed/--snr/--fault/--sim-protocol need --board simulated; got "
                f"--board {args.board}")
    interactive = (not args.yes) and sys.stdin.isatty() and args.input is None
    level: Any = args.level
    if level not in ("auto", "full"):
        try:
            level = int(level)
        except ValueError:
            raise ValidationError(f"--level must be auto, full or a number; got "
                                  f"{args.level!r}") from None
    from ..assess import check_assess_args

    # every refusal that needs no data comes before anything is recorded or created
    check_assess_args(args.protocol, input=args.input, board=args.board, out=args.out,
                      overwrite=args.overwrite, options=_pairs(args.option, "--option") or None)
    read_options = reader_kwargs(args)
    if read_options and args.input is None and args.mvc is None:
        raise ValidationError("the reading flags (--sfreq, --units, --markers...) apply to "
                              "the --input and --mvc files; give --input FILE")
    if not quiet and args.input is None:
        prompt(f"assess {args.protocol}: recording on board {args.board!r}"
               + ("" if interactive else " (not waiting between steps)"))
    try:
        with flags_in_errors():  # a reader's "pass units=" becomes "pass --units"
            result = assess(
                args.protocol, input=args.input, board=args.board, montage=args.montage,
                mvc=args.mvc, patient=args.patient, store=args.store, level=level,
                session_date=args.session_date, out=args.out, overwrite=args.overwrite,
                interactive=interactive, n_trials=args.trials,
                trial_seconds=args.trial_seconds, mvc_seconds=args.mvc_seconds,
                rest_seconds=args.rest_seconds, simulation=sim or None,
                board_options=conn or None, options=_pairs(args.option, "--option") or None,
                info=_pairs(args.info, "--info") or None, pdf=not args.no_pdf,
                prompt=prompt, read_options=read_options)
    except KeyboardInterrupt as err:
        print(interrupted_message(getattr(err, "kept", None)), file=sys.stderr)
        return 130
    if args.json:
        c = result.comparison
        print(json.dumps({"protocol": c.pattern.get("id"), "level": c.level,
                          "score": c.score, "verdicts": c.verdicts,
                          "files": {k: str(v) for k, v in result.files.items()}}, indent=2))
    else:
        print(result.summary())
    return 0
