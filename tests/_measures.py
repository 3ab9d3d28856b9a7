"""Hand-made onset measures: pattern criteria judged on onsets a test chooses,
without running the assessment chain (``tests/test_patterns_chain.py``,
``tests/test_patterns_failsafe.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from emgcontrol.patterns import Measures
from emgcontrol.patterns._rows import NOT_ASSESSABLE, OK, ChannelRow, OnsetRow, TrialRow


def onset_measures(channels: Mapping[str, tuple[str, str]],
                   onsets_ms: Mapping[str, Sequence[float | None]], *,
                   pattern: str = "mini", first_s: float = 1.0, every_s: float = 5.0,
                   unusable: Mapping[str, str] | None = None, sfreq: float | None = None,
                   snr_db: float | None = None,
                   movement_ms: float | None = None) -> Measures:
    """Measures with onsets only (``computed == {"onsets"}``).

    Trial ``k`` has the reference time ``t_k = first_s + every_s * k`` (s); channel
    ``ch`` switches on at ``t_k + onsets_ms[ch][k] / 1000`` (None: no onset, not
    assessable).

    Parameters
    ----------
    channels : mapping
        ``{channel: (muscle, side)}`` in table order (muscles as ``"gluteus_maximus"``).
    onsets_ms : mapping
        ``{channel: [onset per trial, ms after t_k]}`` for every channel; the number
        of trials is the length of these lists.
    pattern : str
        Id of the pattern the measures are for.
    first_s, every_s : float
        ``t_0`` and the trial period, s.
    unusable : mapping, optional
        ``{channel: reason}``: the channel is not usable and its onsets are not
        assessable, for that reason.
    sfreq : float, optional
        Sampling rate the measures claim, Hz.
    snr_db : float, optional
        SNR of every channel, dB.
    movement_ms : float, optional
        Movement onset of each trial after ``t_k``, ms (None: unknown).
    """
    unusable = dict(unusable or {})
    m = Measures(pattern=pattern, sfreq=sfreq)
    m.computed.add("onsets")
    for ch, (muscle, side) in channels.items():
        m.channels.append(ChannelRow(ch, muscle, side, usable=ch not in unusable,
                                     reason=unusable.get(ch), snr_db=snr_db))
    n_trials = len(next(iter(onsets_ms.values())))
    for k in range(n_trials):
        t0 = first_s + every_s * k
        m.trials.append(TrialRow(k, movement_onset_s=None if movement_ms is None
                                 else t0 + movement_ms / 1000))
        for ch in channels:
            v = onsets_ms[ch][k]
            ok = ch not in unusable and v is not None
            m.onsets.append(OnsetRow(k, ch, onset_s=t0 + v / 1000 if ok else None,
                                     status=OK if ok else NOT_ASSESSABLE,
                                     reason=None if ok else (unusable.get(ch) or "no onset")))
    return m
