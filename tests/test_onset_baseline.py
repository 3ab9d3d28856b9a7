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


@pytest.mark.parametrize("hold_s, amp", [(30.0, 40e-6), (60.0, 8e-6), (90.0, 40e-6)])
def test_a_hold_longer_than_the_local_rest_window_is_one_activation(hold_s, amp):
    """Rest 10 s, a hold of 30-90 s (longer than the 20-s windows that follow the
    local rest level), rest 10 s: one activation from the hold's start to its
    end.  A level 15-29 dB above the rest is a contraction, not a rest that rose
    (which would end the activation early or hide it)."""
    n = int((hold_s + 20.0) * SF)
    x = emg(envelope(n, [(10.0, 10.0 + hold_s)], amp), 1.5e-6, seed=int(hold_s))
    acts = detect_onsets(x[np.newaxis], SF, ch_names=["H"])
    assert acts.channels[0].status == "ok"
    assert len(acts) == 1, [(a.onset, a.offset) for a in acts]
    assert abs(acts[0].onset - 10.0) < 0.05 and abs(acts[0].offset - 10.0 - hold_s) < 0.15


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
    # the split ends are not observed ends: the first part's offset and the second
    # part's onset are censored, and the second part gives trial 2 no onset
    flags = [(a.onset_censored, a.offset_censored) for a in acts]
    assert flags == [(False, False), (False, True), (True, False), (False, False)]
    assert acts.first_onsets(trial=2)["M"] is None
    assert acts.first_onsets(trial=3)["M"] == acts[3].onset
    # without trials, the same burst is one row
    assert len(detect_onsets(x[np.newaxis], SF)) == 3


@pytest.mark.parametrize("mains, tol_off", [(0.0, 0.03), (20e-6, 0.08)])
def test_activity_at_the_first_sample_is_a_censored_row(mains, tol_off):
    """Active from the first sample to 6 s, then two bursts; and active again at
    the end: the first row starts at 0 with its onset censored (not an onset),
    the last is cut by the end with its offset censored.  With 50 Hz mains on
    top the notch's start-up ringing is there too, and its ringing after each
    burst delays offsets a little (with a notch at every harmonic, 0.1-1.2 s)."""
    n = int(30 * SF)
    bursts = [(-1.0, 6.0), (12.0, 13.0), (18.0, 19.0), (26.0, 31.0)]
    t = np.arange(n) / SF
    x = emg(envelope(n, bursts, 30e-6), 1.5e-6, seed=10) + mains * np.sin(2 * np.pi * 50 * t)
    acts = detect_onsets(x[np.newaxis], SF, ch_names=["M"])
    rows = list(acts)
    assert len(rows) == 4, [(r.onset, r.offset) for r in rows]
    assert rows[0].onset == 0.0 and rows[0].onset_censored and not rows[0].offset_censored
    assert abs(rows[0].offset - 6.0) < tol_off
    assert abs(rows[1].offset - 13.0) < tol_off and abs(rows[2].offset - 19.0) < tol_off
    assert not any(r.onset_censored for r in rows[1:])
    assert rows[3].offset_censored and rows[3].offset == pytest.approx(30.0)
    assert abs(rows[1].onset - 12.0) < 0.05 and abs(rows[2].onset - 18.0) < 0.05
    # the first observed onset is the burst at 12 s, not the recording's start
    assert acts.first_onsets()["M"] == rows[1].onset
    # a channel at rest from the start: the notch's ringing is no activation
    quiet = emg(np.zeros(n), 1.5e-6, seed=11) + 20e-6 * np.sin(2 * np.pi * 50 * t)
    assert len(detect_onsets(quiet[np.newaxis], SF)) == 0
    # the flags survive the table's round trips; tables written before them load
    back = type(acts).from_dict(acts.to_dict())
    assert [r.onset_censored for r in back] == [r.onset_censored for r in acts]
    old = acts.to_dict()
    for r in old["activations"]:
        del r["onset_censored"], r["offset_censored"]
    assert not any(r.onset_censored for r in type(acts).from_dict(old))
    df = acts.to_dataframe()
    assert df["onset_censored"].dtype == bool and df["onset_censored"].tolist()[0]
    assert "<0.0000" in acts.to_text() and "still active at its end" in acts.to_text()


