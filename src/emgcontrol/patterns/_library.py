"""The protocol library: built-in target patterns and user search paths.

A pattern given by id is looked up, in order, in the directories passed as
``path=``, in the directories of the ``EMGCONTROL_PATTERNS`` environment variable
(separated like ``PATH``), then among the built-in protocols shipped with
emgcontrol.  Each directory holds ``<id>.toml`` files; the file's ``id`` must
match its name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import ValidationError
from ._format import TargetPattern, load_pattern, loads_pattern

__all__ = ["BUILTIN_PROTOCOLS", "ENV_VAR", "list_patterns", "get_pattern", "pattern_path",
           "builtin_dir"]

ENV_VAR = "EMGCONTROL_PATTERNS"
"""Environment variable with extra pattern directories (``os.pathsep``-separated)."""

BUILTIN_PROTOCOLS = ("prone-hip-extension", "flexion-relaxation", "arm-raise", "sorensen",
                     "lift")
"""Ids of the built-in protocols."""


def builtin_dir() -> Any:
    """The package directory of the built-in protocol files (a Traversable)."""
    return resources.files(__package__).joinpath("protocols")


def _dirs(path: Any) -> list[Path]:
    out: list[Path] = []
    if path is not None:
        items = [path] if isinstance(path, (str, os.PathLike)) else list(path)
        for p in items:
            if not isinstance(p, (str, os.PathLike)):
                raise ValidationError(f"path must hold directories (str or Path); got {p!r}")
            d = Path(p)
            if not d.is_dir():
                raise ValidationError(f"pattern directory not found: {d}")
            out.append(d)
    env = os.environ.get(ENV_VAR)
    if env:
        out += [Path(p) for p in env.split(os.pathsep) if p and Path(p).is_dir()]
    return out


def pattern_path(path: Any = None) -> list[str]:
    """The directories searched for patterns, in order (``"<built-in>"`` last)."""
    return [str(d) for d in _dirs(path)] + ["<built-in>"]


def list_patterns(path: Any = None) -> dict[str, str]:
    """Patterns available by id.

    Parameters
    ----------
    path : str, path-like or sequence, optional
        Extra directories (searched first).

    Returns
    -------
    dict
        Id -> where it comes from (file path, or ``"<built-in>"``); the first
        directory that holds an id wins.
    """
    out: dict[str, str] = {}
    for d in _dirs(path):
        for f in sorted(d.glob("*.toml")):
            out.setdefault(f.stem, str(f))
    for f in sorted(builtin_dir().iterdir(), key=lambda t: t.name):
        if f.name.endswith(".toml"):
            out.setdefault(f.name[:-5], "<built-in>")
    return out


def get_pattern(name: str | os.PathLike[str], *, path: Any = None,
                options: Mapping[str, Any] | None = None,
                level: int | None = None) -> TargetPattern:
    """A target pattern by id (search path, then built-ins) or by file path.

    Parameters
    ----------
    name : str or path-like
        A pattern id (``"prone-hip-extension"``) or the path of a ``.toml`` file.
    path : str, path-like or sequence, optional
        Extra directories searched first.
    options : mapping, optional
        Options overriding the file's defaults (``{"side": "left"}``).
    level : int, optional
        Resolve for a training level (:meth:`TargetPattern.for_level`).

    Raises
    ------
    ValidationError
        For an unknown id (the message lists the known ones).
    FileFormatError
        For an invalid file (with file and line).
    """
    s = os.fspath(name)
    p: TargetPattern | None = None
    if s.endswith(".toml") or os.sep in s or (os.altsep and os.altsep in s):
        p = load_pattern(s, options=options)
    else:
        for d in _dirs(path):
            f = d / f"{s}.toml"
            if f.is_file():
                p = load_pattern(f, options=options)
                break
        if p is None:
            f2 = builtin_dir().joinpath(f"{s}.toml")
            if f2.is_file():
                p = loads_pattern(f2.read_text(encoding="utf-8"),
                                  source=f"<built-in>/{s}.toml", options=options)
        if p is None:
            import difflib

            known = list(list_patterns(path))
            close = difflib.get_close_matches(s, known, n=2)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
            raise ValidationError(
                f"unknown pattern {s!r}{hint} (known: {', '.join(known)}; searched "
                f"{', '.join(pattern_path(path))})")
        if p.id != s:
            raise ValidationError(f"pattern file for {s!r} declares id {p.id!r} ({p.source})")
    if level is not None:
        p = p.for_level(level)
    return p


