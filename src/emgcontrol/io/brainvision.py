"""BrainVision recordings (``.vhdr`` header + ``.eeg`` data + ``.vmrk`` markers), via MNE."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from ..errors import FileFormatError
from ..recording import Recording
from . import _common as C

__all__ = ["read_brainvision"]


def read_brainvision(path: str | Path, *, muscles: Any = None) -> Recording:
    """Read a BrainVision recording with :func:`mne.io.read_raw_brainvision`.

    Parameters
    ----------
    path : str or Path
        The ``.vhdr`` header (the ``.eeg`` or ``.vmrk`` file of the same set is
        accepted too: its ``.vhdr`` sibling is read).
    muscles : Montage, sequence or mapping, optional
        Muscle under each channel.

    Returns
    -------
    Recording
        Channels in volts (MNE converts the header's units; EEG-typed channels
        become ``emg``), markers as events.

    Raises
    ------
    RecordingFileNotFoundError, FileFormatError
    """
    p = C.check_input_file(path)
    if p.suffix.lower() != ".vhdr":
        vhdr = p.with_suffix(".vhdr")
        if not vhdr.is_file():
            raise FileFormatError("a BrainVision set is read from its .vhdr header, which "
                                  f"is missing ({vhdr.name})", p)
        p = C.check_input_file(vhdr)
    with open(p, "rb") as fh:
        first = fh.read(64)
    if not first.lstrip(b"\xef\xbb\xbf").startswith(b"Brain Vision Data Exchange Header"):
        raise FileFormatError("not a BrainVision header: the first line must be "
                              "'Brain Vision Data Exchange Header File ...'", p, 1)
    import mne

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            raw = mne.io.read_raw_brainvision(p, preload=True, verbose="error")
    except Exception as err:  # noqa: BLE001 - mne raises many types on corrupt sets
        raise FileFormatError(f"cannot read this BrainVision set: {type(err).__name__}: "
                              f"{err}", p) from None
    C.check_finite_rows(raw.get_data(), raw.ch_names, p)
    rec = Recording.from_mne(raw)
    if muscles is not None:
        mus = C.exg_muscles(muscles, rec.ch_names, rec.n_channels)
        rec = rec.set_montage(mus)
    meta = rec.meta
    meta.update({"source_format": "brainvision", "source_file": str(p)})
    return rec.with_step("read_brainvision", {"path": str(p)}, meta=meta)
