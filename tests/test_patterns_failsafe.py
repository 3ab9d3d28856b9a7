"""Fail-safe verdicts: a criterion is judged only when every channel its combine rule
needs is usable, and repetitions agree only when they fall on the same side of the
target.

The sessions are made by a second EMG model (``second_model.py`` in this folder),
independent of :mod:`emgcontrol.simulate`: Gaussian noise band-limited by a 3rd-order Butterworth
band-pass (25-180 Hz), amplitude-modulated by bursts with raised-cosine ramps
(40 ms up, 80 ms down), over white Gaussian baseline noise; no accelerometer (the
onsets are searched in the whole trial).  Faults: a railed electrode (held at the
Cyton rail), a flat one (zeros) and a disconnected one (mains, drift and amplifier
noise, no EMG).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from emgcontrol.patterns import Measures, compare, loads_pattern
from emgcontrol.recording import Recording

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measures import onset_measures  # noqa: E402
from second_model import (  # noqa: E402
    CHANNELS, IO_L, IO_R, MF_L, MF_R, N_TRIALS, arm_raise_session)

HEALTHY = {IO_L: -45.0, IO_R: -40.0, MF_L: -30.0, MF_R: -20.0, "EXG1": -10.0,
           "EXG2": -5.0, "EXG7": 20.0}
LATE_LEFT_IO = {**HEALTHY, IO_L: 70.0}   # truth: deep-abdominals-feedforward fails


def _compare(rec: Recording, pattern="arm-raise", **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compare(rec, pattern, **kw)


# ------------------------------------------------------------- healthy sessions
@pytest.mark.parametrize("truth, expected", [(HEALTHY, "pass"), (LATE_LEFT_IO, "fail")])
def test_second_model_sessions_get_their_verdicts(truth, expected):
    rec, _ = arm_raise_session(truth, seed=1)
    res = _compare(rec)
    da = res.criterion("deep-abdominals-feedforward")
    assert da.verdict == expected, (da.reason, da.trials)
    # "each": the worst side counts (the late left side in the failing session)
    worst = max(truth[IO_L], truth[IO_R])
    assert da.measured == pytest.approx(worst, abs=20.0)
    assert da.n_assessed == N_TRIALS
    assert "median of 6 repetitions" in da.sentence
    mf = res.criterion("multifidus-anticipatory")
    assert mf.verdict == "pass", mf.reason
    assert mf.measured == pytest.approx(max(truth[MF_L], truth[MF_R], key=abs), abs=20.0)
    assert not any(ch["channel"] in (IO_L, IO_R, MF_L, MF_R) and not ch["usable"]
                   for ch in res.measures["channels"])


# ------------------------------------------------------------- one electrode lost
FAULT_CASES = [(kind, ch) for kind in ("railed", "flat", "disconnected")
               for ch in (IO_L, IO_R, MF_L, MF_R)]
MUSCLE = dict(CHANNELS)


@pytest.mark.parametrize("kind, channel", FAULT_CASES)
def test_lost_electrode_makes_the_bilateral_criterion_not_assessable(kind, channel):
    rec, _ = arm_raise_session(LATE_LEFT_IO, fault=(kind, channel), seed=2)
    res = _compare(rec)
    cid, other = (("deep-abdominals-feedforward", "multifidus-anticipatory")
                  if channel in (IO_L, IO_R)
                  else ("multifidus-anticipatory", "deep-abdominals-feedforward"))
    c = res.criterion(cid)
    assert c.verdict == "not_assessable", (kind, channel, c.verdict, c.reason)
    assert channel in c.reason and MUSCLE[channel] in c.reason, c.reason
    assert c.reason.count(channel + ": " + channel) == 0
    assert c.sentence.startswith("This could not be judged")
    assert c.deviation is None
    # the reason tells why the channel is unusable and what to do
    assert "not usable" in c.reason and "record again" in c.reason, c.reason
    if kind == "railed":
        assert "railed" in c.reason
    elif kind == "flat":
        assert "flat" in c.reason
    # the criterion that does not need the lost electrode keeps its (true) verdict
    o = res.criterion(other)
    assert o.verdict == ("fail" if other == "deep-abdominals-feedforward" else "pass"), \
        (o.verdict, o.reason)
    # the score never counts the lost criterion
    assert all(x.verdict != "pass" for x in res.criteria if x.id == cid)


# ------------------------------------------------------------- combine rules
MINI_LATENCY = """\
id = "mini-latency"
title = "Mini latency"

[groups.io]
muscles = ["internal oblique"]

[groups.deltoid]
muscles = ["right anterior deltoid"]

[trials]
min_trials = 3

