"""A BioSemi ActiveTwo-style BDF writer for tests, independent of edfio and emgcontrol.

It lays out the file as the BioSemi acquisition software does: ``24BIT`` in the
reserved field, 1-s data records, EXG channels in uV with a physical range of
+-262144 uV (31.25 nV per bit), and a ``Status`` channel ("Triggers and Status",
``Boolean``) whose low 16 bits carry trigger codes and whose bits 16-23 carry the
system status (bit 20 CMS in range, bit 22 battery low; others set as the
hardware does).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

DMIN, DMAX = -8388608, 8388607
PMIN, PMAX = -262144.0, 262143.0
STEP_UV = (PMAX - PMIN) / (DMAX - DMIN)  # 0.03125 uV
# what an ActiveTwo Status holds above the triggers with no trigger: CMS in range (bit 20),
# a speed-mode bit (19) and the MK2 bit (23); 0x980000 is -6815744 as signed 24-bit
STATUS_HIGH = 0x980000


def _field(text: str, width: int) -> bytes:
    b = text.encode("latin-1")[:width]
    return b + b" " * (width - len(b))


def to_digital_uv(volts: np.ndarray) -> np.ndarray:
    """Volts -> BioSemi digital values (rounded, clipped)."""
    uv = np.asarray(volts) * 1e6
    d = np.round((uv - PMIN) / STEP_UV + DMIN)
    return np.clip(d, DMIN, DMAX).astype(np.int64)


def status_values(n: int, triggers: list[tuple[int, int, int]], *, high: int = STATUS_HIGH,
                  cms_out: tuple[int, int] | None = None) -> np.ndarray:
    """Status channel: ``triggers`` = (start sample, n samples held, code)."""
    v = np.full(n, high, dtype=np.int64)
    for start, hold, code in triggers:
        v[start:start + hold] |= code
    if cms_out is not None:
        v[cms_out[0]:cms_out[1]] &= ~(1 << 20)
    v = v & 0xFFFFFF
    return np.where(v >= 1 << 23, v - (1 << 24), v)  # signed 24-bit


def write_biosemi_bdf(path: Path, exg_volts: np.ndarray, status: np.ndarray, sfreq: int,
                      names: list[str] | None = None) -> Path:
    """Write ``exg_volts`` (n_ch, n) and the Status values as a BioSemi BDF."""
    n_ch, n = exg_volts.shape
    assert n % sfreq == 0, "whole 1-s records"
    names = names or [f"EXG{i + 1}" for i in range(n_ch)]
    labels = [*names, "Status"]
    ns = n_ch + 1
    dig = np.vstack([to_digital_uv(exg_volts), np.asarray(status, dtype=np.int64)])
    head = (b"\xffBIOSEMI" + _field("", 80) + _field("", 80) + _field("02.12.26", 8)
            + _field("10.00.00", 8) + _field(str(256 * (ns + 1)), 8) + _field("24BIT", 44)
            + _field(str(n // sfreq), 8) + _field("1", 8) + _field(str(ns), 4))
    sig = b"".join(_field(lab, 16) for lab in labels)
    sig += b"".join(_field("Active Electrode" if i < n_ch else "Triggers and Status", 80)
                    for i in range(ns))
    sig += b"".join(_field("uV" if i < n_ch else "Boolean", 8) for i in range(ns))
    sig += b"".join(_field(f"{PMIN:g}" if i < n_ch else str(DMIN), 8) for i in range(ns))
    sig += b"".join(_field(f"{PMAX:g}" if i < n_ch else str(DMAX), 8) for i in range(ns))
    sig += b"".join(_field(str(DMIN), 8) for _ in range(ns))
    sig += b"".join(_field(str(DMAX), 8) for _ in range(ns))
    sig += b"".join(_field("HP:DC; LP:417 Hz" if i < n_ch else "No filtering", 80)
                    for i in range(ns))
    sig += b"".join(_field(str(sfreq), 8) for _ in range(ns))
    sig += b"".join(_field("", 32) for _ in range(ns))
    assert len(head) == 256 and len(sig) == 256 * ns
    u = (dig & 0xFFFFFF).astype("<u4")
    body = bytearray()
    for r in range(n // sfreq):
        block = u[:, r * sfreq:(r + 1) * sfreq]
        b = np.empty(block.shape + (3,), dtype=np.uint8)
        b[..., 0], b[..., 1], b[..., 2] = block & 0xFF, (block >> 8) & 0xFF, block >> 16
        body += b.tobytes()
    Path(path).write_bytes(head + sig + bytes(body))
    return Path(path)
