"""Readers and writers: dispatch by content, OpenBCI, BrainFlow CSV, EDF/BDF,
BrainVision, CSV, NumPy; dropped samples; bad input."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

import emgcontrol as ec
from emgcontrol import io as eio
from emgcontrol.errors import (
    DroppedSamplesWarning,
    EmgcontrolError,
    EmgcontrolWarning,
    FileFormatError,
    NonFiniteDataError,
    RecordingFileNotFoundError,
    ValidationError,
)

RNG = np.random.default_rng(42)


# ----------------------------------------------------------------- builders
def openbci_v6_text(exg_uv, acc, index, unix_ms, marker=None, sfreq=250, board="Cyton"):
    """An OpenBCI GUI v6 export built from arrays (n_times rows)."""
    n_exg = exg_uv.shape[1]
    names = (["Sample Index"] + [f"EXG Channel {k}" for k in range(n_exg)]
             + [f"Accel Channel {k}" for k in range(3)] + ["Other"] * 3
             + ["Timestamp", "Marker Channel", "Timestamp (Formatted)"])
    lines = ["%OpenBCI Raw EXG Data", f"%Number of channels = {n_exg}",
             f"%Sample Rate = {sfreq} Hz", f"%Board = OpenBCI_GUI$Board{board}Serial",
             ", ".join(names)]
    marker = np.zeros(len(index)) if marker is None else marker
    for i in range(len(index)):
        ts = unix_ms[i] / 1000.0
        clock = f"{int(ts // 3600 % 24):02d}:{int(ts // 60 % 60):02d}:{ts % 60:06.3f}"
        fields = ([str(int(index[i]))] + [f"{v:.2f}" for v in exg_uv[i]]
                  + [f"{v:.3f}" for v in acc[i]] + ["0", "0", "0"]
                  + [str(int(unix_ms[i])), f"{marker[i]:g}", clock])
        lines.append(", ".join(fields))
    return "\n".join(lines) + "\n"


def cyton_arrays(n, sfreq=250.0, t0_ms=1_700_000_000_000):
    exg = np.round(RNG.normal(0, 80, (n, 8)), 2)
    acc = np.round(RNG.normal(0, 0.5, (n, 3)), 3)
    idx = np.arange(n) % 256
    unix = t0_ms + np.round(np.arange(n) * 1000 / sfreq)
    return exg, acc, idx, unix


def brainflow_cyton(n, *, seq=None, t0=1.7e9):
    """A Cyton BrainFlow array (24 rows) whose package counter follows ``seq``."""
    seq = np.arange(n) if seq is None else np.asarray(seq)
    data = np.zeros((24, len(seq)))
    data[0] = seq % 256
    data[1:9] = RNG.normal(0, 50, (8, len(seq)))
    data[9:12] = RNG.normal(0, 1, (3, len(seq)))
    data[22] = t0 + seq / 250.0
    return np.ascontiguousarray(data)


def sample_rec(n=1001, sfreq=250.0):
    data = np.vstack([RNG.normal(0, 60, (3, n)), RNG.normal(0, 1, (1, n))])
    return ec.Recording.from_array(
        data, sfreq, ["EXG1", "left_multifidus_long_name", "c", "ACC_X"],
        ch_types=["emg", "emg", "emg", "acc"], units="uV",
        muscles=["left multifidus", "left multifidus", "GMax R", None],
        events=[(0.5, 1.0, "trial"), (1.0, 0.0, "go"), (2.0, 0.0, "7")],
        meta={"board": "cyton", "meas_date": "2024-03-01T10:00:00+00:00"})


# ------------------------------------------------------------- light import
def test_import_io_is_light():
    code = ("import sys, json, emgcontrol.io; "
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    loaded = set(json.loads(out.strip().splitlines()[-1]))
    heavy = {"mne", "brainflow", "pandas", "edfio", "matplotlib", "scipy", "dask"}
    assert not loaded & heavy


# ---------------------------------------------------------------- dispatch
def test_read_dispatches_on_content_not_extension(tmp_path):
    rec = sample_rec()
    eio.write_edf(rec, tmp_path / "a.edf")
    (tmp_path / "a.edf").rename(tmp_path / "edf_as.dat")
    eio.write_bdf(rec, tmp_path / "bdf_as.txt")
    DataFilterWrite = pytest.importorskip("brainflow.data_filter").DataFilter.write_file
    DataFilterWrite(brainflow_cyton(50), str(tmp_path / "bf_as.edf"), "w")
    exg, acc, idx, unix = cyton_arrays(30)
    (tmp_path / "obci_as.csv").write_text(openbci_v6_text(exg, acc, idx, unix))
    np.save(tmp_path / "arr.bin.npy", rec.data)
    (tmp_path / "arr.bin.npy").rename(tmp_path / "arr.bin")
    expect = {"edf_as.dat": "edf+", "bdf_as.txt": "bdf+", "bf_as.edf": "brainflow-csv",
              "obci_as.csv": "openbci-gui-v6", "arr.bin": "npy"}
    for name, fmt in expect.items():
        r = eio.read(tmp_path / name, sfreq=250.0)
        assert r.meta["source_format"] == fmt, name
    assert eio.detect_format(tmp_path / "bf_as.edf") == "brainflow"


def test_unknown_format_names_file_and_lists_formats(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("Dear colleague,\nthe recording is attached.\n")
    with pytest.raises(FileFormatError) as err:
        eio.read(f)
    msg = str(err.value)
    assert str(f) in msg and "unknown format" in msg
    for fmt in ("OpenBCI", "BrainFlow", "EDF", "BDF", "BrainVision", "CSV", ".npy"):
        assert fmt in msg


def test_missing_empty_and_directory(tmp_path):
    with pytest.raises(RecordingFileNotFoundError) as err:
        eio.read(tmp_path / "nope.edf")
    assert isinstance(err.value, FileNotFoundError) and "nope.edf" in str(err.value)
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(FileFormatError, match="empty"):
        eio.read(tmp_path / "empty.csv")
    with pytest.raises(FileFormatError, match="directory"):
        eio.read(tmp_path)
    for reader in (eio.read_openbci_txt, eio.read_brainflow_csv, eio.read_edf,
                   eio.read_csv, eio.read_numpy, eio.read_brainvision):
        with pytest.raises(RecordingFileNotFoundError):
            reader(tmp_path / "missing.file")
    with pytest.raises(ValidationError, match="path"):
        eio.read(12)


# ---------------------------------------------------------------- OpenBCI
def test_openbci_v6_values_markers_and_counter_gap(tmp_path):
    exg, acc, idx, unix = cyton_arrays(700)
    marker = np.zeros(700)
    marker[[100, 400]] = [3, 1.5]
    keep = np.r_[0:300, 307:700]  # 7 samples lost before the original sample 307
    f = tmp_path / "OpenBCI-RAW.txt"
    f.write_text(openbci_v6_text(exg[keep], acc[keep], idx[keep], unix[keep], marker[keep]))
    with pytest.warns(DroppedSamplesWarning, match=r"7 dropped sample.*sample 300.*line 306"):
        rec = eio.read(f)
    assert rec.sfreq == 250.0 and rec.n_times == len(keep)
    assert rec.ch_names == [f"EXG{k}" for k in range(1, 9)] + ["ACC_X", "ACC_Y", "ACC_Z"]
    assert rec.ch_types == ["emg"] * 8 + ["acc"] * 3
    np.testing.assert_allclose(rec.data[:8], exg[keep].T * 1e-6, rtol=0, atol=1e-15)
    np.testing.assert_allclose(rec.data[8:], acc[keep].T, rtol=0, atol=1e-15)
    ds = rec.meta["dropped_samples"]
    assert ds == {"count": 7, "gaps": [{"sample": 300, "time_s": 300 / 250, "n_missing": 7,
                                        "line": 306, "source": "counter"}]}
    labels = {(e.label, round(e.onset, 6), round(e.duration, 6)) for e in rec.events}
    assert labels == {("3", 0.4, 0.0), ("1.5", (400 - 7) / 250, 0.0),
                      ("dropped_samples", 1.2, 7 / 250)}
    assert rec.meta["board"] == "cyton" and rec.meta["timestamp_kind"] == "unix"
    assert len(rec.timestamps) == rec.n_times
    assert rec.meta["meas_date"].startswith("2023-11-14T22:13:20")
    json.dumps(rec.meta)  # JSON-ready


def test_openbci_counter_wrap_is_not_a_gap_but_a_long_jump_is(tmp_path):
    exg, acc, idx, unix = cyton_arrays(1500)
    f = tmp_path / "ok.txt"
    f.write_text(openbci_v6_text(exg, acc, idx, unix))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DroppedSamplesWarning)
        rec = eio.read_openbci_txt(f)
    assert rec.meta["dropped_samples"] == {"count": 0, "gaps": []}
    # lose exactly 512 + 3 samples: the counter alone would say 3, the timestamps say 515
    keep = np.r_[0:600, 600 + 515:1500]
    f2 = tmp_path / "jump.txt"
    f2.write_text(openbci_v6_text(exg[keep], acc[keep], idx[keep], unix[keep]))
    with pytest.warns(DroppedSamplesWarning, match="515 dropped"):
        rec2 = eio.read_openbci_txt(f2)
    gap, = rec2.meta["dropped_samples"]["gaps"]
    assert (gap["sample"], gap["n_missing"], gap["source"], gap["line"]) == \
        (600, 515, "timestamps", 606)


def test_openbci_v5_leading_zero_row_is_dropped_and_recorded(tmp_path):
    exg, acc, idx, unix = cyton_arrays(40)
    head = ["%OpenBCI Raw EEG Data", "%Number of channels = 8", "%Sample Rate = 250 Hz",
            "%Board = OpenBCI_GUI$BoardCytonSerial", ",".join(["0.0"] * 24)]
    rows = [", ".join([str(int(idx[i]))] + [f"{v:.2f}" for v in exg[i]]
                      + [f"{v:.3f}" for v in acc[i]] + ["0.0"] * 10
                      + [str(int(unix[i])), "12:00:00.000"]) for i in range(40)]
    f = tmp_path / "v5.txt"
    f.write_text("\n".join(head + rows) + "\n")
    rec = eio.read(f)
    assert rec.n_times == 40 and rec.meta["source_format"] == "openbci-gui-v5"
    assert rec.meta["dropped_rows"]["lines"] == [5]
    assert rec.history[0]["params"]["dropped_leading_zero_rows"] == 1
    np.testing.assert_allclose(rec.get_data("emg", units="uV"), exg.T, atol=1e-9)


def test_openbci_old_ganglion_format(tmp_path):
    n = 450
    head = ["%OpenBCI Raw EEG Data", "%", "%Sample Rate = 200.0 Hz",
            "%First Column = SampleIndex", "%Last Column = Timestamp ",
            "%Other Columns = EEG data in microvolts followed by Accel Data (in G) "
            "interleaved with Aux Data"]
    exg = np.round(RNG.normal(0, 20, (n, 4)), 2)
    t = 23 * 3600 + 59 * 60 + 59.0 + np.arange(n) / 200  # crosses midnight
    rows = []
    for i in range(n):
        ts = t[i] % 86400
        clock = f"{int(ts // 3600):02d}:{int(ts // 60 % 60):02d}:{ts % 60:06.3f}"
        rows.append(", ".join([str(i % 201)] + [f"{v:.2f}" for v in exg[i]]
                              + ["0.000"] * 3 + [clock]))
    f = tmp_path / "ganglion.txt"
    f.write_text("\n".join(head + rows) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DroppedSamplesWarning)
        rec = eio.read(f)
    assert rec.sfreq == 200 and rec.meta["board"] == "ganglion"
    assert rec.ch_names[:4] == ["EXG1", "EXG2", "EXG3", "EXG4"]
    assert rec.meta["timestamp_kind"] == "time_of_day"
    assert np.all(np.diff(rec.timestamps) > 0)  # midnight unwrapped
    np.testing.assert_allclose(rec.get_data("emg", units="uV"), exg.T, atol=1e-9)


def test_openbci_bad_rows(tmp_path):
    exg, acc, idx, unix = cyton_arrays(20)
    text = openbci_v6_text(exg, acc, idx, unix)
    lines = text.splitlines()
    ragged = lines.copy()
    ragged[10] += ", 99"
    (tmp_path / "ragged.txt").write_text("\n".join(ragged) + "\n")
    with pytest.raises(FileFormatError, match="line 11.*ragged"):
        eio.read(tmp_path / "ragged.txt")
    word = lines.copy()
    fields = lines[8].split(", ")
    fields[3] = "abc"
    word[8] = ", ".join(fields)
    (tmp_path / "word.txt").write_text("\n".join(word) + "\n")
    with pytest.raises(FileFormatError, match=r"line 9: EXG3: 'abc' is not a number"):
        eio.read(tmp_path / "word.txt")
    nan = lines.copy()
    fields = lines[12].split(", ")
    fields[2] = "nan"
    nan[12] = ", ".join(fields)
    (tmp_path / "nan.txt").write_text("\n".join(nan) + "\n")
    with pytest.raises(NonFiniteDataError, match=r"line 13.*'EXG2'.*sample 7"):
        eio.read(tmp_path / "nan.txt")
    # an interrupted recording: last row cut, no final newline -> dropped with a warning
    (tmp_path / "cut.txt").write_text(text[: text.rindex(",") - 3])
    with pytest.warns(EmgcontrolWarning, match="line 25.*incomplete"):
        rec = eio.read(tmp_path / "cut.txt")
    assert rec.n_times == 19 and rec.meta["dropped_incomplete_last_line"] == 25
    with pytest.raises(ValidationError, match="contradicts"), pytest.warns(EmgcontrolWarning):
        eio.read(tmp_path / "cut.txt", sfreq=500)
    bad_rate = text.replace("%Sample Rate = 250 Hz", "%Sample Rate = -5 Hz")
    (tmp_path / "rate.txt").write_text(bad_rate)
    with pytest.raises(FileFormatError, match="Sample Rate"):
        eio.read(tmp_path / "rate.txt")


def test_reader_muscles_argument(tmp_path):
    exg, acc, idx, unix = cyton_arrays(30)
    f = tmp_path / "m.txt"
    f.write_text(openbci_v6_text(exg, acc, idx, unix))
    rec = eio.read(f, muscles=ec.get_preset("cyton-low-back-8"))
    assert str(rec.muscles[0]) == "left longissimus" and rec.muscles[8] is None
    rec = eio.read(f, muscles={"EXG2": "R GMax"})
    assert rec.muscles[1] == ec.MuscleRef("gluteus_maximus", "right")
    with pytest.raises(ValidationError, match="9 muscles.*8 EXG"):
        eio.read(f, muscles=["multifidus"] * 9)
    with pytest.raises(ValidationError, match="not an EXG channel"):
        eio.read(f, muscles={"ACC_X": "multifidus"})


# ------------------------------------------------------------- BrainFlow CSV
def test_brainflow_file_written_by_brainflow(tmp_path):
    DataFilter = pytest.importorskip("brainflow.data_filter").DataFilter
    seq = np.r_[0:300, 304:600]  # 4 samples lost
    data = brainflow_cyton(0, seq=seq)
    data[23, [50, 420]] = [2, 5]
    f = tmp_path / "session.csv"
    DataFilter.write_file(data, str(f), "w")
    with pytest.warns(DroppedSamplesWarning, match="4 dropped.*line 301"):
        rec = eio.read_brainflow_csv(f, board="cyton")
    text_resolution = 0.5e-6 * 1e-6  # %f keeps 6 decimals of microvolts
    assert np.abs(rec.data[:8] - data[1:9] * 1e-6).max() <= text_resolution * 1.01
    assert np.abs(rec.data[8:] - data[9:12]).max() <= 0.5e-6 * 1.01
    assert rec.sfreq == 250 and rec.meta["board_id"] == 0
    assert rec.meta["dropped_samples"]["gaps"] == [
        {"sample": 300, "time_s": 1.2, "n_missing": 4, "line": 301, "source": "counter"}]
    ev = sorted((e.label, e.onset) for e in rec.events)
    assert ev == [("2", 0.2), ("5", 1.68), ("dropped_samples", 1.2)]
    # the same file through read(), board by id
    with pytest.warns(DroppedSamplesWarning):
        assert eio.read(f, board=0).n_times == 596


def test_brainflow_wrong_board_and_bad_board_names(tmp_path):
    DataFilter = pytest.importorskip("brainflow.data_filter").DataFilter
    f = tmp_path / "daisy.csv"
    DataFilter.write_file(np.ascontiguousarray(np.zeros((32, 10)) + 1.0), str(f), "w")
    with pytest.raises(FileFormatError) as err:
        eio.read_brainflow_csv(f)
    msg = str(err.value)
    assert "32" in msg and "'cyton'" in msg and "24" in msg and "cyton-daisy" in msg
    assert str(f) in msg
    with pytest.raises(ValidationError, match="'cyton'.*'ganglion'"):
        eio.read_brainflow_csv(f, board="muse-9000")
    with pytest.raises(ValidationError, match="master board"):
        eio.read_brainflow_csv(f, board="playback")
    rec = eio.read_brainflow_csv(f, board="cyton-daisy")
    assert rec.sfreq == 125 and rec.n_channels == 19


def test_brainflow_round_trip_keeps_names_muscles_events_and_gaps(tmp_path):
    rec = sample_rec().add_events([(2.0, 9 / 250, "dropped_samples")])
    f = tmp_path / "rt.csv"
    eio.write_brainflow_csv(rec, f)
    DataFilter = pytest.importorskip("brainflow.data_filter").DataFilter
    raw = DataFilter.read_file(str(f))  # BrainFlow's own reader: the layout is right
    assert raw.shape == (24, rec.n_times)
    np.testing.assert_allclose(raw[1:4], rec.get_data("emg", units="uV"), atol=0.6e-6)
    assert raw[0, 499] == 499 % 256 and raw[0, 500] == (500 + 9) % 256
    with pytest.warns(DroppedSamplesWarning, match="9 dropped"):
        back = eio.read(f)
    assert back.ch_names == rec.ch_names and back.ch_types == rec.ch_types
    assert back.muscles == rec.muscles
    assert np.abs(back.data - rec.data)[:3].max() <= 0.5e-12 * 1.01
    assert np.abs(back.data - rec.data)[3].max() <= 0.5e-6 * 1.01
    assert back.events == rec.events  # user events (sidecar) + the gap (package counter)
    assert back.meta["dropped_samples"]["gaps"][0]["n_missing"] == 9
    # without the sidecar: generic names, numeric labels, marker codes
    f.with_name("rt.csv.json").unlink()
    with pytest.warns(DroppedSamplesWarning):
        bare = eio.read(f)
    assert bare.ch_names[:3] == ["EXG1", "EXG2", "EXG3"] and bare.n_channels == 11
    labels = sorted(e.label for e in bare.events)
    assert labels == ["1", "2", "7", "dropped_samples"]  # "trial"->1, "go"->2, "7" kept
    with pytest.raises(ValidationError, match="250 Hz.*1000 Hz"):
        eio.write_brainflow_csv(ec.Recording.from_array(np.zeros((1, 10)), 1000,
                                                        units="uV"), f)
    with pytest.raises(ValidationError, match="misc"):
        eio.write_brainflow_csv(ec.Recording.from_array(np.zeros((1, 10)), 250,
                                                        ch_types=["misc"]), f)


@pytest.mark.parametrize("board, sfreq", [("cyton-daisy", 125.0), ("ganglion", 200.0),
                                          ("synthetic", 250.0)])
def test_brainflow_counter_conventions_of_other_boards(tmp_path, board, sfreq):
    n = 900
    rec = ec.Recording.from_array(RNG.normal(0, 30, (4, n)), sfreq, units="uV", events=[
        (300 / sfreq, 6 / sfreq, "dropped_samples"), (700 / sfreq, 600 / sfreq,
                                                      "dropped_samples")])
    f = tmp_path / f"{board}.csv"
    eio.write_brainflow_csv(rec, f, board=board)
    with pytest.warns(DroppedSamplesWarning):
        back = eio.read_brainflow_csv(f)
    gaps = [(g["sample"], g["n_missing"]) for g in back.meta["dropped_samples"]["gaps"]]
    assert gaps == [(300, 6), (700, 600)]
    assert back.meta["board"] == board


def test_brainflow_ganglion_packets_lost(tmp_path):
    DataFilter = pytest.importorskip("brainflow.data_filter").DataFilter
    ids = [0] + [i for p in list(range(101, 201)) * 2 for i in (p, p)]  # 2 samples per id
    ids = np.array(ids)
    lost = ((ids == 150) | (ids == 151)) & (np.arange(len(ids)) < 201)  # 2 packets, 4 samples
    ids = ids[~lost]
    data = np.zeros((15, len(ids)))
    data[0] = ids
    data[1:5] = RNG.normal(0, 10, (4, len(ids)))
    data[13] = 1.7e9 + np.arange(len(ids)) / 200
    f = tmp_path / "g.csv"
    DataFilter.write_file(np.ascontiguousarray(data), str(f), "w")
    with pytest.warns(DroppedSamplesWarning, match="4 dropped"):
        rec = eio.read_brainflow_csv(f, board="ganglion")
    gap, = rec.meta["dropped_samples"]["gaps"]
    assert gap["sample"] == 1 + 2 * (149 - 101 + 1)


# ----------------------------------------------------------------- EDF / BDF
def _quantum(path, fmt):
    """Physical step of every signal, from the file's own header."""
    raw = path.read_bytes()
    ns = int(raw[252:256])
    h = raw[256:256 * (ns + 1)]

    def col(off, width, i):
        return float(h[off * ns + i * width: off * ns + (i + 1) * width])

    out = []
    for i in range(ns - 1):  # last signal: annotations
        pmin, pmax = col(104, 8, i), col(112, 8, i)
        dmin, dmax = col(120, 8, i), col(128, 8, i)
        out.append((pmax - pmin) / (dmax - dmin))
    return np.array(out)


