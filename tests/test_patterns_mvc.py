"""MVC normalisation of compare() fails safe (checked with an EMG model of this file).

The sessions here are NOT made by :mod:`emgcontrol.simulate`: each EMG channel is
Gaussian white noise band-limited by a 4th-order Butterworth band-pass (30-160 Hz,
at most 0.4 x the sampling rate; sessions at 500 and 250 Hz),
scaled to unit RMS and multiplied by a known amplitude envelope (half-cosine ramps of
its own), plus independent broadband white noise (the electrode/amplifier noise).
A prone-hip-extension session holds an MVC block (one 3 s plateau per muscle, both
sides, at its known MVC amplitude) followed by repetitions in which every muscle
holds a known %MVC while the leg is lifted; an accelerometer channel gives the leg
lift.  Faults are injected in the markers: a lost MVC marker, ``mvc:<muscle>``
labels (swapped, or placed on rest), zero-duration markers, a submaximal "MVC".

Truth of the amount criteria: a muscle's %MVC during the hold is the ratio of its
plateau amplitude there to its MVC plateau amplitude.  The comparison's reference is
the largest 0.5 s RMS of the MVC plateau, which reads a few percent above the plateau
RMS (the largest of several windows of a random signal), so %MVC reads a few percent
low; ``REL_TOL`` bounds the whole error.
"""

from __future__ import annotations

import warnings
from importlib import resources

import numpy as np
import pytest
from scipy import signal as sps

from emgcontrol.patterns import MAX_TASK_PERCENT_MVC, MVC_MARKER_S, compare, loads_pattern
from emgcontrol.recording import Event, Recording

SFREQ = 500.0
CHANNELS = ["LT L", "LT R", "MF L", "MF R", "GMax L", "GMax R", "BF L", "BF R"]
MUSCLES = ["left longissimus", "right longissimus", "left multifidus", "right multifidus",
           "left gluteus maximus", "right gluteus maximus", "left biceps femoris",
           "right biceps femoris"]
MVC_ORDER = ["longissimus", "multifidus", "gluteus_maximus", "biceps_femoris"]
MVC_RMS_V = {"LT": 120e-6, "MF": 100e-6, "GMax": 150e-6, "BF": 130e-6}
NOISE_V = 3e-6  # broadband white noise RMS of every electrode
RAMP_S = 0.3  # MVC ramps
PLATEAU_S = 3.0  # MVC plateau
MVC_REST_S = 4.0
N_TRIALS = 5
TRIAL_S = 8.0
LIFT_AT = 2.0  # leg lift, s after the trial start
HOLD_S = 2.3  # the muscles stay on this long after the lift
REL_TOL = 0.25
"""Measured %MVC between 75 % and 105 % of the truth.  Measured on this model (seeds 1-5,
8 and 30 %MVC gluteus, 4 muscles): 0.86-0.95 of the truth at 500 Hz (mean 0.89),
0.80-0.95 at 250 Hz (mean 0.88).  The peak-window reference reads about 10 % high
(the largest of several 0.5 s windows of a random signal), hence %MVC about 10 % low;
noise correction and the random amplitude of a 1.5 s hold add a few % either way."""

# known task activity during the hold, %MVC, and onset relative to the lift, s
TASK = {"GMax R": (30.0, -0.05), "BF R": (25.0, -0.08), "LT R": (15.0, 0.06),
        "MF R": (15.0, 0.06), "LT L": (12.0, 0.04), "MF L": (12.0, 0.04),
        "GMax L": (3.0, 0.0), "BF L": (3.0, 0.0)}

# the built-in pattern plus amount criteria of other muscles (truth: hamstrings 25 %MVC
# -> pass; lower back of the lifting side 15 %MVC -> fail against a 10 %MVC ceiling)
EXTRA = """
[[criteria]]
id = "hamstrings-amount"
kind = "amount"
muscle = "hamstrings"
phase = "hold"
measure = "rms"
min = 15.0
description = "The hamstrings work while the leg is held."
reference = "Training target of this test."

[[criteria]]
id = "es-amount"
kind = "amount"
muscle = "es_ipsi"
phase = "hold"
measure = "rms"
max = 10.0
description = "The lower back of the lifting side stays quiet while the leg is held."
reference = "Training target of this test."
"""


