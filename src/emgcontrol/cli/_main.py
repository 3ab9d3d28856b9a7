"""The ``emgcontrol`` parser and entry point: :func:`build_parser`, :func:`main`."""

from __future__ import annotations

import argparse
import contextlib
import sys
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from .._version import __version__
from ..errors import EmgcontrolError
from . import _acquire, _assess, _batch, _commands

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``emgcontrol`` command."""
    parser = argparse.ArgumentParser(
        prog="emgcontrol",
        description="Surface-EMG muscle-recruitment analysis: amount, selection, timing.")
    parser.add_argument("--version", action="version", version=f"emgcontrol {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _commands.add_file_commands(sub)       # info, simulate, onsets
    _acquire.add_acquire_commands(sub)     # boards, record, live
    _assess.add_assess_command(sub)        # assess
    _batch.add_batch_command(sub)          # batch
    _commands.add_warmup_command(sub)      # warmup
    return parser


@contextlib.contextmanager
def _warnings_as_lines() -> Iterator[None]:
    """Print warnings as ``warning: <message>`` lines on stderr, each message once.

    The warning filters and ``warnings.showwarning`` are restored on exit, so
    calling :func:`main` from Python leaves no global state changed.
    """
    seen: set[str] = set()

    def show(message: Any, category: type[Warning], filename: str, lineno: int,
             file: Any = None, line: str | None = None) -> None:
        text = " ".join(str(message).split())
        if text in seen:
            return
        seen.add(text)
        try:
            print(f"warning: {text}", file=sys.stderr if file is None else file, flush=True)
        except (OSError, ValueError):  # pragma: no cover - stderr closed
            pass

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with _warnings_as_lines():
            return int(args.func(args))
    except EmgcontrolError as err:
        print(f"emgcontrol {args.command}: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