@pytest.mark.parametrize("fmt", ["edf", "bdf"])
def test_edf_bdf_round_trip(tmp_path, fmt):
    rec = sample_rec(n=1001)
    f = tmp_path / f"r.{fmt}"
    (eio.write_edf if fmt == "edf" else eio.write_bdf)(rec, f)
    back = eio.read(f)
    assert back.ch_names == rec.ch_names and back.ch_types == rec.ch_types
    assert back.muscles == rec.muscles and back.n_times == 1001
    assert back.events == rec.events
    assert back.meta["source_format"] == f"{fmt}+"
    assert back.meta["meas_date"].startswith("2024-03-01T10:00:00")
    q = _quantum(f, fmt)  # uV (EMG) or g (acc)
    q_si = q * np.array([1e-6, 1e-6, 1e-6, 1.0])
    err = np.abs(back.data - rec.data).max(axis=1)
    assert np.all(err <= q_si / 2 * (1 + 1e-6))
    bits = 16 if fmt == "edf" else 24
    span = rec.data.max(1) - rec.data.min(1)
    assert np.all(q_si <= span / (2 ** bits - 1) * 1.05)  # range fitted to each channel
    mne = pytest.importorskip("mne")  # independent reader
    raw = (mne.io.read_raw_edf if fmt == "edf" else mne.io.read_raw_bdf)(f, verbose="error")
    assert raw.info["sfreq"] == 250
    np.testing.assert_allclose(raw.get_data()[:3, :1001], rec.data[:3], rtol=0,
                               atol=float(q_si[:3].max()))
    assert sorted(raw.annotations.description) == ["7", "go", "trial"]


