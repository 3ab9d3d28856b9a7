"""detect_onsets at its defaults on real recordings, labels extracted by code.

* UCI lower limb, seated knee extension (``*sen``): the goniometer gives the
  movement onset of every extension (rest plateau and sign found per file);
  the quadriceps (rectus femoris, vastus medialis) must switch on 0-400 ms
  before the knee starts to move (+50 ms for the goniometer, sampled at
  50 Hz and upsampled by the device).
* emgGO ``Sample Data.mat``: 56 ballistic dorsiflexion bursts (count from
  the toolbox's documentation).
* Elderly isometric tests: every muscle's own test holds a force; its
  channel must never be "ok" with zero activations.

The files live in ``../shared/data`` (see its README) and are never copied
into the repository: these tests skip where that folder is absent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from emgcontrol.onset import detect_onsets

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
UCI = DATA / "uci-lower-limb"
ELDERLY = DATA / "elderly-emg-dynamometry" / "npz"
UCI_CHANNELS = ["RF", "BF", "VM", "ST"]
QUADRICEPS = ("RF", "VM")
EARLY_S, LATE_S = 0.4, 0.05


def load_uci(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """EMG (4, n) in volts and the goniometer (n,) in degrees of one UCI file.

    Tab-separated text after a header of 6-8 lines; rows without all five
    values (EMG shorter than the goniometer in some files) are skipped.
    """
    rows = []
    with open(path, encoding="latin-1") as f:
        for line in f:
            parts = line.strip().split("\t")
            if len(parts) < 5:
                continue
            try:
                rows.append([float(v) for v in parts[:5]])
            except ValueError:
                continue
    a = np.asarray(rows)
    return a[:, :4].T * 1e-3, a[:, 4]  # mV -> V


def movement_onsets(angle: np.ndarray, sfreq: float, *, v_frac: float = 0.05,
                    smooth: float = 0.06) -> np.ndarray:
    """Onsets (s) of the excursions of a goniometer trace away from its rest plateau.

    The rest side is where the trace starts (seated: knee flexed; its angle
    and sign differ per subject).  An excursion is a passage from the rest
    side (above 70 % of the 2-98 % range, measured from the far end) to the
    far side (below 30 %); its onset is where the angular velocity toward the
    far side, smoothed over ``smooth`` s, last rose above ``v_frac`` of its
    peak in that passage.
    """
    lo, hi = np.percentile(angle, [2, 98])
    start = np.median(angle[: int(0.3 * sfreq)])
    s = angle if abs(start - hi) < abs(start - lo) else -angle
    lo_, hi_ = float(np.percentile(s, 2)), float(np.percentile(s, 98))
    rest_lvl, far_lvl = lo_ + 0.7 * (hi_ - lo_), lo_ + 0.3 * (hi_ - lo_)
    n_s = max(int(smooth * sfreq), 1)
    v = -np.gradient(np.convolve(s, np.ones(n_s) / n_s, mode="same")) * sfreq
    out = []
    state, last_rest = "", 0
    for i in range(s.size):
        if s[i] >= rest_lvl:
            state, last_rest = "rest", i
        elif s[i] <= far_lvl and state == "rest":
            state = "far"
            k = last_rest + int(np.argmax(v[last_rest:i + 1]))
            j = k
            while j > 0 and v[j - 1] > v_frac * v[k]:
                j -= 1
            out.append(j / sfreq)
    return np.asarray(out)


def _uci_files(task: str) -> list[Path]:
    files = sorted(UCI.glob(f"*_TXT/*{task}.txt"))
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
        onsets = np.array([a.onset for a in acts if a.channel in QUADRICEPS])
        for t in moves:
            d = onsets - t
            d = d[(d >= -EARLY_S) & (d <= LATE_S)]
            out.append((path.name, float(t), float(d.min()) if d.size else None))
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
    path = DATA / "emggo-samples" / "Sample Data.mat"
    if not path.exists():
        pytest.skip(f"{path} not available")
    from scipy.io import loadmat

    m = loadmat(path, squeeze_me=True, struct_as_record=False)["EMG"]
    return np.asarray(m.channelData, dtype=float) * 1e-6, float(m.fs)


def test_emggo_56_of_56_bursts():
    x, fs = _load_emggo()
    acts = detect_onsets(x[np.newaxis], fs)
    assert acts.channels[0].status == "ok"
    assert len(acts) == 56
    peaks = np.array([a.peak for a in acts])
    # every burst is a ballistic contraction: none is a small fluctuation
    assert peaks.min() > 0.25 * np.median(peaks)


def _elderly_files() -> list[Path]:
    files = sorted(ELDERLY.glob("ID*.npz"))
    if not files:
        pytest.skip(f"no elderly isometric files under {ELDERLY}")
    return files


@pytest.mark.parametrize("test_idx, muscle", [(0, "VL"), (1, "BF"), (2, "TA")])
def test_isometric_hold_never_silently_empty(test_idx, muscle):
    """The muscle's own test holds a force (load cell above half its maximum) in
    every file; the recordings start during the hold, with no rest before it.
    The channel then has activations or is not assessable with the reason --
    never "ok" with nothing found.  (The LG channel stays at the amplifier's
    floor, 1.4-1.6 uV RMS, in the plantarflexion test of every file: nothing to
    detect there, so it is not part of this check.)"""
    n_covered = n_refused = 0
    for path in _elderly_files():
        z = np.load(path)
        key = next(k for k in z.files if k.endswith("_" + muscle) and k.startswith("EM"))
        emg = z[key].T * 1e-6  # uV -> V
        fs = float(z["fs"])
        force = z["DNM"][: emg.shape[1], test_idx]
        hold = np.isfinite(force) & (force >= 0.5 * np.nanmax(force))
        assert hold.mean() > 0.5  # the label: a hold over most of the recording
        acts = detect_onsets(emg, fs, ch_names=["VL", "BF", "TA", "LG"])
        st = acts.channels[test_idx]
        if st.status == "ok":
            assert st.n_activations > 0, (path.name, muscle)
            n_covered += 1
        else:
            assert "no rest period found: give baseline=(start, stop)" in st.reason
            n_refused += 1
    assert n_covered + n_refused == len(_elderly_files())


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
