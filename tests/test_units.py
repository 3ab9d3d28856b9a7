"""One unit convention: ``Recording.data`` and ``get_data()`` are in volts, ``units=``
scales voltage (EMG/ECG) channels only, and every reader lands on the same volts.

Each writer and reader round-trips known values given in volts (and g), and
``get_data(units=u)`` must equal ``value_V / size_of(u)`` within the quantisation
step of the file format, computed from the file itself (EDF/BDF header ranges,
printed decimals, float32 spacing), never guessed.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import emgcontrol as ec
from emgcontrol import io as eio
from emgcontrol.errors import EmgcontrolWarning, UnitsDefaultWarning
from emgcontrol.recording import _VOLTAGE_TYPES, CH_TYPES

RNG = np.random.default_rng(20261)
SFREQ = 250.0  # the Cyton rate, so the BrainFlow CSV writer accepts the recording
N = 500
OUT_UNITS = ("V", "mV", "uV")
# the expectations, stated here rather than taken from the code under test
UNITS = {"V": 1.0, "mV": 1e-3, "uV": 1e-6, "µV": 1e-6, "nV": 1e-9}
VOLTAGE_TYPES = {"emg", "ecg"}
EPS = np.finfo(np.float64).eps


def truth_recording() -> ec.Recording:
    """Known values in SI units, one channel per type (built without ``units``:
    the constructor takes SI data)."""
    t = np.arange(N) / SFREQ
    data = np.vstack([
        RNG.normal(0.0, 50e-6, N),                         # EMG, V (~50 uV rms)
        1e-3 * np.sin(2 * np.pi * 1.2 * t) + 0.2e-3,       # ECG, V (~1 mV)
        0.5 * np.cos(2 * np.pi * 0.5 * t) - 0.9,           # accelerometer, g
        3.0 + RNG.normal(0.0, 0.25, N),                    # misc, its own unit
    ])
    return ec.Recording(data, SFREQ, ["EMG1", "ECG", "ACC", "AUX"],
                        ch_types=["emg", "ecg", "acc", "misc"])


def assert_units_round_trip(back: ec.Recording, truth: dict[str, np.ndarray],
                            tol_si: dict[str, np.ndarray | float]) -> None:
    """``back.get_data(ch, units=u)`` against the truth (SI) for every unit.

    ``tol_si`` is the largest error the format allows per channel (or per
    sample), in SI units; voltage channels scale with ``u``, the others must be
    the same whatever ``u`` is.
    """
    for ch, x_si in truth.items():
        volt = back.ch_types[back.ch_names.index(ch)] in VOLTAGE_TYPES
        for u in OUT_UNITS:
            size = UNITS[u] if volt else 1.0
            got = back.get_data(ch, units=u)[0]
            want = x_si / size
            err = np.abs(got - want)
            allowed = np.asarray(tol_si[ch]) / size + 8 * EPS * np.abs(want)
            assert np.all(err <= allowed), (
                f"{ch} in {u}: error up to {err.max():.3g}, allowed {np.max(allowed):.3g}")
        if not volt:  # units= leaves g and misc alone, bit for bit
            assert np.array_equal(back.get_data(ch, units="uV"), back.get_data(ch, units="V"))


def test_constants_cover_every_channel_type():
    # the round trips below use one channel of each type; a new type needs a case here
    assert set(CH_TYPES) == {"emg", "ecg", "acc", "misc"}
    assert _VOLTAGE_TYPES == VOLTAGE_TYPES
    assert dict(ec.recording.UNITS) == UNITS


def test_in_memory_get_data_units():
    rec = truth_recording()
    assert_units_round_trip(rec, dict(zip(rec.ch_names, rec.data)),
                            dict.fromkeys(rec.ch_names, 0.0))
    # several channels at once: only the voltage rows are scaled
    both = rec.get_data(["EMG1", "ACC"], units="mV")
    np.testing.assert_array_equal(both[0], rec.data[0] / 1e-3)
    np.testing.assert_array_equal(both[1], rec.data[2])


# ------------------------------------------------------------------- EDF/BDF
def edf_header(path):
    """(dimension, quantisation step in that dimension) of each signal, from the header."""
    raw = path.read_bytes()
    ns = int(raw[252:256])
    h = raw[256:256 * (ns + 1)]

    def col(off, width, i):
        return h[off * ns + i * width: off * ns + (i + 1) * width].decode("latin-1").strip()

    out = {}
    for i in range(ns):
        label = col(0, 16, i)
        if label.endswith("Annotations"):
            continue
        pmin, pmax = float(col(104, 8, i)), float(col(112, 8, i))
        dmin, dmax = float(col(120, 8, i)), float(col(128, 8, i))
        out[label] = (col(96, 8, i), (pmax - pmin) / (dmax - dmin))
    return out


def si_factor(dim: str) -> float:
    """Size in SI units of one unit of an EDF physical dimension."""
    return UNITS.get(dim.replace("µ", "u"), 1.0)


@pytest.mark.parametrize("fmt, bits", [("edf", 16), ("bdf", 24)])
def test_edf_bdf_writer_round_trip_in_every_unit(tmp_path, fmt, bits):
    pytest.importorskip("edfio")
    rec = truth_recording()
    f = tmp_path / f"u.{fmt}"
    (eio.write_edf if fmt == "edf" else eio.write_bdf)(rec, f)
    back = eio.read(f)
    assert back.ch_types == rec.ch_types
    head = edf_header(f)
    tol = {}
    for ch, x in zip(rec.ch_names, rec.data):
        dim, q = head[ch]
        q_si = q * si_factor(dim)
        span = x.max() - x.min()
        # the writer fits the physical range to each channel: the step is span/(2**bits - 1)
        assert q_si <= span / (2 ** bits - 1) * (1 + 1e-3), (ch, q_si, span)
        tol[ch] = q_si / 2 * (1 + 1e-6)
    assert head["EMG1"][0] == "uV" and head["ACC"][0] == "g"
    assert_units_round_trip(back, dict(zip(rec.ch_names, rec.data)), tol)


def test_edf_from_another_writer_in_v_mv_uv(tmp_path):
    edfio = pytest.importorskip("edfio")
    rec = truth_recording()
    emg, ecg, acc, aux = rec.data
    sig = [edfio.EdfSignal(emg, SFREQ, label="EMG in V", physical_dimension="V"),
           edfio.EdfSignal(emg / 1e-3, SFREQ, label="EMG in mV", physical_dimension="mV"),
           edfio.EdfSignal(emg / 1e-6, SFREQ, label="EMG in uV", physical_dimension="uV"),
           edfio.EdfSignal(ecg / 1e-3, SFREQ, label="ECG", physical_dimension="mV"),
           edfio.EdfSignal(acc, SFREQ, label="Acc", physical_dimension="g"),
           edfio.EdfSignal(aux, SFREQ, label="Aux", physical_dimension="degC")]
    f = tmp_path / "other.edf"
    edfio.Edf(sig).write(f)
    back = eio.read(f)
    assert back.ch_types == ["emg", "emg", "emg", "ecg", "acc", "misc"]
    head = edf_header(f)
    truth = {"EMG in V": emg, "EMG in mV": emg, "EMG in uV": emg, "ECG": ecg, "Acc": acc,
             "Aux": aux}
    tol = {ch: head[ch][1] * si_factor(head[ch][0]) / 2 * (1 + 1e-6) for ch in truth}
    assert_units_round_trip(back, truth, tol)


# ------------------------------------------------------------- BrainFlow CSV
def printed_decimals(path) -> int:
    """Digits after the decimal point in the numbers of a text table."""
    fields = path.read_text().split()[:200]
    return max(len(s.split(".")[1]) if "." in s else 0 for s in fields)


@pytest.mark.parametrize("sidecar", [True, False])
def test_brainflow_csv_round_trip_in_every_unit(tmp_path, sidecar):
    pytest.importorskip("brainflow")
    rec = truth_recording().pick(["EMG1", "ECG", "ACC"])  # BrainFlow has no misc row
    f = tmp_path / "bf.csv"
    eio.write_brainflow_csv(rec, f, sidecar=sidecar)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnitsDefaultWarning)
        back = eio.read_brainflow_csv(f)
    q = 10.0 ** -printed_decimals(f)  # EXG rows in uV, accelerometer rows in g
    if sidecar:
        names = {"EMG1": "EMG1", "ECG": "ECG", "ACC": "ACC"}
        assert back.pick(list(names.values())).ch_types == ["emg", "ecg", "acc"]
    else:  # board rows: EXG1, EXG2, ... and the accelerometer rows
        names = {"EMG1": "EXG1", "ECG": "EXG2", "ACC": back.ch_names[
            back.ch_types.index("acc")]}
    truth = {names[ch]: x for ch, x in zip(rec.ch_names, rec.data)}
    tol = {names["EMG1"]: q * 1e-6 / 2 * 1.01, names["ECG"]: q * 1e-6 / 2 * 1.01,
           names["ACC"]: q / 2 * 1.01}
    assert_units_round_trip(back, truth, tol)


# ----------------------------------------------------------------- CSV, NPY
@pytest.mark.parametrize("file_units", ["V", "mV", "uV"])
def test_generic_csv_round_trip_in_every_unit(tmp_path, file_units):
    rec = truth_recording()
    f = tmp_path / "g.csv"
    eio.write_csv(rec, f, units=file_units)  # 12 significant digits
    # 12 significant digits: a relative error up to 5e-12 of each value
    tol = {ch: 5e-12 * np.abs(x) for ch, x in zip(rec.ch_names, rec.data)}
    back = eio.read(f)  # units and channel types from the sidecar
    assert back.ch_types == rec.ch_types
    assert_units_round_trip(back, dict(zip(rec.ch_names, rec.data)), tol)
    eio.write_csv(rec, f, units=file_units, sidecar=False, time_column=False)
    bare = eio.read_csv(f, sfreq=SFREQ, units=file_units, ch_types=rec.ch_types)
    assert_units_round_trip(bare, dict(zip(rec.ch_names, rec.data)), tol)


@pytest.mark.parametrize("file_units", ["V", "mV", "uV"])
def test_numpy_reader_in_every_unit(tmp_path, file_units):
    rec = truth_recording()
    volt = np.array([t in VOLTAGE_TYPES for t in rec.ch_types])
    arr = rec.data.copy()
    arr[volt] /= UNITS[file_units]
    np.save(tmp_path / "a.npy", arr)
    np.savez(tmp_path / "a.npz", emg=arr, fs=np.float64(SFREQ))
    for back in (eio.read_numpy(tmp_path / "a.npy", sfreq=SFREQ, units=file_units,
                                ch_names=rec.ch_names, ch_types=rec.ch_types),
                 eio.read(tmp_path / "a.npz", units=file_units, ch_names=rec.ch_names,
                          ch_types=rec.ch_types)):
        assert back.sfreq == SFREQ
        # one division by the file unit and one multiplication back: a few ulp
        assert_units_round_trip(back, dict(zip(rec.ch_names, rec.data)),
                                {ch: 4 * EPS * np.abs(x) for ch, x in
                                 zip(rec.ch_names, rec.data)})


# ----------------------------------------------------------- text from OpenBCI
def test_openbci_gui_text_in_every_unit(tmp_path):
    """OpenBCI GUI v6 export: EXG columns in uV with 2 decimals, accelerometer in g
    with 3 (the GUI's own formats)."""
    rec = truth_recording()
    emg_uv, acc_g = rec.data[0] / 1e-6, rec.data[2]
    head = ["%OpenBCI Raw EXG Data", "%Number of channels = 8", "%Sample Rate = 250 Hz",
            "%Board = OpenBCI_GUI$BoardCytonSerial",
            ", ".join(["Sample Index"] + [f"EXG Channel {k}" for k in range(8)]
                      + [f"Accel Channel {k}" for k in range(3)] + ["Other"] * 3
                      + ["Timestamp", "Marker Channel", "Timestamp (Formatted)"])]
    rows = []
    for i in range(N):
        ms = 1_700_000_000_000 + round(i * 1000 / SFREQ)
        rows.append(", ".join([str(i % 256), f"{emg_uv[i]:.2f}"] + ["0.00"] * 7
                              + [f"{acc_g[i]:.3f}", "0.000", "0.000", "0", "0", "0",
                                 str(ms), "0", "12:00:00.000"]))
    f = tmp_path / "OpenBCI-RAW.txt"
    f.write_text("\n".join(head + rows) + "\n")
    back = eio.read(f)
    acc_name = back.ch_names[back.ch_types.index("acc")]
    assert back.ch_types[0] == "emg"
    assert_units_round_trip(back, {back.ch_names[0]: rec.data[0], acc_name: acc_g},
                            {back.ch_names[0]: 0.005e-6 * 1.01, acc_name: 0.0005 * 1.01})


# ------------------------------------------------------ BrainVision, MNE Raw
def test_brainvision_units_in_the_header(tmp_path):
    """The header gives each channel's unit (uV, mV, V); the data are float32."""
    pytest.importorskip("mne")
    rec = truth_recording()
    emg, ecg, acc = rec.data[0], rec.data[1], rec.data[2]
    cols = [("EMG_uV", emg / 1e-6, "µV", 1e-6), ("EMG_mV", emg / 1e-3, "mV", 1e-3),
            ("EMG_V", emg, "V", 1.0), ("ECG_mV", ecg / 1e-3, "mV", 1e-3),
            ("ACC", acc, "g", 1.0)]
    f32 = np.array([c[1] for c in cols], dtype="<f4")
    (tmp_path / "s.eeg").write_bytes(f32.T.tobytes())
    chans = "".join(f"Ch{k + 1}={c[0]},,1,{c[2]}\n" for k, c in enumerate(cols))
    (tmp_path / "s.vhdr").write_text(
        "Brain Vision Data Exchange Header File Version 1.0\n\n[Common Infos]\n"
        "Codepage=UTF-8\nDataFile=s.eeg\nMarkerFile=s.vmrk\nDataFormat=BINARY\n"
        f"DataOrientation=MULTIPLEXED\nNumberOfChannels={len(cols)}\n"
        f"SamplingInterval={1e6 / SFREQ:g}\n\n[Binary Infos]\nBinaryFormat=IEEE_FLOAT_32\n\n"
        f"[Channel Infos]\n{chans}", encoding="utf-8")
    (tmp_path / "s.vmrk").write_text(
        "Brain Vision Data Exchange Marker File, Version 1.0\n\n[Common Infos]\n"
        "Codepage=UTF-8\nDataFile=s.eeg\n\n[Marker Infos]\nMk1=New Segment,,1,1,0\n",
        encoding="utf-8")
    back = eio.read(tmp_path / "s.vhdr")
    # every voltage channel is emg (ecg by its name), a channel in g acc
    assert back.ch_types == ["emg", "emg", "emg", "ecg", "acc"]
    truth = dict(zip([c[0] for c in cols], [emg, emg, emg, ecg, acc]))
    # float32 storage rounds each value to the nearest float32: at most half the
    # float32 spacing at the stored value (in the file's unit, then in SI)
    tol = {c[0]: np.spacing(np.abs(f32[k])).astype(np.float64) / 2 * c[3] * (1 + 1e-6)
           for k, c in enumerate(cols)}
    assert_units_round_trip(back, truth, tol)


def test_mne_raw_round_trip_in_every_unit():
    pytest.importorskip("mne")
    rec = truth_recording()
    raw = rec.to_mne()
    np.testing.assert_array_equal(raw.get_data(), rec.data)  # MNE: volts too
    back = ec.Recording.from_mne(raw)
    assert back.ch_types == rec.ch_types
    assert_units_round_trip(back, dict(zip(rec.ch_names, rec.data)),
                            dict.fromkeys(rec.ch_names, 0.0))


# ------------------------------------------------------------- the warnings
def test_get_data_default_is_volts_and_warns():
    rec = truth_recording()
    with pytest.warns(UnitsDefaultWarning, match=r"volts.*microvolts.*units=") as rec_w:
        x = rec.get_data()
    np.testing.assert_array_equal(x, rec.data)
    w = rec_w[0]
    assert issubclass(w.category, FutureWarning) and issubclass(w.category, EmgcontrolWarning)
    assert w.filename == __file__  # points at the caller, not at the library
    with pytest.warns(UnitsDefaultWarning):
        emg = rec.get_data("emg")
    np.testing.assert_array_equal(emg, rec.data[:1])
    with pytest.warns(UnitsDefaultWarning, match="to_dataframe"):
        df = rec.to_dataframe()
    np.testing.assert_array_equal(df.to_numpy().T, rec.data)


def test_explicit_units_and_non_voltage_picks_do_not_warn():
    rec = truth_recording()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for u in ("V", "mV", "uV", "µV", "nV"):
            rec.get_data(units=u)
            rec.to_dataframe(units=u)
        # no voltage channel picked: the unit cannot change the result
        np.testing.assert_array_equal(rec.get_data(["ACC", "AUX"]), rec.data[2:])
    with pytest.raises(ec.ValidationError, match="units"):
        rec.get_data(units="microvolt")
    with pytest.raises(ec.ValidationError, match="units"):
        rec.to_dataframe(units="kV")


def test_from_array_without_units_warns_and_keeps_microvolts():
    x = np.array([[10.0, -20.0, 30.0], [0.5, 0.25, 1.0]])
    with pytest.warns(UnitsDefaultWarning, match=r"microvolts.*require units=") as rec_w:
        rec = ec.Recording.from_array(x, 100.0, ["EMG", "ACC"], ch_types=["emg", "acc"])
    assert rec_w[0].filename == __file__
    np.testing.assert_array_equal(rec.get_data("EMG", units="uV"), x[:1])
    np.testing.assert_array_equal(rec.data[1], x[1])  # g untouched
    assert rec.history[0] == {"step": "from_array", "params": {"units": "uV"}}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for u in ("V", "mV", "uV"):
            r = ec.Recording.from_array(x, 100.0, ["EMG", "ACC"], ch_types=["emg", "acc"],
                                        units=u)
            np.testing.assert_array_equal(r.data[0], x[0] * UNITS[u])
            np.testing.assert_allclose(r.get_data("EMG", units=u)[0], x[0], rtol=4 * EPS)
            np.testing.assert_array_equal(r.data[1], x[1])
        # no voltage channel: no unit needed
        ec.Recording.from_array(x, 100.0, ["AX", "AY"], ch_types=["acc", "acc"])
    with pytest.raises(ec.ValidationError, match="units"):
        ec.Recording.from_array(x, 100.0, units="volts")
