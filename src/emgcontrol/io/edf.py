"""EDF/EDF+ (16 bit) and BDF/BDF+ (24 bit) files, through ``edfio``.

Writing keeps what a Recording holds:

* channel names in the signal labels (names longer than the 16-character label
  field are also stored whole in the transducer field, ``name=...``);
* channel type and muscle in the transducer field, e.g. ``"EMG electrode;
  muscle=left multifidus"``: EDF viewers show it, :func:`read_edf` parses it;
* voltages in microvolts (``uV``), accelerometer channels in ``g``, with a
  physical range per channel fitted to the data so the quantisation step is
  ``(max - min) / (2**16 - 1)`` (EDF) or ``/ (2**24 - 1)`` (BDF);
* events as EDF+/BDF+ annotations;
* the number of samples (the last data record is padded with the last value)
  in the recording-identification field, ``emgcontrol_n_times=N``.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import warnings
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FileFormatError, ValidationError
from ..recording import UNITS, Event, Recording
from . import _common as C

__all__ = ["read_edf", "write_edf", "write_bdf"]

_MAGIC = {"edf": b"0       ", "bdf": b"\xffBIOSEMI"}
_BYTES = {"edf": 2, "bdf": 3}
_N_TIMES_KEY = "emgcontrol_n_times="
_TRANSDUCER = {"emg": "EMG electrode", "ecg": "ECG electrode", "acc": "accelerometer",
               "misc": ""}
_UNIT_ALIASES = {"uv": "uV", "µv": "uV", "μv": "uV", "mv": "mV", "v": "V", "nv": "nV"}
_STATUS_LABELS = ("status",)
"""Labels of a BioSemi-style trigger/status channel (any case)."""
_TRIGGER_LABELS = ("trigger", "triggers", "trig", "stim", "sti 014")
"""Other trigger-channel labels, taken as triggers when every value is an integer."""
TRIGGER_MASK = 0xFFFF
"""BioSemi Status: the low 16 bits carry the trigger codes (bits 16-23 the system
status: bit 16 new epoch, bit 20 CMS in range, bit 22 battery low)."""
_CMS_IN_RANGE = 1 << 20
_BATTERY_LOW = 1 << 22


# ------------------------------------------------------------------ reading
def _field(raw: bytes, start: int, length: int) -> str:
    return raw[start:start + length].decode("latin-1").strip()


def _int_field(raw: bytes, start: int, length: int, what: str, path: Path) -> int:
    text = _field(raw, start, length)
    try:
        return int(text)
    except ValueError:
        try:
            val = float(text)
        except ValueError:
            val = math.nan
        if math.isfinite(val) and val == int(val):
            return int(val)
        raise FileFormatError(f"header field '{what}' = {text!r} is not an integer",
                              path) from None


def _float_field(text: str, what: str, path: Path) -> float:
    try:
        val = float(text)
    except ValueError:
        val = math.nan
    if not math.isfinite(val):
        raise FileFormatError(f"header field '{what}' = {text!r} is not a number", path)
    return val


def _check_header(p: Path, fmt: str, allow_truncated: bool) -> dict[str, Any]:
    """Validate the fixed and signal headers against the file size."""
    size = p.stat().st_size
    name = fmt.upper()
    with open(p, "rb") as fh:
        head = fh.read(256)
        if len(head) < 256:
            raise FileFormatError(
                f"truncated {name} header: the file has {size} bytes, the fixed header "
                "alone needs 256", p)
        if not head.startswith(_MAGIC[fmt]):
            raise FileFormatError(f"not a {name} file (version field {head[:8]!r})", p)
        header_bytes = _int_field(head, 184, 8, "number of bytes in header", p)
        n_records = _int_field(head, 236, 8, "number of data records", p)
        duration = _float_field(_field(head, 244, 8), "duration of a data record", p)
        ns = _int_field(head, 252, 4, "number of signals", p)
        if not 1 <= ns <= 4096:
            raise FileFormatError(f"header announces {ns} signals", p)
        if header_bytes != 256 * (ns + 1):
            raise FileFormatError(
                f"header size field says {header_bytes} bytes but {ns} signals need "
                f"{256 * (ns + 1)}", p)
        if size < header_bytes:
            raise FileFormatError(
                f"truncated {name} header: {ns} signals need {header_bytes} header bytes, "
                f"the file has {size}", p)
        sig = fh.read(256 * ns)
    off = {"label": 0, "transducer": 16, "dim": 96, "pmin": 104, "pmax": 112, "dmin": 120,
           "dmax": 128, "prefilter": 136, "spr": 216, "reserved": 224}
    width = {"label": 16, "transducer": 80, "dim": 8, "pmin": 8, "pmax": 8, "dmin": 8,
             "dmax": 8, "prefilter": 80, "spr": 8, "reserved": 32}

    def col(key: str, i: int) -> str:
        start = off[key] * ns + i * width[key]
        return sig[start:start + width[key]].decode("latin-1").strip()

    labels = [col("label", i) for i in range(ns)]
    spr = []
    for i in range(ns):
        try:
            v = int(col("spr", i))
        except ValueError:
            v = -1
        if v < 1 or v > 10_000_000:
            raise FileFormatError(f"signal {i + 1} ({labels[i]!r}): samples per data record "
                                  f"{col('spr', i)!r} is not a positive integer", p)
        spr.append(v)
        is_ann = labels[i] in ("EDF Annotations", "BDF Annotations")
        pmin = _float_field(col("pmin", i), f"physical minimum of signal {i + 1}", p)
        pmax = _float_field(col("pmax", i), f"physical maximum of signal {i + 1}", p)
        dmin = _float_field(col("dmin", i), f"digital minimum of signal {i + 1}", p)
        dmax = _float_field(col("dmax", i), f"digital maximum of signal {i + 1}", p)
        if not is_ann and (pmin == pmax or dmin >= dmax):
            raise FileFormatError(
                f"signal {i + 1} ({labels[i]!r}) has an empty physical ({pmin}, {pmax}) or "
                f"digital ({dmin}, {dmax}) range", p)
    if duration < 0 or (duration == 0 and not all(
            lab in ("EDF Annotations", "BDF Annotations") for lab in labels)):
        raise FileFormatError(f"data-record duration {duration} s must be > 0", p)
    record_bytes = sum(spr) * _BYTES[fmt]
    available = (size - header_bytes) // record_bytes
    if n_records == -1:
        n_records = available
    elif n_records < 0:
        raise FileFormatError(f"header announces {n_records} data records", p)
    elif available < n_records:
        msg = (f"truncated {name} file: the header announces {n_records} data records of "
               f"{record_bytes} bytes, the file holds {available} complete records "
               f"({size} bytes)")
        if not allow_truncated:
            raise FileFormatError(msg + "; pass allow_truncated=True to read them", p)
        C.warn(f"{p}: {msg}; reading those")
        n_records = available
    if n_records == 0:
        raise FileFormatError("the file holds no data record", p)
    reserved = _field(head, 192, 44)
    return {"n_records": n_records, "duration": duration, "labels": labels,
            "reserved": reserved, "size_needed": header_bytes + n_records * record_bytes,
            "size": size}


def _parse_transducer(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    parts = [s.strip() for s in text.split(";")]
    if parts and "=" not in parts[0]:
        out["kind"] = parts[0]
    for s in parts:
        if "=" in s:
            k, v = s.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def _channel_type(label: str, dim: str, info: dict[str, str]) -> tuple[str, float]:
    """Channel type and the factor from the file's unit to SI."""
    unit = _UNIT_ALIASES.get(dim.strip().lower())
    kind = info.get("kind", "").lower()
    for t, word in _TRANSDUCER.items():
        if word and kind == word.lower():
            scale = UNITS[unit] if unit and t in ("emg", "ecg") else 1.0
            return t, scale
    up = label.upper()
    if unit is not None:
        t = "ecg" if up.startswith(("ECG", "EKG")) else "emg"
        return t, UNITS[unit]
    if dim.strip().lower() == "g":
        return "acc", 1.0
    return "misc", 1.0


