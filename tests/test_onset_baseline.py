"""The automatic baseline of detect_onsets on a second, independent EMG model.

The model here is not :mod:`emgcontrol.simulate`: Gaussian white noise
band-limited by a scipy Butterworth filter (the EMG interference pattern),
multiplied by a known amplitude envelope (RMS in volts) with linear ramps, plus
an independent amplifier noise floor.  Ground truth is the envelope.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import butter, sosfilt

from emgcontrol import ValidationError
from emgcontrol.onset import detect_onsets

SF = 1000.0


def emg(envelope: np.ndarray, floor: np.ndarray | float, seed: int) -> np.ndarray:
    """Band-limited (20-350 Hz) unit-RMS noise x ``envelope`` plus white noise of RMS ``floor``."""
    rng = np.random.default_rng(seed)
    sos = butter(4, [20.0, 350.0], "bandpass", fs=SF, output="sos")
    g = sosfilt(sos, rng.standard_normal(envelope.size + 2000))[2000:]
    g /= np.sqrt(np.mean(g ** 2))
    return g * envelope + rng.standard_normal(envelope.size) * floor


def envelope(n: int, bursts, amp: float, ramp: float = 0.03) -> np.ndarray:
    t = np.arange(n) / SF
    env = np.zeros(n)
    for on, off in bursts:
        up = np.clip((t - on) / ramp, 0.0, 1.0)
        down = np.clip((off - t) / ramp, 0.0, 1.0)
        env = np.maximum(env, amp * np.minimum(up, down))
    return env


def match(acts, channel, truth, tol):
    rows = list(acts.for_channel(channel))
    errs_on, errs_off = [], []
    for on, off in truth:
        near = [r for r in rows if abs(r.onset - on) <= tol]
        if not near:
            return None
        r = min(near, key=lambda r: abs(r.onset - on))
        errs_on.append(r.onset - on)
        errs_off.append(r.offset - off)
    return np.asarray(errs_on), np.asarray(errs_off), len(rows)


def test_offsets_end_at_the_local_rest_level():
    """The rest level rises 6 dB after 20 s (1.6 -> 3.2 uV RMS) and stays there:
    the rest measured in the first 20 s is lower than the channel's rest after it.
    Every burst still ends where the signal returns to its own rest, none merges."""
    n = int(60 * SF)
    bursts = [(3.0, 4.0), (8.0, 9.0), (13.0, 14.0)] + [(24.0 + 5 * k, 25.0 + 5 * k)
                                                        for k in range(7)]
    floor = np.where(np.arange(n) < 20 * SF, 1.6e-6, 3.2e-6)
    x = emg(envelope(n, bursts, 30e-6), floor, seed=1)
    acts = detect_onsets(x[np.newaxis], SF, ch_names=["M"])
    res = match(acts, "M", bursts, 0.1)
    assert res is not None, [(a.onset, a.offset) for a in acts]
    err_on, err_off, n_rows = res
    assert n_rows == len(bursts)
    assert np.abs(err_on).max() < 0.05
    assert np.abs(err_off).max() < 0.15
    assert np.all(np.array([a.duration for a in acts]) < 1.3)


def test_channel_active_most_of_the_time_keeps_its_rest():
    """Five 8-s holds at 20 uV RMS, 2-s rests at the 1.5 uV floor: 80 % active.
    All five onsets found within 50 ms, status ok."""
    n = int(52 * SF)
    bursts = [(2.0 + 10.0 * k, 10.0 + 10.0 * k) for k in range(5)]
    x = emg(envelope(n, bursts, 20e-6), 1.5e-6, seed=2)
    acts = detect_onsets(x[np.newaxis], SF, ch_names=["Q"])
    assert acts.channels[0].status == "ok"
    res = match(acts, "Q", bursts, 0.1)
    assert res is not None, [(a.onset, a.offset) for a in acts]
    err_on, err_off, n_rows = res
    assert n_rows == 5
    assert np.abs(err_on).max() < 0.05
    assert np.abs(err_off).max() < 0.2


def test_hold_over_the_whole_recording_is_not_assessable():
    """A muscle held active from the first to the last sample beside a resting
    channel of the same amplifier: no rest, so no onset can be measured; the
    answer is "not assessable" with what to do, never "ok" with nothing found."""
    n = int(20 * SF)
    hold = emg(np.full(n, 40e-6), 1.5e-6, seed=3)
    quiet = emg(np.zeros(n), 1.5e-6, seed=4)
    acts = detect_onsets(np.vstack([hold, quiet]), SF, ch_names=["held", "rest"])
    st = {c.channel: c for c in acts.channels}
    assert st["held"].status == "not_assessable"
    assert "no rest period found: give baseline=(start, stop)" in st["held"].reason
    assert st["rest"].status == "ok" and st["rest"].n_activations == 0
    # with the rest given by hand (here: the hold itself) the channel is analysed
    given = detect_onsets(np.vstack([hold, quiet]), SF, ch_names=["held", "rest"],
                          baseline=(1.0, 5.0))
    assert given.channels[0].status == "ok"


def test_graded_activity_without_rest_is_never_silently_empty():
    """Always active (10 uV RMS) with four bursts to 60 uV: either the bursts are
    found, or the channel says it has no rest -- never ok with zero activations."""
    n = int(30 * SF)
    bursts = [(4.0 + 6.0 * k, 5.5 + 6.0 * k) for k in range(4)]
    env = np.maximum(envelope(n, bursts, 60e-6), 10e-6)
    x = emg(env, 1.5e-6, seed=5)
    acts = detect_onsets(np.vstack([x, emg(np.zeros(n), 1.5e-6, seed=6)]), SF,
                         ch_names=["g", "rest"])
    st = acts.channels[0]
    if st.status == "ok":
        res = match(acts, "g", bursts, 0.1)
        assert res is not None and res[2] == 4
    else:
        assert "give baseline=(start, stop)" in st.reason


def test_pure_noise_channel_is_ok_and_empty():
    n = int(20 * SF)
    acts = detect_onsets(emg(np.zeros(n), 2e-6, seed=7)[np.newaxis], SF)
    assert acts.channels[0].status == "ok"
    assert len(acts) == 0


@pytest.mark.parametrize("baseline", [(5.0, 4.0), (-1.0, 2.0), (10.0, 30.0), "quiet"])
def test_impossible_baseline_windows_name_the_argument(baseline):
    x = emg(np.zeros(int(20 * SF)), 2e-6, seed=8)[np.newaxis]
    with pytest.raises(ValidationError, match="baseline"):
        detect_onsets(x, SF, baseline=baseline)


def test_activation_running_into_the_next_trial_is_split_at_its_start():
    """Trials every 5 s; one burst runs from 7.5 s to 11.5 s, across the start of
    the third trial (10 s): two rows, split there, each in its own trial."""
    from emgcontrol import Recording

    n = int(25 * SF)
    bursts = [(2.5, 3.5), (7.5, 11.5), (17.5, 18.5)]
    x = emg(envelope(n, bursts, 30e-6), 1.5e-6, seed=9)
    rec = Recording.from_array(x[np.newaxis], SF, ["M"], units="V").add_events(
        [(5.0 * k, 5.0, "trial") for k in range(5)])
    acts = detect_onsets(rec)
    rows = [(round(a.onset, 2), round(a.offset, 2), a.trial) for a in acts]
    assert len(rows) == 4, rows
    assert rows[1][2] == 1 and rows[2][2] == 2
    assert rows[1][1] == rows[2][0] == 10.0
    assert abs(rows[1][0] - 7.5) < 0.05 and abs(rows[2][1] - 11.5) < 0.15
    # without trials, the same burst is one row
    assert len(detect_onsets(x[np.newaxis], SF)) == 3