def test_timing_metrics_ignore_censored_onsets():
    """Latencies and firing order use observed onsets only: a muscle already
    active at the trial's start has no onset in that trial."""
    import pandas as pd

    from emgcontrol.metrics import compute_firing_order, compute_latencies

    df = pd.DataFrame({"channel": ["A", "B", "B"], "trial": [0, 0, 0],
                       "onset": [1.20, 1.00, 1.50], "offset": [2.0, 1.40, 2.0],
                       "onset_censored": [False, True, False]})
    lat = compute_latencies(df, reference=[1.0]).to_dataframe()
    assert lat.set_index("channel").loc["B", "onset_s"] == pytest.approx(1.50)
    order = compute_firing_order(df).to_dataframe()
    assert order.sort_values("rank")["channel"].tolist() == ["A", "B"]
    # without the column, every onset counts (the table says nothing of censoring)
    order2 = compute_firing_order(df.drop(columns="onset_censored")).to_dataframe()
    assert order2.sort_values("rank")["channel"].tolist() == ["B", "A"]


def _hold_and_rest(n_hold: float, n_rest: float, seed: int):
    """A hold from the first to the last sample beside a resting channel, and a
    separate rest recording of the same two electrodes."""
    nh, nr = int(n_hold * SF), int(n_rest * SF)
    data = np.vstack([emg(np.full(nh, 40e-6), 1.5e-6, seed=seed),
                      emg(np.zeros(nh), 1.5e-6, seed=seed + 1)])
    rest = np.vstack([emg(np.zeros(nr), 1.5e-6, seed=seed + 2),
                      emg(np.zeros(nr), 1.5e-6, seed=seed + 3)])
    return data, rest


def test_a_separate_rest_recording_times_a_hold_of_the_whole_recording():
    """The hold has no rest of its own: with a rest recording of the same
    electrodes as baseline, it is one activation over the whole recording, both
    ends censored; the resting channel stays empty and ok."""
    from emgcontrol import Recording

    data, rest = _hold_and_rest(12.0, 5.0, seed=20)
    acts = detect_onsets(data, SF, ch_names=["held", "rest"], baseline=rest)
    st = {c.channel: c for c in acts.channels}
    assert st["held"].status == "ok" and st["rest"].status == "ok"
    rows = acts.for_channel("held")
    assert len(rows) == 1 and rows[0].onset == 0.0 and rows[0].offset == pytest.approx(12.0)
    assert rows[0].onset_censored and rows[0].offset_censored
    assert acts.for_channel("rest") == []
    assert acts.meta["params"]["baseline"].startswith("rest recording (5 s)")
    assert st["held"].baseline_start is None and st["held"].baseline_s > 4.5
    # the same from Recordings, channels matched by name (the rest's order differs)
    rec = Recording.from_array(data, SF, ["held", "rest"], units="V")
    rest_rec = Recording.from_array(rest[::-1], SF, ["rest", "held"], units="V")
    acts2 = detect_onsets(rec, baseline=rest_rec)
    assert [(r.channel, r.onset, r.offset) for r in acts2] == \
        [(r.channel, r.onset, r.offset) for r in acts]
    # a hold that ends: its offset is observed
    ends = data.copy()
    ends[0, int(8 * SF):] = emg(np.zeros(int(4 * SF)), 1.5e-6, seed=29)
    r = detect_onsets(ends, SF, baseline=rest)[0]
    assert r.onset_censored and not r.offset_censored and abs(r.offset - 8.0) < 0.15


def test_a_rest_recording_that_is_not_a_rest_is_refused_per_channel():
    """A "rest" in which the muscle holds as much as in the data (a co-contraction
    recorded as rest): not assessable with what to do, never ok and empty.  A
    rest with a short movement in it still works (its quiet part is the baseline)."""
    data, rest = _hold_and_rest(12.0, 6.0, seed=30)
    busy = rest.copy()
    busy[0] = emg(np.full(rest.shape[1], 40e-6), 1.5e-6, seed=35)
    acts = detect_onsets(data, SF, ch_names=["held", "rest"], baseline=busy)
    st = acts.channels[0]
    assert st.status == "not_assessable" and len(acts.for_channel("held")) == 0
    assert "rest recording (baseline=) is not a rest" in st.reason
    assert "record a rest with the muscle relaxed" in st.reason
    moved = rest.copy()
    moved[0] += emg(envelope(rest.shape[1], [(2.0, 2.6)], 60e-6), 0.0, seed=36)
    acts = detect_onsets(data, SF, ch_names=["held", "rest"], baseline=moved)
    assert acts.channels[0].status == "ok" and len(acts.for_channel("held")) == 1


