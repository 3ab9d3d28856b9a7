"""The ``emgcontrol`` command: a thin layer over the public API.

Subcommands
-----------
info FILE [--json]
    Channels, muscles, sampling rate, duration, events and dropped samples.
simulate PROTOCOL [--variant NAME] --out FILE [--seed N] [--sfreq HZ] [--snr DB]
    Write a simulated session and its ground truth (``FILE.truth.json``).
simulate PROTOCOL --list-variants
    Print the protocol's variants, one a line.
onsets FILE [--method M] [--json]
    Detected activations: channel, muscle, onset, offset, peak, area.
assess PROTOCOL [--input FILE | --board NAME] [--out DIR] ...
    Assess a recording (or a session recorded now) against a target pattern:
    report.html, report.pdf, results.json.
batch GLOB --protocol P --out results.parquet ...
    Assess a cohort on Dask.
boards [--all] [--json]
    The BrainFlow boards, with sampling rates and EMG channels.
record --out FILE [--board NAME] [--duration S] [--montage M] ...
    Record from a board (default: the built-in simulated board) straight to disk.
live [--board NAME] [--pattern P] [--duration S] [--display terminal|matplotlib|none] ...
    Live biofeedback: envelopes in %MVC against target zones, onsets and order checks.
batch RECORDING... --protocol P --out results.parquet [--scheduler ADDRESS] [--workers N]
    Assess a cohort on Dask: one row per recording x criterion, one JSON per recording.

Errors from emgcontrol (bad file, bad argument) are printed as one line on
stderr with exit code 2; they never show a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import EmgcontrolError

__all__ = ["main", "build_parser"]

WRITE_FORMATS = {".bdf": "bdf", ".edf": "edf", ".csv": "brainflow", ".txt": "brainflow"}


def _info(args: argparse.Namespace) -> int:
    from .io import read

    rec = read(args.file)
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
    return 0


def _out_format(out: Path) -> str:
    fmt = WRITE_FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise EmgcontrolError(
            f"--out {out}: cannot tell the format from the extension {out.suffix!r}; "
            f"use one of {', '.join(WRITE_FORMATS)}"
        )
    return fmt


def _write(rec: Any, out: Path) -> None:
    from . import io

    fmt = _out_format(out)
    if fmt == "bdf":
        io.write_bdf(rec, out)
    elif fmt == "edf":
        io.write_edf(rec, out)
    else:
        io.write_brainflow_csv(rec, out)


def _simulate(args: argparse.Namespace) -> int:
    from . import simulate as sim

    variants = sim.list_variants(args.protocol)  # checks the protocol name
    if args.list_variants:
        print("\n".join(variants))
        return 0
    if args.out is None:
        raise EmgcontrolError("simulate needs --out FILE (or --list-variants)")
    _out_format(Path(args.out))
    rec, truth = sim.simulate(args.protocol, args.variant, sfreq=args.sfreq,
                              snr_db=args.snr, seed=args.seed)
    out = Path(args.out)
    _write(rec, out)
    truth_path = out.with_name(out.name + ".truth.json")
    truth.save(truth_path)
    print(f"wrote {out} ({rec.n_channels} channels, {rec.sfreq:g} Hz, {rec.duration:.1f} s) "
          f"and {truth_path}")
    return 0


def _onsets(args: argparse.Namespace) -> int:
    from .onset import onsets_command

    print(onsets_command(args.file, method=args.method, as_json=args.json))
    return 0


def _assess(args: argparse.Namespace) -> int:
    from .assess import assess_command

    return assess_command(args)


def _batch(args: argparse.Namespace) -> int:
    from .batch import batch_command

    return batch_command(args)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``emgcontrol`` command."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="emgcontrol",
        description="Surface-EMG muscle-recruitment analysis: amount, selection, timing.")
    parser.add_argument("--version", action="version", version=f"emgcontrol {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("info", help="describe a recording file")
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=_info)

    p = sub.add_parser("simulate", help="write a simulated session with its ground truth")
    p.add_argument("protocol", help="prone-hip-extension, flexion-relaxation, arm-raise, "
                                    "sorensen or lift")
    p.add_argument("--variant", default="typical", help="variant (default: typical)")
    p.add_argument("--list-variants", action="store_true", help="print variants and exit")
    p.add_argument("--out", help="output file (.bdf, .edf, or .csv for BrainFlow CSV)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sfreq", type=float, default=1000.0, help="sampling rate in Hz")
    p.add_argument("--snr", type=float, default=20.0, help="signal-to-noise ratio in dB")
    p.set_defaults(func=_simulate)

    p = sub.add_parser("onsets", help="detect muscle activations (onsets, offsets)")
    p.add_argument("file", type=Path)
    p.add_argument("--method", default=None,
                   help="aglr, hodges, tkeo or bonato (default: the benchmark's best)")
    p.add_argument("--json", action="store_true", help="print JSON: a list of row objects")
    p.set_defaults(func=_onsets)

    from .acquire.cli_commands import add_acquire_commands

    add_acquire_commands(sub)

    from .assess._cli import ASSESS_HELP, add_assess_arguments

    p = sub.add_parser("assess", help=ASSESS_HELP, description=ASSESS_HELP)
    add_assess_arguments(p)
    p.set_defaults(func=_assess)

    from .batch._cli import BATCH_HELP, add_batch_arguments

    p = sub.add_parser("batch", help=BATCH_HELP, description=BATCH_HELP)
    add_batch_arguments(p)
    p.set_defaults(func=_batch)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except EmgcontrolError as err:
        print(f"emgcontrol {args.command}: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