def _pattern():
    text = (resources.files("emgcontrol.patterns") / "protocols" /
            "prone-hip-extension.toml").read_text(encoding="utf-8")
    return loads_pattern(text + EXTRA)


def _prefix(ch: str) -> str:
    return ch.split()[0]


def _carrier(rng: np.random.Generator, n: int, sfreq: float) -> np.ndarray:
    # 30-160 Hz, the upper edge below 0.4 x the rate at low rates (Cyton: 250 Hz)
    sos = sps.butter(4, [30.0, min(160.0, 0.4 * sfreq)], btype="bandpass", fs=sfreq,
                     output="sos")
    x = sps.sosfilt(sos, rng.standard_normal(n + 2000))[2000:]
    return x / np.sqrt(np.mean(x * x))


def _trapezoid(t: np.ndarray, on: float, off: float, ramp: float) -> np.ndarray:
    """1 between on and off, half-cosine ramps of ``ramp`` s outside them."""
    env = np.zeros_like(t)
    env[(t >= on) & (t <= off)] = 1.0
    up = (t > on - ramp) & (t < on)
    env[up] = 0.5 - 0.5 * np.cos(np.pi * (t[up] - on + ramp) / ramp)
    dn = (t > off) & (t < off + ramp)
    env[dn] = 0.5 + 0.5 * np.cos(np.pi * (t[dn] - off) / ramp)
    return env


def make_session(seed: int, *, sfreq: float = SFREQ, gmax_pct: float = 30.0,
                 gmax_mvc_scale: float = 1.0,
                 markers: str = "events", drop: tuple[str, ...] = (),
                 labels: dict[str, str] | None = None, shift: dict[str, float] | None = None
                 ) -> tuple[Recording, dict[str, float]]:
    """A prone-hip-extension session of the model of this file.

    Parameters
    ----------
    sfreq : float
        Sampling rate, Hz.
    gmax_pct : float
        Right gluteus maximus during the hold, %MVC (truth).
    gmax_mvc_scale : float
        The gluteus "MVC" plateau as a share of its true MVC (1: maximal).
    markers : {"events", "zero", "zero_end", "labels"}
        How the MVC contractions are marked: ``"mvc"`` events with the plateau's
        duration; zero-duration ``"mvc"`` markers at the plateau start (with
        ``"mvc_end"`` at its end for ``"zero_end"``); ``"mvc:<muscle>"`` ...
        ``"mvc_end"`` markers as ``emgcontrol assess`` writes them.
    drop : muscles whose MVC marker is lost (the contraction stays in the data).
    labels : muscle -> label written on its contraction instead of its own.
    shift : muscle -> s added to its marker (a marker placed on rest).

    Returns
    -------
    rec, truth
        ``truth``: channel -> %MVC during the hold.
    """
    rng = np.random.default_rng(seed)
    t0 = 2.0
    blocks = []
    for mus in MVC_ORDER:
        blocks.append((mus, t0 + RAMP_S, t0 + RAMP_S + PLATEAU_S))
        t0 += 2 * RAMP_S + PLATEAU_S + MVC_REST_S
    trial0 = t0 + 1.0
    dur = trial0 + N_TRIALS * TRIAL_S + 1.0
    n = int(round(dur * sfreq))
    t = np.arange(n) / sfreq
    data = np.zeros((len(CHANNELS) + 1, n))
    muscle_of = dict(zip(MVC_ORDER, ["LT", "MF", "GMax", "BF"]))
    truth = {}
    for i, ch in enumerate(CHANNELS):
        mvc = MVC_RMS_V[_prefix(ch)]
        env = np.zeros(n)
        for mus, a, b in blocks:
            if muscle_of[mus] == _prefix(ch):
                scale = gmax_mvc_scale if _prefix(ch) == "GMax" else 1.0
                env += scale * mvc * _trapezoid(t, a, b, RAMP_S)
        pct, lag = TASK[ch]
        if ch == "GMax R":
            pct = gmax_pct
        truth[ch] = pct
        for k in range(N_TRIALS):
            lift = trial0 + k * TRIAL_S + LIFT_AT
            env += pct / 100.0 * mvc * _trapezoid(t, lift + lag + 0.1, lift + HOLD_S, 0.1)
        data[i] = env * _carrier(rng, n, sfreq) + NOISE_V * rng.standard_normal(n)
    acc = np.zeros(n)
    for k in range(N_TRIALS):
        lift = trial0 + k * TRIAL_S + LIFT_AT
        acc += 0.15 * _trapezoid(t, lift + 0.3, lift + 2.0, 0.3)
    data[-1] = acc + 5e-4 * rng.standard_normal(n)
    events = [Event(trial0 + k * TRIAL_S, TRIAL_S, "trial") for k in range(N_TRIALS)]
    labels = dict(labels or {})
    shift = dict(shift or {})
    for mus, a, b in blocks:
        if mus in drop:
            continue
        a += shift.get(mus, 0.0)
        b += shift.get(mus, 0.0)
        if markers == "events":
            events.append(Event(a, b - a, "mvc"))
        elif markers == "zero":
            events.append(Event(a, 0.0, "mvc"))
        elif markers == "zero_end":
            events += [Event(a, 0.0, "mvc"), Event(b, 0.0, "mvc_end")]
        else:
            events += [Event(a, 0.0, f"mvc:{labels.get(mus, mus)}"), Event(b, 0.0, "mvc_end")]
    rec = Recording.from_array(data, sfreq, CHANNELS + ["ACC Z"], units="V",
                               muscles=MUSCLES + [None], ch_types=["emg"] * 8 + ["acc"],
                               events=sorted(events, key=lambda e: e.onset))
    return rec, truth


