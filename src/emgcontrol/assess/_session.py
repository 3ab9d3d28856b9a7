"""Guided recording of an assessment on a board: MVC capture, then the repetitions.

Two recordings are made, each a crash-safe BrainFlow CSV file (with its JSON
sidecar) in ``<out>/recordings/``:

``mvc.csv``
    Only when the pattern needs %MVC (amount, ratio or co-contraction criteria)
    and no MVC file was given: one maximal contraction per muscle those criteria
    use (both sides together), marked ``"mvc:<muscle>"`` ... ``"mvc_end"``.
``task.csv``
    ``n_trials`` repetitions, each marked ``"trial"`` (start, quiet baseline),
    ``"cue"`` (go) and ``"trial_end"``.

Real boards
    The guide prompts every step.  Interactively it waits for Enter before each
    contraction and repetition (the stream keeps recording meanwhile); with
    ``interactive=False`` (``--yes``, or no terminal) it counts down
    ``pause_s`` seconds instead.
The simulated board
    The virtual subject follows the simulator's script, so the guide follows it:
    it prompts each step when the stream reaches it (from the markers the
    simulated board inserts) and never waits.  The MVC capture streams the
    simulator's MVC block (``mvc=True``) from the first to the last muscle
    needed; the task streams a session of ``n_trials`` repetitions from 1 s
    before the first one.  The default prone-hip-extension assessment streams
    7 s of MVC and 26 s of repetitions.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ValidationError

__all__ = ["SessionPlan", "SessionRecording", "record_session", "plan_session",
           "PROTOCOL_INSTRUCTIONS", "MVC_INSTRUCTIONS", "TRIAL_SECONDS"]

PROTOCOL_INSTRUCTIONS = {
    "prone-hip-extension": "lying prone, lift the straight {side} leg about 10 cm, hold it "
                           "about 2 s, then lower it",
    "flexion-relaxation": "standing, bend forward slowly as far as you can, stay 2-3 s at "
                          "full flexion, then come back up slowly",
    "arm-raise": "standing still, raise the {side} arm forward as fast as you can, then "
                 "lower it",
    "sorensen": "prone with the trunk off the bench, hold the trunk horizontal as long as "
                "you can",
    "lift": "lift the box from the floor to waist height, then put it back",
}
"""What the patient does in one repetition of each built-in protocol."""

TRIAL_SECONDS = {"prone-hip-extension": 6.0, "flexion-relaxation": 12.0, "arm-raise": 4.0,
                 "sorensen": 60.0, "lift": 6.0}
"""Recording time per repetition after the cue on a real board, s."""

MVC_INSTRUCTIONS = {
    "gluteus_maximus": "prone, knee bent 90 degrees: push the thigh up against resistance",
    "gluteus_medius": "side-lying: lift the leg sideways against resistance",
    "biceps_femoris": "prone, knee bent about 45 degrees: pull the heel towards the buttock "
                      "against resistance",
    "semitendinosus": "prone, knee bent about 45 degrees: pull the heel towards the buttock "
                      "against resistance",
    "longissimus": "prone: lift the trunk against resistance at the shoulders",
    "iliocostalis": "prone: lift the trunk against resistance at the shoulders",
    "multifidus": "prone: lift the trunk against resistance at the shoulders",
    "rectus_abdominis": "supine, knees bent: curl up against resistance at the shoulders",
    "external_oblique": "supine, knees bent: curl up and turn against resistance",
    "internal_oblique": "supine, knees bent: curl up and turn against resistance",
    "vastus_lateralis": "seated, knee bent 60 degrees: straighten the knee against "
                        "resistance",
    "vastus_medialis": "seated, knee bent 60 degrees: straighten the knee against "
                       "resistance",
    "anterior_deltoid": "seated, arm forward at 90 degrees: push up against resistance",
}
"""Position and action of a maximal contraction, per muscle (shown in the prompts)."""


@dataclass
class SessionPlan:
    """What a guided session records.

    Attributes
    ----------
    protocol : str
        Pattern id.
    n_trials : int
        Repetitions.
    trial_s : float
        Recording time after the cue of each repetition (real boards), s.
    baseline_s : float
        Quiet time before the cue, s.
    rest_s : float
        Rest after each contraction / repetition, s.
    mvc_muscles : list of str
        Muscle ids whose MVC is captured (empty: no MVC capture).
    mvc_s : float
        Length of each maximal contraction, s.
    pause_s : float
        Countdown before each step when not waiting for Enter, s.
    instructions : str
        What the patient does in a repetition.
    """

    protocol: str
    n_trials: int
    trial_s: float
    baseline_s: float = 1.0
    rest_s: float = 3.0
    mvc_muscles: list[str] = field(default_factory=list)
    mvc_s: float = 4.0
    pause_s: float = 2.0
    instructions: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return dict(self.__dict__)


@dataclass
class SessionRecording:
    """The recordings of a guided session.

    Attributes
    ----------
    task : Recording
        The repetitions (trial windows as events).
    task_path : Path
        Its BrainFlow CSV file.
    mvc : Recording or None
        The MVC capture (``"mvc"`` events, attributed to muscles).
    mvc_path : Path or None
        Its file.
    board : str
        Board name.
    source : str
        One-line description for the report.
    plan : SessionPlan
        What was recorded.
    details : dict
        Board description, record summaries, simulation (JSON-ready).
    """

    task: Any
    task_path: Path
    mvc: Any
    mvc_path: Path | None
    board: str
    source: str
    plan: SessionPlan
    details: dict[str, Any] = field(default_factory=dict)


def _positive(name: str, v: Any, allow_zero: bool = False) -> float:
    from .._validate import check_positive

    return float(check_positive(name, v, allow_zero=allow_zero))


def mvc_muscles(pattern: Any) -> list[str]:
    """Muscle ids whose MVC the pattern's criteria need (the kinds that need amplitudes
    in %MVC: amount, ratio, co-contraction)."""
    from ..patterns.kinds import REGISTRY

    out: list[str] = []
    for c in pattern.criteria:
        if not REGISTRY[c.kind].needs & {"amounts", "cocontraction"}:
            continue
        for g in c.groups():
            for m in g.muscles:
                if m.muscle not in out:
                    out.append(m.muscle)
    return out


def plan_session(pattern: Any, *, n_trials: int | None = None,
                 trial_seconds: float | None = None, mvc: bool = True,
                 mvc_seconds: float | None = None, rest_seconds: float | None = None,
                 pause_seconds: float | None = None) -> SessionPlan:
    """The session a pattern needs (see :class:`SessionPlan`).

    ``n_trials`` defaults to the pattern's ``min_trials`` (at least 1);
    ``trial_seconds`` to :data:`TRIAL_SECONDS`.
    """
    n = pattern.trials.min_trials if n_trials is None else n_trials
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 100:
        raise ValidationError(f"--trials must be an integer from 1 to 100; got {n!r}")
    side = (pattern.options or {}).get("side", "right")
    text = PROTOCOL_INSTRUCTIONS.get(pattern.id, f"perform the movement ({pattern.title})")
    plan = SessionPlan(
        protocol=pattern.id, n_trials=int(n),
        trial_s=_positive("--trial-seconds", trial_seconds if trial_seconds is not None
                          else TRIAL_SECONDS.get(pattern.id, 6.0)),
        mvc_muscles=mvc_muscles(pattern) if mvc else [],
        instructions=text.format(side=side))
    if mvc_seconds is not None:
        plan.mvc_s = _positive("--mvc-seconds", mvc_seconds)
        if plan.mvc_s < 0.5:
            raise ValidationError(f"--mvc-seconds must be at least 0.5 s (the reference "
                                  f"window); got {mvc_seconds!r}")
    if rest_seconds is not None:
        plan.rest_s = _positive("--rest-seconds", rest_seconds, allow_zero=True)
    if pause_seconds is not None:
        plan.pause_s = _positive("pause_seconds", pause_seconds, allow_zero=True)
    return plan


# --------------------------------------------------------------------- helpers
class _Guide:
    """Prompts (to a callable, default stderr) and waits."""

    def __init__(self, prompt: Callable[[str], Any] | None, interactive: bool,
                 input_fn: Callable[[str], Any] | None = None) -> None:
        self.prompt = prompt or (lambda s: print(s, file=sys.stderr, flush=True))
        self.interactive = interactive
        self.input_fn = input_fn or input

    def say(self, text: str) -> None:
        self.prompt(text)

    def wait(self, text: str, session: Any, pause_s: float) -> None:
        """Wait for Enter (interactive) or count down ``pause_s`` of stream time."""
        if self.interactive:
            self.say(text + " -- press Enter when ready")
            self.input_fn("")
        else:
            if pause_s > 0:
                self.say(text + f" (starting in {pause_s:g} s)")
            else:
                self.say(text)
            _consume(session, pause_s)


def _consume(session: Any, seconds: float) -> None:
    """Let ``seconds`` of stream pass (every block goes to the file by BrainFlow)."""
    if seconds <= 0:
        return
    target = session.n_samples + session.dropped["count"] + int(round(seconds * session.sfreq))
    for _ in session.blocks(poll_s=0.01):
        if session.n_samples + session.dropped["count"] >= target:
            break


def _muscle_text(muscle: str) -> str:
    return muscle.replace("_", " ")


def _read(path: Path, montage: Any = None) -> Any:
    from ..io import read
    from ..patterns import events_from_markers

    rec = read(path)
    if montage is not None and not any(m is not None for m in rec.muscles):
        from ..montage import as_montage

        rec = rec.set_montage(as_montage(montage))
    return events_from_markers(rec)


# ------------------------------------------------------------------ real boards
def _record_real(plan: SessionPlan, folder: Path, board: str, *, montage: Any,
                 board_options: Mapping[str, Any], guide: _Guide, overwrite: bool,
                 meta: Mapping[str, Any]) -> SessionRecording:
    from ..acquire import BoardSession

    details: dict[str, Any] = {}
    mvc_path = None
    if plan.mvc_muscles:
        mvc_path = folder / "mvc.csv"
        with BoardSession(board, montage=montage, on_message=guide.say,
                          **dict(board_options)) as s:
            present = {m.muscle for m in s.muscles if m is not None}
            muscles = [m for m in plan.mvc_muscles if m in present]
            if not muscles:
                raise ValidationError(
                    f"the montage has none of the muscles whose MVC the protocol needs "
                    f"({', '.join(_muscle_text(m) for m in plan.mvc_muscles)}); give "
                    "--montage, or --mvc FILE")
            s.start(record_to=mvc_path, overwrite=overwrite,
                    meta={**dict(meta), "part": "mvc"})
            guide.say(f"MVC capture: {len(muscles)} muscle(s), {plan.mvc_s:g} s each, as hard "
                      "as possible")
            _consume(s, 1.0)
            for k, mus in enumerate(muscles, 1):
                how = MVC_INSTRUCTIONS.get(mus, "contract as hard as you can against "
                                                "resistance")
                guide.wait(f"MVC {k}/{len(muscles)}: {_muscle_text(mus)} (both sides) -- {how}",
                           s, plan.pause_s)
                s.marker(f"mvc:{mus}")
                guide.say(f"  PUSH as hard as you can ... ({plan.mvc_s:g} s)")
                _consume(s, plan.mvc_s)
                s.marker("mvc_end")
                guide.say("  relax")
                _consume(s, plan.rest_s)
            s.stop()
            details["mvc"] = s.describe()
    task_path = folder / "task.csv"
    with BoardSession(board, montage=montage, on_message=guide.say,
                      **dict(board_options)) as s:
        s.start(record_to=task_path, overwrite=overwrite, meta={**dict(meta), "part": "task"})
        guide.say(f"{plan.n_trials} repetition(s): {plan.instructions}")
        _consume(s, 1.0)
        for k in range(1, plan.n_trials + 1):
            guide.wait(f"Repetition {k}/{plan.n_trials}: get ready and stay relaxed", s,
                       plan.pause_s)
            s.marker("trial")
            _consume(s, plan.baseline_s)
            s.marker("cue")
            guide.say(f"  GO: {plan.instructions} ({plan.trial_s:g} s)")
            _consume(s, plan.trial_s)
            s.marker("trial_end")
            guide.say("  rest")
            _consume(s, plan.rest_s if k < plan.n_trials else 0.5)
        s.stop()
        details["task"] = s.describe()
        name = s.name
        desc = f"board {s.name!r} ({s.n_channels} channels at {s.sfreq:g} Hz), guided session"
    task = _read(task_path, montage)
    mvc = _read(mvc_path, montage) if mvc_path is not None else None
    return SessionRecording(task, task_path, mvc, mvc_path, name, desc, plan, details)


# --------------------------------------------------------------- simulated board
def _record_simulated(plan: SessionPlan, folder: Path, *, montage: Any,
                      sim: Mapping[str, Any], guide: _Guide, overwrite: bool,
                      meta: Mapping[str, Any]) -> SessionRecording:
    from ..acquire import BoardSession, record

    details: dict[str, Any] = {"simulation": dict(sim)}
    sim = dict(sim)
    mvc_path = None
    mvc_labels: list[tuple[float, str]] = []
    if plan.mvc_muscles:
        # where the simulator's MVC block holds each muscle (probe session, not streamed)
        probe = BoardSession("simulated", montage=montage, mvc=True, n_trials=1, **sim)
        try:
            truth = probe.simulation.truth
            wins: dict[str, list[float]] = {}
            for a in truth.activations:
                if a.phase == "mvc" and a.muscle:
                    w = wins.setdefault(a.muscle, [a.onset, a.offset])
                    w[0], w[1] = min(w[0], a.onset), max(w[1], a.offset)
            plateaus = sorted((e.onset, e.duration) for e in probe.simulation.recording.events
                              if e.label == "mvc")
        finally:
            probe.close()
        need = [m for m in plan.mvc_muscles if m in wins]
        if not need:
            raise ValidationError(
                "the simulated montage has none of the muscles whose MVC the protocol needs "
                f"({', '.join(_muscle_text(m) for m in plan.mvc_muscles)})")
        # 1.5 s of rest on both sides: the reference check compares with the rest
        start = max(0.0, min(wins[m][0] for m in need) - 1.5)
        stop = max(wins[m][1] for m in need) + 1.5
        # which muscle each simulated "mvc" marker stands for (by its plateau start)
        for on, _ in plateaus:
            mus = next((m for m, (a, b) in wins.items() if a <= on < b), None)
            if mus is not None and start <= on < stop:
                mvc_labels.append((on - start, mus))
        order = [m for _, m in mvc_labels]
        mvc_path = folder / "mvc.csv"
        s = BoardSession("simulated", montage=montage, mvc=True, n_trials=1, start_s=start,
                         on_message=guide.say, **sim)
        guide.say(f"MVC capture (simulated subject): {', '.join(_muscle_text(m) for m in order)}"
                  f" -- {stop - start:.1f} s")
        seen = [0]

        def on_mvc(blk: Any) -> None:
            for mk in blk.markers:
                if mk.label == "mvc" and seen[0] < len(order):
                    mus = order[seen[0]]
                    seen[0] += 1
                    guide.say(f"MVC {seen[0]}/{len(order)}: {_muscle_text(mus)} (both sides) -- "
                              f"{MVC_INSTRUCTIONS.get(mus, 'as hard as you can')}: PUSH")

        try:
            res = record(mvc_path, session=s, duration=stop - start, overwrite=overwrite,
                         on_block=on_mvc, meta={**dict(meta), "part": "mvc"})
        finally:
            s.close()
        details["mvc"] = res.to_dict()
    task_path = folder / "task.csv"
    s = BoardSession("simulated", montage=montage, mvc=False, n_trials=plan.n_trials,
                     start_s=1.0, on_message=guide.say, **sim)
    dur = float(s.simulation.recording.duration)
    # the simulated subject's trial ends (stream time): the guide marks them like on a
    # real board, so the last trial does not run on to the end of the recording
    # (only where no next trial starts at the same time: consecutive simulated trials
    # touch, and the next "trial" marker closes the previous window)
    sim_trials = [e for e in s.simulation.recording.events
                  if e.label == "trial" and e.duration > 0]
    ends = sorted(e.onset + e.duration for e in sim_trials
                  if not any(abs(o.onset - (e.onset + e.duration)) < 0.1 for o in sim_trials))
    name = s.name
    desc = (f"simulated board (emgcontrol simulator, {sim.get('protocol')} "
            f"'{sim.get('variant', 'typical')}', seed {sim.get('seed', 0)}, "
            f"{sim.get('snr_db', 20.0):g} dB SNR, replayed by BrainFlow at {s.sfreq:g} Hz)")
    guide.say(f"{plan.n_trials} repetition(s) (simulated subject): {plan.instructions} -- "
              f"{dur:.1f} s")
    count = {"trial": 0, "end": 0}

    def on_task(blk: Any) -> None:
        t = (s.n_samples + s.dropped["count"]) / s.sfreq
        while count["end"] < len(ends) and ends[count["end"]] <= t:
            count["end"] += 1
            if ends[count["end"] - 1] < dur - 0.05:
                s.marker("trial_end")
        for mk in blk.markers:
            if mk.label == "trial":
                count["trial"] += 1
                guide.say(f"Repetition {count['trial']}/{plan.n_trials}: stay relaxed ...")
            elif mk.label == "cue":
                guide.say(f"  GO: {plan.instructions}")

    try:
        res = record(task_path, session=s, duration=dur, overwrite=overwrite, on_block=on_task,
                     meta={**dict(meta), "part": "task"})
    finally:
        s.close()
    details["task"] = res.to_dict()
    task = _read(task_path)
    mvc = None
    if mvc_path is not None:
        mvc = _read_simulated_mvc(mvc_path, mvc_labels)
    return SessionRecording(task, task_path, mvc, mvc_path, name, desc, plan, details)


def _read_simulated_mvc(path: Path, labels: Sequence[tuple[float, str]]) -> Any:
    """Read the MVC capture and attribute each "mvc" marker to its muscle."""
    from ..io import read
    from ..patterns import events_from_markers
    from ..recording import Event

    rec = read(path)
    evs = []
    for e in rec.events:
        if e.label == "mvc" and e.duration == 0 and labels:
            # the marker lands at most one polling block after its plateau start
            t, mus = min(labels, key=lambda x: abs(x[0] - e.onset))
            evs.append(Event(e.onset, 0.0, f"mvc:{mus}"))
        else:
            evs.append(e)
    rec = rec.with_step("label_mvc_markers", {"labels": [m for _, m in labels]}, events=evs)
    return events_from_markers(rec, max_s={"mvc": 3.0})


# ------------------------------------------------------------------------ entry
def record_session(pattern: Any, folder: str | Path, *, board: str = "simulated",
                   montage: Any = None, plan: SessionPlan | None = None,
                   interactive: bool = False, prompt: Callable[[str], Any] | None = None,
                   input_fn: Callable[[str], Any] | None = None,
                   simulation: Mapping[str, Any] | None = None,
                   board_options: Mapping[str, Any] | None = None, overwrite: bool = False,
                   meta: Mapping[str, Any] | None = None) -> SessionRecording:
    """Record a guided assessment session on a board (see the module notes).

    Parameters
    ----------
    pattern : TargetPattern
        The (level-resolved) pattern: which muscles need an MVC, how many trials.
    folder : path
        Where ``mvc.csv`` and ``task.csv`` (and their sidecars) go.
    board : str
        ``"simulated"`` (default) or any board of :func:`emgcontrol.acquire.list_boards`.
    montage : optional
        Channel -> muscle montage (preset name, list, mapping...).
    plan : SessionPlan, optional
        Default :func:`plan_session` of the pattern.
    interactive : bool
        Wait for Enter before each step (real boards).
    prompt : callable, optional
        Receives each prompt line (default: print to stderr).
    input_fn : callable, optional
        Waits for the user (default ``input``).
    simulation : mapping, optional
        Simulated board options (``protocol``, ``variant``, ``seed``, ``snr_db``,
        ``faults``...).
    board_options : mapping, optional
        Connection parameters of a real board (``serial_port``...).
    overwrite : bool
        Replace existing recordings.
    meta : mapping, optional
        Stored in the sidecars (patient, protocol...).

    Returns
    -------
    SessionRecording
    """
    from ..acquire import resolve_board

    name, _ = resolve_board(board)  # an unknown board is refused before any folder exists
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    plan = plan or plan_session(pattern)
    guide = _Guide(prompt, interactive, input_fn)
    t0 = time.monotonic()
    if name == "simulated":
        sim = {"protocol": pattern.id, **dict(simulation or {})}
        from ..simulate import PROTOCOLS

        if sim["protocol"] not in PROTOCOLS:
            raise ValidationError(
                f"the simulated board simulates {', '.join(PROTOCOLS)}; pattern "
                f"{pattern.id!r} is none of them: pass --sim-protocol NAME (the movement "
                "to simulate) or assess a recording with --input FILE")
        out = _record_simulated(plan, folder, montage=montage, sim=sim, guide=guide,
                                overwrite=overwrite, meta=meta or {})
    else:
        if simulation:
            raise ValidationError(
                f"simulation options ({', '.join(sorted(simulation))}) need --board simulated; "
                f"got --board {board}")
        out = _record_real(plan, folder, name, montage=montage,
                           board_options=board_options or {}, guide=guide,
                           overwrite=overwrite, meta=meta or {})
    out.details["wall_s"] = round(time.monotonic() - t0, 2)
    return out