def test_bdf_resolution_for_emg_and_fractional_rate(tmp_path):
    rec = ec.Recording.from_array(RNG.normal(0, 500, (2, 4097)), 2048.5, units="uV")
    eio.write_bdf(rec, tmp_path / "f.bdf")
    back = eio.read_edf(tmp_path / "f.bdf")
    assert back.sfreq == 2048.5 and back.n_times == 4097
    assert np.abs(back.data - rec.data).max() < 1e-9  # 24 bit over ~4 mV: < 1 nV
    with pytest.raises(ValidationError, match="rational"):
        eio.write_edf(ec.Recording.from_array(np.zeros((1, 10)), np.pi * 100, units="uV"),
                      tmp_path / "pi.edf")


def test_edf_truncated_and_corrupt_headers(tmp_path):
    rec = sample_rec(n=1000)
    f = tmp_path / "r.edf"
    eio.write_edf(rec, f)
    raw = f.read_bytes()
    (tmp_path / "head.edf").write_bytes(raw[:200])
    with pytest.raises(FileFormatError, match="truncated EDF header.*200 bytes"):
        eio.read(tmp_path / "head.edf")
    (tmp_path / "sig.edf").write_bytes(raw[:700])
    with pytest.raises(FileFormatError, match="truncated EDF header"):
        eio.read(tmp_path / "sig.edf")
    (tmp_path / "data.edf").write_bytes(raw[:-3000])
    with pytest.raises(FileFormatError, match="truncated EDF file.*allow_truncated"):
        eio.read(tmp_path / "data.edf")
    with pytest.warns(EmgcontrolWarning, match="truncated"):
        part = eio.read_edf(tmp_path / "data.edf", allow_truncated=True)
    assert 0 < part.n_times < 1000
    q_si = _quantum(f, "edf") * np.array([1e-6, 1e-6, 1e-6, 1.0])
    assert np.all(np.abs(part.data - rec.data[:, :part.n_times]).max(1) <= q_si / 2 * 1.001)
    bad = bytearray(raw)
    bad[252:256] = b"x2  "
    (tmp_path / "ns.edf").write_bytes(bytes(bad))
    with pytest.raises(FileFormatError, match="number of signals"):
        eio.read(tmp_path / "ns.edf")