[[criteria]]
id = "io"
kind = "latency"
muscle = "io"
relative_to = "deltoid"
{band}
combine = "{combine}"
description = "IO before the deltoid."
reference = "Hodges PW, Richardson CA (1996) Spine 21:2640-2650."
"""


_LATENCY_CHANNELS = {"D": ("anterior_deltoid", "right"), "IL": ("internal_oblique", "left"),
                     "IR": ("internal_oblique", "right"), "MR": ("multifidus", "right")}


def _latency_measures(per_channel_ms: dict[str, list[float | None]],
                      unusable: dict[str, str] | None = None) -> Measures:
    """Hand-made onset measures: deltoid at 1 s (+5 s per trial), others relative."""
    n = len(next(iter(per_channel_ms.values())))
    chans = ["D", *per_channel_ms]
    return onset_measures({ch: _LATENCY_CHANNELS[ch] for ch in chans},
                          {"D": [0.0] * n, **per_channel_ms}, unusable=unusable)


def _mini(combine: str, band: str = "max_ms = 0.0"):
    return loads_pattern(MINI_LATENCY.format(combine=combine, band=band))


RAILED = "railed: 100 % of samples at >= 90 % of the +/-187,500 uV rail"


@pytest.mark.parametrize("combine", ["each", "latest"])
def test_rules_needing_every_channel_are_not_judged_on_one_side(combine):
    ok_side = [-40.0, -42.0, -38.0, -41.0, -39.0]
    for bad in ("IL", "IR"):
        per = {"IL": ok_side, "IR": ok_side}
        res = compare(_latency_measures(per, {bad: RAILED}), _mini(combine))
        c = res.criteria[0]
        side = "left" if bad == "IL" else "right"
        assert c.verdict == "not_assessable"
        assert f"{side} internal oblique ({bad}) not usable: railed" in c.reason
        assert "re-attach the electrode" in c.reason
    # both usable: judged
    res = compare(_latency_measures({"IL": ok_side, "IR": [v + 10 for v in ok_side]}),
                  _mini(combine))
    assert res.criteria[0].verdict == "pass"
    assert res.criteria[0].measured == pytest.approx(-30.0)


def test_earliest_tolerates_a_lost_channel_only_where_the_verdict_cannot_depend_on_it():
    early = [-40.0, -42.0, -38.0, -41.0, -39.0]
    late = [60.0, 62.0, 58.0, 61.0, 59.0]
    # the remaining side already switches on before the deltoid: the group (earliest
    # of both sides) does too, whatever the lost side did -> pass stands
    res = compare(_latency_measures({"IL": early, "IR": early}, {"IR": RAILED}),
                  _mini("earliest"))
    c = res.criteria[0]
    assert c.verdict == "pass" and "IR" in c.reason and "remaining" in c.reason
    # the remaining side is late: the lost side could have been early -> no verdict
    res = compare(_latency_measures({"IL": late, "IR": early}, {"IR": RAILED}),
                  _mini("earliest"))
    c = res.criteria[0]
    assert c.verdict == "not_assessable" and "upper bound" in c.reason and "IR" in c.reason
    # with a lower limit too, a pass on the remaining side does not decide either
    res = compare(_latency_measures({"IL": early, "IR": early}, {"IR": RAILED}),
                  _mini("earliest", "min_ms = -100.0\nmax_ms = 0.0"))
    assert res.criteria[0].verdict == "not_assessable"
    # nothing lost: judged on both
    res = compare(_latency_measures({"IL": late, "IR": early}), _mini("earliest"))
    assert res.criteria[0].verdict == "pass"


# ------------------------------------------------------------- trial agreement
MINI_WINDOW = """\
id = "mini-window"
title = "Mini window"

[groups.mf]
muscles = ["right multifidus"]

[groups.deltoid]
muscles = ["right anterior deltoid"]

[trials]
min_trials = 3

