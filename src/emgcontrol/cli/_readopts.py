"""Reader options of the file commands (``info``, ``onsets``): every keyword of
:func:`emgcontrol.read` as a flag, and errors that name the flag.

=====================  ===========================  ======================================
flag                   keyword                      example
=====================  ===========================  ======================================
``--sfreq HZ``         ``sfreq=``                   ``--sfreq 250`` (``.npy``, CSV w/o time)
``--units U``          ``units=``                   ``--units mV``
``--key NAME``         ``key=``                     ``--key EMG.channelData`` (.npz, .mat)
``--sfreq-key NAME``   ``sfreq_key=``               ``--sfreq-key EMG.Hz`` (.mat)
``--time-col COL``     ``time_column=``             ``--time-col 0``, ``--time-col none``
``--time-units U``     ``time_units=``              ``--time-units ms``
``--types T``          ``ch_types=``                ``--types misc`` / ``EXG4=ecg,EXG5=misc``
``--allow-truncated``  ``allow_truncated=True``     EDF/BDF cut short
``--montage M``        (``Recording.set_montage``)  a preset or ``EXG1=left multifidus,...``
``--markers M``        ``markers=``                 ``--markers 1=trial,2=mvc``
``--picks P``          ``picks=`` (onsets)          ``--picks EXG1,EXG2``
=====================  ===========================  ======================================
"""

from __future__ import annotations

import argparse
import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import EmgcontrolError, FileFormatError, ValidationError

__all__ = ["add_reader_arguments", "read_recording", "reader_kwargs", "flag_message",
           "flags_in_errors", "KEYWORD_FLAGS"]

KEYWORD_FLAGS: dict[str, str] = {
    "allow_truncated": "--allow-truncated",
    "time_column": "--time-col",
    "time_units": "--time-units",
    "sfreq_key": "--sfreq-key",
    "ch_types": "--types",
    "markers": "--markers",
    "sfreq": "--sfreq",
    "units": "--units",
    "key": "--key",
    "picks": "--picks",
    "event_columns": "--event-columns",
    "muscles": "--montage",
    "montage": "--montage",
    "baseline": "--baseline",
}
"""Python keyword -> command-line flag, for messages."""

_BARE = ("allow_truncated", "time_column", "time_units", "sfreq_key", "ch_types",
         "event_columns")  # identifiers no English sentence uses


def flag_message(text: str) -> str:
    """``text`` with Python keywords (``sfreq=``, ``allow_truncated=True``) as flags.

    ``keyword=`` becomes ``--flag`` (``--flag VALUE`` when a value follows),
    ``allow_truncated=True`` ``--allow-truncated``, the underscore identifiers
    (``ch_types``, ``time_column``...) their flags anywhere, and ``markers``
    or ``key`` their flags where they open the message.
    """
    text = text.replace("allow_truncated=True", "--allow-truncated")
    text = text.replace("baseline=(start, stop)", "--baseline START,STOP")
    text = text.replace("time_column=False", "--time-col none")
    names = "|".join(sorted(KEYWORD_FLAGS, key=len, reverse=True))

    def with_value(m: re.Match[str]) -> str:
        flag = KEYWORD_FLAGS[m.group(1)]
        nxt = m.group(2)
        return flag + (" " + nxt if nxt and nxt not in " (,;.)" else nxt)

    text = re.sub(r"(?<![\w.-])(" + names + r")=(.?)", with_value, text)
    text = re.sub(r"(?<![\w.-])(" + "|".join(_BARE) + r")\b",
                  lambda m: KEYWORD_FLAGS[m.group(1)], text)
    return re.sub(r"^(markers|key)\b", lambda m: KEYWORD_FLAGS[m.group(1)], text)