def test_edf_from_another_writer_with_mixed_rates(tmp_path):
    edfio = pytest.importorskip("edfio")
    emg = RNG.normal(0, 100, 1000)
    sig = [edfio.EdfSignal(emg, 500, label="EMG Chin", physical_dimension="uV"),
           edfio.EdfSignal(RNG.normal(0, 1, 1000), 500, label="ECG", physical_dimension="mV"),
           edfio.EdfSignal(RNG.normal(36, 1, 2), 1, label="Temp", physical_dimension="degC")]
    edfio.Edf(sig).write(tmp_path / "psg.edf")
    with pytest.warns(EmgcontrolWarning, match="Temp"):
        rec = eio.read(tmp_path / "psg.edf")
    assert rec.ch_names == ["EMG Chin", "ECG"] and rec.ch_types == ["emg", "ecg"]
    assert rec.meta["skipped_signals"] == ["Temp (1 Hz)"]
    assert np.abs(rec.data[0] - emg * 1e-6).max() < 1e-8


def test_write_edf_rejects_what_it_cannot_store(tmp_path):
    rec = ec.Recording.from_array(np.zeros((1, 10)), 250, ["EMG1"], units="uV",
                                  events=[(0, 0, "é")])
    with pytest.raises(ValidationError, match="ASCII"):
        eio.write_edf(rec, tmp_path / "a.edf")
    with pytest.raises(ValidationError, match="folder"):
        eio.write_edf(sample_rec(), tmp_path / "no" / "a.edf")
    with pytest.raises(ValidationError, match="Recording"):
        eio.write_bdf(np.zeros((2, 3)), tmp_path / "a.bdf")