[[criteria]]
id = "mf"
kind = "latency"
muscle = "mf"
relative_to = "deltoid"
min_ms = -100.0
max_ms = 50.0
combine = "each"
description = "Multifidus in the anticipatory window."
reference = "Aruin AS, Latash ML (1995) Exp Brain Res 103:323-332."
"""


def test_trials_failing_on_opposite_sides_of_a_window_do_not_agree():
    # every trial fails, 3 below the window and 2 above it: no confident verdict
    vals = [-120.0, -136.0, 280.0, 88.0, -260.0]
    res = compare(_latency_measures({"MR": vals}), loads_pattern(MINI_WINDOW))
    c = res.criteria[0]
    assert [t["verdict"] for t in c.trials] == ["fail"] * 5
    assert [t["side"] for t in c.trials] == ["below", "below", "above", "above", "below"]
    assert c.verdict == "not_assessable"
    assert "disagree" in c.reason and "3 below" in c.reason and "2 above" in c.reason
    assert c.measured == pytest.approx(-120.0)
    assert c.deviation is None
    assert res.score is None


def test_trials_on_the_same_side_still_agree_and_the_sentence_gives_the_spread():
    vals = [-150.0, -136.0, -160.0, -142.0, -155.0]
    res = compare(_latency_measures({"MR": vals}), loads_pattern(MINI_WINDOW))
    c = res.criteria[0]
    assert c.verdict == "fail"
    assert c.measured == pytest.approx(-150.0)
    assert c.deviation == pytest.approx(-50.0)
    assert ("median of 5 repetitions, which ranged from 160 ms before to 136 ms before; "
            "0 of 5 within the target") in c.sentence
    assert c.sentence.startswith("Your ")
    # a unanimous set whose median lies within the measurement uncertainty of the
    # limit: the margin rule applies even when every trial is on the same side
    vals = [40.0, 45.0, 48.0, -90.0, 30.0]
    res = compare(_latency_measures({"MR": vals}), loads_pattern(MINI_WINDOW))
    c = res.criteria[0]
    assert all(t["verdict"] == "pass" for t in c.trials)
    assert c.verdict == "not_assessable" and "uncertainty" in c.reason
    # tight and well inside: pass, with the spread
    vals = [-30.0, -25.0, -35.0, -28.0, -32.0]
    res = compare(_latency_measures({"MR": vals}), loads_pattern(MINI_WINDOW))
    c = res.criteria[0]
    assert c.verdict == "pass"
    assert "5 of 5 within the target" in c.sentence and "from 35 ms before" in c.sentence


# ------------------------------------------------------------- prone hip extension
PHE_CHANNELS = {  # channel: (muscle, side, onset relative to the gluteus, ms)
    "GMax R": ("gluteus_maximus", "right", 0.0), "BF R": ("biceps_femoris", "right", -30.0),
    "ST R": ("semitendinosus", "right", -25.0), "LT R": ("longissimus", "right", 90.0),
    "MF R": ("multifidus", "right", 80.0), "LT L": ("longissimus", "left", 60.0),
    "MF L": ("multifidus", "left", 70.0),
}


def _phe_measures(lost: str | None = None) -> Measures:
    """Onsets around the gluteus (at 2 s, +6 s per trial; 5 ms of scatter), movement
    40 ms after it; the ``lost`` channel railed."""
    rng = np.random.default_rng(5)
    onsets: dict[str, list[float | None]] = {ch: [] for ch in PHE_CHANNELS}
    for _ in range(5):
        for ch, (_, _, ms) in PHE_CHANNELS.items():
            onsets[ch].append(None if ch == lost else ms + rng.normal(0, 5))
    return onset_measures({ch: (mus, side) for ch, (mus, side, _) in PHE_CHANNELS.items()},
                          onsets, pattern="prone-hip-extension", first_s=2.0, every_s=6.0,
                          unusable={lost: RAILED} if lost else None, movement_ms=40.0)


def test_prone_hip_extension_groups_with_a_lost_electrode():
    timing = ("gmax-before-ipsilateral-es", "gmax-before-contralateral-es",
              "hamstrings-before-es", "gmax-on-time", "janda-sequence")
    res = compare(_phe_measures(), "prone-hip-extension")
    assert all(res.verdicts[c] == "pass" for c in timing), res.verdicts
    # an ipsilateral back muscle lost: it might have switched on before the gluteus
    # (the group's earliest onset is then only a later bound) -> no verdict on the
    # orders that end with that group; the contralateral order stands
    res = compare(_phe_measures("MF R"), "prone-hip-extension")
    for cid in ("gmax-before-ipsilateral-es", "hamstrings-before-es", "janda-sequence"):
        c = res.criterion(cid)
        assert c.verdict == "not_assessable", (cid, c.reason)
        assert "right multifidus (MF R) not usable: railed" in c.reason
    assert res.verdicts["gmax-before-contralateral-es"] == "pass"
    assert res.verdicts["gmax-on-time"] == "pass"
    # a hamstring lost: the group started no later than the remaining one, so the
    # back muscles still follow it -> the pass stands and the reason says so; the
    # sequence needs every muscle
    res = compare(_phe_measures("ST R"), "prone-hip-extension")
    c = res.criterion("hamstrings-before-es")
    assert c.verdict == "pass" and "ST R" in c.reason and "remaining" in c.reason
    assert c.measured == pytest.approx(80.0 - (-30.0), abs=15.0)  # MF R after BF R
    assert res.verdicts["janda-sequence"] == "not_assessable"
