"""Recognise a recording file by its content (first bytes / first lines)."""

from __future__ import annotations

import zipfile
from pathlib import Path

FORMATS: dict[str, str] = {
    "openbci": "OpenBCI GUI text export ('%OpenBCI Raw ...', GUI v1-v6)",
    "brainflow": "BrainFlow CSV (DataFilter.write_file: tab-separated rows, no header)",
    "edf": "EDF / EDF+ (European Data Format, 16 bit)",
    "bdf": "BDF / BDF+ (BioSemi, 24 bit)",
    "brainvision": "BrainVision (.vhdr header with .eeg/.vmrk)",
    "csv": "generic CSV/TSV with a header row of channel names",
    "npy": "NumPy .npy array (needs sfreq)",
    "npz": "NumPy .npz archive (needs sfreq unless it stores one)",
    "mat": "MATLAB .mat v5-v7 (a data array and a sampling-rate scalar such as fs)",
}
"""Formats :func:`emgcontrol.io.read` recognises, with a description."""

_HEAD_BYTES = 8192


def supported_formats_text() -> str:
    """One line listing the supported formats (for error messages)."""
    return "; ".join(FORMATS.values())


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _first_lines(text: str, n: int, skip_comments: bool = True) -> list[str]:
    out = []
    for line in text.splitlines():
        s = line.strip()
        if not s or (skip_comments and s.startswith("#")):
            continue
        out.append(s)
        if len(out) >= n:
            break
    return out


def sniff_format(path: Path) -> str | None:
    """Return the format key (see :data:`FORMATS`) of ``path``, or None if unknown.

    The content decides: EDF files start with ``b"0       "``, BDF with
    ``b"\\xffBIOSEMI"``, OpenBCI GUI exports with ``%OpenBCI Raw``, BrainVision
    headers with ``Brain Vision Data Exchange Header File``; BrainFlow CSV are
    tab-separated numeric rows without header; other delimited text with a
    header row is generic CSV.  The extension only helps for the binary
    BrainVision ``.eeg`` file (its ``.vhdr`` sibling is read).
    """
    with open(path, "rb") as fh:
        head = fh.read(_HEAD_BYTES)
    if head.startswith(b"0       "):
        return "edf"
    if head.startswith(b"\xffBIOSEMI"):
        return "bdf"
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if head.startswith(b"MATLAB ") and b"MAT-file" in head[:128]:
        return "mat"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            return None
        return "npz" if names and all(n.endswith(".npy") for n in names) else None
    if b"\x00" in head:
        if path.suffix.lower() in (".eeg", ".dat") and path.with_suffix(".vhdr").is_file():
            return "brainvision"
        return None
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    first = _first_lines(text, 1, skip_comments=False)
    if not first:
        return None
    if first[0].startswith("%OpenBCI Raw"):
        return "openbci"
    if first[0].startswith("Brain Vision Data Exchange"):
        return "brainvision"  # header (or marker file next to its header)
    lines = _first_lines(text, 3)
    if not lines:
        return None
    line0 = lines[0]
    if "\t" in line0:
        fields = line0.split("\t")
        if len(fields) >= 2 and all(_is_number(f) for f in fields):
            return "brainflow"
    counts = {d: line0.count(d) for d in (",", "\t", ";")}
    delim = max(counts, key=lambda d: counts[d])
    if not counts[delim]:
        delim = None  # one column
    fields0 = line0.split(delim) if delim else [line0]
    if len(lines) < 2:
        return "csv" if all(_is_number(f) for f in fields0) and delim else None
    fields1 = lines[1].split(delim) if delim else [lines[1]]
    if len(fields1) == len(fields0) and all(_is_number(f) for f in fields1):
        return "csv"  # header (or first row) then a numeric row of the same width
    return None
