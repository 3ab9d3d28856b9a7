"""Small OpenBCI GUI text files (bytes) for reader tests and the reader fuzzer
(``tests/test_io_fuzz.py``, ``benchmarks/fuzz_readers.py``), written the way the GUI
writes them, independent of emgcontrol.
"""

from __future__ import annotations

import numpy as np


def openbci_v6(n: int) -> bytes:
    """OpenBCI GUI v6 "Raw EXG Data" from a Ganglion at 200 Hz: ``n`` samples of 4
    channels (uV), packet ids 1-100 two samples each, a marker at sample 7."""
    rng = np.random.default_rng(1)
    lines = ["%OpenBCI Raw EXG Data", "%Number of channels = 4", "%Sample Rate = 200 Hz",
             "%Board = OpenBCI_GUI$BoardGanglionBLE",
             "Sample Index, EXG Channel 0, EXG Channel 1, EXG Channel 2, EXG Channel 3, "
             "Accel Channel 0, Accel Channel 1, Accel Channel 2, Timestamp, Marker Channel, "
             "Timestamp (Formatted)"]
    for i in range(n):
        vals = ", ".join(f"{v:.2f}" for v in rng.normal(0, 50, 4))
        lines.append(f"{1 + (i // 2) % 100}, {vals}, 0.0, 0.0, 0.0, "
                     f"{1700000000.0 + i / 200:.3f}, {1 if i == 7 else 0}, "
                     f"10:00:{i / 200:06.3f}")
    return ("\n".join(lines) + "\n").encode()


def openbci_old(n: int) -> bytes:
    """Old OpenBCI GUI "Raw EEG Data" from a Cyton at 250 Hz: ``n`` samples of 8
    channels (uV), sample index 0-255, clock time and Unix milliseconds."""
    rng = np.random.default_rng(2)
    lines = ["%OpenBCI Raw EEG Data", "%Number of channels = 8", "%Sample Rate = 250.0 Hz",
             "%First Column = SampleIndex", "%Last Column = Timestamp ",
             "%Other Columns = EEG data in microvolts followed by Accel Data (in G) "
             "interleaved with Aux Data"]
    for i in range(n):
        vals = ", ".join(f"{v:.2f}" for v in rng.normal(0, 50, 8))
        lines.append(f"{i % 256}, {vals}, 0.000, 0.000, 0.000, 12:00:{i / 250:06.3f}, "
                     f"{1557936053329 + 4 * i}")
    return ("\n".join(lines) + "\n").encode()
