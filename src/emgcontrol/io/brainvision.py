"""BrainVision recordings (``.vhdr`` header + ``.eeg`` data + ``.vmrk`` markers).

Reading goes through MNE; the channel types and marker labels are then made
the same as :func:`~emgcontrol.io.read_edf` gives for the same session:

* every channel stored in a voltage unit (V, mV, uV/µV, nV) is ``emg``
  (``ecg`` when its name starts with ECG/EKG), in volts, whatever type MNE
  guessed (MNE makes channels without electrode coordinates ``misc``);
  channels in ``g`` are ``acc``, others ``misc``;
* ``Stimulus`` markers ``S  n`` become events labelled ``"n"`` -- the label a
  BDF Status trigger or an EDF+ annotation of code ``n`` gets; ``Response``
  markers ``R  n`` become ``"Rn"``; comments keep their text; the
  ``New Segment`` marker at the first sample is dropped (later ones, which mark
  a discontinuity, become ``"new_segment"``); markers one sample long are
  instants (duration 0).

:func:`write_brainvision` writes the three files itself (32-bit float samples,
voltages in µV), without pybv.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FileFormatError, ValidationError
from ..recording import UNITS, Recording
from . import _common as C

__all__ = ["read_brainvision", "write_brainvision"]

_VOLT = {"v": "V", "mv": "mV", "uv": "uV", "µv": "uV", "μv": "uV", "nv": "nV"}


def _marker_label(desc: str) -> str | None:
    """Our label for an MNE BrainVision annotation description (None: drop it)."""
    typ, _, text = desc.partition("/")
    if not _:
        return desc
    t = typ.strip().lower()
    m = re.fullmatch(r"\s*([SR])\s*(\d+)\s*", text)
    if t == "stimulus" and m and m.group(1) == "S":
        return str(int(m.group(2)))
    if t == "response" and m and m.group(1) == "R":
        return f"R{int(m.group(2))}"
    if t == "new segment":
        return "new_segment"
    if t == "comment":
        return text.strip() or None
    return desc


def _header_units(vhdr: Path) -> dict[int, str]:
    """Unit field of each ``ChN=`` line of the header's [Channel Infos] (1-based N)."""
    out: dict[int, str] = {}
    section = ""
    text = vhdr.read_bytes().decode("utf-8", errors="replace")
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("[") and s.endswith("]"):
            section = s.lower()
            continue
        m = re.match(r"ch(\d+)\s*=(.*)", s, flags=re.IGNORECASE)
        if section == "[channel infos]" and m:
            props = m.group(2).split(",")
            if len(props) >= 4:
                out[int(m.group(1))] = props[3].strip()
    return out


