"""``assess()``: from a recording (or a board) to the report, in one call."""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import EmgcontrolError, ValidationError

__all__ = ["assess", "Assessment", "default_store", "STORE_ENV", "check_assess_args",
           "Interrupted", "OUTPUT_NAMES"]

STORE_ENV = "EMGCONTROL_STORE"
"""Environment variable naming the progress store directory."""


def default_store() -> Path:
    """The progress store: ``$EMGCONTROL_STORE``, else
    ``$XDG_DATA_HOME/emgcontrol/progress`` (``~/.local/share/emgcontrol/progress``)."""
    env = os.environ.get(STORE_ENV)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or os.path.join("~", ".local", "share")
    return Path(base).expanduser() / "emgcontrol" / "progress"


@dataclass
class Assessment:
    """The result of :func:`assess`.

    Attributes
    ----------
    comparison : Comparison
        Verdicts, score and every measure.
    recording : Recording
        The recording assessed (trial windows as events).
    files : dict
        ``html``, ``pdf``, ``json`` report files; ``task``/``mvc`` recordings when
        recorded; ``stored`` the progress-store file (with a patient id).
    level : LevelStatus or None
        The patient's training level after this session.
    compared_level : int or None
        The level whose criteria and targets were used.
    session : dict
        What the report header shows (patient, date, source...).
    mvc : dict
        How the MVC reference was obtained (``{}`` when none).
    report : Report or None
        The report object (figures, reporting items).
    """

    comparison: Any
    recording: Any
    files: dict[str, Path] = field(default_factory=dict)
    level: Any = None
    compared_level: int | None = None
    session: dict[str, Any] = field(default_factory=dict)
    mvc: dict[str, Any] = field(default_factory=dict)
    report: Any = None

    @property
    def score(self) -> float | None:
        """Score of the comparison (0-100, None when nothing was assessable)."""
        return self.comparison.score

    def summary(self) -> str:
        """A short plain-text summary (what the command prints)."""
        from ..report import summarize

        c = self.comparison
        sm = summarize(c)
        tag = {"pass": "PASS", "fail": "FAIL", "not_assessable": "N/A "}
        title = c.pattern.get("title") or c.pattern.get("id")
        lines = [f"{title}" + (f" (level {c.level})" if c.level else "")
                 + (f" -- patient {self.session.get('patient_id')}"
                    if self.session.get("patient_id") else ""),
                 "score: " + sm.headline]
        if sm.trials_note:
            lines.append(sm.trials_note)
        width = max([len(x.id) for x in sm.lines] + [10])
        for x in sm.lines:
            if x.verdict == "not_assessable":
                detail = f"not assessable: {x.short_reason}"
            else:
                detail = f"{x.value} (target {x.target})" + (
                    " -- preliminary" if x.preliminary else "")
            lines.append(f"  {tag[x.verdict]} {x.id:<{width}}  {detail}")
        for g in sm.not_judged:
            lines.append(f"to assess {len(g.criteria)} more: {g.action} ({g.reason})")
        # plain ASCII for any console encoding
        lines = [ln.replace("\u2265", ">=").replace("\u2264", "<=") for ln in lines]
        if self.level is not None and getattr(self.level, "level", None) is not None:
            lines.append(f"training level {self.level.level} ({self.level.name}): "
                         f"{self.level.needed}")
        for k in ("html", "pdf", "json"):
            if k in self.files:
                lines.append(f"{k + ':':<6}{self.files[k]}")
        if "stored" in self.files:
            lines.append(f"stored: {self.files['stored']}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        sc = self.score
        return (f"<Assessment | {self.comparison.pattern.get('id')}: score "
                f"{'n/a' if sc is None else f'{sc:.0f}'}, report "
                f"{self.files.get('html', 'not written')}>")


def _warm_up_imports() -> None:
    """Import what the analysis and the report need (a thread while a board streams:
    imports interleave with the stream loop, which mostly sleeps)."""
    try:
        import io

        import scipy.signal  # noqa: F401
        from matplotlib.backends import backend_agg, backend_pdf  # noqa: F401
        from matplotlib.figure import Figure

        from ..metrics import compute_mvc_reference  # noqa: F401
        from ..onset import detect_onsets  # noqa: F401
        from ..signal import ecg, quality  # noqa: F401

        fig = Figure(figsize=(2, 1))
        fig.add_subplot(1, 1, 1).plot([0, 1], [0, 1], label="x")
        fig.savefig(io.BytesIO(), format="png")
        import pandas  # noqa: F401
    except Exception:  # noqa: BLE001 - a failed warm-up only costs time later
        pass


def _warm_up_chain() -> None:
    """Run the analysis chain once on a short simulated session, so that every numba
    kernel it uses is compiled into the on-disk cache.  Runs in a separate process
    while a board streams: compiling holds the GIL for seconds, which would delay the
    stream loop (and the simulated board's markers) in this process."""
    import warnings

    from ..patterns import compare
    from ..simulate import simulate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rec, _ = simulate("prone-hip-extension", sfreq=250.0, n_trials=1, mvc=True,
                          openbci=True, seed=0)
        compare(rec, "prone-hip-extension")


def _start_warm_up() -> tuple[Any, Any]:
    import subprocess
    import sys
    import threading

    th = threading.Thread(target=_warm_up_imports, name="emgcontrol-warmup", daemon=True)
    th.start()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c",
             "from emgcontrol.assess._run import _warm_up_chain; _warm_up_chain()"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:  # pragma: no cover - the analysis compiles later instead
        proc = None
    return th, proc


def _finish_warm_up(th: Any, proc: Any, timeout: float = 60.0, kill: bool = False) -> None:
    if proc is not None:
        try:
            if kill:
                proc.kill()
            proc.wait(timeout=timeout)
        except Exception:  # noqa: BLE001 - never let the warm-up block the assessment
            proc.kill()
            proc.wait()
    th.join(timeout=timeout)


def _needs_mvc(pattern: Any) -> bool:
    from ..patterns.kinds import REGISTRY

    return any(REGISTRY[c.kind].needs & {"amounts", "cocontraction"}
               for c in pattern.criteria)


def _session_date(value: Any, rec: Any) -> _dt.datetime:
    if value is not None:
        if isinstance(value, _dt.datetime):
            d = value
        elif isinstance(value, _dt.date):
            d = _dt.datetime(value.year, value.month, value.day)
        else:
            try:
                d = _dt.datetime.fromisoformat(str(value))
            except ValueError:
                raise ValidationError(
                    f"--session-date must be an ISO date or date-time (2026-03-01 or "
                    f"2026-03-01T10:30); got {value!r}") from None
    else:
        d = None
        md = (rec.meta or {}).get("meas_date") if rec is not None else None
        if md:
            try:
                d = _dt.datetime.fromisoformat(str(md).replace("Z", "+00:00"))
            except ValueError:
                d = None
        if d is None:
            d = _dt.datetime.now()
    if d.tzinfo is not None:
        d = d.astimezone().replace(tzinfo=None)
    return d.replace(microsecond=0)


OUTPUT_NAMES = ("results.json", "report.html", "report.pdf", "recordings")
"""What an assessment writes into its output directory."""


def _check_out(out: Path, overwrite: bool) -> None:
    """Refuse an output directory that is a file, holds an assessment (without
    ``overwrite``) or holds anything else (always: an assessment never writes among
    other files)."""
    if out.exists() and not out.is_dir():
        raise ValidationError(f"--out {out}: exists and is not a directory")
    if not out.is_dir():
        return
    entries = sorted(p.name for p in out.iterdir())
    ours = [n for n in entries if n in OUTPUT_NAMES]
    other = [n for n in entries if n not in OUTPUT_NAMES and not _is_partial(n)]
    if other:
        shown = ", ".join(other[:5]) + (f" and {len(other) - 5} more" if len(other) > 5
                                        else "")
        raise ValidationError(
            f"--out {out} holds other files ({shown}); an assessment writes into a new or "
            "empty directory (or one holding an earlier assessment, with --overwrite): "
            "choose another directory")
    if ours and not overwrite:
        raise ValidationError(
            f"--out {out} already holds an assessment ({', '.join(ours)}); choose "
            "another directory or pass --overwrite")


def _is_partial(name: str) -> bool:
    """A temporary file of an interrupted write (``.report.pdf.partial``)."""
    return name.startswith(".") and name.endswith(".partial")


def check_assess_args(protocol: Any, *, input: Any = None,  # noqa: A002 - the CLI's name
                      board: str = "simulated", out: Any = "assessment",
                      overwrite: bool = False, options: Mapping[str, Any] | None = None
                      ) -> Any:
    """Every refusal of :func:`assess` that needs no data: unknown protocol, unknown
    board, an output directory that is taken.  Runs before anything is recorded or
    created; returns the pattern."""
    from ..patterns import get_pattern

    pattern = get_pattern(protocol, options=dict(options) if options else None)
    if input is None:
        from ..acquire import resolve_board

        resolve_board(board)
    elif not Path(input).exists():
        raise ValidationError(f"--input {input}: no such file")
    if out is not None:
        _check_out(Path(out), overwrite)
    return pattern


class Interrupted(KeyboardInterrupt):
    """An assessment stopped by Ctrl+C: ``kept`` lists the complete files it left
    (recordings, report files); nothing incomplete is left under a final name."""

    def __init__(self, kept: Mapping[str, Path]) -> None:
        super().__init__("interrupted")
        self.kept = dict(kept)


def assess(
    protocol: str | os.PathLike[str],
    *,
    input: str | os.PathLike[str] | None = None,  # noqa: A002 - the CLI's name
    board: str = "simulated",
    montage: Any = None,
    mvc: str | os.PathLike[str] | Any = None,
    patient: str | None = None,
    store: str | os.PathLike[str] | None = None,
    level: int | str = "auto",
    session_date: Any = None,
    out: str | os.PathLike[str] | None = "assessment",
    overwrite: bool = False,
    interactive: bool = False,
    n_trials: int | None = None,
    trial_seconds: float | None = None,
    mvc_seconds: float | None = None,
    rest_seconds: float | None = None,
    simulation: Mapping[str, Any] | None = None,
    board_options: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
    info: Mapping[str, Any] | None = None,
    read_options: Mapping[str, Any] | None = None,
    pdf: bool = True,
    prompt: Callable[[str], Any] | None = None,
    input_fn: Callable[[str], Any] | None = None,
) -> Assessment:
    """Assess a recording (or record one now) against a protocol and write the report.

    Parameters
    ----------
    protocol : str or path
        Built-in protocol (``prone-hip-extension``, ``flexion-relaxation``,
        ``arm-raise``, ``sorensen``, ``lift``), a pattern id on the search path
        or a ``.toml`` pattern file.
    input : path, optional
        An existing recording (any format :func:`emgcontrol.read` reads).  Its
        ``"trial"`` / ``"mvc"`` markers become windows
        (:func:`events_from_markers`).  Without it, ``board`` records a guided
        session (:func:`record_session`).
    board : str
        Board to record from when there is no ``input`` (default ``"simulated"``).
    montage : optional
        Channel -> muscle montage (preset name, muscle list, ``"CH=muscle,..."``).
    read_options : mapping, optional
        Keywords of :func:`emgcontrol.read` for the ``input`` and ``mvc`` files
        (``sfreq``, ``units``, ``key``, ``ch_types``, ``markers={1: "trial", 2:
        "mvc"}``, ``allow_truncated``...).
    mvc : path or Recording, optional
        An MVC recording (its ``"mvc"`` markers/events mark the contractions;
        without them the whole file is the reference).  Default: the guided
        capture, or the input's own ``"mvc"`` events.
    patient : str, optional
        Pseudonymous patient id: the session is stored in the progress store,
        compared at the patient's training level, and the report shows progress.
    store : path, optional
        Progress store directory (default :func:`default_store`).
    level : "auto", "full" or int
        Criteria and targets to use: ``"auto"`` (the patient's current level when
        ``patient`` is given and the protocol has levels, else the full pattern),
        ``"full"``, or a level number.
    session_date : datetime, date or ISO str, optional
        When the session took place (default: the recording's start, else now).
    out : path or None
        Output directory (``report.html``, ``report.pdf``, ``results.json`` and
        ``recordings/``); None writes nothing.
    overwrite : bool
        Allow writing into a directory that already holds an assessment.
    interactive : bool
        Wait for Enter before each step of a guided session on a real board.
    n_trials, trial_seconds, mvc_seconds, rest_seconds :
        Guided session (:func:`plan_session`).
    simulation : mapping, optional
        Simulated board options (``variant``, ``seed``, ``snr_db``, ``faults``,
        ``protocol``).
    board_options : mapping, optional
        Connection parameters of a real board.
    options : mapping, optional
        Pattern options (``{"side": "left"}``...).
    info : mapping, optional
        Reporting items the recording cannot know (electrode type...; see
        :data:`emgcontrol.report.INFO_KEYS`).
    pdf : bool
        Also write ``report.pdf`` (default True).
    prompt, input_fn : callable, optional
        Where prompts go / how to wait for the user (guided sessions).

    Returns
    -------
    Assessment

    Raises
    ------
    EmgcontrolError
        When the assessment cannot run (unknown protocol, unreadable file, board
        not reachable, output directory taken...), with the reason.
    """
    files: dict[str, Path] = {}
    try:
        return _assess(protocol, files, input=input, board=board, montage=montage, mvc=mvc,
                       patient=patient, store=store, level=level, session_date=session_date,
                       out=out, overwrite=overwrite, interactive=interactive,
                       n_trials=n_trials, trial_seconds=trial_seconds,
                       mvc_seconds=mvc_seconds, rest_seconds=rest_seconds,
                       simulation=simulation, board_options=board_options, options=options,
                       info=info, pdf=pdf, prompt=prompt, input_fn=input_fn,
                       read_options=dict(read_options or {}))
    except Interrupted:
        raise
    except KeyboardInterrupt:
        kept: dict[str, Path] = {}
        for k, v in files.items():
            v = Path(v)
            if v.is_file():
                kept[k] = v
            elif v.is_dir():
                kept.update((f"recording {f.name}", f) for f in sorted(v.iterdir())
                            if f.is_file() and not _is_partial(f.name))
        raise Interrupted(kept) from None


def _assess(protocol: Any, files: dict[str, Path], *, input: Any, board: str,  # noqa: A002
            montage: Any, mvc: Any, patient: str | None, store: Any, level: Any,
            session_date: Any, out: Any, overwrite: bool, interactive: bool,
            n_trials: int | None, trial_seconds: float | None, mvc_seconds: float | None,
            rest_seconds: float | None, simulation: Mapping[str, Any] | None,
            board_options: Mapping[str, Any] | None, options: Mapping[str, Any] | None,
            info: Mapping[str, Any] | None, pdf: bool, prompt: Any, input_fn: Any,
            read_options: Mapping[str, Any]
            ) -> Assessment:
    from ..patterns import ProgressStore, compare
    from ..report import Report

    if input is not None and (simulation or board_options):
        raise ValidationError("--input reads a recording: board and simulation options "
                              "(--board, --variant, --seed, --snr, --fault...) do not apply")
    base = check_assess_args(protocol, input=input, board=board, out=out,
                             overwrite=overwrite, options=options)
    out_dir = Path(out) if out is not None else None
    ps = None
    status = None
    lvl: int | None = None
    if patient is not None:
        ps = ProgressStore(Path(store) if store is not None else default_store())
        status = ps.level(patient, base.id, pattern=base)
    if level == "auto":
        lvl = status.level if status is not None else None
    elif level == "full" or level is None:
        lvl = None
    else:
        try:
            lvl = int(level)
        except (TypeError, ValueError):
            raise ValidationError(f"level must be 'auto', 'full' or a level number; got "
                                  f"{level!r}") from None
        base.get_level(lvl)
    pattern = base.for_level(lvl) if lvl is not None else base

    mvc_info: dict[str, Any] = {}
    mvc_rec = None
    session: dict[str, Any] = {"patient_id": patient, "protocol": base.id}
    if input is not None:
        from ..io import read
        from ..patterns import MVC_MARKER_S, events_from_markers

        rec = read(input, **read_options)
        if montage is not None:
            from ..montage import as_montage

            rec = rec.set_montage(as_montage(montage))
        # an "mvc" marker without "mvc_end" lasts MVC_MARKER_S, not up to the task
        rec = events_from_markers(rec, max_s={"mvc": MVC_MARKER_S})
        session["source"] = f"file {input}"
        session["recordings"] = {"task": str(input)}
    else:
        from ._session import plan_session, record_session

        plan = plan_session(pattern, n_trials=n_trials, trial_seconds=trial_seconds,
                            mvc=_needs_mvc(pattern) and mvc is None, mvc_seconds=mvc_seconds,
                            rest_seconds=rest_seconds)
        if out_dir is not None:
            folder = out_dir / "recordings"
        else:
            import tempfile

            folder = Path(tempfile.mkdtemp(prefix="emgcontrol-session-"))
        warm = _start_warm_up()
        files["recordings"] = folder
        try:
            sr = record_session(pattern, folder, board=board, montage=montage, plan=plan,
                                interactive=interactive, prompt=prompt, input_fn=input_fn,
                                simulation=simulation, board_options=board_options,
                                overwrite=overwrite,
                                meta={"protocol": base.id, "patient_id": patient})
        except BaseException:
            _finish_warm_up(*warm, kill=True)
            raise
        rec = sr.task
        mvc_rec = sr.mvc
        files.pop("recordings", None)
        files["task"] = sr.task_path
        session["source"] = sr.source
        session["board"] = sr.board
        session["plan"] = plan.to_dict()
        session["recordings"] = {"task": str(sr.task_path)}
        if sr.mvc_path is not None:
            files["mvc"] = sr.mvc_path
            session["recordings"]["mvc"] = str(sr.mvc_path)
            mvc_info["source"] = (f"guided MVC capture on the {sr.board} board "
                                  f"({', '.join(m.replace('_', ' ') for m in plan.mvc_muscles)})")
            mvc_info["file"] = str(sr.mvc_path)
        session["acquisition"] = sr.details
        _finish_warm_up(*warm)

    ref = None
    if mvc is not None:
        from ..recording import Recording

        if isinstance(mvc, Recording):
            mvc_rec = mvc
            mvc_info["source"] = "MVC recording given"
        else:
            from ..io import read
            from ..patterns import MVC_MARKER_S, events_from_markers

            mvc_rec = events_from_markers(read(mvc, **read_options),
                                          max_s={"mvc": MVC_MARKER_S})
            mvc_info["source"] = f"MVC file {mvc}"
            mvc_info["file"] = str(mvc)
            session.setdefault("recordings", {})["mvc"] = str(mvc)
        if montage is not None and not any(m is not None for m in mvc_rec.muscles):
            from ..montage import as_montage

            mvc_rec = mvc_rec.set_montage(as_montage(montage))
    elif mvc_rec is None and any((e.label == "mvc" or e.label.startswith("mvc:"))
                                 and e.duration > 0 for e in rec.events):
        mvc_rec = rec
        mvc_info["source"] = "the recording's own 'mvc' contractions"
    if mvc_rec is not None:
        from ..patterns import mvc_reference

        ref, details = mvc_reference(mvc_rec, source=mvc_info.get("source"))
        mvc_info.update(details)
        if not details["channels"]:
            raise ValidationError(
                "the MVC recording holds no usable contraction: "
                + "; ".join(f"{k}: {v}" for k, v in details["rejected"].items())[:600])

    comparison = compare(rec, pattern, mvc=ref)
    date = _session_date(session_date, rec if input is not None else None)
    session["session_date"] = date.isoformat(sep=" ")
    history = None
    level_after = status
    if ps is not None and patient is not None:
        files["stored"] = ps.add(patient, comparison, session_date=date,
                                 note=session.get("source"))
        history = ps.history(patient, base.id)
        level_after = ps.level(patient, base.id, pattern=base)
    session["compared_level"] = lvl
    report = Report(comparison, rec, session=session, history=history,
                    level=level_after, info=info, mvc=mvc_info)
    if out_dir is not None:
        try:
            written = report.save(out_dir, pdf_name="report.pdf" if pdf else None)
        except EmgcontrolError:
            raise
        except Exception as err:  # a bug must not hide where the recordings are
            kept = ""
            if "task" in files:
                paths = ", ".join(str(files[k]) for k in ("task", "mvc") if k in files)
                kept = (f"; the recordings are kept ({paths}): assess them again with "
                        "--input (and --mvc)")
            raise EmgcontrolError(f"the report could not be written ({type(err).__name__}: "
                                  f"{err}){kept}") from err
        files.update(written)
    return Assessment(comparison=comparison, recording=rec, files=files, level=level_after,
                      compared_level=lvl, session=session, mvc=mvc_info, report=report)

