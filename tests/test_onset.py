"""detect_onsets: accuracy against the simulator, the table, bad input, CLI, real data."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from emgcontrol import Recording, ValidationError
from emgcontrol.onset import (ACTIVATION_COLUMNS, CHANNEL_COLUMNS, DEFAULT_METHOD, METHODS,
                              Activations, describe_method, detect_onsets)

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
MUSCLES = ["left rectus_abdominis", "right longissimus", "right biceps_femoris",
           "left external_oblique"]


def session(seed: int, sfreq: float, snr_db: float):
    """Like benchmarks/bench_onsets.py: 4 channels (3 with ECG) x 5 bursts, mains, noise."""
    from emgcontrol.montage import make_montage
    from emgcontrol.simulate import Burst, simulate_custom

    rng = np.random.default_rng([seed, 77])
    mont = make_montage(MUSCLES)
    bursts, t_end = [], 0.0
    for ch in mont.ch_names:
        t = 2.0 + rng.uniform(0, 1.5)
        for k in range(5):
            dur = rng.uniform(0.4, 1.5)
            bursts.append(Burst(ch, t, t + dur, 27.0 * math.exp(rng.uniform(-0.25, 0.25)),
                                rng.uniform(0.01, 0.05), rng.uniform(0.05, 0.3), k))
            t += dur + rng.uniform(1.5, 3.5)
        t_end = max(t_end, t)
    return simulate_custom(mont, bursts, max(20.0, t_end + 1.0), sfreq=sfreq, snr_db=snr_db,
                           seed=seed, acc=False)


def score(acts: Activations, truth, tol: float = 0.1):
    errs, miss, fa, n = [], 0, 0, 0
    for ch in truth.channels:
        det = [a.onset for a in acts.for_channel(ch)]
        true = truth.onsets(ch)
        used = set()
        for t in true:
            cand = [(abs(d - t), i) for i, d in enumerate(det) if i not in used
                    and abs(d - t) <= tol]
            if cand:
                _, i = min(cand)
                used.add(i)
                errs.append(det[i] - t)
            else:
                miss += 1
        fa += len(det) - len(used)
        n += len(true)
    return float(np.mean(np.abs(errs)) * 1e3), miss / n, fa / n


# ------------------------------------------------------------------ accuracy


@pytest.mark.parametrize("sfreq, snr, max_mae", [(1000, 6, 12.0), (250, 6, 25.0),
                                                 (1000, 20, 8.0)])
def test_accuracy_against_ground_truth(sfreq, snr, max_mae):
    rec, truth = session(500, sfreq, snr)  # seeds 500+: neither tuning nor benchmark seeds
    acts = detect_onsets(rec)
    mae, miss, fa = score(acts, truth)
    assert mae <= max_mae
    assert miss <= 0.05
    assert fa <= 0.1
    assert acts.meta["method"] == DEFAULT_METHOD


@pytest.mark.parametrize("method", METHODS)
def test_every_method_finds_the_bursts(method):
    rec, truth = session(501, 1000, 10)
    mae, miss, fa = score(detect_onsets(rec, method=method), truth)
    assert mae <= 20.0 and miss <= 0.1 and fa <= 0.25


def test_offsets_close_to_truth():
    rec, truth = session(502, 1000, 20)
    acts = detect_onsets(rec)
    errs = []
    for ch in truth.channels:
        rows = acts.for_channel(ch)
        for a in truth.select(ch):
            r = min(rows, key=lambda r: abs(r.onset - a.onset))
            errs.append(r.offset - a.offset)
    # the true offset ends a 50-300 ms amplitude ramp: detection ends a little before
    assert np.median(np.abs(errs)) < 0.1


# ------------------------------------------------------------------- the table


def test_table_rows_channels_and_export():
    rec, truth = session(503, 500, 20)
    acts = detect_onsets(rec)
    assert len(acts) == sum(1 for _ in acts)
    mae, miss, fa = score(acts, truth)
    assert miss == 0 and fa <= 0.05
    df = acts.to_dataframe()
    assert list(df.columns) == list(ACTIVATION_COLUMNS)
    assert df.attrs["detector"]["method"] == DEFAULT_METHOD
    assert (df["duration"] > 0).all()
    np.testing.assert_allclose(df["duration"], df["offset"] - df["onset"])
    assert (df["peak"] > 0).all() and (df["area"] > 0).all()
    # channel order, then onset
    order = {c: i for i, c in enumerate(rec.ch_names)}
    keys = [(order[r.channel], r.onset) for r in acts]
    assert keys == sorted(keys)
    ch = acts.channels_frame()
    assert list(ch.columns) == list(CHANNEL_COLUMNS)
    assert (ch["status"] == "ok").all()
    assert (ch["threshold"] > ch["baseline_mean"]).all()
    d = json.loads(json.dumps(acts.to_dict()))
    assert set(d) == {"meta", "channels", "activations"}
    back = Activations.from_dict(d)
    assert [r.onset for r in back] == [r.onset for r in acts]
    # muscles and sides
    row = acts.for_channel("left rectus_abdominis")
    assert row and all(r.muscle == "rectus_abdominis" and r.side == "left" for r in row)
    assert len(acts.for_channel("RA L")) == 5
    first = acts.first_onsets()
    assert set(first) == set(rec.ch_names[:4])
    assert first["RA L"] == row[0].onset
    params = acts.meta["params"]
    for key in ("window", "threshold", "off_threshold", "min_on", "min_off", "ramp",
                "look_back", "look_ahead", "l_freq", "h_freq", "notch", "baseline", "ecg"):
        assert key in params
    assert params["notch"] == 50.0 and params["ecg"] == "template"
    with pytest.raises(ValidationError, match="neither a channel nor a muscle"):
        acts.for_channel("left deltoid posterior nonsense")
    assert "RA L" in acts.to_text() and "RA L" in acts._repr_html_()
    assert describe_method("aglr").startswith("aglr")


def test_trial_column_from_trial_events():
    from emgcontrol.simulate import simulate

    rec, truth = simulate("arm-raise", "typical", sfreq=1000, snr_db=20, n_trials=3, seed=4)
    acts = detect_onsets(rec)
    assert len(acts) >= 3 * 4
    trials = [(t["onset"], t["onset"] + t["duration"]) for t in truth.trials]
    for r in acts:
        inside = [k for k, (a, b) in enumerate(trials) if a <= r.onset <= b]
        assert r.trial == (inside[0] if inside else None)
    assert {r.trial for r in acts} == {0, 1, 2}
    assert acts.first_onsets(trial=1)["AD R"] > trials[1][0]
    # an array has no trial events
    acts2 = detect_onsets(rec.pick("emg").data, rec.sfreq)
    assert all(r.trial is None for r in acts2)


def test_array_input_names_picks_and_zero_phase():
    rec, truth = session(504, 1000, 20)
    x = rec.pick("emg").data
    a = detect_onsets(x, 1000.0, picks=[1, 2], ch_names=["b", "c"])
    assert a.ch_names == ["b", "c"] and len(a.for_channel("b")) == 5
    z = detect_onsets(rec, phase="zero")
    assert len(z) == 20 and z.meta["params"]["filter_delay"] == 0.0


# ------------------------------------------------------------------ bad input


def test_not_assessable_channels_do_not_stop_the_others():
    rec, truth = session(505, 1000, 20)
    good = rec.pick("emg").data[1]
    n = good.shape[0]
    nan_part = good.copy()
    nan_part[1000:1010] = np.nan
    railed = np.full(n, 0.1875)
    clipped = np.clip(good, -2e-5, 2e-5)
    data = np.vstack([good, np.zeros(n), np.full(n, np.nan), nan_part, railed, clipped])
    names = ["good", "flat", "nan", "somenan", "railed", "clipped"]
    r = Recording(data, 1000.0, names, allow_nonfinite=True)
    acts = detect_onsets(r)
    st = {c.channel: c for c in acts.channels}
    assert st["good"].status == "ok" and len(acts.for_channel("good")) == 5
    assert st["flat"].reason.startswith("flat channel")
    assert st["nan"].reason == "all NaN"
    assert "non-finite" in st["somenan"].reason and "1000" in st["somenan"].reason
    assert st["railed"].reason.startswith("railed") and "rail" in st["railed"].reason
    assert st["clipped"].reason.startswith("railed")
    for name in names[1:]:
        assert st[name].status == "not_assessable" and st[name].threshold is None
        assert acts.for_channel(name) == []
    assert acts.first_onsets()["flat"] is None
    # the simulator's railed electrode
    from emgcontrol.simulate import simulate

    rec2, _ = simulate("prone-hip-extension", sfreq=250, seed=1, n_trials=2,
                       faults={"MF L": "railed", "LT R": "flat"})
    st2 = {c.channel: c for c in detect_onsets(rec2).channels}
    assert st2["MF L"].reason.startswith("railed (constant")
    assert st2["LT R"].reason.startswith("flat")
    assert sum(c.status == "ok" for c in st2.values()) == 6


def test_flat_baseline_window_is_not_assessable():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 4000))
    x[0, :2000] = 0.0  # silent during the baseline window, then noise
    acts = detect_onsets(x, 1000.0, baseline=(0.0, 1.5), ecg=None)
    st = acts.channels
    assert st[0].status == "not_assessable" and "baseline is flat" in st[0].reason
    assert st[1].status == "ok"


def test_too_short_channels():
    x = np.random.default_rng(0).standard_normal((2, 100))
    acts = detect_onsets(x, 1000.0)
    assert all(c.status == "not_assessable" and c.reason.startswith("too short")
               for c in acts.channels)
    assert len(acts) == 0


def test_impossible_parameters_raise():
    x = np.random.default_rng(0).standard_normal((1, 3000))
    with pytest.raises(ValidationError, match="window=5 s is longer than the data"):
        detect_onsets(x, 1000.0, window=5.0)
    with pytest.raises(ValidationError, match="baseline"):
        detect_onsets(x, 1000.0, baseline=(2.0, 4.0))
    with pytest.raises(ValidationError, match="baseline"):
        detect_onsets(x, 1000.0, baseline=(1.0, 0.5))
    with pytest.raises(ValidationError, match="method"):
        detect_onsets(x, 1000.0, method="magic")
    with pytest.raises(ValidationError, match="bonato"):
        detect_onsets(x, 1000.0, method="aglr", m=2)
    with pytest.raises(ValidationError, match="exceeds"):
        detect_onsets(x, 1000.0, method="bonato", m=6, n=5)
    with pytest.raises(ValidationError, match="off_threshold"):
        detect_onsets(x, 1000.0, method="hodges", threshold=2.0, off_threshold=3.0)
    with pytest.raises(ValidationError, match="min_on"):
        detect_onsets(x, 1000.0, min_on=-1)
    with pytest.raises(ValidationError, match="min_on=5 s is longer than the data"):
        detect_onsets(x, 1000.0, min_on=5.0)
    with pytest.raises(ValidationError, match="sfreq"):
        detect_onsets(x)
    with pytest.raises(ValidationError, match="Nyquist"):
        detect_onsets(x, 250.0, h_freq=130.0)
    rec = Recording(np.zeros((1, 3000)), 1000.0, ["ACC X"], ch_types=["acc"])
    with pytest.raises(ValidationError, match="no EMG channels"):
        detect_onsets(rec)


# ------------------------------------------------------------------------ CLI


def test_onsets_command_text_and_json(tmp_path):
    from emgcontrol.cli._commands import onsets_text as onsets_command
    from emgcontrol.io import write_csv

    rec, truth = session(506, 500, 20)
    n = rec.n_times
    data = np.vstack([rec.data, np.zeros((1, n))])
    r = Recording(data, rec.sfreq, rec.ch_names + ["dead"], muscles=rec.muscles + [None])
    path = write_csv(r, tmp_path / "session.csv")
    text = onsets_command(path)
    assert "RA L" in text and "left rectus_abdominis" in text
    assert "not assessable: flat channel" in text
    assert text.count("\n") > 20
    rows = json.loads(onsets_command(path, method="hodges", as_json=True))
    assert isinstance(rows, list) and len(rows) >= 18
    assert set(rows[0]) == {"channel", "muscle", "side", "trial", "onset_s", "offset_s",
                            "duration_s", "peak_uV", "area_uVs", "onset_censored",
                            "offset_censored"}  # the table's units
    assert {row["channel"] for row in rows} == {"RA L", "LT R", "BF R", "EO L"}
    with pytest.raises(ValidationError, match="method"):
        onsets_command(path, method="nope")


# ------------------------------------------------------------------ real data


def _load_mat(name: str):
    path = DATA / "emggo-samples" / name
    if not path.exists():
        pytest.skip(f"{path} not available")
    from scipy.io import loadmat

    m = loadmat(path, squeeze_me=True, struct_as_record=False)["EMG"]
    return np.asarray(m.channelData, dtype=float), float(m.fs)


def test_real_tibialis_anterior_56_bursts():
    """emgGO sample: tibialis anterior, 250 Hz, ballistic dorsiflexions; its docs
    count 56 bursts.  The channel also carries large heartbeats."""
    x, fs = _load_mat("Sample Data.mat")
    rec = Recording.from_array(x[np.newaxis], fs, ["TA"], units="uV",
                               muscles=["right tibialis_anterior"])
    acts = detect_onsets(rec)
    assert abs(len(acts) - 56) <= 2
    # bursts are ballistic: short, none shorter than min_on, all well separated
    dur = np.array([a.duration for a in acts])
    assert np.median(dur) < 3.0 and dur.min() >= 0.05
    on = np.array([a.onset for a in acts])
    assert np.diff(on).min() > 2.0
    # scale-free: the same data in volts, millivolts or raw numbers
    for scale in (1e-6, 1e-3):
        other = detect_onsets(x[np.newaxis] * scale, fs)
        assert len(other) == len(acts)


def test_real_biosppy_example_sane():
    path = DATA / "biosppy-emg" / "emg_1.txt"
    if not path.exists():
        pytest.skip(f"{path} not available")
    x = np.loadtxt(path)
    acts = detect_onsets(x - np.median(x), 1000.0)
    assert acts.channels[0].status == "ok"
    assert 2 <= len(acts) <= 40
    assert all(a.duration >= 0.05 for a in acts)


@pytest.mark.parametrize("n_win", [1, 2, 7, 50, 51])
def test_segment_rms_equals_the_signal_envelope(n_win):
    """peak/area come from the centred moving RMS of emgcontrol.signal, segment by segment."""
    from emgcontrol.onset._detect import segment_rms
    from emgcontrol.signal import moving_rms

    rng = np.random.default_rng(n_win)
    row = rng.standard_normal(3000) * 1e-5
    row[1000:1800] *= 40
    sf = 1000.0
    full = moving_rms(row, sf, n_win / sf)
    for a, b in [(0, 10), (0, 3000), (990, 1810), (2995, 3000), (1500, 1501)]:
        np.testing.assert_allclose(segment_rms(row, a, b, n_win), full[a:b], rtol=1e-9,
                                   atol=1e-12 * full.max())