# ------------------------------------------------------------- BrainVision
def test_brainvision_by_content(tmp_path):
    n, sfreq = 500, 1000.0
    data_uv = RNG.normal(0, 40, (2, n)).astype(np.float32)
    (tmp_path / "s.eeg").write_bytes(data_uv.T.astype("<f4").tobytes())
    (tmp_path / "s.vhdr").write_text(
        "Brain Vision Data Exchange Header File Version 1.0\n\n[Common Infos]\n"
        "Codepage=UTF-8\nDataFile=s.eeg\nMarkerFile=s.vmrk\nDataFormat=BINARY\n"
        "DataOrientation=MULTIPLEXED\nNumberOfChannels=2\n"
        f"SamplingInterval={1e6 / sfreq:g}\n\n[Binary Infos]\nBinaryFormat=IEEE_FLOAT_32\n\n"
        "[Channel Infos]\nCh1=EMG_L,,1,µV\nCh2=EMG_R,,1,µV\n")
    (tmp_path / "s.vmrk").write_text(
        "Brain Vision Data Exchange Marker File, Version 1.0\n\n[Common Infos]\n"
        "Codepage=UTF-8\nDataFile=s.eeg\n\n[Marker Infos]\n"
        "Mk1=New Segment,,1,1,0\nMk2=Stimulus,S  1,101,1,0\n")
    rec = eio.read(tmp_path / "s.vhdr")
    assert rec.ch_names == ["EMG_L", "EMG_R"] and rec.sfreq == sfreq
    np.testing.assert_allclose(rec.data, data_uv.astype(float) * 1e-6, rtol=1e-6)
    # stimulus S  1 -> "1", the label a BDF trigger or EDF+ annotation of code 1 gets
    assert [(e.onset, e.label) for e in rec.events] == [(0.1, "1")]
    assert eio.read(tmp_path / "s.eeg").n_times == n  # the data file leads to its header
    assert rec.history[-1]["step"] == "read_brainvision"
    (tmp_path / "s.eeg").write_bytes(b"")
    with pytest.raises(FileFormatError):
        eio.read(tmp_path / "s.vhdr")


