"""The ``emgcontrol batch`` command: arguments and the command function.

Wire it into a parser with :func:`add_batch_command` (``sub`` from
``add_subparsers()``), or add the arguments to a parser of your own::

    p = sub.add_parser("batch", help=BATCH_HELP, description=BATCH_HELP)
    add_batch_arguments(p)
    p.set_defaults(func=batch_command)

Nothing heavy is imported here.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import ValidationError
from ._help import pattern_ids

__all__ = ["add_batch_command", "add_batch_arguments", "batch_command", "BATCH_HELP",
           "BATCH_EPILOG"]

BATCH_HELP = ("assess a cohort of recordings against a protocol on Dask: one table "
              "(parquet + CSV) and one JSON per recording")

BATCH_EPILOG = """\
examples:
  emgcontrol batch 'cohort/*.bdf' --protocol prone-hip-extension --out results.parquet
  emgcontrol batch cohort/ --protocol arm-raise --out arm.parquet --workers 4
  emgcontrol batch 'data/**/*.csv' --protocol lift --out lift.parquet \\
      --scheduler tcp://10.0.0.5:8786

outputs: <stem>.parquet and <stem>.csv (one row per recording x criterion: path,
content_hash, protocol, level, status, criterion, verdict, measured, unit, target,
deviation, score, error_type, error, ...) and <stem>.d/<sha256>.json (the
results.json of `emgcontrol assess` per recording, plus a "batch" block).
A recording that fails gets a row with status=error and its message; the others
go on. Running the same command again skips the recordings already assessed
with the same settings (same file content, by SHA-256); --force re-runs them.

exit code: 0 when every recording was assessed, 1 when some failed (listed),
2 when the batch could not run, 130 when interrupted (finished recordings are
kept: run the command again to continue).
"""


def add_batch_command(subparsers: Any) -> None:
    """Add ``batch`` to an ``add_subparsers()`` object."""
    p = subparsers.add_parser("batch", help=BATCH_HELP, description=BATCH_HELP)
    add_batch_arguments(p)
    p.set_defaults(func=batch_command)


def add_batch_arguments(p: argparse.ArgumentParser) -> None:
    """Add the arguments of ``emgcontrol batch`` to a (sub)parser."""
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = BATCH_EPILOG
    p.add_argument("recordings", nargs="+", metavar="RECORDING",
                   help="recording files, directories or glob patterns (quote them to let "
                        "emgcontrol expand them; ** recurses)")
    p.add_argument("--protocol", "-p", required=True,
                   help=f"{', '.join(pattern_ids())}, a pattern id or a pattern .toml file")
    p.add_argument("--out", "-o", required=True, metavar="FILE",
                   help="results table, .parquet or .csv (both are written, and the JSON "
                        "files in <stem>.d/)")
    where = p.add_argument_group("where to run")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="a dask.distributed scheduler, e.g. tcp://10.0.0.5:8786 "
                            "(default: a local cluster)")
    where.add_argument("--workers", type=int, metavar="N",
                       help="local worker processes (default: the CPU count, at most one per "
                            "recording)")
    where.add_argument("--threads-per-worker", type=int, default=1, metavar="N",
                       help="threads per local worker (default 1)")
    where.add_argument("--numba-threads", type=int, default=1, metavar="N",
                       help="threads the numba kernels use within one task (default 1)")
    where.add_argument("--no-warmup", action="store_true",
                       help="do not run the chain once per worker before the recordings")
    what = p.add_argument_group("assessment")
    what.add_argument("--level", default="full",
                      help="full (default) or a training level number")
    what.add_argument("--option", action="append", metavar="KEY=VALUE",
                      help="pattern option, e.g. side=left; repeatable")
    what.add_argument("--montage",
                      help="montage for recordings that carry none: preset (e.g. "
                           "cyton-low-back-8), muscles in channel order, or 'CH=muscle,...'")
    what.add_argument("--force", action="store_true",
                      help="re-assess recordings already done with the same settings")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def _options(values: list[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for v in values or []:
        k, sep, val = v.partition("=")
        k, val = k.strip(), val.strip()
        if not sep or not k:
            raise ValidationError(f"--option must be KEY=VALUE; got {v!r}")
        conv: Any = val
        if val.lower() in ("true", "false"):
            conv = val.lower() == "true"
        else:
            for cast in (int, float):
                try:
                    conv = cast(val)
                    break
                except ValueError:
                    continue
        out[k] = conv
    return out


def batch_command(args: argparse.Namespace) -> int:
    """``emgcontrol batch RECORDING... --protocol P --out FILE``: run
    :func:`emgcontrol.batch.run` and print its summary.

    Returns 0 when every recording was assessed, 1 when some failed, 130 when
    interrupted; errors that stop the batch raise (the CLI prints them, exit 2).
    """
    import warnings

    from ..batch import expand_paths, output_paths, run

    level: Any = args.level
    if level != "full":
        try:
            level = int(level)
        except ValueError:
            raise ValidationError(f"--level must be full or a level number; got "
                                  f"{args.level!r}") from None
    if args.scheduler and args.workers is not None:
        raise ValidationError("--workers sizes the local cluster; with --scheduler the "
                              "cluster has its own workers: give one or the other")
    files = output_paths(args.out)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paths = expand_paths(args.recordings,
                             exclude=[files["parquet"], files["csv"], files["json_dir"]])
    for w in caught:
        print(f"emgcontrol batch: warning: {w.message}", file=sys.stderr)
    try:
        res = run(paths, args.protocol, out=args.out, client=args.scheduler,
                  n_workers=args.workers, threads_per_worker=args.threads_per_worker,
                  numba_threads=args.numba_threads, force=args.force,
                  options=_options(args.option) or None, level=level, montage=args.montage,
                  progress=not args.quiet, warmup=not args.no_warmup)
    except KeyboardInterrupt:
        print(f"emgcontrol batch: interrupted; the recordings finished so far are kept in "
              f"{files['json_dir']} (run the same command again to continue)", file=sys.stderr)
        return 130
    print(res.summary())
    return 1 if res.n_failed else 0
