"""A "not assessable" verdict carries a typed ``action``: what the clinician should do.

Each source of "not assessable" in the chain is provoked the way the fail-safe, fault
and chain tests provoke it (hand-made onset measures from ``tests/_measures.py``, the
simulator's sessions with one thing injected, the second EMG model with heartbeats),
and the action the step set is checked against the cause the test injected: the
specific sentence of :mod:`emgcontrol.patterns._actions`, never the report's generic
"see the details below".  The report reads that action; results stored without it
(older files) still get the action recovered from the reason's words.
"""

from __future__ import annotations

import copy
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from emgcontrol.patterns import Comparison, compare, get_pattern, loads_pattern
from emgcontrol.patterns import _actions as A
from emgcontrol.patterns._compare import CriterionResult
from emgcontrol.patterns._measure import _onset_row
from emgcontrol.patterns._rows import NOT_ASSESSABLE, ChannelRow, OnsetRow, TrialRow
from emgcontrol.patterns.kinds import REGISTRY
from emgcontrol.recording import Event, Recording
from emgcontrol.report._summary import short_reason, summarize
from emgcontrol.simulate import simulate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measures import onset_measures  # noqa: E402  (tests/_measures.py)
from test_patterns_chain import (  # noqa: E402
    MINI_ORDER, _heart_on_left_multifidus, _order_measures, _silence_trial, _with_data)
from test_patterns_failsafe import (  # noqa: E402
    MINI_WINDOW, RAILED, _latency_measures, _mini, _phe_measures)

GENERIC = "see the details below"
FLAT = "flat: 100 % of the time flat (SD < 1 uV), longest 20 s"


