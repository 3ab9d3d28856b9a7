"""Streaming Pipeline == offline causal processing; kernels without JIT."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import signal as ss

import emgcontrol.signal as es
from emgcontrol import NonFiniteDataError, ValidationError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import naive  # noqa: E402

FS = 1000.0


def assert_close(actual, expected, rtol=1e-12):
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape
    scale = max(np.abs(expected).max(initial=0.0), 1e-300)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


def _signal(n_channels=3, n=1500, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n) / FS
    x = rng.standard_normal((n_channels, n)) * 2e-5 + 4e-3  # EMG on an electrode offset
    return x + 5e-6 * np.sin(2 * np.pi * 50 * t)


def _stages():
    return [es.BandPass(20, 400, order=4), es.Notch(50.0, quality=25.0),
            es.MovingRMS(0.025)]


def _offline_causal(x):
    y = es.bandpass(x, FS, 20, 400, order=4, phase="causal")
    y = es.notch(y, FS, 50.0, quality=25.0, phase="causal")
    return es.moving_rms(y, FS, 0.025, phase="causal")


def _run_blocks(pipe, x, cuts):
    edges = [0, *sorted(set(cuts)), x.shape[1]]
    return np.concatenate([pipe.process(x[:, a:b]) for a, b in zip(edges[:-1], edges[1:])],
                          axis=1)


X = _signal()
WHOLE = _offline_causal(X)


def test_pipeline_whole_equals_offline_causal_chain():
    pipe = es.Pipeline(_stages(), FS, 3)
    assert_close(pipe.process(X), WHOLE)
    assert pipe.n_processed == X.shape[1]
    # and the offline causal chain is scipy's sosfilt from the steady state
    bp = ss.butter(4, [20, 400], btype="bandpass", output="sos", fs=FS)
    y = ss.sosfilt(bp, X, zi=ss.sosfilt_zi(bp)[:, None, :] * X[None, :, :1])[0]
    nt = es.design_notch(FS, 50.0, quality=25.0)
    y = ss.sosfilt(nt, y, zi=ss.sosfilt_zi(nt)[:, None, :] * y[None, :, :1])[0]
    assert_close(WHOLE, naive.moving_trailing(y, 25, "rms"), rtol=1e-10)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=1, max_value=X.shape[1] - 1), max_size=25))
def test_any_block_split_equals_one_causal_call(cuts):
    pipe = es.Pipeline(_stages(), FS, 3)
    assert_close(_run_blocks(pipe, X, cuts), WHOLE)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=599), max_size=12),
       st.sampled_from(["tkeo", "linear", "arv", "rectify_mean", "hp_lp"]))
def test_other_stages_split_equals_offline(cuts, kind):
    x = _signal(2, 600, seed=3)
    if kind == "tkeo":
        stages, ref = [es.TKEO()], es.tkeo(x, phase="causal")
    elif kind == "linear":
        stages = [es.LinearEnvelope(8.0, order=3)]
        ref = es.linear_envelope(x, FS, 8.0, order=3, phase="causal")
    elif kind == "arv":
        stages, ref = [es.MovingARV(0.03)], es.envelope(x, FS, "arv", window=0.03,
                                                      phase="causal")
    elif kind == "rectify_mean":
        stages = [es.Rectify(), es.MovingAverage(0.011)]
        ref = es.moving_average(np.abs(x), FS, 0.011, phase="causal")
    else:
        stages = [es.HighPass(30.0, order=3), es.LowPass(200.0, order=2)]
        ref = es.lowpass(es.highpass(x, FS, 30.0, order=3, phase="causal"), FS, 200.0,
                         order=2, phase="causal")
    pipe = es.Pipeline(stages, FS, 2)
    assert_close(_run_blocks(pipe, x, cuts), ref)


def test_parallel_and_serial_kernels_agree():
    """Big blocks run channel groups in threads; results are identical to small blocks."""
    n = 300_000
    x = _signal(4, n, seed=5)
    stages = [*_stages(), es.Rectify(), es.TKEO()]
    big = es.Pipeline(stages, FS, 4).process(x)  # 1.2 M samples: rows in threads
    pipe = es.Pipeline(stages, FS, 4)
    small = np.concatenate([pipe.process(x[:, i:i + 100]) for i in range(0, n, 100)], axis=1)
    assert np.array_equal(big, small)


def test_reset_and_state_isolation():
    pipe = es.Pipeline(_stages(), FS, 3)
    first = pipe.process(X[:, :700])
    pipe.process(X[:, 700:])
    pipe.reset()
    assert pipe.n_processed == 0
    assert np.array_equal(pipe.process(X[:, :700]), first)
    other = es.Pipeline(_stages(), FS, 3)  # stages are specs: state lives in each pipeline
    assert np.array_equal(other.process(X[:, :700]), first)


def test_bad_blocks_raise_and_leave_state_unchanged():
    pipe = es.Pipeline(_stages(), FS, 3, ch_names=["L-MF", "R-MF", "L-ES"])
    out1 = pipe.process(X[:, :500])
    bad = X[:, 500:600].copy()
    bad[1, 42] = np.nan
    with pytest.raises(NonFiniteDataError,
                       match=r"'R-MF' .* NaN at sample 42 of the block \(sample 542 of the"):
        pipe.process(bad)
    out2 = pipe.process(X[:, 500:])
    assert_close(np.concatenate([out1, out2], axis=1), WHOLE)
    with pytest.raises(ValidationError, match=r"shape \(3, n_samples\)"):
        pipe.process(np.zeros((2, 10)))
    with pytest.raises(ValidationError, match="real numbers"):
        pipe.process(np.zeros((3, 4), dtype=complex))
    assert pipe.process(np.zeros((3, 0))).shape == (3, 0)
    ints = es.Pipeline([es.Rectify()], FS, 1).process([-3, 4, -5])  # 1-D for one channel
    assert ints.tolist() == [[3.0, 4.0, 5.0]]


def test_block_input_is_not_modified():
    block = X[:, :300].copy()
    keep = block.copy()
    es.Pipeline(_stages(), FS, 3).process(block)
    assert np.array_equal(block, keep)


def test_pipeline_validation_and_description():
    with pytest.raises(ValidationError, match="detect_mains"):
        es.Notch("auto")
    with pytest.raises(ValidationError, match="h_freq=600 Hz must be below the Nyquist"):
        es.Pipeline([es.BandPass(20, 600)], FS, 2)
    with pytest.raises(ValidationError, match="stages\\[1\\] must be a Stage"):
        es.Pipeline([es.Rectify(), "rms"], FS, 2)
    with pytest.raises(ValidationError, match="n_channels"):
        es.Pipeline([es.Rectify()], FS, 0)
    with pytest.raises(ValidationError, match="order"):
        es.BandPass(order=0)
    pipe = es.Pipeline([es.BandPass(), es.Notch(50), es.MovingRMS()], 250.0, 8)
    params = pipe.params()
    json.dumps(params)
    assert params[0] == {"step": "bandpass",
                         "params": {"l_freq": 20.0, "h_freq": 112.5, "order": 4,
                                    "h_freq_note": "default 450 Hz lowered to 0.9 x Nyquist "
                                                   "at sfreq=250 Hz"}}
    assert params[2]["params"]["n_window"] == 12  # round(0.05 * 250)
    assert "bandpass -> notch -> moving_rms" in repr(pipe)
    # 8 channels x 5-sample blocks at 250 Hz, as from an OpenBCI Cyton
    x = _signal(8, 250, seed=9)
    out = np.concatenate([pipe.process(x[:, i:i + 5]) for i in range(0, 250, 5)], axis=1)
    ref = es.bandpass(x, 250.0, phase="causal")
    ref = es.moving_rms(es.notch(ref, 250.0, 50.0, phase="causal"), 250.0, 0.05,
                        phase="causal")
    assert_close(out, ref)


def test_warmup_returns_seconds():
    assert es.warmup(offline=False) >= 0.0


def test_kernels_without_jit():
    """Run the kernels as plain Python (NUMBA_DISABLE_JIT=1) on small inputs."""
    code = textwrap.dedent("""
        import numpy as np
        from scipy import signal as ss
        import emgcontrol.signal as es
        from emgcontrol.signal import _kernels
        assert not hasattr(_kernels.sosfilt, "signatures"), "JIT still enabled"
        import naive
        rng = np.random.default_rng(1)
        x = rng.standard_normal((3, 90))
        sos = ss.butter(2, [20, 300], btype="bandpass", output="sos", fs=1000.0)
        def close(a, b):
            assert np.allclose(a, b, rtol=1e-10, atol=1e-12 * np.abs(b).max()), (a, b)
        close(es.sosfilt(sos, x), ss.sosfilt(sos, x))
        close(es.sosfilt(sos, x[:1]), ss.sosfilt(sos, x[:1]))
        close(es.sosfiltfilt(sos, x), ss.sosfiltfilt(sos, x))
        close(es.sosfiltfilt(sos, x, padlen=0), ss.sosfiltfilt(sos, x, padlen=0))
        for kind, mode in (("rms", "rms"), ("arv", "arv")):
            close(es.envelope(x, 1000.0, mode, window=0.007), naive.moving_centred(x, 7, kind))
            close(es.envelope(x, 1000.0, mode, window=0.007, phase="causal"),
                  naive.moving_trailing(x, 7, kind))
        close(es.moving_average(x, 1000.0, 0.004), naive.moving_centred(x, 4, "mean"))
        close(es.rectify(x), np.abs(x))
        close(es.tkeo(x), naive.tkeo_zero(x))
        close(es.tkeo(x, phase="causal"), naive.tkeo_causal(x))
        pipe = es.Pipeline([es.BandPass(20, 300, order=2), es.MovingRMS(0.007)], 1000.0, 3)
        blocks = np.concatenate([pipe.process(x[:, i:i + 7]) for i in range(0, 90, 7)], axis=1)
        close(blocks, es.moving_rms(es.bandpass(x, 1000.0, 20, 300, order=2, phase="causal"),
                                    1000.0, 0.007, phase="causal"))
        from emgcontrol import NonFiniteDataError
        for call in (lambda: es.moving_rms(np.array([[1.0, np.nan, 2.0]]), 1000.0, 0.002),
                     lambda: es.sosfilt(sos, np.array([1.0, 2.0, np.inf, 3.0]))):
            try:
                call()
            except NonFiniteDataError:
                pass
            else:
                raise AssertionError("non-finite input not detected")
        print(es.warmup() >= 0)
    """)
    env = dict(os.environ, NUMBA_DISABLE_JIT="1")
    tests_dir = str(Path(__file__).resolve().parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (tests_dir, env.get("PYTHONPATH")) if p)
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.strip().endswith("True")


def test_import_signal_is_light():
    """numba and scipy load on first use, not on import."""
    code = ("import sys, emgcontrol.signal; "
            "print(sorted(m for m in ('numba', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout.strip().splitlines()[-1]
    assert out == "[]"