# ---------------------------------------------------------------------- CSV
def test_csv_time_column_gives_sfreq_and_gaps(tmp_path):
    t = np.arange(400) / 500.0
    t = np.delete(t, np.arange(100, 103))  # 3 samples missing
    x = RNG.normal(0, 5, (2, len(t)))
    body = "\n".join(f"{a:.6f},{b:.6f},{c:.6f}" for a, b, c in zip(t, *x))
    (tmp_path / "a.csv").write_text("# exported\ntime,left_es,right_es\n" + body + "\n")
    with pytest.warns(DroppedSamplesWarning, match="3 dropped.*line 103"):
        rec = eio.read(tmp_path / "a.csv", units="mV")
    assert rec.sfreq == 500 and rec.ch_names == ["left_es", "right_es"]
    np.testing.assert_allclose(rec.data, np.round(x, 6) * 1e-3)
    assert rec.meta["comments"] == ["exported"]


@pytest.mark.parametrize("rows, match", [
    (["0.000,1,2", "0.002,1,2", "0.001,1,2"], r"line 4.*goes back"),
    (["0.000,1,2", "0.002,1,2", "0.002,1,2"], r"line 4.*repeats"),
    (["0.000,1,2", "0.002,1,2,3", "0.004,1,2"], r"line 3.*ragged"),
    (["0.000,1,2", "0.002,1,x", "0.004,1,2"], r"line 3: b: 'x' is not a number"),
])
def test_csv_bad_rows(tmp_path, rows, match):
    f = tmp_path / "bad.csv"
    f.write_text("time,a,b\n" + "\n".join(rows) + "\n")
    with pytest.raises(FileFormatError, match=match):
        eio.read(f)