def _compare(rec: Recording, pattern="prone-hip-extension", **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compare(rec, pattern, **kw)


def _na(res):
    return [c for c in res.criteria if c.verdict == "not_assessable"]


def _specific(c) -> None:
    """A not-assessable criterion has its own action, and the report shows it."""
    assert c.action and c.action != GENERIC, (c.id, c.reason, c.action)
    assert short_reason(c)[1] == c.action


# ------------------------------------------------------------- hand-made measures
@pytest.mark.parametrize("reason, action", [(RAILED, A.REATTACH), (FLAT, A.CHECK_LEAD)])
def test_an_unusable_channel_gives_its_quality_check_action(reason, action):
    ok_side = [-40.0, -42.0, -38.0, -41.0, -39.0]
    c = compare(_latency_measures({"IL": ok_side, "IR": ok_side}, {"IL": reason}),
                _mini("each")).criteria[0]
    assert c.verdict == "not_assessable" and c.action == action
    exc = c.channels["excluded"]
    assert [e["channel"] for e in exc] == ["IL"] and exc[0]["action"] == action
    _specific(c)
    # the chain's own action on the channel row wins over the table of checks
    m = _latency_measures({"IL": ok_side, "IR": ok_side}, {"IL": reason})
    m.channel("IL").action = "replace the cable of channel IL"
    c = compare(m, _mini("each")).criteria[0]
    assert c.action == "replace the cable of channel IL"
    assert c.reason.endswith("; replace the cable of channel IL")
    # judged (both usable): no action
    c = compare(_latency_measures({"IL": ok_side, "IR": ok_side}), _mini("each")).criteria[0]
    assert c.verdict == "pass" and c.action is None


def test_a_bound_that_does_not_decide_names_the_lost_channels_action():
    late = [60.0, 62.0, 58.0, 61.0, 59.0]
    early = [-40.0, -42.0, -38.0, -41.0, -39.0]
    c = compare(_latency_measures({"IL": late, "IR": early}, {"IR": RAILED}),
                _mini("earliest")).criteria[0]
    assert c.verdict == "not_assessable" and "upper bound" in c.reason
    assert c.action == A.REATTACH
    _specific(c)


def test_a_muscle_not_recorded_asks_for_the_protocols_montage():
    # the deltoid reference of the mini pattern is absent from the measures
    m = onset_measures({"IL": ("internal_oblique", "left")}, {"IL": [10.0, 12.0, 11.0]})
    c = compare(m, _mini("earliest")).criteria[0]
    assert c.verdict == "not_assessable" and "not recorded" in c.reason
    assert c.action == A.MONTAGE
    _specific(c)


def test_disagreeing_repetitions_and_the_margin_give_their_actions():
    p = loads_pattern(MINI_WINDOW)
    c = compare(_latency_measures({"MR": [-120.0, -136.0, 280.0, 88.0, -260.0]}),
                p).criteria[0]
    assert "disagree" in c.reason and c.action == A.MORE_REPETITIONS_SAME
    _specific(c)
    c = compare(_latency_measures({"MR": [40.0, 45.0, 48.0, -90.0, 30.0]}), p).criteria[0]
    assert "uncertainty" in c.reason and c.action == A.MORE_REPETITIONS
    _specific(c)
    # an order closer than the onset bias at 250 Hz: the sampling rate is the remedy
    c = compare(_order_measures(250.0, 17.0, [39.0, 40.0, 41.0, 40.0, 39.5]),
                loads_pattern(MINI_ORDER)).criteria[0]
    assert c.verdict == "not_assessable" and "bias at 250 Hz" in c.reason
    assert c.action == A.HIGHER_RATE
    _specific(c)


def test_a_muscle_already_active_at_the_trial_start_asks_for_rest_between_repetitions():
    ch = ChannelRow("MR", "multifidus", "right")
    censored = [{"onset": 5.0, "offset": 7.0, "onset_censored": True}]
    row = _onset_row(0, ch, censored, (5.0, 8.0))
    assert row.status == NOT_ASSESSABLE and "already active" in row.reason
    assert row.action == A.RELAX
    # nothing at all in the window: a different cause, a different action
    quiet = _onset_row(0, ch, [], (5.0, 8.0))
    assert "already active" not in quiet.reason and quiet.action == A.LOW_ACTIVITY
    # through the comparison: the multifidus already active in every repetition
    m = _latency_measures({"MR": [-30.0, -28.0, -32.0, -31.0, -29.0]})
    for o in m.onsets:
        if o.channel == "MR":
            win = (o.onset_s - 0.5, o.onset_s + 1.0)
            new = _onset_row(o.trial, m.channel("MR"), [{**censored[0], "onset": win[0]}],
                             win)
            o.status, o.onset_s, o.reason, o.action = (new.status, None, new.reason,
                                                       new.action)
    c = compare(m, loads_pattern(MINI_WINDOW)).criteria[0]
    assert c.verdict == "not_assessable" and "already active" in c.reason
    assert c.action == A.RELAX
    assert all(t["action"] == A.RELAX for t in c.trials)
    _specific(c)
    sm = summarize(compare(m, loads_pattern(MINI_WINDOW)))
    assert sm.not_judged[0].action == A.RELAX
    assert "already active" in sm.not_judged[0].reason


def test_amounts_without_an_mvc_reference_ask_for_one():
    m = _phe_measures()
    m.computed.add("amounts")           # measured, but never normalised (m.mvc False)
    res = compare(m, "prone-hip-extension")
    amount = [c for c in res.criteria if c.kind in ("amount", "ratio")]
    assert amount
    for c in amount:
        assert c.verdict == "not_assessable" and "MVC" in c.reason
        assert c.action == A.RECORD_MVC
        _specific(c)


# ------------------------------------------------------------- the chain
def test_cocontraction_and_ratio_without_an_mvc_reference_ask_for_one():
    from test_patterns import CC_PATTERN

    rec, _ = simulate("lift", "typical", sfreq=500, snr_db=30, seed=16, ecg=False,
                      mains_hz=None, n_trials=3)
    res = _compare(rec, loads_pattern(CC_PATTERN))
    assert not res.measures["mvc"]
    for c in res.criteria:                  # cocontraction and ratio
        assert c.verdict == "not_assessable" and "MVC" in c.reason
        assert c.action == A.RECORD_MVC
        _specific(c)


def test_a_disconnected_electrode_asks_for_the_skin_contact():
    """The simulator's disconnected electrode (mains and drift, no EMG) as in
    test_patterns.py: refused by the noise-floor step as 'no EMG activity'."""
    rec, truth = simulate("prone-hip-extension", "typical", sfreq=250, snr_db=10, seed=14,
                          faults={"GMax R": "disconnected"})
    res = _compare(rec, mvc=truth.mvc_rms_v)
    row = next(c for c in res.measures["channels"] if c["channel"] == "GMax R")
    assert row["reason"].startswith("no EMG activity") and row["action"] == A.CHECK_CONTACT
    for cid in ("gmax-amount", "gmax-before-ipsilateral-es", "gmax-on-time"):
        c = res.criterion(cid)
        assert c.verdict == "not_assessable" and c.action == A.CHECK_CONTACT
        _specific(c)


@pytest.fixture(scope="module")
def session():
    return simulate("prone-hip-extension", "typical", sfreq=500, snr_db=20, seed=5,
                    mvc=True)


def _emg_only(rec: Recording) -> Recording:
    return rec.pick([ch for ch, t in zip(rec.ch_names, rec.ch_types) if t == "emg"])


def test_without_accelerometer_the_action_is_to_record_or_mark_the_movement(session):
    rec, _ = session
    res = _compare(_emg_only(rec))
    assert all(t["movement_action"] == A.MARK_MOVEMENT for t in res.measures["trials"])
    lat = res.criterion("gmax-on-time")        # timed to the movement onset
    assert lat.verdict == "not_assessable" and lat.action == A.MARK_MOVEMENT
    _specific(lat)
    for c in _na(res):
        _specific(c)
    assert res.criterion("gmax-amount").action == A.MARK_MOVEMENT   # phase at the movement
    grp = next(g for g in summarize(res).not_judged if "gmax-on-time" in g.criteria)
    assert "movement onset unknown" in grp.reason and grp.action == A.MARK_MOVEMENT


def test_without_trial_markers_timing_criteria_ask_for_markers(session):
    rec, _ = session
    emg = _emg_only(rec)
    bare = Recording.from_array(emg.data, emg.sfreq, emg.ch_names, units="V",
                                muscles=emg.muscles,
                                events=[e for e in emg.events if e.label != "trial"])
    res = _compare(bare)
    timing = [c for c in res.criteria if REGISTRY[c.kind].timing]
    assert timing
    for c in timing:
        assert c.verdict == "not_assessable"
        want = A.MARK_TRIALS if "no trial markers" in c.reason else A.MARK_MOVEMENT
        assert want in c.action, (c.id, c.reason, c.action)
        if c.kind == "order":
            assert c.action == A.MARK_TRIALS
    for c in _na(res):
        _specific(c)


def test_dropped_samples_in_the_onset_window_ask_to_check_the_radio_link(session):
    rec, _ = session
    base = _compare(rec)
    t = base.measures["trials"][1]["movement_onset_s"]
    res = _compare(rec.add_events([Event(t, 0.02, "dropped_samples")]))
    rows = [o for o in res.measures["onsets"] if o["trial"] == 1]
    assert rows and all(o["action"] == A.RADIO_LINK for o in rows)
    for c in res.criteria:
        if REGISTRY[c.kind].timing:
            t1 = next(r for r in c.trials if r["trial"] == 1)
            assert t1["value"] is None and A.RADIO_LINK in t1["action"]
    # a clean trial's onset rows carry no action
    assert all(o["action"] is None for o in res.measures["onsets"]
               if o["trial"] == 3 and o["status"] == "ok")


def test_a_trial_without_its_movement_asks_for_the_marker_or_the_accelerometer(session):
    rec, truth = session
    k = 2
    # movement events for every repetition but one
    emg = _emg_only(rec)
    res = _compare(emg.add_events([Event(t, 0.0, "movement")
                                   for i, t in enumerate(truth.movement_onsets) if i != k]))
    tr = res.measures["trials"]
    assert tr[k]["movement_action"] == A.mark_event("movement")
    assert all(t["movement_action"] is None for i, t in enumerate(tr) if i != k)
    for cid in ("gmax-on-time", "gmax-amount"):   # timed / phased to the movement
        rows = res.criterion(cid).trials
        assert rows[k]["value"] is None and rows[k]["action"] == A.mark_event("movement")
        assert all("action" not in r for i, r in enumerate(rows) if i != k)
    # the accelerometer still in one repetition: its movement was not found
    tri = [e for e in rec.events if e.label == "trial"][k]
    a, b = int(tri.onset * rec.sfreq), int((tri.onset + tri.duration) * rec.sfreq)
    data = rec.data.copy()
    for i, t in enumerate(rec.ch_types):
        if t == "acc":
            data[i, a:b] = data[i, a]
    res = _compare(_with_data(rec, data))
    tr = res.measures["trials"]
    assert tr[k]["movement_onset_s"] is None and tr[k]["movement_action"] == A.FIND_MOVEMENT
    rows = res.criterion("gmax-on-time").trials
    assert rows[k]["value"] is None and rows[k]["action"] == A.FIND_MOVEMENT


@pytest.mark.parametrize("fault, check", [("flat", "flat"), ("railed", "railed"),
                                          ("disconnected", "not_emg")])
def test_a_lost_electrode_of_the_second_model_gives_its_checks_action(fault, check):
    """The fault injections of test_patterns_faults.py (second EMG model, 250 Hz,
    10 dB): every criterion the faulted gluteus decides is not assessable with the
    action of the quality check that refused the channel."""
    import second_model as sm

    ch = sm.channel_name("right", "gluteus maximus")
    rec, _ = sm.session("prone-hip-extension", "reversed-weak", sfreq=250.0, snr_db=10.0,
                        seed=7)
    res = _compare(sm.inject(rec, fault, ch, seed=3))
    row = next(c for c in res.measures["channels"] if c["channel"] == ch)
    assert not row["usable"] and row["reason"].startswith(check), row["reason"]
    want = dict(A.CHANNEL_ACTIONS)[check]
    assert row["action"] == want
    lost = [c for c in res.criteria if any(e["channel"] == ch
                                           for e in c.channels.get("excluded") or [])]
    assert lost
    for c in lost:
        assert c.verdict == "not_assessable" and c.action == want, (c.id, c.action)
        _specific(c)


def test_a_muscle_silent_in_one_repetition_asks_for_placement_and_coaching(session):
    rec, _ = session
    ch = "GMax R"
    res = _compare(_silence_trial(rec, ch, 2))
    row = next(o for o in res.measures["onsets"] if o["trial"] == 2 and o["channel"] == ch)
    assert row["reason"].startswith("activity too low to time")
    assert row["action"] == A.LOW_ACTIVITY


def test_no_onset_in_an_active_window_asks_for_rest_and_a_brisk_movement():
    from types import SimpleNamespace

    from emgcontrol.patterns._measure import LOW_ACTIVITY, _no_onset_reason

    sf, noise = 500.0, 1e-6
    y = noise * np.random.default_rng(0).standard_normal(int(10 * sf))
    y[int(4 * sf):int(6 * sf)] *= 20.0          # active (20 x the noise), no rise found
    s = SimpleNamespace(filt=Recording.from_array(y[None, :], sf, ["M"], units="V"),
                        ref=None)
    c = ChannelRow("M", noise_rms_v=noise)
    why, act = _no_onset_reason(s, c, (4.0, 6.0), "no onset between 4.00 and 6.00 s",
                                A.LOW_ACTIVITY)
    assert "although the activity in the window" in why and act == A.NO_CLEAR_RISE
    # already active at the trial's start: the action about rest is kept
    why, act = _no_onset_reason(s, c, (4.0, 6.0), "no onset: already active", A.RELAX)
    assert "although" in why and act == A.RELAX
    # a quiet window: activity too low to time
    why, act = _no_onset_reason(s, c, (0.5, 3.5), "no onset", A.RELAX)
    assert why.startswith("activity too low") and act == A.LOW_ACTIVITY
    assert float(np.std(y[int(0.5 * sf):int(3.5 * sf)])) / noise < LOW_ACTIVITY


def test_a_channel_active_all_along_asks_for_rest(session):
    """A right gluteus carrying band-limited activity 30 x its rest level throughout:
    the onset detector finds no rest on it, and the criteria timed on it ask for
    rest (and a check of the contact)."""
    from scipy.signal import butter, sosfiltfilt

    rec, _ = session
    ch = "GMax R"
    i = rec.ch_names.index(ch)
    y = rec.data[i]
    rest = float(np.std(y[int(0.2 * rec.sfreq):int(1.0 * rec.sfreq)]))
    n = sosfiltfilt(butter(3, [30, 180], "bandpass", fs=rec.sfreq, output="sos"),
                    np.random.default_rng(1).standard_normal(y.size))
    data = rec.data.copy()
    data[i] = y + 30.0 * rest * n / np.std(n)
    res = _compare(_with_data(rec, data))
    row = next(c for c in res.measures["channels"] if c["channel"] == ch)
    assert row["usable"] and "no rest period found" in row["onset_reason"]
    assert row["onset_action"] == A.REST_FOR_BASELINE
    c = res.criterion("gmax-on-time")
    assert c.verdict == "not_assessable" and c.action == A.REST_FOR_BASELINE
    _specific(c)


def test_a_channel_that_is_not_emg_gives_the_check_for_that(session):
    rec, _ = session
    ch = "GMax R"
    t = rec.times
    rng = np.random.default_rng(0)
    data = rec.data.copy()
    data[rec.ch_names.index(ch)] = (2e-3 * np.sin(2 * np.pi * 0.25 * t)
                                    + 0.3e-6 * rng.standard_normal(t.size))
    res = _compare(_with_data(rec, data))
    row = next(c for c in res.measures["channels"] if c["channel"] == ch)
    assert "not_emg" in row["reason"] and row["action"] == A.channel_action("not_emg")
    for cid in ("gmax-amount", "gmax-on-time"):
        c = res.criterion(cid)
        assert c.verdict == "not_assessable" and c.action == A.channel_action("not_emg")
        _specific(c)


def test_numeric_mvc_markers_are_named_in_the_action(session):
    rec, _ = session
    emg = _emg_only(rec)
    relabelled = [Event(e.onset, 0.0, "2" if e.label.startswith("mvc")
                        and e.label != "mvc_end" else e.label) for e in emg.events]
    bare = Recording.from_array(emg.data, emg.sfreq, emg.ch_names, units="V",
                                muscles=emg.muscles, events=relabelled)
    res = _compare(bare)
    amount = res.criterion("gmax-amount")
    assert amount.verdict == "not_assessable" and "MVC" in amount.reason
    assert "--markers CODE=mvc" in amount.action and A.RECORD_MVC in amount.action
    _specific(amount)


def test_a_heart_dominated_channel_asks_to_move_the_electrode(monkeypatch):
    import second_model as sm

    import emgcontrol.signal.ecg as ecg_mod
    from emgcontrol.errors import ValidationError

    rec = _heart_on_left_multifidus()

    def fail(*a, **k):
        raise ValidationError("remove_ecg found no plausible heartbeat (test)")

    monkeypatch.setattr(ecg_mod, "remove_ecg", fail)
    res = _compare(rec, "arm-raise")
    row = next(c for c in res.measures["channels"] if c["channel"] == sm.MF_L)
    assert row["onset_reason"].startswith("heartbeat (ECG) dominates")
    assert row["onset_action"] == A.MOVE_FROM_HEART
    mf = res.criterion("multifidus-anticipatory")
    assert mf.verdict == "not_assessable" and mf.action == A.MOVE_FROM_HEART
    _specific(mf)


# ------------------------------------------------------------- report and JSON
@pytest.fixture(scope="module")
def faulty():
    """Right gluteus maximus electrode flat (lead off), as on the report's page one."""
    rec, _ = simulate("prone-hip-extension", sfreq=250, seed=1, n_trials=3, mvc=True,
                      openbci=True, faults={"GMax R": "flat"})
    return _compare(rec)


def test_page_one_reads_the_action_and_old_results_fall_back_to_the_words(faulty):
    lost = [c for c in _na(faulty) if any(e["channel"] == "GMax R"
                                          for e in c.channels.get("excluded") or [])]
    assert lost and all(c.action == A.CHECK_LEAD for c in lost)
    sm = summarize(faulty)
    grp = next(g for g in sm.not_judged if "GMax R" in g.reason)
    assert grp.action == A.CHECK_LEAD
    for c in _na(faulty):
        _specific(c)
    # a results file written before ``action`` existed: same page one for the
    # reasons the report knows by their words
    old = faulty.to_dict()
    for c in old["criteria"]:
        assert "action" in c
        del c["action"]
    back = Comparison.from_dict(json.loads(json.dumps(old)))
    assert all(c.action is None for c in back.criteria)
    sm_old = summarize(back)
    assert [g.reason for g in sm_old.not_judged] == [g.reason for g in sm.not_judged]
    old_grp = next(g for g in sm_old.not_judged if "GMax R" in g.reason)
    assert "plugged in" in old_grp.action


def test_the_report_uses_the_action_where_the_words_are_unknown():
    cr = CriterionResult(id="x", kind="latency", description="", verdict="not_assessable",
                         measured=None, target="", deviation=None, unit="ms",
                         reason="a cause the report has no words for", sentence="",
                         weight=1.0, severity="core", reference=[])
    assert short_reason(cr)[1] == GENERIC
    cr.action = "do this specific thing"
    assert short_reason(cr) == ("a cause the report has no words for",
                                "do this specific thing")


def test_criterion_results_and_rows_round_trip_with_and_without_action():
    cr = CriterionResult(id="x", kind="latency", description="d", verdict="not_assessable",
                         measured=None, target="<= 0 ms", deviation=None, unit="ms",
                         reason="r", sentence="s", weight=1.0, severity="core",
                         reference=["ref"], action=A.RELAX)
    d = json.loads(json.dumps(cr.to_dict()))
    assert d["action"] == A.RELAX
    assert CriterionResult.from_dict(d) == cr
    # the layout is the field names, nothing else moved
    assert set(d) == set(CriterionResult.__dataclass_fields__)
    old = copy.deepcopy(d)
    del old["action"]
    back = CriterionResult.from_dict(old)
    assert back.action is None and back == CriterionResult(**{**d, "action": None})
    # without an action, to_dict gives null and reads back as None
    cr.action = None
    assert CriterionResult.from_dict(json.loads(json.dumps(cr.to_dict()))) == cr
    # typed rows: the action survives their JSON form and is None in older files
    for row in (OnsetRow(0, "EXG1", status=NOT_ASSESSABLE, reason="no onset",
                         action=A.LOW_ACTIVITY),
                ChannelRow("EXG1", usable=False, reason=RAILED, action=A.REATTACH,
                           onset_action=A.MOVE_FROM_HEART),
                TrialRow(0, movement_reason="no 'movement' event in the trial",
                         movement_action=A.mark_event("movement"))):
        dd = json.loads(json.dumps(row.to_dict()))
        assert type(row).from_dict(dd) == row
        for key in ("action", "onset_action", "movement_action"):
            dd.pop(key, None)
        assert type(row).from_dict(dd) == type(row).from_dict(
            {**row.to_dict(), "action": None, "onset_action": None,
             "movement_action": None})


def test_a_whole_comparison_round_trips_its_actions(faulty):
    back = Comparison.from_dict(json.loads(json.dumps(faulty.to_dict())))
    assert [c.action for c in back.criteria] == [c.action for c in faulty.criteria]
    assert any(c.action for c in back.criteria)
    assert get_pattern("prone-hip-extension").id == back.pattern["id"]
