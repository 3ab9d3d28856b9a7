"""Line numbers of keys and values in a TOML source text.

:mod:`tomllib` reports syntax errors with a line number but knows nothing of
semantic errors (an unknown muscle, a criterion of an unknown kind).  This small
scanner maps key paths -- ``("criteria", 2, "first")``, ``("montage",
"required")`` -- to the line where they are written, so that those errors can
name the file and line too.  It understands what target-pattern files use:
``[table]`` and ``[[array.of.tables]]`` headers, ``key = value`` lines (bare,
quoted and dotted keys), one level of inline tables, and values spread over
several lines (arrays, multi-line strings).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["Locator"]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*(\]\]?)\s*(#.*)?$")
_KEY = re.compile(r'^\s*((?:[A-Za-z0-9_\-]+|"[^"]*"|\'[^\']*\')'
                  r'(?:\s*\.\s*(?:[A-Za-z0-9_\-]+|"[^"]*"|\'[^\']*\'))*)\s*=')
_INLINE_KEY = re.compile(r'(?:[{,]\s*)([A-Za-z0-9_\-]+|"[^"]*"|\'[^\']*\')\s*=')


def _split_key(text: str) -> list[str]:
    parts = re.findall(r'[A-Za-z0-9_\-]+|"[^"]*"|\'[^\']*\'', text)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


class Locator:
    """Map TOML key paths to 1-based line numbers.

    Parameters
    ----------
    text : str
        The TOML source.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self._where: dict[tuple, int] = {}
        self._spans: dict[tuple, tuple[int, int]] = {}
        counts: dict[tuple, int] = {}
        table: tuple = ()
        in_multi: str | None = None
        depth = 0
        last_key: tuple | None = None
        for no, raw in enumerate(self.lines, start=1):
            line = raw
            if in_multi is not None:
                if line.count(in_multi) % 2 == 1:
                    in_multi = None
                if last_key is not None:
                    self._extend(last_key, no)
                continue
            if depth > 0:
                depth += _bracket_balance(line)
                if last_key is not None:
                    self._extend(last_key, no)
                continue
            m = _HEADER.match(line)
            if m and not _KEY.match(line):
                keys = _split_key(m.group(2))
                if m.group(1) == "[[":
                    base = tuple(keys)
                    idx = counts.get(base, 0)
                    counts[base] = idx + 1
                    table = _with_indices(base, counts) + ()
                else:
                    table = _with_indices(tuple(keys), counts)
                self._where.setdefault(table, no)
                self._spans[table] = (no, no)
                last_key = None
                continue
            k = _KEY.match(line)
            if not k:
                continue
            path = table + tuple(_split_key(k.group(1)))
            self._where.setdefault(path, no)
            self._spans[path] = (no, no)
            last_key = path
            rest = line[k.end():]
            for ik in _INLINE_KEY.finditer(rest):
                self._where.setdefault(path + tuple(_split_key(ik.group(1))), no)
            stripped = _strip_comment(rest)
            for q in ('"""', "'''"):
                if stripped.count(q) % 2 == 1:
                    in_multi = q
                    break
            if in_multi is None:
                depth = _bracket_balance(stripped)
                if depth < 0:
                    depth = 0
        self._tables = table

    def _extend(self, key: tuple, no: int) -> None:
        a, _ = self._spans.get(key, (no, no))
        self._spans[key] = (a, no)

    def line_of(self, path: Sequence[object], value: object = None) -> int | None:
        """Line of ``path`` (or of its longest prefix that is written in the file).

        When ``value`` is a string, the line within the key's span that holds it
        (as a quoted string) is preferred: the exact line of an offending list item.
        """
        p = tuple(path)
        while p:
            if p in self._where:
                line = self._where[p]
                if isinstance(value, str) and p in self._spans:
                    a, b = self._spans[p]
                    for no in range(a, b + 1):
                        text = self.lines[no - 1]
                        if f'"{value}"' in text or f"'{value}'" in text:
                            return no
                return line
            p = p[:-1]
        return None


def _with_indices(keys: tuple, counts: dict[tuple, int]) -> tuple:
    """Insert array-of-table indices: ``("levels", "advance")`` -> ``("levels", 0, "advance")``."""
    out: list[object] = []
    for i in range(len(keys)):
        out.append(keys[i])
        prefix = tuple(keys[: i + 1])
        if prefix in counts:
            out.append(counts[prefix] - 1)
    return tuple(out)


def _strip_comment(text: str) -> str:
    out = []
    quote: str | None = None
    for ch in text:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            break
        out.append(ch)
    return "".join(out)


def _bracket_balance(text: str) -> int:
    s = _strip_comment(text)
    s = re.sub(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'', "", s)
    return s.count("[") + s.count("{") - s.count("]") - s.count("}")
