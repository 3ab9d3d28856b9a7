"""Acceptance: verdict rates of compare() on simulated sessions with known recruitment.

Conditions: prone hip extension with the correct (typical) and the reversed order,
rapid arm raise with typical and delayed trunk onset, trunk flexion with present and
absent flexion-relaxation -- each session 5 trials at 500 Hz, with ECG, mains and
motion artefacts, the whole chain run by ``compare`` on the Recording.  The expected
verdict of every criterion follows from the simulated physiology (see
``tests/simulator_verdicts.py``).

Measured with ``python benchmarks/bench_patterns.py --n 20 [--sfreq 250]`` (20
sessions per condition and SNR, 440 criterion verdicts per SNR):

==========  ===============================  ===============================
SNR         500 Hz: right / n.a. / wrong     250 Hz: right / n.a. / wrong
==========  ===============================  ===============================
10 dB       96.8 % / 3.2 % / 0 %             91.8 % / 8.2 % / 0 %
6 dB        94.5 % / 5.5 % / 0 %             77.3 % / 22.7 % / 0 %
3 dB        86.4 % / 13.6 % / 0 %            56.6 % / 43.4 % / 0 %
==========  ===============================  ===============================

The margin rule applies also when every trial lies on the same side of the limit
(fail safe: three or five unanimous trials are weak evidence of where the session
lies).  Measured on the same sessions, exempting unanimous trials would give 99.3 /
98.0 / 91.1 % right at 500 Hz and 96.6 / 81.6 / 60.0 % at 250 Hz, also with 0 %
wrong: the rule turns 2.5-5 % of the verdicts, those whose median lies within two
standard errors of a limit, into "not assessable".

The fast test here runs 3 sessions per condition and SNR at 500 Hz (36 sessions,
about 20 s); ``test_rates_long`` runs 20 at 500 and at 250 Hz (about 8 minutes) when
``EMGCONTROL_RUN_SLOW=1``.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections import Counter
from pathlib import Path

import pytest

from emgcontrol.patterns import compare, get_pattern
from emgcontrol.simulate import simulate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from simulator_verdicts import ACCEPTANCE, NEEDS_MVC  # noqa: E402  (tests/)
from simulator_verdicts import EXPECTED as VERDICTS  # noqa: E402

EXPECTED = {cond: VERDICTS[cond] for cond in ACCEPTANCE}
"""The acceptance conditions and the expected verdicts of their criteria: typical and
reversed prone hip extension order, typical and delayed trunk onset in an arm raise,
present and absent flexion-relaxation."""


def run(n: int, snrs=(10.0, 3.0), sfreq: float = 500.0, seed0: int = 500):
    counts = {snr: Counter() for snr in snrs}
    wrong: list[tuple] = []
    for (protocol, variant), exp in EXPECTED.items():
        pattern = get_pattern(protocol)
        for snr in snrs:
            for k in range(n):
                seed = seed0 + k
                # amplitudes in %MVC: an MVC block in the session, processed by the chain
                rec, truth = simulate(protocol, variant, sfreq=sfreq, snr_db=snr, seed=seed,
                                      mvc=protocol in NEEDS_MVC)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    res = compare(rec, pattern)
                assert set(res.verdicts) == set(exp)
                for c in res.criteria:
                    if c.verdict == exp[c.id]:
                        counts[snr]["right"] += 1
                    elif c.verdict == "not_assessable":
                        counts[snr]["na"] += 1
                        assert c.reason
                    else:
                        counts[snr]["wrong"] += 1
                        wrong.append((protocol, variant, snr, seed, c.id, c.verdict,
                                      c.measured))
    return counts, wrong


def check(counts, wrong, max_wrong_3db: float, min_right_10db: float = 0.95) -> None:
    c10 = counts[10.0]
    tot10 = sum(c10.values())
    assert c10["right"] / tot10 >= min_right_10db, (c10, wrong)
    assert c10["wrong"] == 0, wrong
    c3 = counts[3.0]
    tot3 = sum(c3.values())
    # graceful degradation: not assessable instead of wrong
    assert c3["wrong"] / tot3 <= max_wrong_3db, (c3, wrong)
    assert c3["right"] + c3["na"] + c3["wrong"] == tot3


def test_rates_fast():
    counts, wrong = run(3)
    check(counts, wrong, max_wrong_3db=0.0)


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("EMGCONTROL_RUN_SLOW") != "1",
                    reason="long version: set EMGCONTROL_RUN_SLOW=1")
@pytest.mark.parametrize("sfreq", [500.0, 250.0])
def test_rates_long(sfreq):
    counts, wrong = run(20, sfreq=sfreq, seed0=1000)
    # at 3 dB at most 1 % of the verdicts may be confidently wrong (measured: 0); at
    # 250 Hz onsets are coarser (4 ms samples) and the margin rule, which applies to
    # unanimous trials too, turns more verdicts near a limit into "not assessable"
    # (measured 91.8 % right at 10 dB)
    check(counts, wrong, max_wrong_3db=0.01,
          min_right_10db=0.95 if sfreq >= 500 else 0.90)
