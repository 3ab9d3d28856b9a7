"""Quality judged as the processing chain sees the signal, on sessions not tuned on.

Sessions come from a second EMG model written for the tests (``emg_model2``:
band-pass shaped noise with trapezoid envelopes, its own ECG, mains, drift),
from ``emgcontrol.simulate`` and from real recordings in ``../shared/data``
(skipped where absent).  Each rule of the quality checks has a test here:

* level changes that recur at the heart rate are ECG (``ecg`` finding, the
  channel stays usable), irregular steps and spikes stay ``jumps: bad``;
* ``notch=`` judges mains after the notch (``"corrected"``), a wrong notch
  leaves the problem visible;
* ``expect_quiet=`` turns "no activity stands out" into ``"info"``;
* sustained holds with no rest are not ``"bad"``/``"warn"`` for SNR;
* ``not_emg`` finds channels that carry no EMG and leaves EMG at 125-2000 Hz
  (low-level EMG included) alone.
"""

from __future__ import annotations

import glob
import re
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal as sps

import emg_model2 as m2
from emgcontrol.errors import ValidationError
from emgcontrol.signal.quality import (
    CHECKS,
    VERDICTS,
    QualityThresholds,
    _heartbeat_events,
    quality,
)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real recordings not available: {path}")
    return path


def verdicts(rep, check):
    return [c.checks[check].verdict for c in rep.channels]


# ---------------------------------------------------------------- ECG jumps
@pytest.mark.parametrize("sfreq", [125.0, 250.0, 1000.0])
@pytest.mark.parametrize(("seed", "bpm"), [(0, 48.0), (1, 75.0), (2, 110.0), (3, 160.0)])
def test_heartbeats_are_ecg_not_jumps(sfreq, seed, bpm):
    s = m2.session(sfreq, 30.0, seed=seed, ecg_uv=3000.0, bpm=bpm, n_quiet=1)
    rep = quality(s.data, sfreq, ch_names=s.ch_names, units="uV")
    assert verdicts(rep, "jumps") == ["good"] * len(s.ch_names), rep.to_dataframe()
    assert all(v in ("warn", "bad") for v in verdicts(rep, "ecg"))
    hb = rep.info["ecg_jumps"]
    assert hb, "the heartbeats were not recognised as such"
    for name, found in hb.items():
        true_bpm = 60.0 / float(np.median(np.diff(s.r_times)))
        assert found["bpm"] == pytest.approx(true_bpm, rel=0.05)
        assert found["n"] <= len(s.r_times)
        reason = rep[name]["ecg"].reason
        assert "heartbeat" in reason and "stays usable" in reason
    # the chain removes ECG: the finding is "corrected" and no channel is bad
    rep2 = quality(s.data, sfreq, ch_names=s.ch_names, units="uV", ecg_removed=True,
                   expect_quiet=s.quiet)
    assert verdicts(rep2, "ecg") == ["corrected"] * len(s.ch_names)
    assert rep2.bad_channels == []


@pytest.mark.parametrize("sfreq", [250.0, 1000.0])
def test_heartbeat_train_alone_without_r_peaks(sfreq):
    """Rhythm and shape suffice when no R-peak is available (r_peaks=[])."""
    s = m2.session(sfreq, 30.0, seed=4, ecg_uv=2500.0, bpm=66.0, n_active=2, n_quiet=1)
    no_r = np.array([], int)
    rep = quality(s.data, sfreq, ch_names=s.ch_names, units="uV", r_peaks=no_r)
    # the same data with the heartbeat rule switched off: these would be "jumps"
    off = quality(s.data, sfreq, ch_names=s.ch_names, units="uV", r_peaks=no_r,
                  thresholds={"ecg_jump_min_beats": 10**6})
    would_jump = [c.channel for c in off.channels if c["jumps"].verdict == "bad"]
    assert len(would_jump) >= 2
    assert verdicts(rep, "jumps") == ["good"] * 3
    assert set(rep.info["ecg_jumps"]) == set(would_jump)
    for name in would_jump:  # no R-peak: no share, but the finding
        assert rep[name]["ecg"].verdict == "warn" and rep[name]["ecg"].value is None
    # the private rule itself: 20 beats at 0.9 s with one shape
    t = np.arange(int(25 * sfreq)) / sfreq
    r = np.arange(1.0, 24.0, 0.9)
    x = 2000.0 * m2.ecg_wave(t, r)
    ev = np.round(r * sfreq).astype(int)
    th = QualityThresholds()
    found = _heartbeat_events(x, ev, sfreq, th)
    assert found is not None and found["n"] == len(r)
    assert found["bpm"] == pytest.approx(60 / 0.9, rel=0.02)
    # the same events at random times are not heartbeats
    rng = np.random.default_rng(0)
    ev_random = np.sort(rng.choice(len(t) - 1, size=len(r), replace=False))
    assert _heartbeat_events(x, ev_random, sfreq, th) is None