def _record_onset(record: np.ndarray) -> float:
    r"""Onset (s) of one data record: its first TAL, ``+ONSET\x14\x14`` (EDF+ spec 2.2.4)."""
    return float(record.tobytes().split(b"\x14", 1)[0].split(b"\x15", 1)[0].decode("ascii"))


def _record_gaps(edf: Any, sfreq: float, spr: int, duration: float) -> list[C.Gap]:
    """Gaps between data records of an EDF+D/BDF+D file (from timekeeping TALs)."""
    sig = edf._timekeeping_signal
    recs = sig.digital.reshape((-1, sig._bytes_per_data_record))
    onsets = np.array([_record_onset(r) for r in recs])
    gaps = []
    for k in range(1, len(onsets)):
        lost = (onsets[k] - onsets[k - 1] - duration) * sfreq
        if round(lost) >= 1:
            gaps.append(C.Gap(k * spr, int(round(lost)), "record onsets"))
    return gaps


def _is_trigger_signal(signal: Any) -> bool:
    lab = signal.label.strip().lower()
    if lab in _STATUS_LABELS:
        return True
    if lab not in _TRIGGER_LABELS:
        return False
    values = np.asarray(signal.data)
    return bool(np.all(values == np.round(values)))


def decode_triggers(values: np.ndarray, sfreq: float, *, mask: int = TRIGGER_MASK
                    ) -> tuple[list[Event], dict[str, Any]]:
    """Events from a trigger (BioSemi ``Status``) channel.

    Parameters
    ----------
    values : ndarray of int, shape (n_times,)
        The channel's digital values (24-bit two's complement in BDF).
    sfreq : float
        Sampling frequency in Hz.
    mask : int
        Bits that carry the trigger code (BioSemi: the low 16 bits).

    Returns
    -------
    events : list of Event
        One zero-duration event at every sample where the masked code changes
        to a nonzero value, labelled with the code (``"1"``, ``"2"``...), as
        MNE's ``find_events`` reports them.  A code already present at the
        first sample is not an event (it is in ``info["initial_code"]``).
    info : dict
        ``channel`` filled in by the caller; ``codes`` (code -> count),
        ``initial_code``; when bits above the mask are used (a BioSemi
        ActiveTwo sets them), ``cms_out_of_range_s`` (time with the CMS
        electrode out of range: poor contact) and ``battery_low``.
    """
    v = np.asarray(values).astype(np.int64)
    code = v & mask
    change = np.flatnonzero(np.diff(code) != 0) + 1
    change = change[code[change] != 0]
    events = [Event(float(k) / sfreq, 0.0, str(int(code[k]))) for k in change]
    counts: dict[str, int] = {}
    for e in events:
        counts[e.label] = counts.get(e.label, 0) + 1
    info: dict[str, Any] = {"codes": counts, "initial_code": int(code[0]) if len(code) else 0,
                            "mask": mask}
    high = (v & 0xFFFFFF) & ~mask
    if np.any(high):
        out = int(np.count_nonzero((v & _CMS_IN_RANGE) == 0))
        info["cms_out_of_range_s"] = out / sfreq
        info["battery_low"] = bool(np.any(v & _BATTERY_LOW))
    return events, info


