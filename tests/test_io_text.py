"""Generic text that refuses to guess wrong, MATLAB files, the write() entry point."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

import emgcontrol as ec
from emgcontrol import io as eio
from emgcontrol.errors import FileFormatError, ValidationError

RNG = np.random.default_rng(11)
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real data not available: {path}")
    return path


def _table(path, header, cols, fmt="%.8g", delim="\t"):
    np.savetxt(path, np.column_stack(cols), delimiter=delim, fmt=fmt,
               header=delim.join(header) if header else "", comments="")
    return path


def _labels(n, spans):
    lab = np.zeros(n)
    for a, b, v in spans:
        lab[a:b] = v
    return lab


@pytest.mark.parametrize("unit,factor,sfreq", [("ms", 1e3, 1000.0), ("us", 1e6, 2000.0),
                                               ("s", 1.0, 500.0), ("ms", 1e3, 200.0)])
def test_time_unit_from_spacing(tmp_path, unit, factor, sfreq):
    n = 600
    t = np.arange(n) / sfreq * factor + 17 * factor  # starts anywhere
    x = RNG.normal(0, 1e-4, (n, 2))
    f = _table(tmp_path / "a.txt", ["time", "ch1", "ch2"], [t, x], fmt="%.10g")
    rec = eio.read(f, units="V")
    assert rec.sfreq == sfreq and rec.meta["time_units"] == unit
    np.testing.assert_allclose(rec.data, x.T, rtol=1e-8)
    assert rec.meta["dropped_samples"]["count"] == 0


def test_ambiguous_time_spacing_names_time_units(tmp_path):
    t = np.arange(300) * 0.016  # 62.5 Hz in s, or 62.5 kHz in ms
    f = _table(tmp_path / "a.csv", ["time", "emg"], [t, RNG.normal(0, 50, 300)],
               delim=",")
    with pytest.raises(FileFormatError, match=r"time_units=.*'s', 'ms' or 'us'") as err:
        eio.read(f)
    assert "62.5 Hz in s" in str(err.value) and "62500 Hz in ms" in str(err.value)
    assert eio.read(f, time_units="s").sfreq == pytest.approx(62.5, rel=1e-9)
    assert eio.read(f, time_units="ms").sfreq == pytest.approx(62500.0, rel=1e-9)
    # the column name says the unit: no question
    f2 = _table(tmp_path / "b.csv", ["time_ms", "emg"], [t, RNG.normal(0, 50, 300)],
                delim=",")
    assert eio.read(f2).sfreq == pytest.approx(62500.0, rel=1e-9)


def test_label_columns_become_events_not_emg(tmp_path):
    n, sf = 3000, 1000.0
    lab = _labels(n, [(500, 1400, 2), (2000, 2600, 1)])
    mark = _labels(n, [(100, 101, 7)])
    x = RNG.normal(0, 30, (n, 3))
    f = _table(tmp_path / "m.txt", ["time", "a", "class", "b", "c", "mk"],
               [np.arange(n), x[:, :1], lab, x[:, 1:], mark], fmt="%.6g")
    rec = eio.read(f)
    assert rec.ch_names == ["a", "b", "c"] and rec.sfreq == sf
    got = [(e.onset, e.duration, e.label) for e in rec.events]
    assert got == [(0.1, 0.0, "mk:7"), (0.5, 0.9, "class:2"), (2.0, 0.6, "class:1")]
    assert rec.meta["event_columns"] == ["class", "mk"]
    # one label column: the code alone, which markers= names
    f1 = _table(tmp_path / "one.txt", ["time", "a", "class"], [np.arange(n), x[:, 0], lab])
    rec1 = eio.read(f1, markers={1: "rest", 2: "trial"})
    assert [(e.onset, e.label) for e in rec1.events] == [(0.5, "trial"), (2.0, "rest")]
    # a flat channel of zeros is a channel, not labels; event_columns=[] keeps them all
    fz = _table(tmp_path / "z.txt", ["time", "a", "flat"], [np.arange(n), x[:, 0],
                                                            np.zeros(n)])
    assert eio.read(fz).ch_names == ["a", "flat"]
    assert eio.read(f1, event_columns=[]).ch_names == ["a", "class"]
    with pytest.raises(ValidationError, match="event_columns: 'nope' is not a column"):
        eio.read(f1, event_columns=["nope"])


def test_increasing_column_is_not_taken_for_emg(tmp_path):
    n = 200
    f = _table(tmp_path / "h.csv", None, [np.arange(n) * 4.0, RNG.normal(0, 40, (n, 2))],
               delim=",")
    with pytest.raises(FileFormatError, match="column 'EMG1' increases on every row.*"
                       "time_column='EMG1'.*time_column=False"):
        eio.read(f, sfreq=250)
    rec = eio.read(f, time_column=0, time_units="ms")
    assert rec.sfreq == 250.0 and rec.n_channels == 2
    assert eio.read(f, sfreq=250, time_column=False).n_channels == 3


def test_no_time_column_asks_for_sfreq_or_time_column(tmp_path):
    f = _table(tmp_path / "n.csv", ["x", "y"], [RNG.normal(0, 40, (50, 2))], delim=",")
    with pytest.raises(ValidationError, match=r"no time column \(columns: x, y\); pass "
                       r"sfreq= \(Hz\), or time_column="):
        eio.read(f)


def test_default_microvolts_refused_for_numbers_in_volts(tmp_path):
    x = RNG.normal(0, 50e-6, (400, 2))  # volts
    f = _table(tmp_path / "v.csv", ["t", "a", "b"], [np.arange(400) / 1000, x], delim=",",
               fmt="%.10g")
    with pytest.raises(FileFormatError, match=r"as microvolts \(the default\).*Pass units="):
        eio.read(f)
    np.testing.assert_allclose(eio.read(f, units="V").data, x.T, rtol=1e-8)
    big = _table(tmp_path / "big.csv", ["t", "a"], [np.arange(400) / 1000,
                                                      RNG.normal(0, 5e7, 400)], delim=",")
    with pytest.raises(FileFormatError, match="more than any EMG amplifier"):
        eio.read(big)
    np.save(tmp_path / "v.npy", x.T)
    with pytest.raises(FileFormatError, match="units="):
        eio.read(tmp_path / "v.npy", sfreq=1000)
    assert eio.read(tmp_path / "v.npy", sfreq=1000, units="V").n_channels == 2


def test_real_myo_text(tmp_path):
    f = _need(DATA / "uci-gestures-myo" / "1_raw_data_11-08_21.03.16.txt")
    with pytest.raises(FileFormatError, match="units="):
        eio.read(f)  # the numbers are ~1e-5: not microvolts
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rec = eio.read(f, units="V")
    table = np.loadtxt(f, skiprows=1)  # ground truth extracted independently
    assert rec.sfreq == 1000.0 and rec.meta["time_units"] == "ms"
    assert rec.ch_names == [f"channel{k}" for k in range(1, 9)]
    np.testing.assert_allclose(rec.data, table[:, 1:9].T)
    cls = table[:, 9]
    starts = np.flatnonzero(np.r_[True, cls[1:] != cls[:-1]])
    truth = [(s / 1000.0, f"{cls[s]:g}") for s in starts if cls[s] != 0]
    got = [(e.onset, e.label) for e in rec.events if e.label != "dropped_samples"]
    assert got == truth and len(truth) >= 12


# ------------------------------------------------------------------ MATLAB
def test_mat_struct_loose_variables_and_choices(tmp_path):
    sio = pytest.importorskip("scipy.io")
    x = RNG.normal(0, 80, (1500, 3))  # samples x channels, uV
    sio.savemat(tmp_path / "s.mat", {"EMG": {"channelData": x, "fs": np.uint16(1500)}})
    rec = eio.read(tmp_path / "s.mat")
    assert rec.sfreq == 1500.0 and rec.n_channels == 3 and rec.meta["key"] == "EMG.channelData"
    np.testing.assert_allclose(rec.get_data(units="uV"), x.T)
    sio.savemat(tmp_path / "l.mat", {"data": x.T, "srate": 1500.0, "emg_mv": x * 1e-3})
    with pytest.raises(FileFormatError, match=r"pass key= .*data \(3, 1500\).*emg_mv"):
        eio.read(tmp_path / "l.mat")
    rec = eio.read(tmp_path / "l.mat", key="emg_mv", units="mV")
    np.testing.assert_allclose(rec.get_data(units="uV"), x.T)
    with pytest.raises(ValidationError, match="key='nope' is not a numeric array"):
        eio.read(tmp_path / "l.mat", key="nope")
    sio.savemat(tmp_path / "h.mat", {"d": x, "Hz": 1500})
    with pytest.raises(ValidationError, match="pass sfreq= .* or sfreq_key="):
        eio.read(tmp_path / "h.mat")
    assert eio.read(tmp_path / "h.mat", sfreq_key="Hz").sfreq == 1500.0
    assert eio.read(tmp_path / "h.mat", sfreq=1500, markers=None).n_times == 1500
    (tmp_path / "v73.mat").write_bytes(b"MATLAB 7.3 MAT-file, Platform: GLNXA64" + b" " * 90
                                       + b"\x89HDF\r\n\x1a\n" + bytes(100))
    with pytest.raises(FileFormatError, match="v7.3.*-v7"):
        eio.read(tmp_path / "v73.mat")


def test_real_emggo_files():
    f = _need(DATA / "emggo-samples" / "Sample Data.mat")
    rec = eio.read(f)  # no hand code
    assert (rec.sfreq, rec.n_channels, rec.n_times) == (250.0, 1, 137420)
    assert rec.meta["sfreq_key"] == "EMG.fs"
    g = DATA / "emggo-samples" / "ECG Contaminated.mat"
    with pytest.raises(FileFormatError, match="units="):
        eio.read(g)  # values ~0.003: not microvolts; the file does not say
    rec = eio.read(g, units="mV")
    assert (rec.sfreq, rec.n_channels, rec.n_times) == (2048.0, 8, 40801)


# ------------------------------------------------------------------- write
def test_write_and_save_choose_the_format_from_the_extension(tmp_path):
    rec = ec.Recording.from_array(RNG.normal(0, 50, (2, 500)), 250.0, ["a", "b"], units="uV",
                                  events=[(0.4, 0, "1"), (1.0, 0.2, "trial")])
    for ext, fmt in ((".bdf", "bdf+"), (".edf", "edf+"), (".vhdr", "brainvision"),
                     (".csv", "csv")):
        out = rec.save(tmp_path / f"r{ext}")
        back = eio.read(out)
        assert back.meta["source_format"] == fmt
        assert back.ch_names == rec.ch_names and back.sfreq == rec.sfreq
        assert [(e.onset, e.label) for e in back.events] == [(0.4, "1"), (1.0, "trial")]
        np.testing.assert_allclose(back.get_data(units="uV"), rec.get_data(units="uV"),
                                   atol=0.01)
    with pytest.raises(ValidationError, match="exists; pass overwrite=True"):
        eio.write(rec, tmp_path / "r.bdf")
    assert eio.write(rec, tmp_path / "r.bdf", overwrite=True).is_file()
    with pytest.raises(ValidationError, match="cannot tell the format.*pass format="):
        eio.write(rec, tmp_path / "r.xyz")
    out = eio.write(rec, tmp_path / "bf.txt", format="brainflow", board="cyton")
    assert eio.detect_format(out) == "brainflow"
    with pytest.raises(ValidationError, match="format"):
        eio.write(rec, tmp_path / "r.edf", format="gdf")


def test_top_level_write_is_the_io_entry_point(tmp_path):
    rec = ec.Recording.from_array(RNG.normal(0, 50, (1, 300)), 300.0, ["a"], units="uV")
    assert ec.write is eio.write
    back = ec.read(ec.write(rec, tmp_path / "x.edf"))
    assert back.ch_names == ["a"] and back.sfreq == 300.0


def test_mat_structure_is_checked_before_scipy(tmp_path):
    """Sizes scipy would trust: dimensions far beyond the data, an element longer
    than the file, a compressed variable that does not inflate."""
    import struct

    sio = pytest.importorskip("scipy.io")
    x = RNG.normal(0, 80, (200, 2))
    sio.savemat(tmp_path / "ok.mat", {"d": x, "fs": 200.0})
    raw = bytearray((tmp_path / "ok.mat").read_bytes())
    assert eio.read(tmp_path / "ok.mat").n_times == 200
    dims_tag = struct.pack("<II", 5, 8)
    k = raw.index(dims_tag + struct.pack("<ii", 200, 2))
    huge = bytearray(raw)
    huge[k + 8:k + 12] = struct.pack("<i", 2**31 - 1)
    (tmp_path / "dims.mat").write_bytes(bytes(huge))
    with pytest.raises(FileFormatError, match=r"corrupt MATLAB v5 structure: array "
                       r"\[2147483647, 2\].*not 4294967294 values"):
        eio.read(tmp_path / "dims.mat")
    long = bytearray(raw)
    long[132:136] = struct.pack("<I", 10**9)  # the first variable's size
    (tmp_path / "long.mat").write_bytes(bytes(long))
    with pytest.raises(FileFormatError, match="claims 1000000000 bytes"):
        eio.read(tmp_path / "long.mat")
    sio.savemat(tmp_path / "z.mat", {"d": x, "fs": 200.0}, do_compression=True)
    z = bytearray((tmp_path / "z.mat").read_bytes())
    z[150:160] = bytes(10)
    (tmp_path / "zbad.mat").write_bytes(bytes(z))
    with pytest.raises(FileFormatError, match="corrupt"):
        eio.read(tmp_path / "zbad.mat")
    assert eio.read(tmp_path / "z.mat").n_times == 200