def _contact_loss(x: np.ndarray, sfreq: float, rng: np.random.Generator, n_events: int = 8
                  ) -> np.ndarray:
    """Irregular contact loss on row 0 (steps and returns) and knocks on row 1 (spikes)."""
    x = x.copy()
    n = x.shape[1]
    step = np.zeros(n)
    for k, t0 in enumerate(np.sort(rng.uniform(1, x.shape[1] / sfreq - 1, n_events))):
        i = int(t0 * sfreq)
        step[i:] = rng.choice([-1, 1]) * rng.uniform(1500, 6000) if k % 2 == 0 else 0.0
    x[0] += step
    for t0 in np.sort(rng.uniform(1, n / sfreq - 1, n_events)):
        i, w = int(t0 * sfreq), int(0.03 * sfreq)
        x[1, i:i + w] += rng.choice([-1, 1]) * rng.uniform(2000, 5000)
    return x


@pytest.mark.parametrize("sfreq", [250.0, 1000.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_irregular_contact_loss_stays_bad(sfreq, seed):
    rng = np.random.default_rng(100 + seed)
    s = m2.session(sfreq, 30.0, seed=10 + seed, n_quiet=0)
    x = _contact_loss(s.data, sfreq, rng)
    rep = quality(x, sfreq, ch_names=s.ch_names, units="uV", ecg_removed=True)
    assert verdicts(rep, "jumps")[:2] == ["bad", "bad"]
    assert verdicts(rep, "jumps")[2:] == ["good", "good"]
    assert "ecg_jumps" not in rep.info
    # no level change was taken for a heartbeat: the count is the one without the rule
    off = quality(x, sfreq, ch_names=s.ch_names, units="uV",
                  thresholds={"ecg_jump_min_beats": 10**6}, r_peaks=np.array([], int))
    for i in (0, 1):
        assert rep[i]["jumps"].value == off[i]["jumps"].value >= 6 / 0.5  # of 8 per 30 s


@pytest.mark.parametrize("sfreq", [250.0, 1000.0])
def test_contact_loss_on_a_channel_with_large_ecg_is_still_counted(sfreq):
    s = m2.session(sfreq, 30.0, seed=20, ecg_uv=3000.0, bpm=70.0, n_quiet=0)
    x = s.data.copy()
    x[0, int(9.63 * sfreq):int(19.31 * sfreq)] += 8000.0  # contact lost for ~10 s
    # knocks (30 ms, 8-15 mV) on row 1, some of them on heartbeats: still contact problems
    rng = np.random.default_rng(21)
    knocks = np.concatenate([s.r_times[[5, 17]] + 0.01, rng.uniform(1, 29, 4)])
    for t0 in knocks:
        i = int(t0 * sfreq)
        x[1, i:i + int(0.03 * sfreq)] += rng.choice([-1, 1]) * rng.uniform(8000, 15000)
    rep = quality(x, sfreq, ch_names=s.ch_names, units="uV")
    assert rep[0]["jumps"].verdict == "bad"
    assert rep[0]["jumps"].value == pytest.approx(2 / 0.5)  # the two steps, not the beats
    assert "heartbeat" in rep[0]["jumps"].reason  # and the beats are named as such
    assert rep[1]["jumps"].verdict == "bad"
    assert rep[1]["jumps"].value == pytest.approx(6 / 0.5)  # every knock
    assert verdicts(rep, "jumps")[2:] == ["good"] * 2


def test_real_ecg_contaminated_recording_has_no_contact_loss():
    from scipy.io import loadmat

    m = loadmat(need(DATA / "emggo-samples" / "ECG Contaminated.mat"), squeeze_me=True,
                struct_as_record=False)
    x = np.asarray(m["EMG"].channelData, float)
    x = x.T if x.shape[0] > x.shape[1] else x
    sf = float(m["EMG"].fs)
    rep = quality(x, sf, units="mV")
    # the dataset is labelled ECG-contaminated: every channel carries it, none lost contact
    assert verdicts(rep, "ecg") == ["bad"] * len(x)
    assert verdicts(rep, "jumps") == ["good"] * len(x)
    rep2 = quality(x, sf, units="mV", ecg_removed=True)
    assert verdicts(rep2, "ecg") == ["corrected"] * len(x)
    assert rep2.bad_channels == []


# -------------------------------------------------------------------- mains
@pytest.mark.parametrize(("sfreq", "f0"), [(125.0, 50.0), (250.0, 60.0), (1000.0, 50.0)])
def test_mains_after_the_notch_is_corrected(sfreq, f0):
    s = m2.session(sfreq, 30.0, seed=30, n_quiet=0)
    t = np.arange(s.data.shape[1]) / sfreq
    amps = np.array([0.0, 10.0, 40.0, 150.0])  # uV peak
    x = s.data + amps[:, None] * np.sin(2 * np.pi * f0 * t)
    raw = quality(x, sfreq, ch_names=s.ch_names, units="uV")
    after = quality(x, sfreq, ch_names=s.ch_names, units="uV", notch="auto")
    assert after.info["notch"] == f0
    # oracle for the raw share: sinusoid power over the EMG-band power + it
    hi = min(450.0, 0.45 * sfreq)
    f, p = sps.welch(s.data, fs=sfreq, nperseg=int(sfreq))
    band = (f >= 20) & (f <= hi)
    p_emg = p[:, band].sum(axis=1) * (f[1] - f[0])
    expected = 100 * (amps**2 / 2) / (p_emg + amps**2 / 2)
    raw_v = np.array([c["mains"].value for c in raw.channels])
    if sfreq >= 200.0:  # at 125 Hz the line sits at the band edge: the share is rough
        np.testing.assert_allclose(raw_v[1:], expected[1:], rtol=0.15, atol=1.5)
    assert list(after.info["mains_raw_pct"].values()) == pytest.approx(list(raw_v), rel=1e-9)
    left = np.array([c["mains"].value for c in after.channels])
    assert np.all(left < 2.0), left
    for i in range(4):
        v = after[i]["mains"]
        if raw[i]["mains"].verdict in ("warn", "bad"):
            assert v.verdict == "corrected"
            m = re.search(r"\(([\d.]+) % before it\)", v.reason)
            assert m and float(m.group(1)) == pytest.approx(raw_v[i], rel=0.01)
        else:
            assert v.verdict == "good"
    assert after[3]["mains"].verdict == "corrected"
    assert after.bad_channels == [] and after.warn_channels == []
    # a notch at the wrong frequency leaves the hum: it stays a problem
    wrong = quality(x, sfreq, ch_names=s.ch_names, units="uV", mains_freq=f0,
                    notch=60.0 if f0 == 50.0 else 50.0)
    assert wrong[3]["mains"].verdict in ("warn", "bad")
    assert wrong[3]["mains"].value == pytest.approx(raw_v[3], rel=0.05)


def test_notch_auto_without_mains_and_bad_notch_values():
    s = m2.session(1000.0, 20.0, seed=31, n_quiet=0)
    rep = quality(s.data, 1000.0, units="uV", notch="auto")
    assert rep.info["notch"] is None
    assert verdicts(rep, "mains") == ["good"] * 4
    assert "finds no mains line" in rep[0]["mains"].reason
    with pytest.raises(ValidationError, match="notch"):
        quality(s.data, 1000.0, units="uV", notch="fifty")
    with pytest.raises(ValidationError, match="Nyquist"):
        quality(s.data, 250.0, units="uV", notch=150.0)


def test_simulated_sessions_with_mains_and_ecg_are_clean_for_the_chain():
    sim = pytest.importorskip("emgcontrol.simulate")
    for proto, sfreq in [("prone-hip-extension", 250.0), ("arm-raise", 1000.0)]:
        rec, _ = sim.simulate(proto, sfreq=sfreq, seed=3, snr_db=20, openbci=sfreq == 250)
        raw = quality(rec)
        assert raw.bad_channels or raw.warn_channels  # raw hum and ECG are reported
        rep = quality(rec, notch="auto", ecg_removed=True)
        assert rep.bad_channels == [] and rep.warn_channels == [], rep.to_dataframe()
        assert "corrected" in verdicts(rep, "mains")


# -------------------------------------------------------------- expect quiet
@pytest.mark.parametrize("sfreq", [250.0, 1000.0])
def test_a_muscle_expected_quiet_is_not_a_fault(sfreq):
    s = m2.session(sfreq, 30.0, seed=40, n_active=2, n_quiet=2)
    rep = quality(s.data, sfreq, ch_names=s.ch_names, units="uV")
    assert rep["Q0"]["snr"].verdict == "bad" and rep["Q1"]["snr"].verdict == "bad"
    rep = quality(s.data, sfreq, ch_names=s.ch_names, units="uV", expect_quiet=s.quiet)
    for q in s.quiet:
        assert rep[q]["snr"].verdict == "info"
        assert "expected" in rep[q]["snr"].reason
        assert rep[q]["not_emg"].verdict in ("good", "info")
        assert rep[q].verdict == "good"
        assert rep[q].findings("info")
    assert verdicts(rep, "snr")[:2] == ["good", "good"]
    assert rep.info["expect_quiet"] == s.quiet
    with pytest.raises(ValidationError, match=r"expect_quiet.*'Q9'.*A0, A1, Q0, Q1"):
        quality(s.data, sfreq, ch_names=s.ch_names, units="uV", expect_quiet=["Q9"])
    with pytest.raises(ValidationError, match="ecg_removed"):
        quality(s.data, sfreq, ch_names=s.ch_names, units="uV", ecg_removed=["nope"])


# ------------------------------------------------------------ sustained holds
@pytest.mark.parametrize("sfreq", [250.0, 1000.0])
@pytest.mark.parametrize("snr_db", [20.0, 10.0])
def test_sustained_holds_without_rest_are_not_bad(sfreq, snr_db):
    n_bad = n_ch = 0
    for seed in range(3):
        s = m2.session(sfreq, 40.0, seed=50 + seed, holds=True, n_active=6, n_quiet=0,
                       snr_db=snr_db)
        rep = quality(s.data, sfreq, ch_names=s.ch_names, units="uV")
        n_ch += len(rep)
        n_bad += len(rep.bad_channels)
        for c in rep.channels:
            assert c["snr"].verdict in ("good", "n/a"), c["snr"].reason
            if c["snr"].verdict == "n/a":
                assert "active throughout" in c["snr"].reason
        assert rep.warn_channels == []
    assert n_bad == 0 and n_ch == 18


def test_noisy_baseline_under_bursts_still_warns_at_1khz():
    """White noise of 15 uV under EMG bursts: the quiet windows are not EMG."""
    rng = np.random.default_rng(60)
    sf, n = 1000.0, 30000
    t = np.arange(n) / sf
    env = np.zeros(n)
    for a in (3.0, 10.0, 17.0, 24.0):
        env += m2.trapezoid(t, a, a + 1.0, 0.2, 0.2, 40.0)
    x = m2.shaped_noise(n, sf, rng) * env + 15.0 * rng.standard_normal(n)
    rep = quality(x[None], sf, units="uV")
    assert rep[0]["snr"].verdict in ("warn", "bad")
    # pure noise at a low level: no activity stands out
    rep = quality(0.8 * rng.standard_normal((1, n)), sf, units="uV")
    assert rep[0]["snr"].verdict == "bad"


def test_real_isometric_holds_are_not_bad():
    """Elderly isometric tests: recordings start during the hold (no rest)."""
    files = sorted(glob.glob(str(need(DATA / "elderly-emg-dynamometry" / "npz") / "*.npz")))
    assert files
    names = ["VL", "BF", "TA", "LG"]
    n_tests = 0
    verdict_of_tested = []
    for f in files:
        z = np.load(f)
        # the test of each muscle (key EMG_<muscle>; one file spells it EMB_TA); the LG
        # electrode shows no activity in any test of this dataset (SNR ~1 dB), so its
        # own test is left out
        for key in z.files:
            tested = key[-2:]
            if not key.startswith("EM") or tested == "LG":
                continue
            e = z[key].T
            e = e[:, np.all(np.isfinite(e), axis=0)]
            others = [m for m in names if m != tested]
            rep = quality(e, float(z["fs"]), ch_names=names, units="uV", notch="auto",
                          expect_quiet=others)
            n_tests += 1
            snr = rep[tested]["snr"]
            verdict_of_tested.append(snr.verdict)
            assert snr.verdict != "bad", (f, key, snr.reason)
            assert all(c["snr"].verdict != "bad" for c in rep.channels), (f, key)
    assert n_tests == 30
    # most held contractions have no rest at all: SNR not assessable, said so
    assert verdict_of_tested.count("n/a") >= 15


# ------------------------------------------------------------------ not EMG
@pytest.mark.parametrize("sfreq", [125.0, 200.0, 250.0, 1000.0])
@pytest.mark.parametrize("kind", ["goniometer", "force", "motion", "ecg"])
def test_a_channel_that_is_not_emg_is_bad(sfreq, kind):
    s = m2.session(sfreq, 30.0, seed=70, n_quiet=0)
    other = m2.non_emg_channel(sfreq, 30.0, seed=71, kind=kind)
    x = np.vstack([s.data, other])
    names = s.ch_names + ["EXG5"]
    rep = quality(x, sfreq, ch_names=names, units="uV", notch="auto")
    ne = rep["EXG5"]["not_emg"]
    assert ne.verdict == "bad", ne.reason
    assert ne.reason.startswith("EXG5 does not carry EMG")
    # the numbers in the reason: the low-frequency share (the value) and the band level
    m = re.search(r"([\d.]+) % of the power is below 20 Hz.* stays at ([\d.]+) uV RMS", ne.reason)
    assert m and float(m.group(1)) == pytest.approx(ne.value, rel=0.01)
    f, p = sps.welch(other - np.median(other), fs=sfreq, nperseg=int(4 * sfreq))
    oracle = 100 * p[(f > 0) & (f < 20.0)].sum() / p[f > 0].sum()
    assert ne.value == pytest.approx(oracle, abs=2.0)
    assert float(m.group(2)) <= 2.0
    assert verdicts(rep, "not_emg")[:4] == ["good"] * 4
    assert "not_emg" in CHECKS and rep.value("not_emg")["EXG5"] == ne.value


@pytest.mark.parametrize("sfreq", [125.0, 200.0, 250.0, 1000.0])
def test_low_level_emg_and_simulated_emg_are_emg(sfreq):
    # bursts of 6 uV RMS over 0.5 uV noise with 40 uV of drift: low-level EMG
    s = m2.session(sfreq, 30.0, seed=80, n_quiet=0, snr_db=20.0, drift_uv=40.0)
    x = s.data / s.data.std(axis=1, keepdims=True) * 6.0
    rep = quality(x, sfreq, ch_names=s.ch_names, units="uV")
    assert verdicts(rep, "not_emg") == ["good"] * 4, [c["not_emg"].reason for c in rep.channels]
    sim = pytest.importorskip("emgcontrol.simulate")
    rec, _ = sim.simulate("lift", sfreq=sfreq, seed=1, snr_db=6, openbci=sfreq <= 250)
    rep = quality(rec, notch="auto")
    assert set(verdicts(rep, "not_emg")) == {"good"}


def _read_uci(path):
    rows = []
    with open(path, encoding="latin-1") as fh:
        for line in fh:
            parts = line.strip().split("\t")
            try:
                v = [float(a) for a in parts]
            except ValueError:
                continue
            if len(v) >= 5:
                rows.append(v[:5])
    a = np.array(rows).T
    return a[:4] * 1e-3, a[4]  # EMG in V (file: mV), goniometer in degrees


@pytest.mark.parametrize("sfreq", [125.0, 200.0, 250.0, 1000.0])
def test_real_lower_limb_emg_is_emg_and_the_goniometer_is_not(sfreq):
    files = sorted(glob.glob(str(need(DATA / "uci-lower-limb")) + "/*_TXT/*.txt"))
    assert files
    for f in files[::4]:
        emg, gon = _read_uci(f)
        # the goniometer in degrees typed as an EMG channel in volts (1 deg -> 1 uV)
        x = np.vstack([emg, gon * 1e-6])
        if sfreq != 1000.0:
            x = sps.resample_poly(x, int(sfreq), 1000, axis=-1)
        rep = quality(x, sfreq, ch_names=["RF", "BF", "VM", "ST", "FX"], notch="auto")
        assert verdicts(rep, "not_emg")[:4] == ["good"] * 4, (f, rep.to_dataframe())
        assert rep["FX"]["not_emg"].verdict == "bad", (f, rep["FX"]["not_emg"].reason)


@pytest.mark.filterwarnings("ignore:.*dropped sample")
def test_real_openbci_emg_is_emg():
    import emgcontrol.io as io

    cyton = need(DATA / "openbci-gui-sample" / "OpenBCI_GUI-v5-blinks-jawClench-alpha.txt")
    rec = io.read_openbci_txt(cyton)
    assert rec.sfreq == 250.0
    rep = quality(rec, notch="auto")
    assert set(verdicts(rep, "not_emg")) == {"good"}
    for path in sorted(glob.glob(str(DATA / "openbci-ganglion-myoware" / "OpenBCI-RAW-*.txt"))):
        rec = io.read_openbci_txt(path)
        rep = quality(rec, notch="auto")
        # unconnected inputs are all zeros (flat), not "not EMG"
        for c in rep.channels:
            assert c["not_emg"].verdict in ("good", "n/a"), (path, c.channel, c["not_emg"].reason)
            if c["not_emg"].verdict == "n/a":
                assert c["flat"].verdict == "bad"


def test_real_force_channel_typed_emg_is_not_emg():
    z = np.load(need(DATA / "elderly-emg-dynamometry" / "npz" / "ID02.npz"))
    e = z["EMG_VL"].T
    force = np.nan_to_num(z["DNM"][:, 0])  # kgf, read as if uV
    rep = quality(np.vstack([e, force]), float(z["fs"]), ch_names=["VL", "BF", "TA", "LG", "F"],
                  units="uV", notch="auto", expect_quiet=["LG"])
    assert rep["F"]["not_emg"].verdict == "bad"
    assert [rep[c]["not_emg"].verdict for c in ("VL", "BF", "TA")] == ["good"] * 3


# ---------------------------------------------------------- API and house style
def test_every_threshold_has_a_documented_reason():
    doc = QualityThresholds.__doc__
    for f in fields(QualityThresholds):
        assert re.search(rf"\b{f.name}\b", doc), f"{f.name} has no documented reason"
    with pytest.raises(ValidationError, match="ecg_jump_min_beats"):
        QualityThresholds.from_any({"ecg_jump_min_beats": 1.5})
    th = QualityThresholds.from_any({"ecg_jump_min_beats": 8, "not_emg_max_uv": 3})
    assert th.ecg_jump_min_beats == 8 and th.not_emg_max_uv == 3.0


def test_new_verdicts_do_not_lower_the_channel_verdict_and_are_explained():
    assert VERDICTS == ("good", "info", "corrected", "warn", "bad", "n/a")
    s = m2.session(1000.0, 30.0, seed=90, n_active=2, n_quiet=1, ecg_uv=300.0, mains_uv=80.0)
    rep = quality(s.data, 1000.0, ch_names=s.ch_names, units="uV", notch="auto",
                  ecg_removed=True, expect_quiet=s.quiet)
    for c in rep.channels:
        assert c.verdict == "good", c.reason
        assert "mains (corrected):" in c.reason
    assert "not_emg (info):" in rep["Q0"].reason
    d = rep.to_dict()
    assert d["channels"][0]["checks"]["mains"]["verdict"] == "corrected"
    assert rep.to_dataframe()["not_emg_verdict"].tolist() == ["good", "good", "info"]
    assert "<td" in rep._repr_html_()


@settings(max_examples=6, deadline=None, derandomize=True)
@given(perm=st.permutations(range(5)), gain=st.floats(0.5, 4.0), seed=st.integers(0, 50))
def test_channel_order_and_gain_do_not_change_the_new_checks(perm, gain, seed):
    """Per-channel results follow the channels; the low-frequency share ignores gain."""
    s = m2.session(250.0, 20.0, seed=seed, n_active=3, n_quiet=1, ecg_uv=2500.0, mains_uv=20.0)
    x = np.vstack([s.data, m2.non_emg_channel(250.0, 20.0, seed=seed, kind="force")])
    names = s.ch_names + ["F"]
    kw = {"units": "uV", "notch": "auto", "expect_quiet": s.quiet}
    rep = quality(x, 250.0, ch_names=names, **kw)
    rep_p = quality(x[list(perm)], 250.0, ch_names=[names[i] for i in perm], **kw)
    for check in ("jumps", "ecg", "mains", "snr", "not_emg"):
        for i in range(5):
            assert rep_p[names[perm[i]]][check].verdict == rep[names[perm[i]]][check].verdict
    scaled = quality(x * gain, 250.0, ch_names=names, **kw)
    for nm in names:
        assert scaled[nm]["not_emg"].value == pytest.approx(rep[nm]["not_emg"].value, rel=1e-6)