def add_reader_arguments(p: argparse.ArgumentParser, *, picks: bool = False,
                         montage: bool = True) -> None:
    """Add the reader flags to a file command's parser (``montage=False`` where the
    command has its own ``--montage``)."""
    g = p.add_argument_group("reading the file (the format is recognised from the content)")
    g.add_argument("--sfreq", type=float, metavar="HZ",
                   help="sampling rate for files that do not store it (.npy, CSV without "
                        "a time column); checked against the file's rate otherwise")
    g.add_argument("--units", metavar="U", choices=("V", "mV", "uV", "nV"),
                   help="unit of the voltages in CSV/text, .npy/.npz and .mat files: V, mV, "
                        "uV or nV (default: the file's, else uV where the numbers fit)")
    g.add_argument("--key", metavar="NAME",
                   help="array of an .npz or .mat file (e.g. data, EMG.channelData)")
    g.add_argument("--sfreq-key", metavar="NAME",
                   help="scalar holding the sampling rate in a .mat file (default: fs, "
                        "sfreq, srate, ...)")
    g.add_argument("--time-col", metavar="COL",
                   help="CSV/text column of sample times: a name or a 0-based index, or "
                        "'none' (default: a column named time, t, timestamp, ...)")
    g.add_argument("--time-units", metavar="U", choices=("s", "ms", "us"),
                   help="unit of the time column: s, ms or us (default: from its name or "
                        "its spacing)")
    g.add_argument("--types", metavar="T",
                   help="channel types: one for all (misc), one per channel "
                        "(emg,emg,ecg) or CHANNEL=TYPE pairs (EXG4=ecg); types: emg, ecg, "
                        "acc, misc")
    g.add_argument("--allow-truncated", action="store_true",
                   help="read the complete data records of an EDF/BDF file cut short "
                        "(with a warning) instead of refusing it")
    if montage:
        g.add_argument("--montage", metavar="M",
                       help="muscles under the channels: a preset (cyton-low-back-8, ...), "
                            "muscles in channel order ('left multifidus,right multifidus') "
                            "or CHANNEL=MUSCLE pairs ('EXG1=left multifidus,EXG2=GMax R')")
    g.add_argument("--markers", metavar="CODE=LABEL[,...]",
                   help="names for numeric markers and triggers, e.g. 1=trial,2=mvc")
    if picks:
        g.add_argument("--picks", metavar="P",
                       help="channels to analyse: names, muscles or types, comma-separated "
                            "(e.g. EXG1,EXG2 or emg)")


def _split(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def parse_types(text: str) -> Any:
    """``--types`` -> ``ch_types=``: one type, a list, or a mapping."""
    parts = _split(text)
    if not parts:
        raise ValidationError("--types is empty")
    if any("=" in t for t in parts):
        out = {}
        for t in parts:
            if "=" not in t:
                raise ValidationError(f"--types: {t!r} is not CHANNEL=TYPE (mix no plain "
                                      "types with pairs)")
            ch, typ = t.split("=", 1)
            out[ch.strip()] = typ.strip()
        return out
    return parts[0] if len(parts) == 1 else parts


def parse_montage(text: str) -> Any:
    """``--montage`` -> a Montage, ``{channel: muscle}`` or a list of muscles."""
    from ..montage import PRESETS, get_preset

    if text.strip() in PRESETS:
        return get_preset(text.strip())
    parts = _split(text)
    if any("=" in t for t in parts):
        out = {}
        for t in parts:
            if "=" not in t:
                raise ValidationError(f"--montage: {t!r} is not CHANNEL=MUSCLE")
            ch, mus = t.split("=", 1)
            out[ch.strip()] = mus.strip()
        return out
    return parts


def reader_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The keywords of :func:`emgcontrol.read` the flags ask for."""
    kw: dict[str, Any] = {}
    if args.sfreq is not None:
        kw["sfreq"] = args.sfreq
    if args.units is not None:
        kw["units"] = args.units
    if args.key is not None:
        kw["key"] = args.key
    if args.sfreq_key is not None:
        kw["sfreq_key"] = args.sfreq_key
    if args.time_col is not None:
        col = args.time_col.strip()
        kw["time_column"] = (False if col.lower() in ("none", "false", "no")
                             else int(col) if re.fullmatch(r"-?\d+", col) else col)
    if args.time_units is not None:
        kw["time_units"] = args.time_units
    if args.types is not None:
        kw["ch_types"] = parse_types(args.types)
    if args.allow_truncated:
        kw["allow_truncated"] = True
    if args.markers is not None:
        kw["markers"] = args.markers
    return kw


@contextlib.contextmanager
def flags_in_errors() -> Iterator[None]:
    """Re-raise emgcontrol errors with the Python keywords named as flags."""
    try:
        yield
    except FileFormatError as err:
        raise FileFormatError(flag_message(err.reason), err.path, err.line) from None
    except FileNotFoundError:
        raise
    except EmgcontrolError as err:
        raise type(err)(flag_message(str(err))) from None


def read_recording(args: argparse.Namespace, path: Path | None = None) -> Any:
    """Read ``args.file`` (or ``path``) with the reader flags; errors name the flags."""
    from ..io import read

    target = args.file if path is None else path
    with flags_in_errors():
        rec = read(target, **reader_kwargs(args))
        if args.montage is not None:
            rec = rec.set_montage(parse_montage(args.montage))
        return rec
