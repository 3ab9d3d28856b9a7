"""Filters of emgcontrol.signal against scipy.signal as the oracle."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from scipy import signal as ss

import emgcontrol.signal as es
from emgcontrol import (
    EmgcontrolWarning,
    NonFiniteDataError,
    Recording,
    ValidationError,
)

RTOL = 1e-10
# scipy >= 1.15 names it freqz_sos; the oldest supported scipy (1.11) only has sosfreqz
freqz_sos = getattr(ss, "freqz_sos", None) or ss.sosfreqz


def assert_close(actual, expected, rtol=RTOL):
    """Equal to ``rtol`` relative to the largest magnitude of ``expected``."""
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape
    assert actual.dtype == np.float64
    scale = max(np.abs(expected).max(initial=0.0), 1e-300)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(20261125)


SOS_BP = ss.butter(4, [20, 450], btype="bandpass", output="sos", fs=2000.0)
SOS_HP = ss.butter(3, 20, btype="highpass", output="sos", fs=1000.0)  # odd order: b2 = 0
_b, _a = ss.iirnotch(50.0, 30.0, fs=1000.0)
SOS_MIX = np.vstack([ss.butter(2, [10, 300], btype="bandpass", output="sos", fs=1000.0),
                     np.concatenate([_b, _a])[None]])

SHAPES_AXES = [
    ((1001,), -1),
    ((3, 777), -1),
    ((777, 3), 0),
    ((2, 3, 301), -1),
    ((2, 301, 3), 1),
    ((301, 2, 3), 0),
    ((5, 1, 255), 2),
]


# ------------------------------------------------------------ scipy parity


@pytest.mark.parametrize("sos", [SOS_BP, SOS_HP, SOS_MIX], ids=["bp", "hp3", "mix"])
@pytest.mark.parametrize("shape,axis", SHAPES_AXES)
def test_sosfilt_and_sosfiltfilt_match_scipy(rng, sos, shape, axis):
    x = rng.standard_normal(shape) * 1e-4 + 3e-3  # volts with an electrode offset
    assert_close(es.sosfilt(sos, x, axis=axis), ss.sosfilt(sos, x, axis=axis))
    assert_close(es.sosfiltfilt(sos, x, axis=axis), ss.sosfiltfilt(sos, x, axis=axis))
    zshape = list(shape)
    zshape[axis] = 2
    zi = rng.standard_normal((sos.shape[0], *zshape)) * 1e-4
    y, zf = es.sosfilt(sos, x, axis=axis, zi=zi)
    y_ref, zf_ref = ss.sosfilt(sos, x, axis=axis, zi=zi)
    assert_close(y, y_ref)
    assert_close(zf, zf_ref)
    # the caller's zi is not modified
    assert np.array_equal(zi, zi.copy())


def test_large_arrays_run_rows_in_threads_and_still_match_scipy(rng):
    x = rng.standard_normal((9, 100_000))  # groups of 4, 4 and 1 rows (2 threads)
    assert_close(es.sosfiltfilt(SOS_BP, x), ss.sosfiltfilt(SOS_BP, x))
    assert_close(es.sosfilt(SOS_BP, x), ss.sosfilt(SOS_BP, x))


@pytest.mark.parametrize("padlen", [0, 1, 10, 100])
def test_sosfiltfilt_padlen_matches_scipy(rng, padlen):
    x = rng.standard_normal((4, 333))
    assert_close(es.sosfiltfilt(SOS_MIX, x, padlen=padlen),
                 ss.sosfiltfilt(SOS_MIX, x, padlen=padlen))


def test_sosfilt_zi_matches_scipy():
    for sos in (SOS_BP, SOS_HP, SOS_MIX):
        assert_close(es.sosfilt_zi(sos), ss.sosfilt_zi(sos), rtol=1e-13)


def test_sosfilt_chained_state_equals_one_call(rng):
    x = rng.standard_normal((3, 1000))
    zi = np.zeros((SOS_BP.shape[0], 3, 2))
    y1, z1 = es.sosfilt(SOS_BP, x[:, :371], zi=zi)
    y2, _ = es.sosfilt(SOS_BP, x[:, 371:], zi=z1)
    assert_close(np.concatenate([y1, y2], axis=1), ss.sosfilt(SOS_BP, x))


def test_float32_and_int_input_are_converted_not_truncated(rng):
    x64 = rng.standard_normal((3, 999))
    x32 = x64.astype(np.float32)
    ref = ss.sosfiltfilt(SOS_BP, x32.astype(np.float64))
    out = es.sosfiltfilt(SOS_BP, x32)
    assert out.dtype == np.float64
    assert_close(out, ref)
    # scipy builds the odd extension in float32 for float32 input; we use float64,
    # so the two differ only at float32 rounding level
    assert np.abs(out - ss.sosfiltfilt(SOS_BP, x32)).max() < 1e-5 * np.abs(ref).max()
    assert_close(es.sosfilt(SOS_BP, x32), ss.sosfilt(SOS_BP, x32))
    xi = (x64 * 1000).astype(np.int64) + 2**40  # large ints stay exact in float64
    assert_close(es.sosfiltfilt(SOS_HP, xi), ss.sosfiltfilt(SOS_HP, xi.astype(np.float64)))
    assert_close(es.bandpass(xi, 2000.0), ss.sosfiltfilt(SOS_BP, xi.astype(np.float64)))


def test_input_not_modified_and_noncontiguous_input(rng):
    x = rng.standard_normal((6, 800))
    x_copy = x.copy()
    view = x[::2, ::-1]
    assert_close(es.sosfiltfilt(SOS_BP, view), ss.sosfiltfilt(SOS_BP, view))
    assert_close(es.sosfilt(SOS_BP, view), ss.sosfilt(SOS_BP, view))
    assert np.array_equal(x, x_copy)
    ro = x.copy()
    ro.setflags(write=False)
    assert_close(es.sosfiltfilt(SOS_BP, ro), ss.sosfiltfilt(SOS_BP, x))


# ------------------------------------------------------------- bad input


def test_nonfinite_input_names_channel_and_sample(rng):
    x = rng.standard_normal((4, 500))
    x[2, 123] = np.nan
    x[2, 300] = np.inf
    for call in (lambda: es.sosfilt(SOS_BP, x), lambda: es.sosfiltfilt(SOS_BP, x),
                 lambda: es.bandpass(x, 2000.0),
                 lambda: es.bandpass(x, 2000.0, phase="causal"),
                 lambda: es.notch(x, 2000.0)):
        with pytest.raises(NonFiniteDataError, match=r"channel 2 .*2 non-finite.*NaN at sample 123"):
            call()
    # converted input (float32) is filtered in place: the sample is still found
    x32 = x.astype(np.float32)
    for call in (lambda: es.sosfilt(SOS_BP, x32), lambda: es.sosfiltfilt(SOS_BP, x32),
                 lambda: es.bandpass(x32, 2000.0, phase="causal"),
                 lambda: es.linear_envelope(x32, 2000.0), lambda: es.rectify(x32)):
        with pytest.raises(NonFiniteDataError, match=r"channel 2 .*NaN at sample 123"):
            call()
    rec = Recording(x, 2000.0, ["a", "b", "c", "d"], allow_nonfinite=True)
    with pytest.raises(NonFiniteDataError, match=r"channel 'c' .*NaN at sample 123"):
        rec.bandpass()
    y = rng.standard_normal((2, 3, 400))
    y[1, 0, 0] = -np.inf
    with pytest.raises(NonFiniteDataError, match=r"channel \(1, 0\).*infinite at sample 0"):
        es.sosfiltfilt(SOS_BP, y)


def test_short_signal_error_gives_minimum_length(rng):
    x = rng.standard_normal((2, 27))  # default padlen for 4 sections is 27
    with pytest.raises(ValidationError, match="needs at least 28 samples"):
        es.sosfiltfilt(SOS_BP, x)
    with pytest.raises(ValidationError, match="needs at least 28 samples"):
        es.bandpass(x, 2000.0)
    assert es.sosfiltfilt(SOS_BP, rng.standard_normal((2, 28))).shape == (2, 28)
    assert es.bandpass(x, 2000.0, phase="causal").shape == (2, 27)  # causal has no padding


@pytest.mark.parametrize("bad,match", [
    (np.ones((2, 5)), "shape"),
    (np.array([[1, 0, 0, 2, 0, 0]]), "a0"),
    (np.array([[np.nan, 0, 0, 1, 0, 0]]), "NaN"),
])
def test_bad_sos(bad, match):
    with pytest.raises(ValidationError, match=match):
        es.sosfilt(bad, np.zeros(50))


def test_bad_axis_zi_padlen_and_data(rng):
    x = rng.standard_normal((3, 100))
    with pytest.raises(ValidationError, match="axis=2"):
        es.sosfilt(SOS_BP, x, axis=2)
    with pytest.raises(ValidationError, match="zi must have shape"):
        es.sosfilt(SOS_BP, x, zi=np.zeros((4, 3, 3)))
    with pytest.raises(ValidationError, match="padlen"):
        es.sosfiltfilt(SOS_BP, x, padlen=-1)
    with pytest.raises(ValidationError, match="real numbers"):
        es.sosfilt(SOS_BP, x.astype(complex))
    with pytest.raises(ValidationError, match="real numbers"):
        es.bandpass(["a", "b"], 1000.0)


@pytest.mark.parametrize("kwargs,match", [
    ({"sfreq": None}, "sfreq"),
    ({"sfreq": -5.0}, "sfreq"),
    ({"sfreq": 1000.0, "order": 0}, "order"),
    ({"sfreq": 1000.0, "order": 2.5}, "order"),
    ({"sfreq": 1000.0, "order": True}, "order"),
    ({"sfreq": 1000.0, "order": 17}, "order"),
    ({"sfreq": 1000.0, "phase": "forward"}, "phase"),
    ({"sfreq": 1000.0, "l_freq": 0.0}, "l_freq"),
    ({"sfreq": 1000.0, "l_freq": 300.0, "h_freq": 200.0}, "l_freq=300 Hz must be below h_freq"),
    ({"sfreq": 1000.0, "h_freq": 500.0}, "h_freq=500 Hz must be below the Nyquist"),
    ({"sfreq": 250.0, "h_freq": 125.0}, "h_freq=125 Hz must be below the Nyquist frequency 125"),
    ({"sfreq": 250.0, "h_freq": 450.0}, "h_freq=450 Hz"),
    ({"sfreq": 250.0, "l_freq": 130.0, "h_freq": 100.0}, "l_freq=130 Hz must be below the Nyq"),
])
def test_bandpass_bad_arguments(rng, kwargs, match):
    with pytest.raises(ValidationError, match=match):
        es.bandpass(rng.standard_normal((2, 500)), **kwargs)


# ------------------------------------------------------ high-level filters


def test_bandpass_highpass_lowpass_match_scipy_design(rng):
    x = rng.standard_normal((3, 4001)) * 1e-5
    fs = 2000.0
    assert_close(es.bandpass(x, fs), ss.sosfiltfilt(SOS_BP, x))
    zi = ss.sosfilt_zi(SOS_BP)[:, None, :] * x[None, :, :1]
    assert_close(es.bandpass(x, fs, phase="causal"), ss.sosfilt(SOS_BP, x, zi=zi)[0])
    hp = ss.butter(2, 30.0, btype="highpass", output="sos", fs=fs)
    assert_close(es.highpass(x, fs, 30.0, order=2), ss.sosfiltfilt(hp, x))
    lp = ss.butter(5, 300.0, btype="lowpass", output="sos", fs=fs)
    assert_close(es.lowpass(x, fs, 300.0, order=5), ss.sosfiltfilt(lp, x))
    lp_def = ss.butter(4, 450.0, btype="lowpass", output="sos", fs=fs)
    assert_close(es.lowpass(x, fs), ss.sosfiltfilt(lp_def, x))


def test_causal_filter_starts_in_steady_state():
    """An electrode offset does not ring through a causal high-pass."""
    x = np.full((2, 400), 0.02)  # 20 mV offset, no EMG
    y = es.highpass(x, 1000.0, phase="causal")
    assert np.abs(y).max() < 1e-15
    x_zero_start = np.concatenate([np.zeros((2, 1)), x], axis=1)
    assert np.abs(es.highpass(x_zero_start, 1000.0, phase="causal")).max() > 1e-3


def test_low_rate_default_band_adapts_without_warning(rng):
    """At 250 Hz (OpenBCI Cyton) the adapted default edge is the normal case: it is
    recorded in the history, not warned about on every run."""
    x = rng.standard_normal((2, 2500))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = es.bandpass(x, 250.0)
        ref = ss.sosfiltfilt(ss.butter(4, [20, 112.5], btype="bandpass", output="sos",
                                       fs=250.0), x)
        assert_close(y, ref)
        assert_close(es.lowpass(x, 250.0), ss.sosfiltfilt(
            ss.butter(4, 112.5, btype="lowpass", output="sos", fs=250.0), x))
        es.bandpass(x, 1000.0)  # 450 Hz = 0.9 x Nyquist: no adaptation
        assert es.default_band(1000.0) == (20.0, 450.0)
        assert es.default_band(125.0) == (20.0, 56.25)
        es.bandpass(x, 250.0, h_freq=100.0)  # explicit and valid
    assert es.h_freq_note(250.0) == {
        "h_freq_note": "default 450 Hz lowered to 0.9 x Nyquist at sfreq=250 Hz"}
    assert es.h_freq_note(1000.0) == {} and es.h_freq_note(250.0, 100.0) == {}
    # an explicit edge that cannot be honoured is still refused, naming it
    with pytest.raises(ValidationError, match="h_freq=125 Hz must be below the Nyquist"):
        es.bandpass(x, 250.0, h_freq=125.0)
    with pytest.raises(ValidationError, match="h_freq=200 Hz must be below the Nyquist"):
        es.lowpass(x, 250.0, h_freq=200.0)


def test_notch_design_and_response(rng):
    fs = 1000.0
    freqs = [50.0 * k for k in range(1, 10)]
    sos = es.design_notch(fs, 50.0)
    assert sos.shape == (9, 6)
    for k, f in enumerate(freqs, start=1):
        b, a = ss.iirnotch(f, 30.0 * k, fs=fs)
        assert_close(sos[k - 1], np.concatenate([b, a]), rtol=1e-14)
    assert es.design_notch(fs, 50.0, harmonics=False).shape == (1, 6)
    assert es.design_notch(250.0, 60.0).shape == (2, 6)  # 60, 120 < 125
    assert es.design_notch(200.0, 50.0).shape == (1, 6)  # 100 Hz = Nyquist is left out
    # each harmonic is removed; EMG between the lines is kept
    t = np.arange(20000) / fs
    line = sum(np.sin(2 * np.pi * f * t + k) for k, f in enumerate(freqs))
    emg = rng.standard_normal(t.size)
    mid = slice(4000, 16000)
    assert np.std(es.notch(line, fs)[mid]) < 0.01 * np.std(line[mid])
    kept = es.notch(emg, fs)[mid]
    # white noise keeps the mean of |H|^4 (zero phase) of its power
    _, h_all = freqz_sos(sos, worN=100000, fs=fs)
    expected = np.sqrt(np.mean(np.abs(h_all) ** 4)) * np.std(emg[mid])
    assert np.std(kept) == pytest.approx(expected, rel=0.02)
    out = es.notch(line + emg, fs)
    assert_close(out, es.notch(line, fs) + es.notch(emg, fs), rtol=1e-12)
    # every notch is freq/quality wide: the -3 dB width at 450 Hz equals the one at 50 Hz
    w, h = freqz_sos(sos[[0]], worN=200000, fs=fs)
    w9, h9 = freqz_sos(sos[[8]], worN=200000, fs=fs)
    width = np.ptp(w[np.abs(h) ** 2 < 0.5])
    width9 = np.ptp(w9[np.abs(h9) ** 2 < 0.5])
    assert width == pytest.approx(50.0 / 30.0, rel=0.02)
    assert width9 == pytest.approx(width, rel=0.02)


def test_notch_bad_frequency(rng):
    x = rng.standard_normal((2, 1000))
    with pytest.raises(ValidationError, match="freq=60 Hz must be below the Nyquist"):
        es.notch(x, 100.0, 60.0)
    with pytest.raises(ValidationError, match="freq must be"):
        es.notch(x, 1000.0, "fifty")
    with pytest.raises(ValidationError, match="quality"):
        es.notch(x, 1000.0, quality=0)


def test_notch_auto_detects_50_or_60(rng):
    fs = 1000.0
    t = np.arange(30000) / fs
    emg = rng.standard_normal((4, t.size)) * 1e-5
    for f in (50.0, 60.0):
        x = emg + 3e-6 * np.sin(2 * np.pi * f * t)
        assert es.detect_mains(x, fs) == f
        expected = es.notch(x, fs, f)
        assert_close(es.notch(x, fs, "auto"), expected)
    assert es.detect_mains(emg, fs) is None
    with pytest.warns(EmgcontrolWarning, match="no mains line"):
        out = es.notch(emg, fs, "auto")
    assert np.array_equal(out, emg)
    ratios = es.mains_ratios(emg, fs)
    assert set(ratios) == {50.0, 60.0} and max(ratios.values()) < 3
    assert set(es.mains_ratios(emg, 120.0)) == {50.0}  # 60 Hz too close to Nyquist
    with pytest.raises(ValidationError, match="at least 500 samples"):
        es.detect_mains(emg[:, :100], fs)



@pytest.mark.parametrize("fs", [250.0, 1000.0])
def test_mains_is_found_under_loud_bursts(rng, fs):
    """A stationary 20 uV line under an MVC block and bursts 30x the noise: the
    median over segments keeps it visible (a mean over segments let the loud ones
    bury it: ratios 6-9 at 250 Hz, below the threshold of 10).  Without the line,
    nothing is found."""
    t = np.arange(int(60 * fs)) / fs
    noise = 5e-6 * rng.standard_normal((4, t.size))
    env = np.where((t % 10.0) < 2.0, 30.0, 1.0)            # a burst every 10 s
    env[(t > 5) & (t < 15)] = 100.0                          # a 10-s MVC block
    emg = noise * env
    line = 20e-6 * np.sin(2 * np.pi * 50.0 * t + rng.uniform(0, 6, (4, 1)))
    assert es.detect_mains(emg + line, fs) == 50.0
    assert es.mains_ratios(emg + line, fs)[50.0] > 100
    assert es.detect_mains(emg, fs) is None

def test_filter_emg_is_one_cascade(rng):
    fs = 2000.0
    x = rng.standard_normal((3, 6000))
    b, a = ss.iirnotch(50.0, 30.0, fs=fs)
    sos = np.vstack([SOS_BP, np.concatenate([b, a])[None]])
    assert_close(es.filter_emg(x, fs, notch=50.0, harmonics=False), ss.sosfiltfilt(sos, x))
    assert_close(es.filter_emg(x, fs), ss.sosfiltfilt(SOS_BP, x))
    # away from the ends (the notch settles in ~0.2 s) it equals the two separate calls
    x = rng.standard_normal((2, 40000))
    sep = es.notch(es.bandpass(x, fs), fs, 50.0, harmonics=False)
    one = es.filter_emg(x, fs, notch=50.0, harmonics=False)
    assert np.abs((sep - one)[:, 10000:30000]).max() < 1e-9 * np.abs(sep).max()
    assert np.abs((sep - one)[:, :100]).max() > 1e-6 * np.abs(sep).max()


# ------------------------------------------------------------- Recordings


def _recording(rng, sfreq=1000.0, n=3000):
    data = rng.standard_normal((4, n)) * 50  # microvolts
    data[2] = np.linspace(-1, 1, n)  # accelerometer (g)
    data[3] += 200.0
    return Recording.from_array(data, sfreq, ["EMG1", "EMG2", "ACC", "ECG"],
                                ch_types=["emg", "emg", "acc", "ecg"], units="uV")


def test_recording_filters_touch_only_emg_ecg_and_record_history(rng):
    rec = _recording(rng)
    before = rec.data.copy()
    out = rec.bandpass(20.0, 400.0, order=3, phase="causal")
    assert isinstance(out, Recording) and out is not rec
    assert np.array_equal(rec.data, before)  # original untouched
    assert np.array_equal(out.data[2], rec.data[2])  # ACC untouched
    sos = ss.butter(3, [20, 400], btype="bandpass", output="sos", fs=1000.0)
    emg = rec.data[[0, 1, 3]]
    zi = ss.sosfilt_zi(sos)[:, None, :] * emg[None, :, :1]
    assert_close(out.data[[0, 1, 3]], ss.sosfilt(sos, emg, zi=zi)[0])
    step = out.history[-1]
    assert step["step"] == "bandpass"
    assert step["params"] == {"l_freq": 20.0, "h_freq": 400.0, "order": 3, "phase": "causal",
                              "design": "butter", "n_sections": 3, "init": "steady",
                              "channels": ["EMG1", "EMG2", "ECG"]}
    json.dumps(out.history)
    assert not out.data.flags.writeable
    z = rec.bandpass()
    assert z.history[-1]["params"]["padlen"] == 27
    assert z.history[-1]["params"]["h_freq"] == 450.0
    assert_close(z.data[[0, 1, 3]], ss.sosfiltfilt(
        ss.butter(4, [20, 450], btype="bandpass", output="sos", fs=1000.0), emg))


def test_recording_other_filter_methods(rng):
    rec = _recording(rng, sfreq=250.0, n=2500)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bp = rec.bandpass()
        fe = rec.filter_emg()
        lp = rec.lowpass()
    note = "default 450 Hz lowered to 0.9 x Nyquist at sfreq=250 Hz"
    for step in (bp, fe, lp):
        assert step.history[-1]["params"]["h_freq"] == 112.5
        assert step.history[-1]["params"]["h_freq_note"] == note
    for given in (rec.bandpass(h_freq=100.0), rec.filter_emg(h_freq=100.0),
                  rec.lowpass(h_freq=100.0)):
        assert given.history[-1]["params"]["h_freq"] == 100.0
        assert "h_freq_note" not in given.history[-1]["params"]
    with pytest.raises(ValidationError, match="Nyquist"):
        rec.bandpass(h_freq=125.0)
    n = rec.notch(50.0)
    assert n.history[-1]["params"]["freqs"] == [50.0, 100.0]
    assert np.array_equal(n.data[2], rec.data[2])
    hp = rec.highpass(10.0, order=2)
    assert hp.history[-1]["params"]["l_freq"] == 10.0
    lp = rec.lowpass(40.0)
    assert lp.history[-1]["step"] == "lowpass"
    fe = rec.filter_emg(h_freq=100.0, notch=50.0)
    assert fe.history[-1]["params"]["notch_freqs"] == [50.0, 100.0]
    assert [h["step"] for h in fe.history] == ["from_array", "filter_emg"]
    with pytest.raises(ValidationError, match="differs from the Recording"):
        es.bandpass(rec, 500.0)
    assert es.bandpass(rec, 250.0, h_freq=100.0).n_channels == 4
