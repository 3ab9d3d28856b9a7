"""detect_onsets at its defaults on real recordings, labels extracted by code.

* UCI lower limb, seated knee extension (``*sen``): the goniometer gives the
  movement onset of every extension (rest plateau and sign found per file);
  the quadriceps (rectus femoris, vastus medialis) must switch on 0-400 ms
  before the knee starts to move (+50 ms for the goniometer, sampled at
  50 Hz and upsampled by the device).
* emgGO ``Sample Data.mat``: 56 ballistic dorsiflexion bursts (count from
  the toolbox's documentation).
* Elderly isometric tests: every muscle's own test holds a force from before
  the recording starts; at the defaults its channel must never be "ok" with zero
  activations, and with a rest recording (the electrode's quietest other test)
  an activation must cover the hold.

The files live in ``../shared/data`` (see its README) and are never copied
into the repository: these tests skip where that folder is absent.  Loading
and labelling is in ``real_labels.py``, shared with ``benchmarks/bench_onsets.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from real_labels import (DATA, QUADRICEPS, UCI, UCI_CHANNELS, covered, elderly_holds,
                         extension_right, load_emggo, load_uci, movement_onsets, uci_files)

from emgcontrol.onset import detect_onsets


def _uci_files(task: str) -> list[Path]:
    files = uci_files(task)
    if not files:
        pytest.skip(f"no UCI lower-limb '{task}' files under {UCI}")
    return files


def knee_extension_results() -> list[tuple[str, float, float | None]]:
    """(file, movement onset, quadriceps onset relative to it or None) per extension."""
    out = []
    for path in _uci_files("sen"):
        x, angle = load_uci(path)
        moves = movement_onsets(angle, 1000.0)
        acts = detect_onsets(x, 1000.0, ch_names=UCI_CHANNELS)
        onsets = np.array([a.onset for a in acts if a.channel in QUADRICEPS
                           and not a.onset_censored])
        out += [(path.name, float(t), extension_right(onsets, t)) for t in moves]
    return out


def test_goniometer_labels_found_per_file():
    """Each seated file holds 4 knee extensions (the labels the next test uses)."""
    for path in _uci_files("sen"):
        _, angle = load_uci(path)
        moves = movement_onsets(angle, 1000.0)
        assert moves.size == 4, (path.name, moves)
        assert np.diff(moves).min() > 2.0


def test_quadriceps_switch_on_before_knee_extension():
    res = knee_extension_results()
    right = [r for r in res if r[2] is not None]
    assert len(res) >= 8
    assert len(right) >= 0.9 * len(res), res


def test_quadriceps_channels_are_never_silently_empty():
    """RF/VM of every seated file: activations around each extension, status ok."""
    for path in _uci_files("sen"):
        x, angle = load_uci(path)
        acts = detect_onsets(x, 1000.0, ch_names=UCI_CHANNELS)
        n_moves = movement_onsets(angle, 1000.0).size
        for ch in QUADRICEPS:
            st = next(c for c in acts.channels if c.channel == ch)
            assert st.status == "ok", (path.name, ch, st.reason)
            assert n_moves <= st.n_activations <= 2 * n_moves + 2, (path.name, ch)


def test_no_channel_ok_with_zero_activations_when_bursts_stand_out():
    """Every channel of every UCI file either finds activations or says why not."""
    for path in sorted(UCI.glob("*_TXT/*.txt")) or pytest.skip("no UCI files"):
        x, _ = load_uci(path)
        acts = detect_onsets(x, 1000.0, ch_names=UCI_CHANNELS)
        for st in acts.channels:
            if st.status == "ok" and st.n_activations == 0:
                from emgcontrol.onset._baseline import activity_contrast, block_log_power
                from emgcontrol.signal import design_bandpass, sosfilt

                y = sosfilt(design_bandpass(1000.0, 20.0, 450.0, 4),
                            x[UCI_CHANNELS.index(st.channel)])
                lp = block_log_power(y, 1000.0, 430.0, skip=200)[0]
                assert activity_contrast(lp) < 10.0, (path.name, st.channel)
            if st.status == "not_assessable":
                assert "give baseline=(start, stop)" in st.reason


def _load_emggo():
    got = load_emggo()
    if got is None:
        pytest.skip(f"{DATA / 'emggo-samples'} not available")
    return got


def test_emggo_56_of_56_bursts():
    x, fs = _load_emggo()
    acts = detect_onsets(x[np.newaxis], fs)
    assert acts.channels[0].status == "ok"
    assert len(acts) == 56
    peaks = np.array([a.peak for a in acts])
    # every burst is a ballistic contraction: none is a small fluctuation
    assert peaks.min() > 0.25 * np.median(peaks)


def _holds():
    holds = list(elderly_holds())
    if not holds:
        pytest.skip(f"no elderly isometric files under {DATA}")
    return holds


def test_isometric_hold_never_silently_empty():
    """The muscle's own test holds a force (load cell above half its maximum) over
    most of every recording, which starts during the hold: there is no rest
    before it.  At the defaults the channel has activations or is not assessable
    with the reason -- never "ok" with nothing found."""
    n = 0
    for h in _holds():
        assert h.hold.mean() > 0.5, (h.subject, h.muscle)  # the label
        st = detect_onsets(h.emg, h.sfreq, ch_names=["VL", "BF", "TA", "LG"]).channels[h.index]
        if st.status == "ok":
            assert st.n_activations > 0, (h.subject, h.muscle)
        else:
            assert "no rest period found: give baseline=(start, stop)" in st.reason
        n += 1
    assert n == 30


def test_isometric_holds_with_a_rest_recording_are_covered():
    """With each electrode's quietest other test as the rest recording (chosen
    without the label), an activation covers >= 80 % of the hold in >= 28 of the
    30 tests; activity present from the first sample is a censored row; the
    others are not assessable with the reason, none "ok" and empty."""
    n_cov = n_refused = 0
    for h in _holds():
        acts = detect_onsets(h.emg, h.sfreq, ch_names=["VL", "BF", "TA", "LG"],
                             baseline=h.rest)
        st = acts.channels[h.index]
        if st.status != "ok":
            assert "rest recording (baseline=) is not a rest" in st.reason
            n_refused += 1
            continue
        assert st.n_activations > 0, (h.subject, h.muscle)
        rows = acts.for_channel(h.muscle)
        if rows[0].onset == 0.0:
            assert rows[0].onset_censored
        n_cov += covered(acts, h) >= 0.8
    assert n_cov >= 28 and n_cov + n_refused >= 29, (n_cov, n_refused)


def test_heartbeat_screen_separates_real_heartbeats_from_limb_emg():
    """The cheap periodicity test sends the heartbeat-contaminated files to R-peak
    detection and lets seated/standing limb recordings skip it."""
    from emgcontrol.onset._detect import HEARTBEAT_SCREEN_MIN, heartbeat_score
    from scipy.io import loadmat

    hb = []
    for name in ("Sample Data.mat", "ECG Contaminated.mat"):
        path = DATA / "emggo-samples" / name
        if not path.exists():
            pytest.skip(f"{path} not available")
        m = loadmat(path, squeeze_me=True, struct_as_record=False)["EMG"]
        x = np.atleast_2d(np.asarray(m.channelData, dtype=float))
        x = x.T if x.shape[0] > x.shape[1] else x
        hb.append(heartbeat_score(x, float(m.fs)).max())
    assert min(hb) >= HEARTBEAT_SCREEN_MIN + 0.1
    for path in _uci_files("sen") + _uci_files("pie"):
        x, _ = load_uci(path)
        assert heartbeat_score(x, 1000.0).max() < HEARTBEAT_SCREEN_MIN, path.name
        acts = detect_onsets(x, 1000.0, ch_names=UCI_CHANNELS)
        assert acts.meta["params"]["ecg"].startswith("not applied: no heartbeat rhythm")
    x, fs = _load_emggo()
    assert detect_onsets(x[np.newaxis], fs).meta["params"]["ecg"] == "template"