def read_edf(
    path: str | Path,
    *,
    muscles: Any = None,
    allow_truncated: bool = False,
    ch_types: Any = None,
    markers: Any = None,
) -> Recording:
    """Read an EDF, EDF+, BDF or BDF+ file (the content tells which).

    Parameters
    ----------
    path : str or Path
        The ``.edf`` / ``.bdf`` file.
    muscles : Montage, sequence or mapping, optional
        Muscle under each channel (overrides muscles stored by :func:`write_edf`).
    allow_truncated : bool
        Read the complete data records of a file shorter than its header says
        (with a warning) instead of raising.
    ch_types : str, sequence or mapping, optional
        Channel types overriding the ones the file implies: one for all, one per
        channel, or ``{channel: type}`` (``emg``/``ecg`` only for channels
        stored in a voltage unit).
    markers : mapping, optional
        ``{code: label}``, e.g. ``{1: "trial", 2: "mvc"}``: trigger and
        annotation events labelled with a code get the label.

    Returns
    -------
    Recording
        Voltage channels (any of uV, mV, V, nV) in volts, type ``emg`` (``ecg``
        for labels starting with ECG/EKG) unless the transducer field names the
        type; ``g`` channels are ``acc``, others ``misc``.  Signals sampled
        slower than the fastest ones are left out with a warning (listed in
        ``meta["skipped_signals"]``).  A trigger channel (BioSemi ``Status``)
        is not a data channel: its code changes (low 16 bits) become events
        labelled with the code (``"1"``, ``"2"``...), summarised in
        ``meta["triggers"]``.  Annotations become events; gaps between
        the data records of a discontinuous (EDF+D) file are reported as
        dropped samples.

    Raises
    ------
    RecordingFileNotFoundError, FileFormatError, NonFiniteDataError
    """
    p = C.check_input_file(path)
    with open(p, "rb") as fh:
        magic = fh.read(8)
    fmt = "bdf" if magic.startswith(b"\xff") else "edf"
    info = _check_header(p, fmt, allow_truncated)
    import edfio

    reader = edfio.read_bdf if fmt == "bdf" else edfio.read_edf
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            edf = reader(p, header_encoding="latin-1")
            signals = list(edf.signals)
            if not signals:
                raise FileFormatError("the file holds annotations only, no signal", p)
            rates = [float(s.sampling_frequency) for s in signals]
            trig = [i for i, s in enumerate(signals) if _is_trigger_signal(s)]
            trig = trig[:1]
            data_idx = [i for i in range(len(signals)) if i not in trig]
            if not data_idx:
                raise FileFormatError("the file holds a trigger channel only, no data "
                                      "signal", p)
            sfreq = max(rates[i] for i in data_idx)
            keep = [i for i in data_idx if rates[i] == sfreq]
            skipped = [f"{signals[i].label} ({rates[i]:g} Hz)" for i in data_idx
                       if i not in keep]
            n_avail = min(len(signals[i].data) for i in keep)
            n_rec = info["n_records"]
            spr = signals[keep[0]].samples_per_data_record
            n_times = min(n_avail, n_rec * spr)
            rec_id = edf.local_recording_identification
            m = re.search(re.escape(_N_TIMES_KEY) + r"(\d+)", rec_id)
            if m and 0 < int(m.group(1)) <= n_times:
                n_times = int(m.group(1))
            raw = [np.asarray(signals[i].data[:n_times], dtype=np.float64) for i in keep]
            trig_events: list[Event] = []
            trig_info: dict[str, Any] | None = None
            if trig:
                ts = signals[trig[0]]
                if rates[trig[0]] != sfreq:
                    raise FileFormatError(
                        f"trigger channel {ts.label!r} is sampled at {rates[trig[0]]:g} Hz, "
                        f"the data at {sfreq:g} Hz", p)
                digital = np.asarray(ts.digital[:n_times], dtype=np.int64)
                if ts.label.strip().lower() not in _STATUS_LABELS:
                    digital = np.round(np.asarray(ts.data[:n_times])).astype(np.int64)
                trig_events, trig_info = decode_triggers(digital, sfreq)
                trig_info = {"channel": ts.label, **trig_info}
            annotations = list(edf.annotations)
            gaps: list[C.Gap] = []
            if info["reserved"].upper().startswith(("EDF+D", "BDF+D")):
                gaps = _record_gaps(edf, sfreq, spr, info["duration"])
            try:
                start = _dt.datetime.combine(edf.startdate, edf.starttime).isoformat()
            except Exception:  # noqa: BLE001 - anonymised or malformed start date
                start = None
            labels = [signals[i].label for i in keep]
            dims = [signals[i].physical_dimension for i in keep]
            trans = [_parse_transducer(signals[i].transducer_type) for i in keep]
            prefilt = {signals[i].label: signals[i].prefiltering for i in keep
                       if signals[i].prefiltering}
    except FileFormatError:
        raise
    except Exception as err:  # noqa: BLE001 - edfio raises many types on corrupt files
        raise FileFormatError(f"cannot read this {fmt.upper()} file: "
                              f"{type(err).__name__}: {err}", p) from None
    if not np.isfinite(sfreq) or sfreq <= 0:
        raise FileFormatError(f"sampling frequency {sfreq} Hz is not positive", p)
    if skipped:
        C.warn(f"{p}: signals sampled slower than {sfreq:g} Hz were left out: "
               f"{', '.join(skipped)}")
    names, types, muss, volt = [], [], [], []
    data = np.empty((len(keep), n_times), dtype=np.float64)
    for j, (lab, dim, tr) in enumerate(zip(labels, dims, trans)):
        t, scale = _channel_type(lab, dim, tr)
        names.append(tr.get("name") or lab)
        types.append(t)
        muss.append(tr.get("muscle"))
        unit = _UNIT_ALIASES.get(dim.strip().lower())
        volt.append(unit is not None and t in ("emg", "ecg"))
        data[j] = raw[j] * scale
    seen: dict[str, int] = {}
    for j, nm in enumerate(names):  # EDF allows duplicate labels, a Recording does not
        if nm in seen:
            seen[nm] += 1
            names[j] = f"{nm}-{seen[nm]}"
        else:
            seen[nm] = 0
    events = [Event(float(a.onset), float(a.duration or 0.0), a.text)
              for a in annotations if a.text] + trig_events
    meta: dict[str, Any] = {"source_format": fmt + ("+" if info["reserved"].upper()
                                                    .startswith(("EDF+", "BDF+")) else ""),
                            "source_file": str(p)}
    if start:
        meta["meas_date"] = start
    if prefilt:
        meta["prefiltering"] = prefilt
    if skipped:
        meta["skipped_signals"] = skipped
    if trig_info is not None:
        meta["triggers"] = trig_info
        if trig_info.get("cms_out_of_range_s"):
            C.warn(f"{p}: the BioSemi Status channel says the CMS electrode was out of "
                   f"range for {trig_info['cms_out_of_range_s']:.3f} s (poor electrode "
                   "contact); see meta['triggers']")
    rid = re.sub(r"\s*" + re.escape(_N_TIMES_KEY) + r"\d+", "", rec_id).strip()
    if rid:
        meta["recording_id"] = rid
    if gaps:
        dropped, gap_events = C.dropped_samples_report(gaps, sfreq, None, p)
        events += gap_events
        meta["dropped_samples"] = dropped
    else:
        stored = [e for e in events if e.label == "dropped_samples"]
        if stored:  # written by write_edf from a recording with dropped samples
            meta["dropped_samples"] = {
                "count": int(sum(round(e.duration * sfreq) for e in stored)),
                "gaps": [{"sample": int(round(e.onset * sfreq)), "time_s": e.onset,
                          "n_missing": int(round(e.duration * sfreq)), "line": None,
                          "source": "annotation"} for e in stored]}
    if muscles is not None:
        muss = C.exg_muscles(muscles, names, len(names))
    else:
        muss = C.stored_muscles(muss, p)
    types = C.override_types(types, names, ch_types, volt, p)
    params = {"path": str(p), "format": meta["source_format"]}
    rec = C.finish_recording(data, sfreq, names, types, path=p, step="read_edf",
                             params=params, meta=meta, events=events, muscles=muss)
    return C.apply_markers(rec, markers, p)