def test_csv_nonfinite_sfreq_and_header_checks(tmp_path):
    f = tmp_path / "n.csv"
    f.write_text("a,b\n1,2\n3,inf\n5,6\n")
    with pytest.raises(NonFiniteDataError, match=r"line 3.*'b'.*infinite at sample 1"):
        eio.read(f, sfreq=100)
    g = tmp_path / "ok.csv"
    g.write_text("a,b\n1,2\n3,4\n")
    with pytest.raises(ValidationError, match="sfreq"):
        eio.read(g)
    for bad in (0, -250, float("nan")):
        with pytest.raises(ValidationError, match="sfreq"):
            eio.read_csv(g, sfreq=bad)
    with pytest.raises(ValidationError, match="units"):
        eio.read_csv(g, sfreq=1, units="furlongs")
    h = tmp_path / "h.csv"
    h.write_text("a,b,c\n1,2\n3,4\n")
    with pytest.raises(FileFormatError, match="header names 3 columns.*2 fields"):
        eio.read_csv(h, sfreq=10)
    only = tmp_path / "only.csv"
    only.write_text("a,b\n")
    with pytest.raises(FileFormatError, match="no data rows"):
        eio.read_csv(only, sfreq=10)


def test_csv_round_trip(tmp_path):
    rec = sample_rec(n=300).add_events([(0.8, 5 / 250, "dropped_samples")])
    f = tmp_path / "r.csv"
    eio.write_csv(rec, f)
    with pytest.warns(DroppedSamplesWarning, match="5 dropped"):  # the time column skips
        back = eio.read(f)
    assert back.sfreq == rec.sfreq and back.ch_names == rec.ch_names
    assert back.ch_types == rec.ch_types and back.muscles == rec.muscles
    assert back.events == rec.events
    np.testing.assert_allclose(back.data, rec.data, rtol=1e-11, atol=1e-20)
    eio.write_csv(rec, f, sidecar=False, units="mV", time_column=False)
    assert not f.with_name("r.csv.json").exists()
    plain = eio.read(f, sfreq=250, units="mV")
    np.testing.assert_allclose(plain.get_data("emg", units="V")[:3], rec.get_data("emg", units="V"),
                               rtol=1e-11)


# -------------------------------------------------------------------- NumPy
def test_numpy_arrays(tmp_path):
    x = RNG.normal(0, 20, (3, 200))
    np.save(tmp_path / "a.npy", x)
    with pytest.raises(ValidationError, match="sfreq"):
        eio.read(tmp_path / "a.npy")
    rec = eio.read(tmp_path / "a.npy", sfreq=1000)
    np.testing.assert_allclose(rec.data, x * 1e-6)
    np.save(tmp_path / "t.npy", x.T)  # (n_times, n_channels)
    assert eio.read(tmp_path / "t.npy", sfreq=1000).n_channels == 3
    with pytest.raises(ValidationError, match="2 names but the array has 3"):
        eio.read(tmp_path / "a.npy", sfreq=1000, ch_names=["a", "b"])
    np.savez(tmp_path / "z.npz", emg=x, force=x[0], fs=np.float64(2000))
    with pytest.raises(FileFormatError, match="key="):
        eio.read(tmp_path / "z.npz")
    z = eio.read(tmp_path / "z.npz", key="emg")
    assert z.sfreq == 2000 and z.meta["key"] == "emg"
    y = x.copy()
    y[1, 17] = np.nan
    np.save(tmp_path / "nan.npy", y)
    with pytest.raises(NonFiniteDataError, match="'EMG2'.*NaN at sample 17"):
        eio.read(tmp_path / "nan.npy", sfreq=100)
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object))
    with pytest.raises(FileFormatError):
        eio.read(tmp_path / "obj.npy", sfreq=100)


