"""The assessment chain as steps, and the fail-safe rules it applies on the way.

Each test takes a simulated prone-hip-extension session with known truth and injects
one thing real sessions have: dropped packets inside a trial, no accelerometer (with
and without ``movement`` events), a muscle silent in one repetition, a channel that is
not EMG at all.  The expected answer comes from the injection, not from the chain.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from emgcontrol.patterns import compare, get_pattern, measure
from emgcontrol.patterns.kinds import REGISTRY
from emgcontrol.recording import Event, Recording
from emgcontrol.simulate import simulate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measures import onset_measures  # noqa: E402  (tests/_measures.py)

STEPS = ["quality", "ecg", "filter", "noise_floor", "trials", "movement", "normalization",
         "detector", "amount"]


@pytest.fixture(scope="module")
def session():
    rec, truth = simulate("prone-hip-extension", "typical", sfreq=500, snr_db=20, seed=5,
                          mvc=True)
    return rec, truth


def _compare(rec: Recording, pattern="prone-hip-extension", **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compare(rec, pattern, **kw)


def _with_data(rec: Recording, data: np.ndarray) -> Recording:
    """``rec`` (montage, types, events, meta) holding ``data`` (V) instead."""
    return Recording.from_array(data, rec.sfreq, rec.ch_names, units="V",
                                muscles=rec.muscles, ch_types=rec.ch_types,
                                events=rec.events, meta=rec.meta)


def _emg_with(rec: Recording, ch: str, y: np.ndarray) -> Recording:
    data = rec.data.copy()
    data[rec.ch_names.index(ch)] = y
    return _with_data(rec, data)


def _silence_trial(rec: Recording, ch: str, k: int) -> Recording:
    """``rec`` with trial ``k``'s samples of ``ch`` replaced by rest samples of the
    same channel (from before the first trial): the muscle silent in that repetition."""
    y = rec.data[rec.ch_names.index(ch)].copy()
    trials = [e for e in rec.events if e.label == "trial"]
    tr = trials[k]
    a, b = int(tr.onset * rec.sfreq), int((tr.onset + tr.duration) * rec.sfreq)
    first = min(e.onset for e in trials)
    rest = y[int(0.2 * rec.sfreq):int((first - 0.2) * rec.sfreq)]
    assert rest.size > 0
    y[a:b] = np.resize(rest, b - a)
    return _emg_with(rec, ch, y)


def test_measure_runs_the_steps_in_order_with_typed_rows(session):
    rec, _ = session
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = measure(rec, get_pattern("prone-hip-extension"))
    assert m.processing["steps"] == STEPS
    for name in STEPS:
        assert name in m.processing
    assert type(m.channels[0]).__name__ == "ChannelRow"
    assert type(m.onsets[0]).__name__ == "OnsetRow" and m.onsets[0].status == "ok"
    # every kind the pattern uses declares what the chain computed for it
    for c in get_pattern("prone-hip-extension").criteria:
        assert REGISTRY[c.kind].needs <= m.computed
    # the JSON form round-trips into the same typed rows
    from emgcontrol.patterns import Measures

    back = Measures.from_dict(m.to_dict())
    assert back.onsets == m.onsets and back.channels == m.channels


def test_dropped_samples_in_a_trial_make_its_timing_not_assessable(session):
    rec, _ = session
    base = _compare(rec)
    trials = [e for e in rec.events if e.label == "trial"]
    # 20 ms lost at the second movement's onset (inside its onset search window), and
    # 4 ms lost at the end of the fourth trial (outside it: tolerated)
    t = base.measures["trials"][1]["movement_onset_s"]
    gap = Event(t, 0.02, "dropped_samples")
    small = Event(trials[3].onset + trials[3].duration - 0.2, 0.004, "dropped_samples")
    res = _compare(rec.add_events([gap, small]))
    assert any("dropped in transmission" in w and "trial(s) 2, 4" in w for w in res.warnings)
    rows = [o for o in res.measures["onsets"] if o["trial"] == 1]
    assert rows and all(o["status"] == "not_assessable" and "dropped" in o["reason"]
                        for o in rows)
    other = [o for o in res.measures["onsets"] if o["trial"] != 1]
    assert sum(o["status"] == "ok" for o in other) >= 0.9 * len(other)
    assert all(o["status"] == "ok" for o in res.measures["onsets"] if o["trial"] == 3)
    for c in res.criteria:
        if REGISTRY[c.kind].timing:
            t1 = next(r for r in c.trials if r["trial"] == 1)
            assert t1["value"] is None
            # the verdict, when given, is the one the clean session gets
            if c.verdict != "not_assessable":
                assert c.verdict == base.criterion(c.id).verdict


def test_without_accelerometer_movement_events_are_used_and_said(session):
    rec, truth = session
    emg = rec.pick([ch for ch, t in zip(rec.ch_names, rec.ch_types) if t == "emg"])
    res = _compare(emg)
    lat = res.criterion("gmax-on-time")     # timed to the movement onset
    assert lat.verdict == "not_assessable"
    assert "accelerometer" in lat.reason and "'movement'" in lat.reason
    assert any("mark each movement onset" in w for w in res.warnings)
    # the same session with the movement onsets marked
    marked = emg.add_events([Event(t, 0.0, "movement") for t in truth.movement_onsets])
    res2 = _compare(marked)
    assert res2.processing["movement"]["source"] == "event:movement"
    assert any("from the 'movement' events" in w for w in res2.warnings)
    assert all(t["movement_source"] == "event:movement" for t in res2.measures["trials"])
    full = _compare(rec)
    assert res2.criterion("gmax-on-time").verdict == full.criterion("gmax-on-time").verdict
    assert res2.criterion("gmax-on-time").measured == pytest.approx(
        full.criterion("gmax-on-time").measured, abs=30.0)


def test_a_muscle_silent_in_one_repetition_is_named_as_too_low_to_time(session):
    rec, truth = session
    ch = "GMax R"
    res = _compare(_silence_trial(rec, ch, 2))
    row = next(o for o in res.measures["onsets"] if o["trial"] == 2 and o["channel"] == ch)
    assert row["status"] == "not_assessable"
    assert row["reason"].startswith("activity too low to time"), row["reason"]
    assert "%MVC" in row["reason"]
    # the other trials of that muscle keep their onsets
    assert all(o["status"] == "ok" for o in res.measures["onsets"]
               if o["channel"] == ch and o["trial"] != 2)


def test_a_channel_that_is_not_emg_is_excluded_with_its_reason(session):
    rec, _ = session
    ch = "GMax R"   # the lifting leg's gluteus (side option "right")
    t = rec.times
    rng = np.random.default_rng(0)
    # a goniometer-like slow angle trace typed as EMG: 2 mV swings, 0.3 uV noise
    y = 2e-3 * np.sin(2 * np.pi * 0.25 * t) + 0.3e-6 * rng.standard_normal(t.size)
    res = _compare(_emg_with(rec, ch, y))
    row = next(c for c in res.measures["channels"] if c["channel"] == ch)
    assert not row["usable"] and "not_emg" in row["reason"], row
    for cid in ("gmax-amount", "gmax-on-time"):
        c = res.criterion(cid)
        assert c.verdict == "not_assessable" and ch in c.reason, (cid, c.reason)


MINI_ORDER = """\
id = "mini-order"
title = "Mini order"

