"""What a clinician should do when a criterion is not assessable.

Every step of the assessment chain that produces a "not assessable" reason also says,
in one short imperative sentence, what would make the criterion judgeable next time.
The sentences live here so that the rows (:mod:`emgcontrol.patterns._rows`), the
criterion kinds and the comparison speak with one voice, and so that the report reads
the action from :attr:`CriterionResult.action
<emgcontrol.patterns.CriterionResult.action>` instead of parsing the reason text.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["REATTACH", "CHECK_LEAD", "CHECK_CONTACT", "CHECK_ELECTRODE", "RECORD_MVC",
           "MORE_REPETITIONS_SAME", "MORE_REPETITIONS", "HIGHER_RATE", "MARK_TRIALS",
           "MARK_MOVEMENT", "FIND_MOVEMENT", "RADIO_LINK", "MOVE_FROM_HEART", "RELAX",
           "LOW_ACTIVITY", "NO_CLEAR_RISE", "REST_FOR_BASELINE", "MONTAGE",
           "CHANNEL_ACTIONS", "channel_action", "mark_event", "join_actions"]

REATTACH = ("re-attach the electrode (skin preparation, gel, reference and bias leads) "
            "and record again")
CHECK_LEAD = ("check that the electrode lead is plugged in and the channel switched on, "
              "then record again")
CHECK_CONTACT = "check the electrode's contact with the skin and record again"
CHECK_ELECTRODE = "check the electrode and record again"
RECORD_MVC = ("record a maximal voluntary contraction of each muscle before the task "
              "(markers 'mvc:<muscle>' ... 'mvc_end', or events 'mvc')")
MORE_REPETITIONS_SAME = "record more repetitions, coaching the same movement each time"
MORE_REPETITIONS = "record more repetitions with a clean signal"
HIGHER_RATE = ("record more repetitions at a higher sampling rate, with good electrode "
               "contact")
MARK_TRIALS = "mark each repetition (events 'trial') or record with the accelerometer"
MARK_MOVEMENT = ("record with the accelerometer, or mark each movement onset with a "
                 "'movement' event")
FIND_MOVEMENT = ("check that the accelerometer is fixed to the moving segment and ask for "
                 "one clear movement from stillness in each repetition")
RADIO_LINK = ("check the radio link (distance, dongle, battery) and record the "
              "repetitions again")
MOVE_FROM_HEART = ("move the electrode away from the heart's line (or record a reference "
                   "ECG) and record again")
RELAX = ("ask the patient to relax fully between repetitions and before each one starts, "
         "then record again")
LOW_ACTIVITY = ("check the electrode's placement over the muscle and coach a clear "
                "contraction in each repetition, then record again")
NO_CLEAR_RISE = ("ask the patient to rest before each repetition and move briskly, and "
                 "check the electrode's contact, then record again")
REST_FOR_BASELINE = ("record a few seconds of full rest (the muscle relaxed) before the "
                     "first repetition and between repetitions, and check the electrode's "
                     "contact, then record again")
MONTAGE = "record with the protocol's montage (all its muscles)"

CHANNEL_ACTIONS: tuple[tuple[str, str], ...] = (
    ("railed", REATTACH),
    ("dc_offset", REATTACH),
    ("jumps", REATTACH),
    ("flat", CHECK_LEAD),
    ("no EMG activity", CHECK_CONTACT),
    ("not_emg", ("check that an EMG electrode is attached over the muscle and its lead "
                 "connected to this channel (not an unused or auxiliary input), then "
                 "record again")),
    ("clipping", "lower the amplifier's gain (or re-attach the electrode) and record again"),
    ("nonfinite", "export the recording again (the file holds invalid samples)"),
    ("heartbeat (ECG) dominates", MOVE_FROM_HEART),
    ("onset detector", CHECK_ELECTRODE),
)
"""Start of an unusable channel's reason (the quality check's name, ``"no EMG
activity"`` from the noise floor, the ECG and onset-detector steps) -> the action."""


def channel_action(reason: str | None) -> str:
    """The action for an unusable channel from its reason (the first check named in
    it; :data:`CHECK_ELECTRODE` when none is known)."""
    why = str(reason or "")
    return next((a for key, a in CHANNEL_ACTIONS if why.startswith(key)), CHECK_ELECTRODE)


def mark_event(label: str) -> str:
    """The action for an event missing from a repetition."""
    return f"mark the {label!r} event in each repetition and record again"


def join_actions(actions: Iterable[str | None]) -> str | None:
    """Distinct actions in order, joined by ``"; "`` (None when there are none)."""
    out: list[str] = []
    for a in actions:
        if a and a not in out:
            out.append(a)
    return "; ".join(out) or None