# ------------------------------------------------------------------ writing
def _record_layout(sfreq: float) -> tuple[int, int]:
    """Samples per data record and record duration (s) representing ``sfreq`` exactly."""
    frac = Fraction(sfreq).limit_denominator(1000)
    if abs(float(frac) - sfreq) > 1e-9 * sfreq:
        raise ValidationError(
            f"sfreq={sfreq!r} Hz cannot be stored in EDF/BDF, whose rate is samples per "
            "data record / record duration; resample to a rational rate")
    spr, dur = frac.numerator, frac.denominator
    while spr * dur < sfreq * 0.5 and spr < 1:  # pragma: no cover - sfreq >= 1/1000
        spr, dur = spr * 2, dur * 2
    return spr, dur


def _check_text(what: str, text: str, limit: int | None = None) -> None:
    if any(not 32 <= ord(ch) <= 126 for ch in text):
        raise ValidationError(f"{what} {text!r} must be printable ASCII to be stored in "
                              "an EDF/BDF header")
    if limit is not None and len(text) > limit:
        raise ValidationError(f"{what} {text!r} is longer than the {limit} characters "
                              "of its EDF/BDF header field")


def _write(rec: Recording, path: str | Path, fmt: str) -> Path:
    if not isinstance(rec, Recording):
        raise ValidationError(f"rec must be a Recording; got {type(rec).__name__}")
    p = C.check_output_file(path)
    import edfio

    sig_cls = edfio.BdfSignal if fmt == "bdf" else edfio.EdfSignal
    file_cls = edfio.Bdf if fmt == "bdf" else edfio.Edf
    spr, dur = _record_layout(rec.sfreq)
    n = rec.n_times
    n_rec = max(1, math.ceil(n / spr))
    pad = n_rec * spr - n
    signals = []
    labels: set[str] = set()
    for i, (name, t, mus) in enumerate(zip(rec.ch_names, rec.ch_types, rec.muscles)):
        _check_text("channel name", name)
        label = name[:16]
        k = 1
        while label in labels:
            suffix = f"~{k}"
            label = name[:16 - len(suffix)] + suffix
            k += 1
        labels.add(label)
        parts = [_TRANSDUCER[t]] if _TRANSDUCER[t] else [f"type={t}"]
        if mus is not None:
            parts.append(f"muscle={mus}")
        if label != name:
            if ";" in name:
                raise ValidationError(f"channel name {name!r} is longer than the 16 "
                                      "characters of an EDF label and holds ';'; rename it")
            parts.append(f"name={name}")
        transducer = "; ".join(parts)
        _check_text(f"channel {name!r}: transducer text", transducer, 80)
        x = rec.data[i] * (1e6 if t in ("emg", "ecg") else 1.0)
        if pad:
            x = np.concatenate([x, np.full(pad, x[-1])])
        lo, hi = float(x.min()), float(x.max())
        if hi - lo <= 1e-12 * max(abs(lo), abs(hi), 1.0):
            lo, hi = lo - 1.0, hi + 1.0
        if max(abs(lo), abs(hi)) >= 1e7:
            raise ValidationError(
                f"channel {name!r}: values up to {max(abs(lo), abs(hi)):.3g} "
                f"{'uV' if t in ('emg', 'ecg') else 'units'} do not fit the 8-character "
                "physical range of EDF/BDF")
        dim = "uV" if t in ("emg", "ecg") else ("g" if t == "acc" else "")
        try:
            signals.append(sig_cls(x, float(rec.sfreq), label=label,
                                   transducer_type=transducer, physical_dimension=dim,
                                   physical_range=(lo, hi)))
        except ValueError as err:
            raise ValidationError(f"channel {name!r} cannot be stored: {err}") from None
    anns = []
    for ev in rec.events:
        _check_text("event label", ev.label)
        anns.append(edfio.EdfAnnotation(ev.onset, ev.duration if ev.duration > 0 else None,
                                        ev.label))
    start = None
    meas = rec.meta.get("meas_date")
    if isinstance(meas, str):
        try:
            start = _dt.datetime.fromisoformat(meas)
        except ValueError:
            start = None
    if start is not None and start.tzinfo is not None:
        start = start.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    if start is not None and not 1985 <= start.year <= 2084:
        start = None  # outside the EDF date window
    board = rec.meta.get("board")
    equipment = re.sub(r"[^!-~]", "_", str(board)) if board else "X"
    try:
        rec_field = edfio.Recording(startdate=start.date() if start else None,
                                    equipment_code=equipment[:20],
                                    additional=(f"{_N_TIMES_KEY}{n}",))
        edf = file_cls(signals, recording=rec_field,
                       starttime=start.time() if start else None,
                       data_record_duration=dur, annotations=anns)
        edf.write(p)
    except ValueError as err:
        raise ValidationError(f"cannot write {fmt.upper()} file {str(p)!r}: {err}") from None
    return p


def write_edf(rec: Recording, path: str | Path) -> Path:
    """Write a Recording as EDF+ (16-bit samples).

    Each channel gets the physical range of its own data, so the quantisation
    step is ``(max - min) / 65535`` of that channel (EMG in uV).  Names,
    types, muscles and events survive :func:`read_edf`.

    Parameters
    ----------
    rec : Recording
        The recording; its sampling rate must be a fraction with a denominator
        up to 1000 (the EDF record duration).
    path : str or Path
        Output ``.edf`` file.

    Returns
    -------
    Path
    """
    return _write(rec, path, "edf")


def write_bdf(rec: Recording, path: str | Path) -> Path:
    """Write a Recording as BDF+ (24-bit samples).

    As :func:`write_edf` with a quantisation step of ``(max - min) / 16777215``
    per channel: for sEMG spanning 10 mV, 0.6 nV.

    Parameters
    ----------
    rec : Recording
    path : str or Path
        Output ``.bdf`` file.

    Returns
    -------
    Path
    """
    return _write(rec, path, "bdf")