def run(rec, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compare(rec, _pattern(), **kw)


def measured_pct(res, ch):
    """Median over trials of a channel's noise-corrected hold %MVC."""
    vals = [a["value"] for a in res.measures["amounts"]
            if a["channel"] == ch and a["phase"] == "hold" and a["status"] == "ok"]
    return float(np.median(vals)) if vals else None


def assert_pct(res, truth, channels):
    for ch in channels:
        got = measured_pct(res, ch)
        assert got is not None, ch
        assert (1 - REL_TOL) * truth[ch] <= got <= 1.05 * truth[ch], (ch, got, truth[ch])


OTHERS = ("BF R", "LT R", "MF R")


def assert_others_judged(res, truth):
    """The amount criteria of the muscles with a good MVC keep their true verdicts."""
    assert res.criterion("hamstrings-amount").verdict == "pass"  # 25 %MVC, min 15
    assert res.criterion("es-amount").verdict == "fail"  # 15 %MVC, max 10
    assert_pct(res, truth, OTHERS)


# ------------------------------------------------------------- (a) all MVCs present
@pytest.mark.parametrize(("seed", "sfreq"), [(1, 500.0), (2, 500.0), (1, 250.0)])
@pytest.mark.parametrize(("gmax_pct", "verdict"), [(8.0, "fail"), (30.0, "pass")])
def test_every_mvc_present_gives_true_pct_and_verdicts(seed, sfreq, gmax_pct, verdict):
    rec, truth = make_session(seed, sfreq=sfreq, gmax_pct=gmax_pct)
    res = run(rec)
    c = res.criterion("gmax-amount")
    assert c.verdict == verdict, c.reason
    assert (1 - REL_TOL) * gmax_pct <= c.measured <= 1.05 * gmax_pct
    assert_pct(res, truth, ("GMax R",) + OTHERS)
    assert_others_judged(res, truth)
    ref = {r["channel"]: r for r in res.measures["tables"]["mvc_reference"]["rows"]}
    for ch in CHANNELS:  # the reference is the channel's own MVC plateau
        assert ref[ch]["status"] == "ok"
        assert 1.0 <= ref[ch]["rms_v"] / MVC_RMS_V[_prefix(ch)] <= 1.25, ch


# ------------------------------------------------------ (b) the gluteus MVC marker lost
@pytest.mark.parametrize("sfreq", [500.0, 250.0])
@pytest.mark.parametrize("markers", ["events", "labels"])
@pytest.mark.parametrize("gmax_pct", [8.0, 30.0])
def test_lost_gluteus_mvc_makes_only_its_amount_not_assessable(markers, gmax_pct, sfreq):
    # the contraction is in the data, its marker is not: the gluteus must not be
    # normalised to its rest (a weak 8 %MVC gluteus read 68 %MVC -> pass before)
    rec, truth = make_session(3, sfreq=sfreq, gmax_pct=gmax_pct, markers=markers,
                              drop=("gluteus_maximus",))
    res = run(rec)
    c = res.criterion("gmax-amount")
    assert c.verdict == "not_assessable"
    assert "gluteus maximus (right side)" in c.reason, c.reason
    assert "record one: marker 'mvc:gluteus_maximus'" in c.reason, c.reason
    if markers == "labels":
        assert "no MVC contraction of the gluteus maximus (right side)" in c.reason
    else:  # unattributed windows: the gluteus is at rest in every one of them
        assert "no contraction above rest" in c.reason
    assert measured_pct(res, "GMax R") is None
    assert any(w.startswith("amplitudes of GMax R are not normalised") for w in res.warnings)
    assert_others_judged(res, truth)
    # the timing criteria do not need the MVC
    assert res.criterion("gmax-on-time").verdict == "pass"


# ---------------------------------------------------- (c) mvc:<muscle> labels per muscle
def test_muscle_labels_are_used_per_muscle():
    rec, truth = make_session(4, gmax_pct=8.0, markers="labels")
    res = run(rec)
    assert res.criterion("gmax-amount").verdict == "fail"
    assert_pct(res, truth, ("GMax R",) + OTHERS)
    assert_others_judged(res, truth)
    wins = res.processing["normalization"]["windows"]
    assert sorted(w["muscle"] for w in wins) == sorted(MVC_ORDER)
    # labels swapped between the gluteus and the hamstrings: each muscle's reference
    # comes only from the window labelled for it, which holds the other muscle
    rec, truth = make_session(4, gmax_pct=8.0, markers="labels",
                              labels={"gluteus_maximus": "biceps_femoris",
                                      "biceps_femoris": "gluteus_maximus"})
    res = run(rec)
    for cid, muscle in (("gmax-amount", "gluteus maximus"),
                        ("hamstrings-amount", "biceps femoris")):
        c = res.criterion(cid)
        assert c.verdict == "not_assessable", cid
        assert f"{muscle} (right side) hold no maximal contraction" in c.reason, c.reason
    assert res.criterion("es-amount").verdict == "fail"
    assert_pct(res, truth, ("LT R", "MF R"))
    # a label with a side counts for that side only
    rec, truth = make_session(4, gmax_pct=8.0, markers="labels",
                              labels={"gluteus_maximus": "left gluteus maximus"})
    res = run(rec)
    ref = {r["channel"]: r for r in res.measures["tables"]["mvc_reference"]["rows"]}
    assert ref["GMax L"]["status"] == "ok"
    assert ref["GMax R"]["status"] == "not_assessable"
    assert "no MVC contraction of the gluteus maximus (right side)" in ref["GMax R"]["reason"]
    assert res.criterion("gmax-amount").verdict == "not_assessable"


# ------------------------------------------------------- (d) zero-duration MVC markers
def test_zero_duration_markers_are_windows_of_stated_length():
    rec, truth = make_session(5, gmax_pct=8.0, markers="zero")
    assert all(e.duration == 0 for e in rec.events if e.label == "mvc")
    res = run(rec)
    assert res.criterion("gmax-amount").verdict == "fail"
    assert_pct(res, truth, ("GMax R",) + OTHERS)
    assert_others_judged(res, truth)
    wins = res.processing["normalization"]["windows"]
    assert len(wins) == 4
    assert [w["stop_s"] - w["start_s"] for w in wins] == pytest.approx([MVC_MARKER_S] * 4)
    note = [w for w in res.warnings if w.startswith("MVC reference:")]
    assert len(note) == 1 and f"{MVC_MARKER_S:g} s window" in note[0] and "mvc_end" in note[0]
    assert not any("record an MVC" in (c.reason or "") for c in res.criteria)
    # with end markers the windows end there, and nothing needs saying
    rec, truth = make_session(5, gmax_pct=8.0, markers="zero_end")
    res = run(rec)
    wins = res.processing["normalization"]["windows"]
    assert [w["stop_s"] - w["start_s"] for w in wins] == pytest.approx([PLATEAU_S] * 4)
    assert not any(w.startswith("MVC reference:") for w in res.warnings)
    assert_pct(res, truth, ("GMax R",) + OTHERS)


# --------------------------------------------------- (e) an "MVC" that is not a maximum
def test_mvc_window_on_rest_is_refused():
    # the gluteus marker placed 3.6 s late, on the rest after its contraction
    rec, truth = make_session(6, gmax_pct=8.0, markers="labels",
                              shift={"gluteus_maximus": PLATEAU_S + 2 * RAMP_S})
    res = run(rec)
    c = res.criterion("gmax-amount")
    assert c.verdict == "not_assessable"
    assert "no contraction above rest" in c.reason and "mvc:gluteus_maximus" in c.reason
    ratio = float(c.reason.split("largest 0.5 s RMS ")[1].split(" x")[0])
    assert ratio < 4.0  # MIN_CONTRACTION_RATIO
    assert_others_judged(res, truth)


def test_submaximal_mvc_that_puts_the_task_far_above_100_pct_is_refused():
    # the "MVC" of the gluteus reached 10 % of its maximum (well above rest, so only the
    # task check can see it): the 30 %MVC hold would read about 300 %MVC
    rec, truth = make_session(7, gmax_pct=30.0, gmax_mvc_scale=0.1)
    res = run(rec)
    c = res.criterion("gmax-amount")
    assert c.verdict == "not_assessable"
    assert "refused" in c.reason and f"more than {MAX_TASK_PERCENT_MVC:g} %MVC" in c.reason
    assert "record its MVC again" in c.reason
    pct = res.processing["normalization"]["task_percent_mvc"]
    # the largest 0.5 s of the hold against a reference of a tenth: about 30 / 0.1
    assert 0.8 * 300 <= pct["GMax R"] <= 1.25 * 300
    assert pct["BF R"] < 100 and pct["LT R"] < 100
    assert_others_judged(res, truth)
    # the same check applies to reference values given to compare
    rec, truth = make_session(7, gmax_pct=30.0)
    vals = {ch: MVC_RMS_V[_prefix(ch)] for ch in CHANNELS}
    res = run(rec, mvc=vals)
    assert res.criterion("gmax-amount").verdict == "pass"
    assert_pct(res, truth, ("GMax R",) + OTHERS)
    vals["GMax R"] = 0.1 * MVC_RMS_V["GMax"]
    res = run(rec, mvc=vals)
    c = res.criterion("gmax-amount")
    assert c.verdict == "not_assessable" and "refused" in c.reason
    assert res.criterion("hamstrings-amount").verdict == "pass"


def test_separate_mvc_recording_is_checked_per_muscle():
    rec, truth = make_session(8, gmax_pct=8.0, drop=("gluteus_maximus",))
    first_trial = min(e.onset for e in rec.events if e.label == "trial")
    mvc_rec = rec.crop(0.0, first_trial - 0.5)
    task = rec.crop(first_trial - 0.5, rec.duration - 1.0 / rec.sfreq)
    res = run(task, mvc=mvc_rec)
    c = res.criterion("gmax-amount")
    assert c.verdict == "not_assessable" and "gluteus maximus (right side)" in c.reason
    assert_others_judged(res, truth)


def test_assess_reads_zero_duration_mvc_markers_of_a_file(tmp_path):
    # a file whose MVC markers have no end: each lasts MVC_MARKER_S, not up to the task
    from emgcontrol.assess import assess
    from emgcontrol.io import write_bdf

    rec, truth = make_session(9, gmax_pct=8.0, markers="zero")
    path = tmp_path / "phe.bdf"
    write_bdf(rec, path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = assess("prone-hip-extension", input=path, store=tmp_path / "store",
                        out=None)
    wins = result.mvc["windows"]
    assert [w["stop_s"] - w["start_s"] for w in wins] == pytest.approx([MVC_MARKER_S] * 4,
                                                                       abs=0.01)
    c = result.comparison.criterion("gmax-amount")
    assert c.verdict == "fail"
    assert (1 - REL_TOL) * 8.0 <= c.measured <= 1.05 * 8.0


def test_no_mvc_at_all_gives_the_measuring_steps_reason():
    """Without any MVC marks the amount criterion says what to record, in the
    words of the step that looked for the reference (one text, not two)."""
    import warnings

    import emgcontrol as ec
    from emgcontrol.simulate import simulate

    rec, _ = simulate("prone-hip-extension", sfreq=500, snr_db=20, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = ec.compare(rec, "prone-hip-extension").to_dataframe()
    row = df[df["id"] == "gmax-amount"].iloc[0]
    assert row["verdict"] == "not_assessable"
    assert "'mvc:<muscle>'" in row["reason"] and "mvc_end" in row["reason"]
    assert "record an MVC block" not in row["reason"]