def test_errors_are_emgcontrol_errors():
    for cls in (FileFormatError, RecordingFileNotFoundError, NonFiniteDataError):
        assert issubclass(cls, EmgcontrolError)


def test_openbci_daisy_even_counter_and_ganglion_packet_ids(tmp_path):
    # Cyton+Daisy through BrainFlow-based GUIs: indices 0, 2, 4, ... (step 2, period 256)
    n = 400
    exg = np.round(RNG.normal(0, 30, (n, 16)), 2)
    acc = np.zeros((n, 3))
    unix = 1_700_000_000_000 + np.round(np.arange(n) * 8.0)
    idx = (2 * np.arange(n)) % 256
    keep = np.r_[0:200, 205:n]
    f = tmp_path / "daisy.txt"
    f.write_text(openbci_v6_text(exg[keep], acc[keep], idx[keep], unix[keep], sfreq=125,
                                 board="CytonDaisy"))
    with pytest.warns(DroppedSamplesWarning, match="5 dropped"):
        rec = eio.read(f)
    assert rec.meta["board"] == "cyton-daisy" and rec.sfreq == 125
    assert rec.get_data("emg", units="uV").shape == (16, n - 5)
    assert [(g["sample"], g["n_missing"]) for g in rec.meta["dropped_samples"]["gaps"]] == \
        [(200, 5)]
    # Ganglion through BrainFlow-based GUIs: packet ids 101..200, two samples each
    n = 600
    ids = 101 + (np.arange(n) // 2) % 100
    exg = np.round(RNG.normal(0, 30, (n, 4)), 2)
    unix = 1_700_000_000_000 + np.round(np.arange(n) * 5.0)
    keep = np.r_[0:300, 306:n]  # three packets
    g = tmp_path / "ganglion_v6.txt"
    g.write_text(openbci_v6_text(exg[keep], np.zeros((len(keep), 3)), ids[keep], unix[keep],
                                 sfreq=200, board="Ganglion"))
    with pytest.warns(DroppedSamplesWarning, match="6 dropped"):
        rec = eio.read(g)
    assert rec.meta["board"] == "ganglion"
    assert rec.meta["dropped_samples"]["gaps"][0]["sample"] == 300
    # board= overrides the header, and names must be known
    with pytest.warns(DroppedSamplesWarning):
        assert eio.read_openbci_txt(g, board="ganglion").n_times == len(keep)
    with pytest.raises(ValidationError, match="board must be one of"):
        eio.read_openbci_txt(g, board="muse")


def test_edf_plus_d_gaps_between_records_are_dropped_samples(tmp_path):
    rec = ec.Recording.from_array(RNG.normal(0, 50, (2, 750)), 250, units="uV",
                                  events=[(0.5, 0, "go")])
    eio.write_edf(rec, tmp_path / "c.edf")
    raw = bytearray((tmp_path / "c.edf").read_bytes())
    raw[192:197] = b"EDF+D"  # discontinuous: the third 1-s record starts at 5 s, not 2 s
    i = raw.find(b"+2\x14\x14")
    raw[i:i + 2] = b"+5"
    (tmp_path / "d.edf").write_bytes(bytes(raw))
    with pytest.warns(DroppedSamplesWarning, match="750 dropped"):
        back = eio.read(tmp_path / "d.edf")
    assert back.meta["dropped_samples"]["gaps"] == [
        {"sample": 500, "time_s": 2.0, "n_missing": 750, "line": None,
         "source": "record onsets"}]
    assert sorted(e.label for e in back.events) == ["dropped_samples", "go"]
    np.testing.assert_allclose(back.data, rec.data, atol=float(np.ptp(rec.data)) / 65535)


def test_markers_name_openbci_and_brainflow_marker_codes(tmp_path):
    n = 500
    exg, acc, idx, unix = cyton_arrays(n)
    marker = np.zeros(n)
    marker[[50, 300]] = [1, 2]
    (tmp_path / "m.txt").write_text(openbci_v6_text(exg, acc, idx, unix, marker))
    plain = eio.read(tmp_path / "m.txt")
    assert [(e.onset, e.label) for e in plain.events] == [(0.2, "1"), (1.2, "2")]
    for rec in (eio.read(tmp_path / "m.txt", markers={1: "trial", 2: "mvc"}),
                eio.read_openbci_txt(tmp_path / "m.txt", markers="1=trial,2=mvc")):
        assert [(e.onset, e.label) for e in rec.events] == [(0.2, "trial"), (1.2, "mvc")]
    eio.write_brainflow_csv(plain, tmp_path / "b.csv", board="cyton", sidecar=False)
    back = eio.read_brainflow_csv(tmp_path / "b.csv", board="cyton", markers={2: "mvc"})
    assert [(e.onset, e.label) for e in back.events] == [(0.2, "1"), (1.2, "mvc")]