[groups.a]
muscles = ["right gluteus maximus"]

[groups.b]
muscles = ["right longissimus"]

[[criteria]]
id = "a-before-b"
kind = "order"
first = "a"
then = "b"
tolerance_ms = 0.0
description = "a before b."
reference = ["test"]
"""


def _order_measures(sfreq: float, snr_db: float, diff_ms: list[float]):
    """A (right gluteus) at 1 s (+5 s per trial), B (right longissimus) ``diff_ms`` later."""
    return onset_measures({"A": ("gluteus_maximus", "right"), "B": ("longissimus", "right")},
                          {"A": [0.0] * len(diff_ms), "B": diff_ms}, pattern="mini-order",
                          sfreq=sfreq, snr_db=snr_db)


def test_an_order_closer_than_the_onset_bias_between_channels_is_not_judged():
    """Five unanimous trials 40 ms apart: at 1 kHz and a high SNR the order is
    judged; at the Cyton's 250 Hz and a low SNR the channels' own onset biases
    (benchmarks/bench_onset_bias.py) are larger than that, so it is not."""
    from emgcontrol.patterns import loads_pattern
    from emgcontrol.patterns.kinds.order import channel_bias_sd_ms

    p = loads_pattern(MINI_ORDER)
    diffs = [39.0, 40.0, 41.0, 40.0, 39.5]
    hi = compare(_order_measures(1000.0, 35.0, diffs), p).criteria[0]
    assert hi.verdict == "pass", hi.reason
    lo = compare(_order_measures(250.0, 17.0, diffs), p).criteria[0]
    assert lo.verdict == "not_assessable"
    assert "bias at 250 Hz and 17 dB SNR" in lo.reason
    # the same separation, reversed: a fail at 1 kHz, not assessable at 250 Hz
    rev = [-d for d in diffs]
    assert compare(_order_measures(1000.0, 35.0, rev), p).criteria[0].verdict == "fail"
    assert compare(_order_measures(250.0, 17.0, rev), p).criteria[0].verdict == \
        "not_assessable"
    # the bias model: larger at lower rates and SNRs, unknown SNR the most cautious
    assert channel_bias_sd_ms(250, 17) > channel_bias_sd_ms(1000, 17)
    assert channel_bias_sd_ms(250, 33) < channel_bias_sd_ms(250, 17)
    assert channel_bias_sd_ms(125, 17) == pytest.approx(2 * channel_bias_sd_ms(250, 17))
    assert channel_bias_sd_ms(250, None) >= channel_bias_sd_ms(250, 5)


def _heart_on_left_multifidus() -> Recording:
    """An arm raise from the second EMG model with 1 mV R waves on the left multifidus."""
    import second_model as sm

    healthy = {sm.IO_L: -45.0, sm.IO_R: -40.0, sm.MF_L: -30.0, sm.MF_R: -20.0}
    rec, _ = sm.arm_raise_session(healthy, seed=3)
    i = rec.ch_names.index(sm.MF_L)
    data = rec.data.copy()
    data[i] = sm.channel_fault(data[i], "ecg", rec.sfreq, np.random.default_rng(3))
    return Recording.from_array(data, rec.sfreq, rec.ch_names, units="V", muscles=rec.muscles,
                                events=rec.events)


def test_a_heart_dominated_channel_is_cleaned_or_not_timed(monkeypatch):
    """1 mV R waves on the left multifidus (second EMG model, arm raise): the chain
    removes them there; where removal fails, that channel's onsets are not used (a
    beat would pass for an onset), and the criterion needing it says why."""
    import second_model as sm

    rec = _heart_on_left_multifidus()
    res = _compare(rec, "arm-raise")
    q = next(c for c in res.measures["tables"]["quality"]["channels"]
             if c["channel"] == sm.MF_L)
    assert q["checks"]["ecg"]["value"] >= 50.0          # the heart dominates
    assert res.processing["ecg"]["applied"] and sm.MF_L in res.processing["ecg"]["channels"]
    assert res.criterion("multifidus-anticipatory").verdict in ("pass", "not_assessable")

    import emgcontrol.signal.ecg as ecg_mod
    from emgcontrol.errors import ValidationError

    def fail(*a, **k):
        raise ValidationError("remove_ecg found no plausible heartbeat (test)")

    monkeypatch.setattr(ecg_mod, "remove_ecg", fail)
    res = _compare(rec, "arm-raise")
    row = next(c for c in res.measures["channels"] if c["channel"] == sm.MF_L)
    assert row["onset_reason"].startswith("heartbeat (ECG) dominates this channel")
    mf = res.criterion("multifidus-anticipatory")
    assert mf.verdict == "not_assessable" and sm.MF_L in mf.reason
    assert "heartbeat (ECG) dominates" in mf.reason


def test_numeric_markers_are_named_when_trial_or_mvc_events_are_missing(session):
    """An OpenBCI-style session (no accelerometer): its trial and MVC markers came as
    codes '1' and '2' (a reader without markers=): the chain says which codes exist
    and how to name them, instead of only 'no trial events'."""
    rec, _ = session
    from emgcontrol.recording import Event

    rec = rec.pick([ch for ch, t in zip(rec.ch_names, rec.ch_types) if t == "emg"])
    relabelled = [Event(e.onset, 0.0, "1" if e.label == "trial" else
                        "2" if e.label.startswith("mvc") and e.label != "mvc_end" else e.label)
                  for e in rec.events]
    bare = Recording.from_array(rec.data, rec.sfreq, rec.ch_names, units="V",
                                muscles=rec.muscles, ch_types=rec.ch_types,
                                events=relabelled)
    res = _compare(bare)
    note = next(w for w in res.warnings if w.startswith("no 'trial' events"))
    assert "'1' x5" in note and "--markers CODE=trial" in note
    amount = res.criterion("gmax-amount")
    assert amount.verdict == "not_assessable" and "--markers" in amount.reason


def test_no_trial_markers_and_no_movement_give_no_timing_verdict(session):
    """Without trial events and without an accelerometer the chain has one 'trial'
    spanning the recording (MVC block and rests included): its first onsets belong to
    no repetition, so timing criteria are not judged (they once failed at -13 s)."""
    rec, _ = session
    emg = rec.pick([ch for ch, t in zip(rec.ch_names, rec.ch_types) if t == "emg"])
    bare = Recording.from_array(emg.data, emg.sfreq, emg.ch_names, units="V",
                                muscles=emg.muscles,
                                events=[e for e in emg.events if e.label != "trial"])
    res = _compare(bare)
    for c in res.criteria:
        if REGISTRY[c.kind].timing:
            assert c.verdict == "not_assessable", (c.id, c.verdict, c.measured)
            # timed to the movement: unknown; timed between muscles: no repetition
            assert "no trial markers" in c.reason or (
                c.kind == "latency" and "no accelerometer" in c.reason), c.reason
            if c.kind == "order":
                assert "no trial markers" in c.reason
    # the onsets themselves are still in the activation table for a researcher
    assert res.measures["tables"]["activations"]["activations"]


def test_a_verdict_below_the_minimum_repetitions_is_preliminary(session):
    """Two trials where the pattern asks for three: verdicts are given but marked
    preliminary; a session-level kind (one hold) never is."""
    rec, _ = session
    trials = [e for e in rec.events if e.label == "trial"]
    short = rec.crop(0.0, trials[2].onset - 0.1)
    assert sum(e.label == "trial" for e in short.events) == 2
    res = _compare(short)
    judged = [c for c in res.criteria if c.verdict != "not_assessable"]
    assert judged and all(c.preliminary for c in judged)
    assert not any(c.preliminary for c in _compare(rec).criteria)
    from emgcontrol.patterns.kinds import REGISTRY as K

    assert K["mdf_slope"].per_trial is False and K["order"].per_trial is True