def test_bad_rest_recordings_name_the_problem():
    from emgcontrol import Recording

    data, rest = _hold_and_rest(12.0, 5.0, seed=40)
    with pytest.raises(ValidationError, match="rest recording of 1 row.*2 rows of x"):
        detect_onsets(data, SF, baseline=rest[:1])
    rec = Recording.from_array(data, SF, ["a", "b"], units="V")
    with pytest.raises(ValidationError, match="500 Hz.*1000 Hz"):
        detect_onsets(rec, baseline=Recording.from_array(rest, 500.0, ["a", "b"], units="V"))
    with pytest.raises(ValidationError, match="lacks channel.*b"):
        detect_onsets(rec, baseline=Recording.from_array(rest[:1], SF, ["a"], units="V"))
    with pytest.raises(ValidationError, match="baseline is a Recording"):
        detect_onsets(data, SF, baseline=Recording.from_array(rest, SF, ["a", "b"],
                                                              units="V"))
    # picks apply to the rest rows too
    acts = detect_onsets(data, SF, baseline=rest, picks=[0])
    assert len(acts) == 1 and acts[0].onset_censored
    # a flat rest row: that channel is not assessable, with the reason
    flat = rest.copy()
    flat[1] = 0.0
    st = detect_onsets(data, SF, baseline=flat).channels[1]
    assert st.status == "not_assessable" and "rest recording (baseline=)" in st.reason


def test_only_the_mains_lines_present_are_notched():
    """A 50 Hz line with its 3rd harmonic: those two are notched, not the seven
    other harmonics below 450 Hz (each notch rings after every burst: offsets of
    bursts 26 dB above the floor came 0.1-1.2 s late with all nine)."""
    from emgcontrol.signal import mains_lines

    n = int(20 * SF)
    t = np.arange(n) / SF
    bursts = [(3.0, 5.0), (9.0, 10.0), (14.0, 16.0)]
    x = (emg(envelope(n, bursts, 30e-6), 1.5e-6, seed=50)
         + 20e-6 * np.sin(2 * np.pi * 50 * t) + 5e-6 * np.sin(2 * np.pi * 150 * t + 1))
    assert mains_lines(x[np.newaxis], SF, max_freq=450.0) == [50.0, 150.0]
    assert mains_lines(emg(np.zeros(n), 1.5e-6, seed=51)[np.newaxis], SF) == []
    acts = detect_onsets(x[np.newaxis], SF)
    assert acts.meta["params"]["notch_lines"] == [50.0, 150.0]
    res = match(acts, "EMG1", bursts, 0.1)
    assert res is not None and res[2] == 3
    assert np.abs(res[0]).max() < 0.03 and np.abs(res[1]).max() < 0.08
    # an explicit notch takes every harmonic up to the band's upper edge
    assert detect_onsets(x[np.newaxis], SF, notch=50.0).meta["params"]["notch_lines"] == \
        [50.0 * k for k in range(1, 10)]


def test_live_detector_gives_no_event_for_activity_present_at_its_start():
    """Live, a muscle already active when the stream starts has no onset and no
    offset event; the bursts after it are the offline rows, to the sample."""
    from emgcontrol.onset import OnsetDetector

    n = int(30 * SF)
    bursts = [(-1.0, 6.0), (12.0, 13.0), (18.0, 19.0)]
    x = emg(envelope(n, bursts, 30e-6), 1.5e-6, seed=60)[np.newaxis]
    off = detect_onsets(x, SF, ecg=None, notch=None, baseline=(6.5, 9.0))
    assert off[0].onset_censored and len(off) == 3
    det = OnsetDetector(SF, 1, baseline=(6.5, 9.0), notch=None)
    ev = []
    for i in range(0, n, 37):
        ev += det.process(x[:, i:i + 37])
    ev += det.flush()
    assert [e.kind for e in ev] == ["onset", "offset"] * 2
    np.testing.assert_allclose([e.time for e in ev if e.kind == "onset"],
                               [r.onset for r in off[1:]], atol=1e-12)
