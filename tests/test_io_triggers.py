"""Triggers and markers to events, one truth per session across BDF, EDF and
BrainVision, channel types on read, markers= on read."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import emgcontrol as ec
from emgcontrol import io as eio
from emgcontrol.errors import EmgcontrolWarning, FileFormatError, ValidationError

sys.path.insert(0, str(Path(__file__).parent))
from _biosemi import STEP_UV, status_values, write_biosemi_bdf  # noqa: E402

RNG = np.random.default_rng(7)
SF = 512
N = 6 * SF
# (start sample, samples held, code): a repeated code, a code that follows another
# without going back to zero, a code above 255 and one using all 16 bits
TRIGGERS = [(300, 20, 1), (700, 20, 2), (1500, 30, 1), (1530, 10, 3), (2200, 5, 300),
            (2600, 40, 65535)]
TRUE_EVENTS = [(s / SF, str(c)) for s, _, c in TRIGGERS]


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """One BioSemi-style session: the true volts and the BDF file."""
    d = tmp_path_factory.mktemp("biosemi")
    x = RNG.normal(0, 40e-6, (4, N))
    x[2] += 2e-3  # a DC offset, as active electrodes have
    st = status_values(N, TRIGGERS)
    return x, write_biosemi_bdf(d / "s.bdf", x, st, SF)


def _ev(rec):
    return [(e.onset, e.label) for e in rec.events]


def test_biosemi_status_codes_become_events_and_status_is_no_data_channel(session):
    x, f = session
    rec = eio.read(f)
    assert rec.ch_names == ["EXG1", "EXG2", "EXG3", "EXG4"]  # no Status
    assert rec.ch_types == ["emg"] * 4
    assert _ev(rec) == TRUE_EVENTS
    assert all(e.duration == 0 for e in rec.events)
    # 31.25 nV steps: the data round to half a step
    assert np.abs(rec.get_data(units="uV") - x * 1e6).max() <= STEP_UV / 2 + 1e-9
    tr = rec.meta["triggers"]
    assert tr["channel"] == "Status" and tr["codes"] == {"1": 2, "2": 1, "3": 1, "300": 1,
                                                          "65535": 1}
    assert tr["cms_out_of_range_s"] == 0 and tr["battery_low"] is False


def test_biosemi_triggers_agree_with_mne_find_events(session):
    mne = pytest.importorskip("mne")
    _, f = session
    raw = mne.io.read_raw_bdf(f, preload=True, verbose="error")
    ev = mne.find_events(raw, mask=0xFFFF, mask_type="and", verbose="error",
                         consecutive=True)
    assert [(s / SF, str(c)) for s, _, c in ev] == _ev(eio.read(f))


def test_status_initial_code_cms_and_battery_bits(tmp_path):
    x = RNG.normal(0, 20e-6, (1, 2 * SF))
    st = status_values(2 * SF, [(0, 100, 5), (600, 10, 6)], cms_out=(200, 456),
                       high=0x980000 | (1 << 22))
    f = write_biosemi_bdf(tmp_path / "c.bdf", x, st, SF)
    with pytest.warns(EmgcontrolWarning, match="CMS electrode was out of range for 0.500 s"):
        rec = eio.read(f)
    # a code already present at the first sample is not an event (as MNE find_events)
    assert _ev(rec) == [(600 / SF, "6")]
    assert rec.meta["triggers"]["initial_code"] == 5
    assert rec.meta["triggers"]["battery_low"] is True


def _same_session(a, b, tol_uv, *, sample_tol=0):
    assert a.ch_names == b.ch_names
    assert a.ch_types == b.ch_types
    assert a.sfreq == b.sfreq and a.n_times == b.n_times
    assert np.abs(a.get_data(units="uV") - b.get_data(units="uV")).max() <= tol_uv
    ea, eb = _ev(a), _ev(b)
    assert [lab for _, lab in ea] == [lab for _, lab in eb]
    on_a = np.round(np.array([t for t, _ in ea]) * a.sfreq)
    on_b = np.round(np.array([t for t, _ in eb]) * b.sfreq)
    assert np.abs(on_a - on_b).max() <= sample_tol


def _header_step_uv(path):
    """Largest quantisation step (uV) of an EDF file, from its own header fields."""
    raw = Path(path).read_bytes()
    ns = int(raw[252:256])
    sig = raw[256:256 * (ns + 1)]

    def col(off, width):
        return [float(sig[off * ns + i * width: off * ns + (i + 1) * width])
                for i in range(ns)]
    pmin, pmax, dmin, dmax = col(104, 8), col(112, 8), col(120, 8), col(128, 8)
    labels = [sig[i * 16:(i + 1) * 16].strip() for i in range(ns)]
    return max((b - a) / (d - c) for a, b, c, d, lab in zip(pmin, pmax, dmin, dmax, labels)
               if lab != b"EDF Annotations")


def _edf_step_uv(rec):
    """Quantisation of write_edf: per channel (max - min) / 65535."""
    d = rec.get_data(units="uV")
    return float(((d.max(axis=1) - d.min(axis=1)) / 65535).max())


def test_same_session_from_bdf_edf_and_brainvision_written_here(session, tmp_path):
    _, f = session
    bdf = eio.read(f)
    eio.write_edf(bdf, tmp_path / "s.edf")
    eio.write_brainvision(bdf, tmp_path / "s.vhdr")
    edf = eio.read(tmp_path / "s.edf")
    bv = eio.read(tmp_path / "s.vhdr")
    _same_session(bdf, edf, _edf_step_uv(bdf) / 2 + 1e-9)
    # float32 at ~2000 uV: relative 6e-8
    _same_session(bdf, bv, 2e-3 * 1e6 * 1.2e-7)
    assert bv.meta["source_format"] == "brainvision"


def test_same_session_exported_by_mne(session, tmp_path):
    """The path a BioSemi user takes: MNE reads the BDF, turns Status into
    annotations and exports EDF (and BrainVision where pybv is installed)."""
    mne = pytest.importorskip("mne")
    _, f = session
    bdf = eio.read(f)
    raw = mne.io.read_raw_bdf(f, preload=True, verbose="error")
    ev = mne.find_events(raw, mask=0xFFFF, mask_type="and", verbose="error",
                         consecutive=True)
    raw.set_annotations(mne.annotations_from_events(
        ev, SF, event_desc={int(c): str(c) for c in set(ev[:, 2])}, verbose="error"))
    raw.drop_channels(["Status"])
    try:
        mne.export.export_raw(tmp_path / "m.edf", raw, fmt="edf", verbose="error")
    except RuntimeError as err:  # MNE < 1.7 exports EDF through EDFlib-Python
        if "EDFlib" not in str(err):
            raise
        pytest.skip(f"MNE {mne.__version__} needs EDFlib-Python to export EDF")
    edf = eio.read(tmp_path / "m.edf")
    # MNE's EDF export picks its own physical ranges: one step of its header
    step = _header_step_uv(tmp_path / "m.edf")
    assert step < 0.05  # 16 bits over a few hundred uV
    _same_session(bdf, edf, step)
    try:
        import pybv  # noqa: F401
    except ImportError:
        return
    mne.export.export_raw(tmp_path / "m.vhdr", raw, fmt="brainvision", verbose="error")
    bv = eio.read(tmp_path / "m.vhdr")
    # pybv writes 0.1 uV resolution by default; MNE's export may place a marker
    # one sample early (it floors onset * sfreq)
    _same_session(bdf, bv, 0.05 + 1e-6, sample_tol=1)


def _vhdr(tmp_path, units, coords=False, extra_markers=""):
    n = 400
    data = RNG.normal(0, 30, (n, len(units))).astype("<f4")
    (tmp_path / "b.eeg").write_bytes(data.tobytes())
    ch = "".join(f"Ch{i + 1}=EXG{i + 1},,0.5,{u}\n" for i, u in enumerate(units))
    co = ""
    if coords:  # an export from a set with positions for none of the EXG electrodes
        co = "\n[Coordinates]\n" + "".join(f"Ch{i + 1}=0,0,0\n" for i in range(len(units)))
    (tmp_path / "b.vhdr").write_text(
        "Brain Vision Data Exchange Header File Version 1.0\n\n[Common Infos]\n"
        "Codepage=UTF-8\nDataFile=b.eeg\nMarkerFile=b.vmrk\nDataFormat=BINARY\n"
        f"DataOrientation=MULTIPLEXED\nNumberOfChannels={len(units)}\n"
        "SamplingInterval=1000\n\n[Binary Infos]\nBinaryFormat=IEEE_FLOAT_32\n\n"
        f"[Channel Infos]\n{ch}{co}", encoding="utf-8")
    (tmp_path / "b.vmrk").write_text(
        "Brain Vision Data Exchange Marker File, Version 1.0\n\n[Common Infos]\n"
        "Codepage=UTF-8\nDataFile=b.eeg\n\n[Marker Infos]\nMk1=New Segment,,1,1,0\n"
        "Mk2=Stimulus,S  1,101,1,0\nMk3=Response,R  2,151,1,0\n"
        "Mk4=Comment,mvc,201,50,0\n" + extra_markers, encoding="utf-8")
    return data.T.astype(float) * 0.5, tmp_path / "b.vhdr"


def test_brainvision_exg_channels_are_emg_in_volts_even_where_mne_says_misc(tmp_path):
    mne = pytest.importorskip("mne")
    vals, f = _vhdr(tmp_path, ["µV", "uV", "mV"], coords=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = mne.io.read_raw_brainvision(f, verbose="error")
    assert set(raw.get_channel_types()) == {"misc"}  # the case this guards against
    rec = eio.read(f)
    assert rec.ch_types == ["emg", "emg", "emg"]
    got = rec.get_data(units="uV")
    np.testing.assert_allclose(got[:2], vals[:2], rtol=1e-6)
    np.testing.assert_allclose(got[2], vals[2] * 1e3, rtol=1e-6)  # mV -> uV
    assert _ev(rec) == [(0.1, "1"), (0.15, "R2"), (0.2, "mvc")]
    assert [e.duration for e in rec.events] == [0.0, 0.0, 0.05]


def test_brainvision_non_voltage_channels_stay_misc_and_later_segments_are_events(tmp_path):
    vals, f = _vhdr(tmp_path, ["µV", "n/a"], extra_markers="Mk5=New Segment,,301,1,0\n")
    rec = eio.read(f)
    assert rec.ch_types == ["emg", "misc"]
    np.testing.assert_allclose(rec.get_data(units="V")[1], vals[1], rtol=1e-6)
    assert ("new_segment" in [e.label for e in rec.events])
    with pytest.raises(ValidationError, match="EXG2.*not stored in a voltage unit"):
        eio.read(f, ch_types=["emg", "emg"])


def test_ch_types_on_read(session, tmp_path):
    _, f = session
    rec = eio.read(f, ch_types={"EXG4": "ecg"})
    assert rec.ch_types == ["emg", "emg", "emg", "ecg"]
    assert eio.read(f, ch_types="misc").ch_types == ["misc"] * 4
    # data stay volts whatever the type
    np.testing.assert_array_equal(eio.read(f, ch_types="misc").data, rec.data)
    with pytest.raises(ValidationError, match="ch_types names channel 'EXG9'"):
        eio.read(f, ch_types={"EXG9": "emg"})
    with pytest.raises(ValidationError, match="ch_types lists 2 types but s.bdf has 4"):
        eio.read(f, ch_types=["emg", "emg"])
    with pytest.raises(ValidationError, match="'eeg' for channel 'EXG1' is not one of"):
        eio.read(f, ch_types=["eeg", "emg", "emg", "emg"])
    eio.write_brainvision(rec, tmp_path / "t.vhdr")
    assert eio.read(tmp_path / "t.vhdr", ch_types={"EXG1": "ecg"}).ch_types[:1] == ["ecg"]


def test_markers_on_read_in_every_format(session, tmp_path):
    _, f = session
    bdf = eio.read(f)
    eio.write_edf(bdf, tmp_path / "s.edf")
    eio.write_brainvision(bdf, tmp_path / "s.vhdr")
    eio.write_csv(bdf, tmp_path / "s.csv")
    want = [(s / SF, {1: "trial", 2: "mvc"}.get(c, str(c))) for s, _, c in TRIGGERS]
    for path in (f, tmp_path / "s.edf", tmp_path / "s.vhdr", tmp_path / "s.csv"):
        rec = eio.read(path, markers={1: "trial", 2: "mvc"})
        got = [(round(t * SF) / SF, lab) for t, lab in _ev(rec)]
        assert got == want, path
        assert rec.history[-1]["step"] == "markers"
    assert _ev(eio.read(f, markers="1=trial,2=mvc")) == _ev(eio.read(
        f, markers={"1": "trial", 2.0: "mvc"}))
    with pytest.warns(EmgcontrolWarning, match=r"code\(s\) 9 that the file does not hold"):
        eio.read(f, markers={9: "trial"})
    for bad, msg in (({"x": "trial"}, "code 'x' is not a number"),
                     ({1: ""}, "label of code 1 must be a non-empty str"),
                     ("1:trial", "is not CODE=LABEL"), ([1, 2], "must be a mapping")):
        with pytest.raises(ValidationError, match=msg):
            eio.read(f, markers=bad)


def test_edf_plus_numeric_annotations_and_trigger_channel_from_another_writer(tmp_path):
    edfio = pytest.importorskip("edfio")
    emg = RNG.normal(0, 50, 2000)
    trig = np.zeros(2000)
    trig[500:510] = 4
    trig[1200:1210] = 8
    sig = [edfio.EdfSignal(emg, 1000, label="EMG1", physical_dimension="uV"),
           edfio.EdfSignal(trig, 1000, label="TRIGGER", physical_range=(-32768, 32767),
                           digital_range=(-32768, 32767))]
    edfio.Edf(sig, annotations=[edfio.EdfAnnotation(0.25, None, "1")]).write(
        tmp_path / "t.edf")
    rec = eio.read(tmp_path / "t.edf", markers={1: "trial"})
    assert rec.ch_names == ["EMG1"]
    assert _ev(rec) == [(0.25, "trial"), (0.5, "4"), (1.2, "8")]


def test_trigger_only_file_is_refused(tmp_path):
    st = status_values(SF, [(10, 5, 1)])
    f = write_biosemi_bdf(tmp_path / "o.bdf", np.zeros((0, SF)), st, SF, names=[])
    with pytest.raises(FileFormatError, match="trigger channel only"):
        eio.read(f)


def test_recording_events_survive_write_brainvision_and_mne_reads_it(tmp_path):
    mne = pytest.importorskip("mne")
    rec = ec.Recording.from_array(RNG.normal(0, 30, (2, 1000)), 1000.0, ["a,1", "b"],
                                  units="uV", events=[(0.1, 0, "1"), (0.2, 0.05, "go on"),
                                                      (0.3, 0, "R4")])
    f = eio.write_brainvision(rec, tmp_path / "w.vhdr")
    raw = mne.io.read_raw_brainvision(f, preload=True, verbose="error")
    assert raw.ch_names == ["a,1", "b"]
    np.testing.assert_allclose(raw.get_data(), rec.data, rtol=1e-6)
    # (MNE >= 1.7 leaves out the New Segment marker at the first sample; older ones keep it)
    assert [d for d in raw.annotations.description if not d.startswith("New Segment")] \
        == ["Stimulus/S  1", "Comment/go on", "Response/R  4"]
    back = eio.read(f)
    assert _ev(back) == _ev(rec) and [e.duration for e in back.events] == [0, 0.05, 0]
    with pytest.raises(ValidationError, match=".vhdr"):
        eio.write_brainvision(rec, tmp_path / "w.eeg")


def test_marker_codes_lists_numeric_markers(session):
    _, f = session
    assert eio.marker_codes(eio.read(f)) == {"1": 2, "2": 1, "3": 1, "300": 1, "65535": 1}
    assert eio.marker_codes(eio.read(f, markers={1: "trial", 2: "mvc"})) == {
        "3": 1, "300": 1, "65535": 1}