def read_brainvision(path: str | Path, *, muscles: Any = None, ch_types: Any = None,
                     markers: Any = None) -> Recording:
    """Read a BrainVision recording with :func:`mne.io.read_raw_brainvision`.

    Parameters
    ----------
    path : str or Path
        The ``.vhdr`` header (the ``.eeg`` or ``.vmrk`` file of the same set is
        accepted too: its ``.vhdr`` sibling is read).
    muscles : Montage, sequence or mapping, optional
        Muscle under each channel.
    ch_types : str, sequence or mapping, optional
        Channel types overriding the ones the units imply (one for all, one per
        channel, or ``{channel: type}``).
    markers : mapping, optional
        ``{code: label}``, e.g. ``{1: "trial", 2: "mvc"}``: stimulus markers
        ``S  1``, ``S  2`` get those labels.

    Returns
    -------
    Recording
        Channels in volts (see the module notes for types and marker labels).

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
            data = raw.get_data()
    except Exception as err:  # noqa: BLE001 - mne raises many types on corrupt sets
        raise FileFormatError(f"cannot read this BrainVision set: {type(err).__name__}: "
                              f"{err}", p) from None
    names = list(raw.ch_names)
    if data.ndim != 2 or data.shape[1] == 0:
        raise FileFormatError("the set holds no sample", p)
    C.check_finite_rows(data, names, p)
    orig = dict(getattr(raw, "_orig_units", None) or {})
    head_units = _header_units(p)
    mne_types = raw.get_channel_types()
    types, volt = [], []
    for k, (nm, mt) in enumerate(zip(names, mne_types)):
        unit = head_units.get(k + 1) or str(
            orig.get(nm, "µV" if mt in ("eeg", "emg", "ecg", "eog") else ""))
        orig[nm] = unit
        is_v = unit.strip().lower() in _VOLT
        volt.append(is_v)
        if is_v:
            ecg = mt == "ecg" or nm.strip().upper().startswith(("ECG", "EKG"))
            types.append("ecg" if ecg else "emg")
        elif unit.strip().lower() == "g":
            types.append("acc")
        else:
            types.append("misc")
    types = C.override_types(types, names, ch_types, volt, p)
    sfreq = float(raw.info["sfreq"])
    ann = raw.annotations
    first_t = raw.first_time if ann.orig_time is not None else 0.0
    events = []
    raw_markers = []
    for o, d, desc in zip(ann.onset, ann.duration, ann.description):
        onset = float(o) - first_t
        raw_markers.append(str(desc))
        label = _marker_label(str(desc))
        if label is None or (label == "new_segment" and onset < 0.5 / sfreq):
            continue
        dur = float(d)
        if dur <= 1.0 / sfreq + 1e-12:
            dur = 0.0
        events.append((onset, dur, label))
    meta: dict[str, Any] = {"source_format": "brainvision", "source_file": str(p),
                            "units": {nm: orig.get(nm) for nm in names}}
    if raw.info.get("meas_date") is not None:
        meta["meas_date"] = raw.info["meas_date"].isoformat()
    mus = C.exg_muscles(muscles, names, len(names)) if muscles is not None else None
    rec = C.finish_recording(data, sfreq, names, types, path=p, step="read_brainvision",
                             params={"path": str(p)}, meta=meta, events=events,
                             muscles=mus)
    return C.apply_markers(rec, markers, p)


def _escape(text: str) -> str:
    return text.replace(",", r"\1")


def write_brainvision(rec: Recording, path: str | Path) -> Path:
    """Write a Recording as a BrainVision set (``.vhdr``, ``.vmrk``, ``.eeg``).

    Samples are 32-bit floats (relative precision 6e-8), voltages in µV,
    accelerometer channels in ``g``, others without unit.  Events whose label
    is a non-negative integer (``"1"``) become ``Stimulus`` markers
    ``S  1``, ``"Rn"`` labels ``Response`` markers, the others ``Comment``
    markers; :func:`read_brainvision` gives the same labels back.

    Parameters
    ----------
    rec : Recording
    path : str or Path
        The ``.vhdr`` file; the ``.eeg`` and ``.vmrk`` files get the same stem.

    Returns
    -------
    Path
        The ``.vhdr`` file.
    """
    if not isinstance(rec, Recording):
        raise ValidationError(f"rec must be a Recording; got {type(rec).__name__}")
    p = C.check_output_file(path)
    if p.suffix.lower() != ".vhdr":
        raise ValidationError(f"a BrainVision set is written to a .vhdr path; got {p.name!r}")
    for text in [*rec.ch_names, *(e.label for e in rec.events)]:
        if any(ch in text for ch in "\r\n"):
            raise ValidationError(f"{text!r} holds a line break: it cannot be stored in a "
                                  "BrainVision header or marker file")
    eeg, vmrk = p.with_suffix(".eeg"), p.with_suffix(".vmrk")
    units = []
    data = np.empty((rec.n_times, rec.n_channels), dtype="<f4")
    for i, t in enumerate(rec.ch_types):
        if t in ("emg", "ecg"):
            units.append("µV")
            x = rec.data[i] / UNITS["uV"]
        else:
            units.append("g" if t == "acc" else "n/a")
            x = rec.data[i]
        if np.max(np.abs(x), initial=0.0) > np.finfo(np.float32).max:
            raise ValidationError(f"channel {rec.ch_names[i]!r}: values too large for "
                                  "32-bit floats")
        data[:, i] = x
    head = ["Brain Vision Data Exchange Header File Version 1.0",
            "; Data written by emgcontrol", "", "[Common Infos]", "Codepage=UTF-8",
            f"DataFile={eeg.name}", f"MarkerFile={vmrk.name}",
            "DataFormat=BINARY", "DataOrientation=MULTIPLEXED",
            f"NumberOfChannels={rec.n_channels}",
            f"SamplingInterval={1e6 / rec.sfreq:.10g}", "", "[Binary Infos]",
            "BinaryFormat=IEEE_FLOAT_32", "", "[Channel Infos]"]
    head += [f"Ch{i + 1}={_escape(nm)},,1,{u}" for i, (nm, u)
             in enumerate(zip(rec.ch_names, units))]
    mk = ["Brain Vision Data Exchange Marker File, Version 1.0", "", "[Common Infos]",
          "Codepage=UTF-8", f"DataFile={eeg.name}", "", "[Marker Infos]",
          "Mk1=New Segment,,1,1,0"]
    k = 2
    for ev in rec.events:
        pos = int(round(ev.onset * rec.sfreq)) + 1
        size = max(1, int(round(ev.duration * rec.sfreq)))
        m = re.fullmatch(r"R?(\d+)", ev.label)
        if m and ev.label.startswith("R"):
            typ, desc = "Response", f"R{int(m.group(1)):3d}"
        elif m:
            typ, desc = "Stimulus", f"S{int(m.group(1)):3d}"
        else:
            typ, desc = "Comment", _escape(ev.label)
        mk.append(f"Mk{k}={typ},{desc},{pos},{size},0")
        k += 1
    data.tofile(eeg)
    vmrk.write_text("\n".join(mk) + "\n", encoding="utf-8")
    p.write_text("\n".join(head) + "\n", encoding="utf-8")
    return p
