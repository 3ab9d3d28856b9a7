"""Signal-quality checks: each fault is injected with a known size and found.

Every check is triggered on a constructed fault (railed, flat, clipped, NaN,
DC offset, jumps, strong mains, strong ECG, low SNR, dropped samples) with its
value compared with what was injected, and none is triggered on clean EMG.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import signal as sps

import emgcontrol as ec
from emgcontrol.errors import ValidationError
from emgcontrol.signal.quality import (
    CHECKS,
    QualityThresholds,
    find_dropped_samples,
    quality,
)

RAIL = 187_500.0  # uV


def emg(sfreq=1000.0, duration=20.0, n_ch=4, seed=0, rest_uv=3.0, burst_uv=60.0):
    """Clean EMG in microvolts: 20-450 Hz noise, bursts 2 s of every 4 s."""
    rng = np.random.default_rng(seed)
    n = int(round(duration * sfreq))
    t = np.arange(n) / sfreq
    sos = sps.butter(4, [20.0, min(450.0, 0.45 * sfreq)], "bandpass", fs=sfreq, output="sos")
    x = sps.sosfilt(sos, rng.standard_normal((n_ch, n)), axis=-1)
    x /= x.std(axis=1, keepdims=True)
    env = np.full(n, rest_uv)
    for a in np.arange(1.0, duration - 2.0, 4.0):
        m = (t >= a) & (t < a + 2.0)
        env[m] += burst_uv * np.sin(np.pi * (t[m] - a) / 2.0) ** 0.5
    return x * env


def verdicts(rep, check):
    return [c.checks[check].verdict for c in rep.channels]


def first_jump_s(reason):
    """Time (s) of the first jump that a reason names ("..., the first at 3.500 s: ...")."""
    m = re.search(r"the first at (\d+\.\d+) s", reason)
    assert m, reason
    return float(m.group(1))


def values(rep, check):
    return np.array([np.nan if c.checks[check].value is None else c.checks[check].value
                     for c in rep.channels])


# ------------------------------------------------------------------- clean
def test_clean_emg_passes_every_check():
    x = emg(seed=1)
    rep = quality(x, 1000.0, units="uV")
    for check in CHECKS:
        if check == "dropped":
            assert verdicts(rep, check) == ["n/a"] * 4  # nothing to assess it from
        else:
            assert verdicts(rep, check) == ["good"] * 4, (check, values(rep, check))
    assert rep.verdicts == {f"#{i}": "good" for i in range(4)}
    assert rep.bad_channels == [] and rep.warn_channels == []
    np.testing.assert_array_equal(values(rep, "railed"), 0.0)
    np.testing.assert_array_equal(values(rep, "flat"), 0.0)
    assert np.all(values(rep, "mains") < 3.0)
    assert np.all(values(rep, "snr") > 20.0)


def test_clean_simulated_sessions_pass():
    sim = pytest.importorskip("emgcontrol.simulate")
    for proto, sfreq in [("prone-hip-extension", 250.0), ("lift", 1000.0)]:
        rec, _ = sim.simulate(proto, sfreq=sfreq, seed=1, ecg=False, mains_hz=None)
        rep = quality(rec)
        assert rep.ch_names == rec.pick("emg").ch_names  # accelerometers are not checked
        assert rep.bad_channels == [] and rep.warn_channels == [], rep.to_dataframe()


# ------------------------------------------------------------------ faults
def test_railed_share_and_near_rail():
    x = emg(sfreq=250.0, duration=40.0, seed=2)
    n = x.shape[-1]
    x[0, 1000:1500] = RAIL  # 5 % of samples at the rail
    x[1, 2000:2010] = -RAIL  # 0.1 %: brief saturation
    x[2, 3000:3300] = 0.8 * RAIL  # near the rail (75-90 %), 3 %
    rep = quality(x, 250.0, units="uV")
    railed = values(rep, "railed")
    assert railed[0] == pytest.approx(100 * 500 / n)
    assert railed[1] == pytest.approx(100 * 10 / n)
    assert railed[2] == 0.0 and railed[3] == 0.0
    assert verdicts(rep, "railed") == ["bad", "warn", "warn", "good"]
    assert "near the rail" in rep[2]["railed"].reason
    # the rail level is configurable (e.g. another gain): same data, higher rail
    rep2 = quality(x, 250.0, units="uV", rail_uv=4.5e6 / 6)
    assert verdicts(rep2, "railed") == ["good"] * 4


def test_railed_simulated_fault_and_openbci_meta_rail():
    sim = pytest.importorskip("emgcontrol.simulate")
    rec, truth = sim.simulate("prone-hip-extension", sfreq=250.0, seed=1, ecg=False,
                              mains_hz=None, faults={"LT L": "railed", "LT R": "flat",
                                                     "MF R": "intermittent"})
    rep = quality(rec)
    assert rep["LT L"]["railed"].value == 100.0 and rep["LT L"]["railed"].verdict == "bad"
    assert rep["LT L"]["flat"].verdict == "good"  # stuck at the rail is saturation, not flat
    assert rep["LT R"]["flat"].value == 100.0 and rep["LT R"]["flat"].verdict == "bad"
    assert rep["LT R"]["railed"].verdict == "good"
    starts = [a for a, _ in truth.faults["MF R"]["intervals"]]
    jumps = rep["MF R"]["jumps"]
    assert jumps.verdict == "bad"
    assert jumps.value * rec.duration / 60 >= len(starts)
    # the first sample at or after the fault's start, printed to 0.5 ms
    assert -5e-4 <= first_jump_s(jumps.reason) - starts[0] <= 1 / rec.sfreq + 5e-4
    assert set(rep.bad_channels) == {"LT L", "LT R", "MF R"}


def test_flat_share_matches_injected_gap():
    x = emg(duration=20.0, seed=3)
    x[1, 4000:10000] = 0.0  # 30 % of the time: zero-filled gap
    x[2] = 12.5  # the whole channel constant
    x[3, 15000:15100] = 0.0  # 0.1 s: shorter than a 0.25 s window, not flagged
    rep = quality(x, 1000.0, units="uV")
    flat = values(rep, "flat")
    assert flat[0] == 0.0
    assert 30.0 - 2.5 <= flat[1] <= 30.0  # partial 0.25 s windows at the edges
    assert flat[2] == 100.0 and "whole channel" in rep[2]["flat"].reason
    assert flat[3] == 0.0
    assert verdicts(rep, "flat")[:3] == ["good", "bad", "bad"]
    assert "from 4.000 s" in rep[1]["flat"].reason
    assert rep[2]["clipping"].verdict == "good"  # a constant channel is not "clipped"


def _clipped_share_naive(v, min_run=3):
    """Share (%) of samples in runs of >= min_run identical values at the extremes."""
    lo, hi = v.min(), v.max()
    total, run, prev = 0, 0, None
    for s in list(v) + [None]:
        if s is not None and s == prev and s in (lo, hi):
            run += 1
        else:
            if prev in (lo, hi) and run >= min_run:
                total += run
            run = 1
        prev = s
    return 100.0 * total / len(v)


def test_clipping_matches_naive_count():
    x = emg(sfreq=500.0, duration=20.0, seed=4)
    level = np.percentile(np.abs(x[0]), 70)
    x[0] = np.clip(x[0], -level, level)  # 30 % beyond the level, ~7 % in runs >= 3
    x[1] = np.clip(x[1], -np.inf, np.percentile(x[1], 95))  # one side, ~0.2 % in runs
    rep = quality(x, 500.0, units="uV")
    clip = values(rep, "clipping")
    assert clip[0] == pytest.approx(_clipped_share_naive(x[0]))
    assert clip[1] == pytest.approx(_clipped_share_naive(x[1]))
    assert clip[0] > 1.0 and 0.0 < clip[1] < 1.0 and clip[2] == 0.0 and clip[3] == 0.0
    assert verdicts(rep, "clipping") == ["bad", "warn", "good", "good"]
    assert "clipped" in rep[0]["clipping"].reason


def test_nonfinite_samples_are_reported_and_other_checks_still_run():
    x = emg(duration=10.0, seed=5)
    x[3, [100, 2000, 2001]] = np.nan
    x[3, 5000] = np.inf
    rep = quality(x, 1000.0, units="uV", ch_names=["a", "b", "c", "d"])
    q = rep["d"]["nonfinite"]
    assert q.verdict == "bad" and q.value == pytest.approx(100 * 4 / x.shape[-1])
    assert "3 NaN and 1 infinite" in q.reason and "0.100 s" in q.reason
    assert rep["d"]["snr"].verdict == "good"  # computed on the rest
    assert rep["a"]["nonfinite"].verdict == "good"
    # a Recording that allows NaN gives the same report
    rec = ec.Recording(x * 1e-6, 1000.0, ["a", "b", "c", "d"], allow_nonfinite=True)
    assert quality(rec)["d"]["nonfinite"].value == q.value


def test_dc_offset_value_and_headroom_verdicts():
    x = emg(duration=10.0, seed=6)
    offsets = np.array([60_000.0, -120_000.0, 160_000.0, 0.0])  # uV
    rep = quality(x + offsets[:, None], 1000.0, units="uV")
    np.testing.assert_allclose(values(rep, "dc_offset"), offsets, atol=2.0)
    assert verdicts(rep, "dc_offset") == ["good", "warn", "bad", "good"]
    assert "normal for DC-coupled raw data" in rep[0]["dc_offset"].reason


def test_jumps_counted_at_injected_steps_not_at_contraction_onsets():
    x = emg(duration=30.0, seed=7, burst_uv=400.0)  # strong contractions on all channels
    step = np.zeros(x.shape[-1])
    for t0, size in [(3.5, 5000.0), (11.2, -3000.0), (20.7, 8000.0)]:
        step[int(t0 * 1000):] += size
    x[0] += step
    rep = quality(x, 1000.0, units="uV")
    jumps = values(rep, "jumps")
    assert jumps[0] == pytest.approx(3 / 0.5)  # 3 steps in half a minute
    assert np.all(jumps[1:] == 0.0)
    assert "3 sudden level change(s)" in rep[0]["jumps"].reason
    assert first_jump_s(rep[0]["jumps"].reason) == pytest.approx(3.5, abs=1e-3)  # 1 sample
    assert verdicts(rep, "jumps") == ["bad", "good", "good", "good"]


@pytest.mark.parametrize(("sfreq", "f0"), [(250.0, 60.0), (1000.0, 50.0)])
def test_mains_share_matches_injected_power(sfreq, f0):
    x = emg(sfreq=sfreq, duration=30.0, seed=8, burst_uv=20.0)
    t = np.arange(x.shape[-1]) / sfreq
    amps = np.array([0.0, 2.0, 6.0, 20.0])  # uV peak of the fundamental
    hum = amps[:, None] * (np.sin(2 * np.pi * f0 * t) + 0.3 * np.sin(2 * np.pi * 3 * f0 * t))
    rep = quality(x + hum, sfreq, units="uV")
    assert rep.info["mains_freq"] == f0
    # oracle: sinusoid power in the EMG band over the clean EMG band power + it
    hi = min(450.0, 0.45 * sfreq)
    f, p = sps.welch(x, fs=sfreq, nperseg=int(sfreq))
    band = (f >= 20) & (f <= hi)
    p_emg = p[:, band].sum(axis=1) * (f[1] - f[0])
    p_hum = amps**2 / 2 * (1 + (0.3**2 if 3 * f0 <= hi else 0.0))
    expected = 100 * p_hum / (p_emg + p_hum)
    got = values(rep, "mains")
    np.testing.assert_allclose(got[1:], expected[1:], rtol=0.15, atol=1.5)
    assert got[0] < 3.0
    grade = ["good" if e < 10 else "warn" if e < 50 else "bad" for e in expected]
    grade[0] = "good"
    assert verdicts(rep, "mains") == grade


def test_ecg_index_on_strong_and_absent_ecg():
    sfreq = 1000.0
    x = emg(duration=30.0, seed=9, burst_uv=0.0)  # rest: where ECG matters most
    t = np.arange(x.shape[-1]) / sfreq
    r_times = np.arange(0.7, 29.5, 0.8)
    beat = np.zeros_like(t)
    for r in r_times:
        beat += (np.exp(-0.5 * ((t - r) / 0.011) ** 2)
                 - 0.3 * np.exp(-0.5 * ((t - r - 0.035) / 0.011) ** 2))
    gains = np.array([100.0, 20.0, 5.0, 0.0])  # uV
    ecg = gains[:, None] * beat
    rep = quality(x + ecg, sfreq, units="uV")
    assert rep.info["n_r_peaks"] == len(r_times) and rep.info["heart_rate_bpm"] == 75.0
    # oracle: ECG share of the > 20 Hz power within 50 ms of the R-peaks
    sos = sps.butter(4, 20.0, "highpass", fs=sfreq, output="sos")
    e, n = sps.sosfiltfilt(sos, ecg, axis=-1), sps.sosfiltfilt(sos, x, axis=-1)
    m = np.zeros(t.size, bool)
    for r in np.round(r_times * sfreq).astype(int):
        m[r - 50:r + 51] = True
    pe, pn = np.mean(e[:, m] ** 2, 1), np.mean(n[:, m] ** 2, 1)
    expected = 100 * pe / (pe + pn)
    got = values(rep, "ecg")
    np.testing.assert_allclose(got[:3], expected[:3], atol=3.0)
    assert got[0] > 50 and 10 < got[1] < 50 and got[3] < 2.0
    assert verdicts(rep, "ecg") == ["bad" if e >= 50 else "warn" if e >= 10 else "good"
                                    for e in expected]
    assert "remove_ecg" in rep[0]["ecg"].reason
    # no heartbeat at all: value 0, good, and the report says why
    rep0 = quality(x, sfreq, units="uV")
    assert np.all(values(rep0, "ecg") == 0.0) and rep0.info["n_r_peaks"] == 0
    assert "no heartbeat" in rep0[0]["ecg"].reason


def test_ecg_channel_is_the_reference_and_not_graded():
    sfreq = 500.0
    x = emg(sfreq=sfreq, duration=20.0, seed=10, burst_uv=0.0)
    t = np.arange(x.shape[-1]) / sfreq
    r_times = np.arange(0.5, 19.5, 0.9)
    beat = sum(np.exp(-0.5 * ((t - r) / 0.012) ** 2) for r in r_times)
    data = np.vstack([x[:3] + 40.0 * beat, 1000.0 * beat + x[3] * 0.1])
    rec = ec.Recording.from_array(data, sfreq, ["A", "B", "C", "ECG"],
                                  ch_types=["emg"] * 3 + ["ecg"], units="uV")
    rep = quality(rec)
    assert rep["ECG"]["ecg"].verdict == "n/a"
    assert rep.info["n_r_peaks"] == len(r_times)
    assert all(v in ("warn", "bad") for v in verdicts(rep, "ecg")[:3])


def test_snr_matches_constructed_levels():
    rng = np.random.default_rng(11)
    sfreq, n = 1000.0, 20000
    level = np.full(n, 3.0)
    level[:8000] = 30.0  # 40 % of the time 10x the baseline
    x = rng.standard_normal((2, n)) * level
    x[1] = rng.standard_normal(n) * 3.0  # no activity at all
    rep = quality(x, sfreq, units="uV")
    snr = values(rep, "snr")
    assert snr[0] == pytest.approx(20.0, abs=1.0)
    assert snr[1] < 2.5
    assert verdicts(rep, "snr") == ["good", "bad"]
    assert "no activity" in rep[1]["snr"].reason


# ----------------------------------------------------------- dropped samples
def test_dropped_samples_from_reader_meta():
    x = emg(sfreq=250.0, duration=20.0, seed=12) * 1e-6
    gaps = [{"sample": 1000, "time_s": 4.0, "n_missing": 4, "line": 1005, "source": "counter"},
            {"sample": 3000, "time_s": 12.0, "n_missing": 8, "line": 3009, "source": "counter"}]
    rec = ec.Recording(x, 250.0, ["a", "b", "c", "d"],
                       meta={"dropped_samples": {"count": 12, "gaps": gaps}})
    rep = quality(rec)
    d = rep["a"]["dropped"]
    assert d.value == 12 and d.verdict == "warn"
    assert "2 gap(s), the largest 8 at 12.000 s" in d.reason
    rep_bad = quality(rec, dropped={"count": 200, "gaps": []})
    assert rep_bad["a"]["dropped"].verdict == "bad"  # 200 of 5200 = 3.8 %
    clean = ec.Recording(x, 250.0, ["a", "b", "c", "d"],
                         meta={"dropped_samples": {"count": 0, "gaps": []}})
    assert quality(clean)["a"]["dropped"].verdict == "good"


def test_dropped_samples_from_package_counter_and_timestamps():
    n = 3000
    full = np.arange(n + 30)
    keep = np.ones(n + 30, bool)
    keep[[500, 501, 502]] = False  # 3 lost
    keep[1700:1727] = False  # 27 lost, across a counter wrap (1792 = 7 x 256)
    idx = full[keep]
    counter = idx % 256
    out = find_dropped_samples(sfreq=250.0, package_num=counter)
    assert out["count"] == 30
    assert [(g["sample"], g["n_missing"]) for g in out["gaps"]] == [(500, 3), (1697, 27)]
    # Cyton+Daisy in BrainFlow: the counter steps by 2
    out2 = find_dropped_samples(sfreq=125.0, package_num=(idx * 2) % 256)
    assert out2["count"] == 30
    # timestamps with jitter
    rng = np.random.default_rng(0)
    ts = idx / 250.0 + rng.uniform(-0.0008, 0.0008, len(idx))
    out3 = find_dropped_samples(sfreq=250.0, timestamps=ts)
    assert out3["count"] == 30 and len(out3["gaps"]) == 2
    x = emg(sfreq=250.0, duration=12.0, seed=13)
    rep = quality(x, 250.0, units="uV", package_num=counter)
    assert rep[0]["dropped"].value == 30 and rep.info["dropped"]["count"] == 30
    with pytest.raises(ValidationError, match="package_num must be a 1-D"):
        find_dropped_samples(sfreq=250.0, package_num=[[1, 2]])


# ------------------------------------------------------------ thresholds, API
def test_thresholds_override_and_validation():
    rng = np.random.default_rng(14)
    x = rng.standard_normal((1, 20000)) * np.r_[np.full(12000, 3.0), np.full(8000, 7.5)]
    rep = quality(x, 1000.0, units="uV")
    assert rep[0]["snr"].value == pytest.approx(8.0, abs=1.0)  # 2.5x the baseline
    assert rep[0]["snr"].verdict == "warn"
    lenient = quality(x, 1000.0, units="uV", thresholds={"snr_warn_db": 5.0, "snr_bad_db": 2.0})
    strict = quality(x, 1000.0, units="uV", thresholds={"snr_warn_db": 15.0, "snr_bad_db": 12.0})
    assert lenient[0]["snr"].verdict == "good" and strict[0]["snr"].verdict == "bad"
    assert strict.thresholds.snr_warn_db == 15.0
    assert strict.to_dict()["thresholds"]["snr_bad_db"] == 12.0
    th = QualityThresholds(railed_bad_pct=50.0)
    assert quality(x, 1000.0, units="uV", thresholds=th).thresholds is th
    with pytest.raises(ValidationError, match="unknown threshold.*'snr_warn'"):
        quality(x, 1000.0, units="uV", thresholds={"snr_warn": 3})
    with pytest.raises(ValidationError, match="must be a number"):
        quality(x, 1000.0, units="uV", thresholds={"snr_warn_db": "high"})


def test_report_tables_and_json():
    x = emg(duration=10.0, seed=15)
    x[1, :3000] = 0.0
    rep = quality(x, 1000.0, units="uV", ch_names=["LT L", "LT R", "MF L", "MF R"])
    df = rep.to_dataframe()
    assert list(df["channel"]) == ["LT L", "LT R", "MF L", "MF R"]
    for check, unit in CHECKS.items():
        assert {f"{check}_{unit}", f"{check}_verdict", f"{check}_reason"} <= set(df.columns)
    assert df.loc[1, "verdict"] == "bad" and df.loc[1, "flat_verdict"] == "bad"
    assert df.loc[1, "reason"].startswith("flat:")
    long = rep.to_dataframe(long=True)
    assert len(long) == 4 * len(CHECKS)
    assert list(long.columns) == ["channel", "check", "value", "unit", "verdict", "reason"]
    d = json.loads(json.dumps(rep.to_dict()))
    assert d["channels"][1]["checks"]["flat"]["verdict"] == "bad"
    assert d["channels"][0]["checks"]["dropped"]["value"] is None
    assert "<table>" in rep._repr_html_() and "LT R" in rep._repr_html_()
    assert repr(rep) == "<QualityReport | 4 channels: 3 good, 0 warn, 1 bad>"
    assert rep.value("flat")["LT R"] == pytest.approx(30.0, abs=2.5)
    with pytest.raises(ValidationError, match="not in the report"):
        rep["XX"]


def test_bad_input_and_low_rates():
    x = emg(sfreq=125.0, duration=10.0, seed=16)
    rep = quality(x, 125.0, units="uV")  # Cyton+Daisy rate: every check runs
    assert all(c.verdict == "good" for c in rep.channels), rep.to_dataframe()
    assert rep[0]["mains"].value < 3.0
    low = quality(x[:, ::2], 62.5, units="uV")
    assert low[0]["ecg"].verdict == "n/a" and "sfreq 62.5 Hz" in low[0]["ecg"].reason
    short = quality(x[:, :100], 125.0, units="uV")
    assert short[0]["ecg"].verdict == "n/a" and short[0]["snr"].verdict == "n/a"
    with pytest.raises(ValidationError, match="needs sfreq"):
        quality(x)
    with pytest.raises(ValidationError, match="at least 2 samples"):
        quality(x[:, :1], 125.0)
    with pytest.raises(ValidationError, match="ch_names has 2 names but x has 4 rows"):
        quality(x, 125.0, ch_names=["a", "b"])
    with pytest.raises(ValidationError, match="units must be one of"):
        quality(x, 125.0, units="furlong")
    with pytest.raises(ValidationError, match="rail_uv must be a finite number"):
        quality(x, 125.0, rail_uv=-1)


# ------------------------------------------------------------------ properties
@settings(max_examples=30, deadline=None)
@given(gaps=st.lists(st.tuples(st.integers(1, 400), st.integers(1, 127)),
                     min_size=0, max_size=5),
       step=st.sampled_from([1, 2]))
def test_counter_gaps_are_found_exactly(gaps, step):
    # a sample counter (mod 256, step 1 or 2) with random losses shorter than one
    # counter period (256 / step samples: a whole period is invisible to a counter)
    kept, pos, lost_total, expected = [], 0, 0, []
    for spacing, lost in gaps:
        kept.extend(range(pos, pos + spacing))
        pos += spacing + lost
        expected.append((len(kept), lost))
        lost_total += lost
    kept.extend(range(pos, pos + 50))
    counter = (np.asarray(kept) * step) % 256
    out = find_dropped_samples(sfreq=250.0, package_num=counter, step=step)
    assert out["count"] == lost_total
    assert [(g["sample"], g["n_missing"]) for g in out["gaps"]] == expected


@settings(max_examples=20, deadline=None)
@given(start=st.integers(0, 4000), length=st.integers(0, 1000),
       sign=st.sampled_from([-1.0, 1.0]))
def test_railed_share_equals_injected_share(start, length, sign):
    x = emg(sfreq=250.0, duration=20.0, n_ch=1, seed=17)
    stop = min(start + length, x.shape[-1])
    x[0, start:stop] = sign * RAIL
    rep = quality(x, 250.0, units="uV")
    assert rep[0]["railed"].value == pytest.approx(100.0 * (stop - start) / x.shape[-1])
    expected = "good" if stop == start else "bad" if stop - start >= 50 else "warn"
    assert rep[0]["railed"].verdict == expected
