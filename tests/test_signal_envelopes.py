"""Envelopes of emgcontrol.signal against plain-NumPy references (tests/naive.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import signal as ss

import emgcontrol.signal as es
from emgcontrol import NonFiniteDataError, Recording, ValidationError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import naive  # noqa: E402


def assert_close(actual, expected, rtol=1e-10):
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape
    scale = max(np.abs(expected).max(initial=0.0), 1e-300)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(7)


@pytest.fixture(scope="module")
def emg(rng):
    """Bursty EMG-like signal in volts: quiet, loud (x1000), quiet."""
    x = rng.standard_normal((3, 2600)) * 1e-6
    x[:, 800:1400] *= 1000.0
    return x


def test_rectify(emg):
    assert_close(es.rectify(emg), np.abs(emg), rtol=0)
    assert es.rectify([1, -2, 3]).tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("n_win", [1, 2, 3, 50, 51, 1500, 5000])
@pytest.mark.parametrize("phase", ["zero", "causal"])
def test_moving_windows_match_naive(emg, n_win, phase):
    fs = 1000.0
    window = n_win / fs
    ref = naive.moving_centred if phase == "zero" else naive.moving_trailing
    # RMS and ARV are sums of non-negative terms: every sample is accurate
    # relative to itself (quiet samples after the 60 dB louder burst included)
    rms = es.moving_rms(emg, fs, window, phase=phase)
    np.testing.assert_allclose(rms, ref(emg, n_win, "rms"), rtol=1e-12, atol=0)
    arv = es.envelope(emg, fs, "arv", window=window, phase=phase)
    np.testing.assert_allclose(arv, ref(emg, n_win, "arv"), rtol=1e-12, atol=0)
    assert_close(es.moving_average(emg, fs, window, phase=phase), ref(emg, n_win, "mean"))
    assert np.array_equal(es.envelope(emg, fs, "rms", window=window, phase=phase), rms)


def test_moving_rms_accurate_after_loud_burst(rng):
    """No running-sum drift: quiet parts after a 120 dB louder burst stay exact."""
    x = rng.standard_normal((2, 20000)) * 1e-6
    x[:, 1000:9000] *= 1e6
    fs = 2000.0
    out = es.moving_rms(x, fs, 0.05)
    ref = naive.moving_centred(x[:, 9100:], 100, "rms")  # windows after the burst
    np.testing.assert_allclose(out[:, 9100 + 50:-50], ref[:, 50:-50], rtol=1e-12, atol=0)
    causal = es.moving_rms(x, fs, 0.05, phase="causal")
    np.testing.assert_allclose(causal[:, 9200:],
                               naive.moving_trailing(x[:, 9101:], 100, "rms")[:, 99:],
                               rtol=1e-12, atol=0)


def test_moving_window_alignment_and_edges():
    x = np.zeros(11)
    x[5] = 1.0
    centred = es.moving_average(x, 1.0, 3.0)  # 3 samples centred: 4, 5, 6
    assert np.flatnonzero(centred).tolist() == [4, 5, 6]
    even = es.moving_average(x, 1.0, 4.0)  # window i-2 .. i+1: non-zero at 4..7
    assert np.flatnonzero(even).tolist() == [4, 5, 6, 7]
    trailing = es.moving_average(x, 1.0, 3.0, phase="causal")
    assert np.flatnonzero(trailing).tolist() == [5, 6, 7]
    ones = np.ones(10)
    assert_close(es.moving_rms(ones, 1.0, 4.0), ones)  # truncated, not zero-padded
    assert_close(es.moving_rms(ones, 1.0, 4.0, phase="causal"), ones)


def test_linear_envelope_matches_scipy(emg):
    fs = 1000.0
    sos = ss.butter(2, 6.0, btype="lowpass", output="sos", fs=fs)
    rect = np.abs(emg)
    assert_close(es.linear_envelope(emg, fs), ss.sosfiltfilt(sos, rect))
    zi = ss.sosfilt_zi(sos)[:, None, :] * rect[None, :, :1]
    assert_close(es.linear_envelope(emg, fs, phase="causal"), ss.sosfilt(sos, rect, zi=zi)[0])
    sos4 = ss.butter(4, 10.0, btype="lowpass", output="sos", fs=fs)
    assert_close(es.envelope(emg, fs, "linear", cutoff=10.0, order=4),
                 ss.sosfiltfilt(sos4, rect))


def test_tkeo_matches_naive_and_causal_is_one_sample_late(emg):
    zero = es.tkeo(emg)
    causal = es.tkeo(emg, phase="causal")
    assert_close(zero, naive.tkeo_zero(emg), rtol=1e-13)
    assert_close(causal, naive.tkeo_causal(emg), rtol=1e-13)
    assert np.array_equal(causal[:, 1:], zero[:, :-1])
    assert (causal[:, 0] == 0).all()
    t = np.arange(1000)
    sine = np.sin(0.1 * t)  # TKEO of A sin(w n) is A^2 sin(w)^2
    assert_close(es.tkeo(sine)[1:-1], np.full(998, np.sin(0.1) ** 2), rtol=1e-12)


def test_envelopes_keep_shape_for_nd_input(rng):
    x = rng.standard_normal((2, 3, 400))
    out = es.moving_rms(x, 1000.0, 0.02)
    assert out.shape == x.shape
    assert_close(out[1, 2], naive.moving_centred(x[1, 2], 20, "rms")[0])
    assert es.tkeo(x[0, 0]).shape == (400,)


def test_envelope_bad_input(emg):
    bad = emg.copy()
    bad[1, 2000] = np.nan
    for call in (lambda: es.moving_rms(bad, 1000.0), lambda: es.rectify(bad),
                 lambda: es.tkeo(bad), lambda: es.tkeo(bad, phase="causal"),
                 lambda: es.moving_average(bad, 1000.0, phase="causal"),
                 lambda: es.linear_envelope(bad, 1000.0)):
        with pytest.raises(NonFiniteDataError, match="channel 1 .*NaN at sample 2000"):
            call()
    with pytest.raises(ValidationError, match="shorter than one sample"):
        es.moving_rms(emg, 1000.0, 0.0004)
    with pytest.raises(ValidationError, match="window"):
        es.moving_rms(emg, 1000.0, -1.0)
    with pytest.raises(ValidationError, match="method"):
        es.envelope(emg, 1000.0, "hilbert")
    with pytest.raises(ValidationError, match="cutoff=600 Hz must be below the Nyquist"):
        es.linear_envelope(emg, 1000.0, 600.0)
    with pytest.raises(ValidationError, match="sfreq"):
        es.moving_rms(emg)


def test_recording_envelopes_only_touch_emg(rng, emg):
    data = np.vstack([emg * 1e6, rng.standard_normal((1, emg.shape[1]))])  # uV + acc in g
    rec = Recording.from_array(data, 1000.0, ["a", "b", "ecg", "acc"],
                               ch_types=["emg", "emg", "ecg", "acc"], units="uV")
    out = rec.envelope("rms", window=0.03)
    assert np.array_equal(out.data[2:], rec.data[2:])  # ECG and ACC untouched
    assert_close(out.data[:2], naive.moving_centred(rec.data[:2], 30, "rms"))
    assert out.history[-1] == {"step": "envelope", "params": {
        "method": "rms", "window": 0.03, "n_window": 30, "window_s": 0.03, "phase": "zero",
        "alignment": "centred", "edges": "truncated", "channels": ["a", "b"]}}
    assert_close(rec.rectify().data[:2], np.abs(rec.data[:2]))
    assert rec.tkeo(phase="causal").history[-1]["params"]["delay_samples"] == 1
    lin = rec.envelope("linear", cutoff=5.0, phase="causal")
    assert lin.history[-1]["params"]["cutoff"] == 5.0
    assert es.moving_rms(rec, window=0.01).history[-1]["step"] == "moving_rms"


def test_parallel_kernels_equal_serial_ones(rng):
    """Large arrays run channels in parallel threads; each row equals its serial result."""
    x = rng.standard_normal((4, 400_000))
    for fn in (lambda a: es.moving_rms(a, 2000.0), lambda a: es.envelope(a, 2000.0, "arv"),
               lambda a: es.moving_average(a, 2000.0, phase="causal"), es.rectify,
               lambda a: es.tkeo(a), lambda a: es.tkeo(a, phase="causal"),
               lambda a: es.linear_envelope(a, 2000.0, phase="causal")):
        whole = fn(x)
        for r in range(4):
            assert np.array_equal(whole[r], fn(x[r]))
