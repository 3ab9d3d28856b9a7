"""The assessment report: self-contained HTML, PDF and the JSON results file."""

from __future__ import annotations

import base64
import datetime as _dt
import io
import json
import math
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ValidationError
from .._util import jsonable
from ._figures import (TraceSignals, amount_rows, plot_amounts, plot_criteria, plot_progress,
                       plot_timing, plot_traces, timing_rows, trace_signals)
from ._items import NOT_RECORDED, reporting_items
from ._style import VERDICT_TEXT, fmt_num, fmt_value, muscle_label
from ._summary import Summary, references, summarize

__all__ = ["Report", "make_report", "RESULTS_FORMAT", "RESULTS_VERSION"]

RESULTS_FORMAT = "emgcontrol-assessment"
"""``results.json["assessment"]["format"]``; the top level stays a comparison
(:meth:`emgcontrol.patterns.Comparison.from_dict` reads it)."""

RESULTS_VERSION = 1

RATIO_KINDS = ("ratio", "cocontraction", "flexion_relaxation", "mdf_slope")

_CSS = """
:root{--pass:#2e7d32;--fail:#c62828;--na:#616161;--ink:#1b1f23;--muted:#57606a;
--line:#d0d7de;--soft:#f6f8fa}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:#fff}
main{max-width:1000px;margin:0 auto;padding:16px}
h1{font-size:1.6rem;line-height:1.25;margin:.2em 0 .1em}
h2{font-size:1.25rem;border-bottom:2px solid var(--line);padding-bottom:.2em;margin:2em 0 .6em}
h3{font-size:1.05rem;margin:1.4em 0 .4em}
p.sub{color:var(--muted);margin:0 0 1em}
.cards{display:flex;flex-wrap:wrap;gap:8px;margin:1em 0}
.card{flex:1 1 120px;border:1px solid var(--line);border-radius:8px;padding:8px 12px;
background:var(--soft)}
.card .num{font-size:1.6rem;font-weight:700;line-height:1.2}
.card .lbl{font-size:.85rem;color:var(--muted)}
.card.pass .num{color:var(--pass)}.card.fail .num{color:var(--fail)}
.card.not_assessable .num{color:var(--na)}.card.score{flex:1.4 1 160px}
nav.toc ul{columns:2;padding-left:1.2em;margin:.3em 0}
.table-wrap{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:.6em 0}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{border:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
th{background:var(--soft)}
td.num{text-align:right;white-space:nowrap}
td.val{text-align:right;min-width:5.5em}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:700;
font-size:.85em;color:#fff;white-space:nowrap}
.badge.pass,.badge.good{background:var(--pass)}.badge.fail,.badge.bad{background:var(--fail)}
.badge.not_assessable,.badge.na{background:var(--na)}.badge.warn{background:#ef6c00}
.small{font-size:.85rem;color:var(--muted)}
.cid{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.8em;
color:var(--muted);word-break:normal;overflow-wrap:normal;hyphens:manual}
.headline{font-size:1.1rem;font-weight:600;margin:.4em 0}
.notjudged{border-left:4px solid var(--na);background:var(--soft);padding:6px 12px;margin:.6em 0}
.notjudged ul{margin:.3em 0;padding-left:1.2em}
.badge.prelim{background:#ef6c00;margin-top:2px}
details summary{cursor:pointer}
figure{margin:1.2em 0}
figure img{display:block;width:100%;height:auto;border:1px solid var(--line);border-radius:4px}
figcaption{font-size:.9rem;color:var(--muted);margin-top:.3em}
.note{background:#fff8e1;border-left:4px solid #f9a825;padding:6px 10px;margin:.4em 0}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:3px 14px;margin:.5em 0}
dl.kv dt{font-weight:600;color:var(--muted)}dl.kv dd{margin:0}
footer{margin:3em 0 1em;color:var(--muted);font-size:.85rem}
ol.refs li{margin:.3em 0;font-size:.9rem}
@media (max-width:640px){
body{font-size:15px}main{padding:10px}h1{font-size:1.35rem}
nav.toc ul{columns:1}dl.kv{grid-template-columns:1fr}dl.kv dd{margin:0 0 6px}
table.stack thead{display:none}table.stack,table.stack tbody{display:block}
table.stack tr{display:block;border:1px solid var(--line);border-radius:6px;margin:0 0 10px;
padding:4px 0}
table.stack td{display:block;border:0;padding:3px 10px;text-align:left}
table.stack td[data-label]::before{content:attr(data-label) ": ";font-weight:600;
color:var(--muted)}
}
@media print{
@page{size:A4;margin:14mm}
body{font-size:10pt}main{max-width:none;padding:0}nav.toc{display:none}
h2{break-after:avoid;page-break-after:avoid}
figure,tr,.card,dl.kv{break-inside:avoid;page-break-inside:avoid}
figure img{border:0}
.badge{color:#000!important;background:none!important;border:1px solid #000}
.table-wrap{overflow:visible}
a{color:inherit;text-decoration:none}
}
"""


_SECTIONS = [("criteria", "Results by criterion"), ("quality", "Signal quality"),
             ("traces", "Muscle traces"), ("timing", "Timing"), ("amounts", "Amounts"),
             ("ratios", "Ratios and co-contraction"), ("progress", "Progress"),
             ("methods", "Processing and reporting items"), ("references", "References")]

_QUALITY_INTRO = ("Checks per channel before the analysis. A channel is not usable when "
                  "a defect that no processing repairs is found (signal flat, at the "
                  "amplifier's limit, clipped, jumping, or without muscle activity); "
                  "mains interference and heartbeat are removed by the processing.")

_ITEMS_INTRO = ("Processing chain and acquisition details for the technician, following the "
                "ISEK standards for reporting EMG data (Merletti 1999) and the CEDE "
                "checklists (Besomi et al. 2019, 2020). Items the recording does not hold "
                f"read \u201c{NOT_RECORDED}\u201d.")


def _firing_order_text(fo: Mapping[str, Any]) -> str:
    share = fmt_num(100 * (fo.get("modal_share") or 0), 3)
    order = " \u2192 ".join(" = ".join(map(str, x)) if isinstance(x, (list, tuple))
                            else str(x) for x in fo.get("modal_order") or [])
    return (f"Most frequent firing order ({share} % of complete repetitions): {order}; "
            f"agreement between repetitions (Kendall W): {fmt_num(fo.get('kendall_w'), 2)}.")


def _quality_remark(ch: Mapping[str, Any]) -> str:
    """A channel's quality in a few words a clinician can act on."""
    from ._summary import _CHECK_WORDS

    if not ch.get("usable", True):
        why = str(ch.get("reason") or "not usable")
        check = why.split(":", 1)[0].strip()
        words = next((w for k, w in _CHECK_WORDS.items() if check.startswith(k)), check)
        return f"not usable: {words}"
    parts = []
    for part in str(ch.get("quality_reason") or "").split("; "):
        head = part.split(":", 1)[0].strip()
        if not head or head == "all checks passed":
            continue
        if head.startswith("mains (corrected)"):
            parts.append("mains interference, removed by the notch filter")
        elif head.startswith("ecg"):
            parts.append("heartbeat in the signal, removed")
        elif head.startswith("snr"):
            parts.append("weak muscle signal against the baseline noise")
        elif head.startswith("mains"):
            parts.append("mains interference")
        else:
            parts.append(part if len(part) <= 90 else part[:87] + "...")
    return "; ".join(dict.fromkeys(parts)) or "no defect found"


def _db(v: Any) -> str:
    """A level in dB to 0.1 dB (``"0"``, not ``"3.86e-15"``)."""
    if v is None:
        return "-"
    try:
        return fmt_num(round(float(v), 1), 3)
    except (TypeError, ValueError):
        return str(v)


def _trial_source(src: str) -> str:
    """How the repetitions were found, in words (``"events labelled 'trial'"`` ->
    ``"from the trial markers"``)."""
    s = str(src)
    if "trial" in s and ("event" in s or "marker" in s):
        return "from the trial markers"
    if "whole recording" in s:
        return "no trial markers: the whole recording as one repetition"
    return s


@dataclass
class _Fig:
    id: str
    section: str
    title: str
    caption: str
    alt: str
    make: Callable[[], Any]
    png: bytes | None = None


class Report:
    """An assessment report: figures, tables, reporting items; HTML, PDF and JSON.

    Parameters
    ----------
    comparison : Comparison
        Result of :func:`emgcontrol.patterns.compare`.
    recording : Recording, optional
        The recording compared (traces, metadata, reporting items).
    session : mapping, optional
        Session description shown in the header and stored in the JSON
        (``patient_id``, ``session_date``, ``source``, ``board``, ``files``...).
    history : DataFrame or list, optional
        Earlier sessions for the progress charts
        (:meth:`~emgcontrol.patterns.ProgressStore.history`, this session included).
    level : LevelStatus or mapping, optional
        The patient's training level.
    info : mapping, optional
        User-supplied reporting items (:data:`emgcontrol.report.INFO_KEYS`).
    mvc : mapping, optional
        How the MVC reference was obtained (for the methods section).
    title : str, optional
        Report title (default: the protocol's title).
    max_trial_figures : int
        Trials drawn in detail (default 3).
    dpi : int
        Resolution of the figures (default 110).

    Examples
    --------
    >>> rep = Report(comparison, recording)                 # doctest: +SKIP
    >>> rep.save("assessment")                              # doctest: +SKIP
    {'html': ..., 'pdf': ..., 'json': ...}
    """

    def __init__(self, comparison: Any, recording: Any = None, *,
                 session: Mapping[str, Any] | None = None, history: Any = None,
                 level: Any = None, info: Mapping[str, Any] | None = None,
                 mvc: Mapping[str, Any] | None = None, title: str | None = None,
                 max_trial_figures: int = 3, dpi: int = 110) -> None:
        from ..patterns import Comparison
        from ..recording import Recording

        if isinstance(comparison, Mapping):
            comparison = Comparison.from_dict(comparison)
        if not isinstance(comparison, Comparison):
            raise ValidationError("comparison must be an emgcontrol.patterns.Comparison; got "
                                  f"{type(comparison).__name__}")
        if recording is not None and not isinstance(recording, Recording):
            raise ValidationError(f"recording must be a Recording; got "
                                  f"{type(recording).__name__}")
        if not isinstance(max_trial_figures, int) or max_trial_figures < 0:
            raise ValidationError(f"max_trial_figures must be an integer >= 0; got "
                                  f"{max_trial_figures!r}")
        self.comparison = comparison
        self.recording = recording
        self.session = dict(session or {})
        self.history = history
        self.level = level.to_dict() if hasattr(level, "to_dict") else (
            dict(level) if level else None)
        self.info = dict(info or {})
        self.mvc = dict(mvc or {})
        self.title = title or str(comparison.pattern.get("title") or comparison.pattern.get("id"))
        self.max_trial_figures = max_trial_figures
        self.dpi = int(dpi)
        self.created = _dt.datetime.now().isoformat(sep=" ", timespec="seconds")
        self._signals: TraceSignals | None = None
        self._figs: list[_Fig] | None = None

    # ------------------------------------------------------------- content
    @property
    def signals(self) -> TraceSignals | None:
        """Filtered signals and envelopes of the traces (None without a recording)."""
        if self._signals is None and self.recording is not None:
            self._signals = trace_signals(self.recording, self.comparison)
        return self._signals

    def reporting_items(self) -> list[dict[str, str]]:
        """ISEK/CEDE items (:func:`emgcontrol.report.reporting_items`)."""
        sig = self.signals
        return reporting_items(self.comparison, self.recording, info=self.info, mvc=self.mvc,
                               signals=sig.params if sig is not None else None)

    def _history_frame(self) -> Any:
        if self.history is None:
            return None
        from ._figures import _history_frame

        df = _history_frame(self.history)
        return None if df.empty else df

    def figure_specs(self) -> list[_Fig]:
        """The figures of the report (built lazily)."""
        if self._figs is not None:
            return self._figs
        c = self.comparison
        m = c.measures
        figs: list[_Fig] = []
        sig = self.signals
        if sig is not None:
            figs.append(_Fig(
                "fig-traces", "traces", "Whole session", self._traces_caption(),
                "Filtered EMG and envelopes of every muscle over the whole session",
                lambda: plot_traces(sig, c, show=("filtered", "envelope"))))
            trials = [t for t in m.get("trials") or [] if t.get("start_s") is not None]
            for t in trials[: self.max_trial_figures]:
                k = t["trial"]
                mo = t.get("movement_onset_s")
                when = (f"1 s before to 2.5 s after the movement onset ({mo:.2f} s)"
                        if mo is not None else "the whole trial (movement onset unknown)")
                figs.append(_Fig(
                    f"fig-trial-{k + 1}", "traces", f"Trial {k + 1}",
                    f"Raw (grey, offset removed; scaled down where the panel says so), filtered (blue) and envelope (black) of "
                    f"trial {k + 1}, {when}.",
                    f"Raw, filtered and envelope traces of trial {k + 1}",
                    lambda k=k: plot_traces(sig, c, trial=k)))
        tr = timing_rows(c)
        if any(t["onset_ms"] is not None for r in tr["rows"] for t in r["trials"]):
            figs.append(_Fig(
                "fig-timing", "timing", "Timing diagram",
                "Each muscle's activation in every trial (bars from onset to offset) relative "
                f"to the {tr['anchor']}, in the target order (numbers). Black ticks: median "
                "onsets; green bands: target windows of the latency criteria; grey: the "
                "window in which onsets were searched.",
                "Timing diagram of the muscle activations against the target windows",
                lambda: plot_timing(c)))
        combos = list(dict.fromkeys((a["phase"], a["measure"]) for a in m.get("amounts") or []))
        for ph, ms in combos:
            ar = amount_rows(c, phase=ph, measure=ms)
            if not any(r["median"] is not None for r in ar["rows"]):
                continue
            figs.append(_Fig(
                f"fig-amounts-{ph}-{ms}", "amounts", f"Amplitudes, phase '{ph}'",
                f"{ms.upper()} amplitude of each muscle in phase '{ph}' ({ar['unit']}): bar = "
                "median over trials, dots = trials; green bands: targets of the amount "
                "criteria.",
                f"Bar chart of muscle amplitudes in phase {ph} against target bands",
                lambda ph=ph, ms=ms: plot_amounts(c, phase=ph, measure=ms)))
        ratio_ids = [x.id for x in c.criteria if x.kind in RATIO_KINDS]
        if ratio_ids:
            figs.append(_Fig(
                "fig-ratios", "ratios", "Ratios, co-contraction and related criteria",
                "Per-trial values (circle: passes, cross: fails) and the session value "
                "(diamond, median over trials) against the target band (green).",
                "Ratio and co-contraction criteria against their targets",
                lambda: plot_criteria(c, ids=ratio_ids)))
        shown = [x.id for x in c.criteria if any(
            t.get("value") is not None for t in x.trials)]
        if shown:
            n_na = len(c.criteria) - len(shown)
            figs.append(_Fig(
                "fig-criteria", "criteria", "Criteria repetition by repetition",
                "Values of each repetition (circle: within the target, cross: outside it) "
                "and the session value (diamond, median over the repetitions) against each "
                "criterion's target band (green)."
                + (f" Not drawn: {n_na} criteri{'on' if n_na == 1 else 'a'} with nothing "
                   "measured." if n_na else ""),
                "Per-repetition values of each measured criterion against its target band",
                lambda: plot_criteria(c, ids=shown)))
        hist = self._history_frame()
        if hist is not None and hist["session"].nunique() >= 2:
            figs.append(_Fig(
                "fig-progress", "progress", "Progress across sessions",
                "Score and each criterion's session value per session (green: target; "
                "circle: pass, cross: fail, square: not assessable).",
                "Progress charts across sessions",
                lambda: plot_progress(hist)))
        self._figs = figs
        return figs

    def _traces_caption(self) -> str:
        """Caption of the whole-session figure: says only what the figure draws."""
        m = self.comparison.measures
        wins = [t for t in m.get("trials") or []
                if t.get("start_s") is not None and t.get("stop_s") is not None]
        whole = "whole recording" in str((self.comparison.processing.get("trials") or {})
                                         .get("source") or "")
        n_on = sum(1 for o in m.get("onsets") or [] if o.get("status") == "ok")
        n_off = sum(1 for o in m.get("onsets") or [] if o.get("status") == "ok"
                    and o.get("offset_s") is not None)
        n_mo = sum(1 for t in m.get("trials") or [] if t.get("movement_onset_s") is not None)
        acts = ((m.get("tables") or {}).get("activations") or {}).get("activations") or []
        parts = ["Band-pass filtered EMG (blue) and its moving-RMS envelope (black) of each "
                 "muscle of the protocol."]
        if wins and not whole:
            parts.append(f"Shaded: the {len(wins)} repetition window"
                         f"{'s' if len(wins) != 1 else ''}.")
        elif whole:
            parts.append("No trial markers: the whole recording is one repetition (not "
                         "shaded).")
        if n_on:
            parts.append(f"Green lines: the {n_on} onsets the criteria use.")
        if n_off:
            parts.append("Dashed red: their offsets.")
        if n_mo:
            parts.append(f"Dotted black: {n_mo} movement onset{'s' if n_mo != 1 else ''}.")
        if acts:
            parts.append("Green bars: every activation the detector found.")
        return " ".join(parts)

    def _render(self) -> list[_Fig]:
        """Render every figure to PNG (once)."""
        figs = self.figure_specs()
        for f in figs:
            if f.png is None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fig = f.make()
                    f.png = _png(fig, self.dpi)
                fig.clear()
        return figs

    # ------------------------------------------------------------------ json
    def to_dict(self, files: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The results file: the comparison (every measure, every criterion) plus the
        session, level, MVC source, reporting items and output files.

        The top level is :meth:`Comparison.to_dict` (``criteria``: one object per
        criterion with ``id, verdict, measured, target, unit, reason, sentence``,
        per-trial values...), so :meth:`Comparison.from_dict` reads it back.
        """
        from .._version import __version__

        d = self.comparison.to_dict()
        counts = {v: sum(1 for c in self.comparison.criteria if c.verdict == v)
                  for v in ("pass", "fail", "not_assessable")}
        d["summary"] = {"title": self.title, "score": self.comparison.score,
                        "counts": counts}
        hist = self._history_frame()
        d["assessment"] = jsonable({
            "format": RESULTS_FORMAT, "version": RESULTS_VERSION, "created": self.created,
            "emgcontrol_version": __version__, "session": self.session,
            "level": self.level, "mvc": self.mvc, "info": self.info,
            "files": dict(files or {}),
            "progress": None if hist is None else {
                "n_sessions": int(hist["session"].nunique()),
                "scores": [None if s is None or (isinstance(s, float) and math.isnan(s))
                           else float(s) for s in hist.drop_duplicates("session")["score"]]}})
        d["reporting_items"] = self.reporting_items()
        return jsonable(d)

    def save_json(self, path: str | os.PathLike[str],
                  files: Mapping[str, Any] | None = None) -> Path:
        """Write :meth:`to_dict` as JSON (strict: no NaN)."""
        p = Path(path)
        text = json.dumps(self.to_dict(files), indent=1, allow_nan=False) + "\n"
        _write_atomic(p, lambda t: t.write_text(text, encoding="utf-8"))
        return p

    # ------------------------------------------------------------------ html
    def to_html(self) -> str:
        """The self-contained HTML report (figures as base64 PNG, CSS inline)."""
        figs = self._render()
        return self._html(figs)

    def save_html(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_html`."""
        p = Path(path)
        text = self.to_html()
        _write_atomic(p, lambda t: t.write_text(text, encoding="utf-8"))
        return p

    def _pdf_meta(self) -> dict[str, str]:
        return {"Title": f"{self.title} -- emgcontrol assessment", "Creator": "emgcontrol",
                "Subject": "surface-EMG muscle-recruitment assessment"}

    def save_pdf(self, path: str | os.PathLike[str]) -> Path:
        """Write the PDF report: A4 pages laid out for paper from :meth:`pdf_blocks`
        (matplotlib's PDF backend, no system library needed)."""
        from ._pdf import write_pdf

        p = Path(path)
        blocks = self.pdf_blocks()
        _write_atomic(p, lambda t: write_pdf(t, blocks, self._pdf_meta()))
        return p

    def save(self, out_dir: str | os.PathLike[str], *, html_name: str = "report.html",
             pdf_name: str | None = "report.pdf", json_name: str = "results.json"
             ) -> dict[str, Path]:
        """Write the HTML report, the PDF and the JSON results into a directory.

        Each file is written under a temporary name (``.report.pdf.partial``) and
        renamed only when all of them are complete, the results last: an interrupted
        or failed save leaves no file under a final name that is not finished, and no
        temporary file.

        Returns
        -------
        dict
            ``{"html": path, "pdf": path, "json": path}`` (no ``"pdf"`` when
            ``pdf_name`` is None).
        """
        d = Path(out_dir)
        d.mkdir(parents=True, exist_ok=True)
        final: dict[str, Path] = {}
        if pdf_name:
            final["pdf"] = d / pdf_name
        final["html"] = d / html_name
        final["json"] = d / json_name
        tmp = {k: v.with_name(f".{v.name}.partial") for k, v in final.items()}
        files = {k: v.name for k, v in final.items()}
        self.session.setdefault("files", {}).update(files)
        try:
            if "pdf" in tmp:
                from ._pdf import write_pdf

                write_pdf(tmp["pdf"], self.pdf_blocks(), self._pdf_meta())
            tmp["html"].write_text(self._html(self._render()), encoding="utf-8")
            tmp["json"].write_text(json.dumps(self.to_dict(files), indent=1,
                                              allow_nan=False) + "\n", encoding="utf-8")
            for k in ("pdf", "html", "json"):
                if k in tmp:
                    os.replace(tmp[k], final[k])
        finally:
            for t in tmp.values():
                try:
                    t.unlink()
                except FileNotFoundError:
                    pass
        return {k: final[k] for k in ("html", "pdf", "json") if k in final}

    # -------------------------------------------------------------- pieces
    def _counts(self) -> dict[str, int]:
        return {v: sum(1 for c in self.comparison.criteria if c.verdict == v)
                for v in ("pass", "fail", "not_assessable")}

    def _session_rows(self) -> list[tuple[str, str]]:
        c = self.comparison
        s = self.session
        rec = self.recording
        rows: list[tuple[str, str]] = []
        rows.append(("Patient", s.get("patient_id") or "not given"))
        rows.append(("Session date", str(s.get("session_date") or c.created)))
        pat = c.pattern
        rows.append(("Protocol", str(pat.get("title") or pat.get("id"))))
        opts = pat.get("options") or {}
        if opts.get("side"):
            rows.append(("Side", str(opts["side"])))
        lvl = self.level
        if lvl and lvl.get("level") is not None:
            rows.append(("Training level", f"{lvl['level']} of {lvl.get('n_levels')}: "
                                           f"{lvl.get('name', '')} (criteria and targets of "
                                           f"this level)" if pat.get("level") else
                                           f"{lvl['level']}: {lvl.get('name', '')}"))
        elif pat.get("level"):
            rows.append(("Training level", str(pat["level"])))
        if s.get("source"):
            rows.append(("Recorded with", str(s["source"])))
        if rec is not None:
            n_emg = sum(t == "emg" for t in rec.ch_types)
            rows.append(("Recording", f"{n_emg} EMG channels, {rec.sfreq:g} Hz, "
                                      f"{rec.duration:.1f} s"))
        m = c.measures
        n_tr = len(m.get("trials") or [])
        src = (c.processing.get("trials") or {}).get("source")
        rows.append(("Repetitions", f"{n_tr}" + (f" ({_trial_source(src)})" if src else "")))
        if self.mvc.get("source"):
            rows.append(("MVC reference", str(self.mvc["source"])))
        elif (c.processing.get("normalization") or {}).get("reason"):
            rows.append(("MVC reference", "none recorded"))
        files = s.get("recordings") or {}
        for k, v in files.items():
            rows.append((f"File ({k})", str(v)))
        rows.append(("Report created", self.created))
        return rows

    def _quality_rows(self) -> list[dict[str, Any]]:
        m = self.comparison.measures
        q = {r["channel"]: r for r in ((m.get("tables") or {}).get("quality") or {})
             .get("channels") or []}
        rows = []
        for ch in m.get("channels") or []:
            qq = q.get(ch["channel"], {})
            checks = qq.get("checks") or {}
            rows.append({
                "channel": ch["channel"],
                "muscle": muscle_label("", ch.get("muscle"), ch.get("side")).strip(" ()")
                if ch.get("muscle") else "-",
                "in_pattern": bool(ch.get("in_pattern")),
                "verdict": ch.get("quality") or qq.get("verdict") or "n/a",
                "usable": bool(ch.get("usable")),
                "snr_db": ch.get("snr_db"),
                "noise_uv": None if ch.get("noise_rms_v") is None else 1e6 * ch["noise_rms_v"],
                "mains_pct": (checks.get("mains") or {}).get("value"),
                "ecg_pct": (checks.get("ecg") or {}).get("value"),
                "reason": ch.get("reason") or ch.get("quality_reason") or "",
                "remark": _quality_remark(ch),
            })
        return rows

    def _ratio_rows(self) -> list[dict[str, Any]]:
        m = self.comparison.measures
        out = []
        for r in m.get("cocontraction") or []:
            out.append({"what": f"co-contraction ({r.get('method')}) {r.get('agonist')} / "
                                f"{r.get('antagonist')}", "trial": r.get("trial"),
                        "phase": r.get("phase"), "value": r.get("value"),
                        "unit": r.get("unit"), "status": r.get("status"),
                        "reason": r.get("reason")})
        for r in m.get("flexion_relaxation") or []:
            for key in ("frr", "err"):
                out.append({"what": f"{key.upper()} ({r.get('definition')}) {r.get('channel')}",
                            "trial": r.get("trial"), "phase": "-", "value": r.get(key),
                            "unit": "ratio", "status": r.get("status"),
                            "reason": r.get("reason")})
        for r in m.get("fatigue") or []:
            out.append({"what": f"MDF slope {r.get('channel')}", "trial": "-",
                        "phase": "hold", "value": r.get("slope_pct_per_s"), "unit": "%/s",
                        "status": r.get("status"), "reason": r.get("reason")})
        for c in self.comparison.criteria:
            if c.kind == "ratio":
                for t in c.trials:
                    out.append({"what": f"{c.id} (criterion)", "trial": t.get("trial"),
                                "phase": "-", "value": t.get("value"), "unit": c.unit,
                                "status": "ok" if t.get("value") is not None else
                                "not_assessable", "reason": t.get("reason")})
        return out

    def summary(self) -> Summary:
        """Page one: score over the assessed criteria, what was not assessable and why,
        each criterion's verdict, value and target (:func:`summarize`)."""
        return summarize(self.comparison)

    def _criteria_intro(self, sm: Summary) -> str:
        """How a verdict is reached, with the numbers the verdicts used."""
        cp = self.comparison.processing.get("compare") or {}
        agree = cp.get("min_agreement")
        txt = ("Each criterion compares the session value (the median over the repetitions "
               "in which it could be measured) with its target.")
        if sm.min_trials is not None:
            txt += (f" The protocol asks for at least {sm.min_trials} measurable "
                    f"repetitions; {sm.n_trials} were recorded.")
            if sm.n_preliminary:
                txt += (f" {sm.n_preliminary} verdict(s) rest on fewer repetitions and are "
                        "marked preliminary.")
        if isinstance(agree, (int, float)):
            txt += (f" A verdict also needs {100 * float(agree):.0f} % of the repetitions "
                    "to agree with it.")
        txt += (" Not assessable means the recording could not support a verdict; the "
                "reason and what to do are given.")
        return txt

    def _processing_notes(self) -> list[str]:
        """The comparison's warnings not already said on page one, once each."""
        said = [str(cr.reason or "") for cr in self.comparison.criteria]
        out: list[str] = []
        for w in self.comparison.warnings:
            w = str(w)
            core = w.split(": ", 1)[1] if w.startswith("amplitudes are not normalised") \
                else w
            if any(core and core in r for r in said) or w in out:
                continue
            if w.startswith("channel ") and "criteria that need it are not assessable" in w:
                ch = w[len("channel "):].split(" is not usable", 1)[0]
                if any(f"({ch})" in r for r in said):
                    continue
            out.append(w)
        return out

    def _references(self) -> list[str]:
        refs: list[str] = []
        for c in self.comparison.criteria:
            for r in c.reference:
                if r not in refs:
                    refs.append(r)
        for r in ("Merletti R (1999) Standards for reporting EMG data. J Electromyogr "
                  "Kinesiol 9(1):III-IV.",
                  "Besomi M, Hodges PW, Van Dieen J, et al. (2019) Consensus for experimental "
                  "design in electromyography (CEDE) project: Electrode selection matrix. "
                  "J Electromyogr Kinesiol 48:128-144.",
                  "Besomi M, Hodges PW, Clancy EA, et al. (2020) Consensus for experimental "
                  "design in electromyography (CEDE) project: Amplitude normalization "
                  "matrix. J Electromyogr Kinesiol 53:102438."):
            if r not in refs:
                refs.append(r)
        return references(refs)

    # ------------------------------------------------------------- html body
    def _html(self, figs: Sequence[_Fig]) -> str:
        from ._template import render_html

        return render_html(self.html_context(figs))

    def html_context(self, figs: Sequence[_Fig] | None = None) -> dict[str, Any]:
        """What the HTML template shows: the same summary, tables, figures and texts the
        PDF is laid out from (:meth:`pdf_blocks`)."""
        from .._version import __version__

        c = self.comparison
        sm = self.summary()
        counts = self._counts()
        figs = self._render() if figs is None else figs
        by_sec: dict[str, list[dict[str, str]]] = {
            k: [] for k in ("criteria", "traces", "timing", "amounts", "ratios", "progress")}
        for f in figs:
            by_sec.setdefault(f.section, []).append({
                "id": f.id, "alt": f.alt, "title": f.title, "caption": f.caption,
                "data": base64.b64encode(f.png or b"").decode("ascii")})
        cards = [(v, counts[v], {"pass": "pass", "fail": "fail",
                                 "not_assessable": "not assessable"}[v])
                 for v in ("pass", "fail", "not_assessable")]
        lvl = self.level
        if lvl and lvl.get("level") is not None:
            cards.append(("", lvl["level"], "training level"))
        quality = []
        for r in self._quality_rows():
            verdict = str(r["verdict"])
            reason = r["reason"] if r["reason"] != "all checks passed" else ""
            quality.append({**r, "verdict": verdict,
                            "cls": {"good": "good", "warn": "warn", "bad": "bad"}
                            .get(verdict, "na"),
                            "snr": _db(r["snr_db"]), "noise": fmt_num(r["noise_uv"], 3),
                            "mains": fmt_num(r["mains_pct"], 2),
                            "ecg": fmt_num(r["ecg_pct"], 2), "details": reason})
        ratios = []
        for r in self._ratio_rows():
            ratios.append({
                "what": r["what"], "phase": r["phase"],
                "trial": "-" if r["trial"] in (None, "-") else int(r["trial"]) + 1,
                "value": fmt_value(r["value"], r["unit"]),
                "status": r["status"] if r["status"] == "ok"
                else f"{r['status']}: {r['reason']}"})
        level_text = None
        if lvl and lvl.get("level") is not None:
            level_text = (f"Training level {lvl['level']} of {lvl.get('n_levels')} "
                          f"({lvl.get('name')}): {lvl.get('description')} Next: "
                          f"{lvl.get('needed')}.")
        elif lvl:
            level_text = f"{lvl.get('needed')}."
        history = []
        for h in c.processing.get("history") or []:
            params = h.get("params") or {}
            history.append((h.get("step"), ", ".join(
                f"{k}={v}" for k, v in params.items()
                if not isinstance(v, (list, dict)) and k != "path")))
        fo = (c.measures.get("tables") or {}).get("firing_order")
        by_id = {cr.id: cr for cr in c.criteria}
        score = c.score
        return {
            "title": self.title, "css": _CSS, "patient": self.session.get("patient_id"),
            "date": self.session.get("session_date") or c.created,
            "score_text": "n/a" if score is None else f"{score:.0f}", "sm": sm,
            "cards": cards, "session_rows": self._session_rows(), "sections": _SECTIONS,
            "criteria_intro": self._criteria_intro(sm),
            "criteria": [(ln, by_id[ln.id]) for ln in sm.lines],
            "verdict_text": VERDICT_TEXT, "figs": by_sec, "quality_intro": _QUALITY_INTRO,
            "quality": quality, "firing_order": _firing_order_text(fo) if fo else None,
            "no_mvc": bool((c.processing.get("normalization") or {}).get("reason")),
            "ratios": ratios, "level_text": level_text,
            "no_history": self._history_frame() is None, "items_intro": _ITEMS_INTRO,
            "items": self.reporting_items(), "history": history,
            "notes": self._processing_notes(), "references": self._references(),
            "version": __version__, "created": self.created,
        }

    # ------------------------------------------------------------------- pdf
    def pdf_blocks(self) -> list[Any]:
        """The PDF's content as layout blocks (:mod:`emgcontrol.report._pdf`), from the
        same summary, tables and figures the HTML shows."""
        from ._pdf import Badges, Heading, Image, Para, Table

        c = self.comparison
        sm = self.summary()
        figs = self._render()
        by_sec: dict[str, list[_Fig]] = {}
        for f in figs:
            by_sec.setdefault(f.section, []).append(f)

        def img(f: _Fig) -> Any:
            # per-trial detail: two to a page
            share = 0.42 if f.id.startswith("fig-trial-") else 1.0
            return Image(f.png or b"", f.title, f.caption, self.dpi, share)

        b: list[Any] = [Heading(self.title, 1)]
        who = self.session.get("patient_id")
        b.append(Para("Surface-EMG muscle-recruitment assessment"
                      + (f" -- patient {who}" if who else "") + " -- "
                      + str(self.session.get("session_date") or c.created), 9.0, "#57606a"))
        sc = c.score
        cards = [("n/a" if sc is None else f"{sc:.0f}",
                  f"score / 100 over {sm.n_assessed} assessed", "#1b1f23"),
                 (str(sm.n_pass), "pass", "#2e7d32"), (str(sm.n_fail), "fail", "#c62828"),
                 (str(sm.n_not_assessable), "not assessable", "#616161")]
        if self.level and self.level.get("level") is not None:
            cards.append((str(self.level["level"]), "training level", "#1b1f23"))
        b.append(Badges(cards))
        b.append(Para(sm.headline + ".", 10.5, bold=True))
        if sm.trials_note:
            b.append(Para(sm.trials_note, 9.0, box="#fff8e1"))
        if sm.not_judged:
            b.append(Para("Not assessable, and what to do:\n" + "\n".join(
                f"- {g.reason} ({len(g.criteria)} criteri"
                f"{'on' if len(g.criteria) == 1 else 'a'}): {g.action}." for g in sm.not_judged),
                9.0, box="#f0f2f4"))
        b.append(Para("; ".join(f"{k}: {v}" for k, v in self._session_rows()), 8.0,
                      "#57606a"))
        b.append(Heading("Results by criterion"))
        b.append(Para(self._criteria_intro(sm), 8.5))
        rows = []
        for ln in sm.lines:
            verdict = VERDICT_TEXT.get(ln.verdict, ln.verdict) + (
                " (preliminary)" if ln.preliminary else "")
            rows.append([ln.title + (" (informative)" if ln.informative else "")
                         + f"\n[{ln.id}]", verdict,
                         ln.value, ln.target, ln.trials, ln.sentence])
        b.append(Table(["Criterion", "Verdict", "Measured", "Target", "Repetitions",
                        "What it means"], rows, [0.25, 0.08, 0.11, 0.1, 0.12, 0.34], 7.5,
                       badge_col=1, badge_colours={"PASS": "#2e7d32", "FAIL": "#c62828",
                                                   "N/A": "#616161"}))
        for f in by_sec.get("criteria", []):
            b.append(img(f))
        b.append(Heading("Signal quality"))
        b.append(Para(_QUALITY_INTRO, 8.5))
        qrows = [[r["channel"] + ("" if r["in_pattern"] else " (not used)"), r["muscle"],
                  str(r["verdict"]), "yes" if r["usable"] else "NO",
                  _db(r["snr_db"]), fmt_num(r["noise_uv"], 3), r["remark"]]
                 for r in self._quality_rows()]
        b.append(Table(["Channel", "Muscle", "Quality", "Usable", "SNR (dB)", "Noise (uV)",
                        "Remarks"], qrows, [0.1, 0.17, 0.08, 0.07, 0.08, 0.09, 0.41], 7.5,
                       badge_col=2, badge_colours={"good": "#2e7d32", "warn": "#ef6c00",
                                                   "bad": "#c62828"}))
        for sec, title in (("traces", "Muscle traces"), ("timing", "Timing"),
                           ("amounts", "Amounts"), ("ratios", "Ratios and co-contraction"),
                           ("progress", "Progress")):
            items = by_sec.get(sec, [])
            extra = self._section_text(sec)
            if not items and not extra:
                continue
            b.append(Heading(title))
            b.extend(img(f) for f in items)
            b.extend(Para(t, 8.5) for t in extra)
        b.append(Heading("Processing and reporting items"))
        b.append(Para(_ITEMS_INTRO, 8.5))
        b.append(Table(["Section", "Item", "Value"],
                       [[it["section"], it["item"], it["value"]]
                        for it in self.reporting_items()], [0.15, 0.22, 0.63], 7.0))
        notes = self._processing_notes()
        if notes:
            b.append(Heading("Processing notes", 3))
            b.extend(Para(w, 8.0, box="#fff8e1") for w in notes)
        b.append(Heading("References"))
        b.extend(Para(f"{k}. {r}", 7.5, gap=0.03)
                 for k, r in enumerate(self._references(), 1))
        return b

    def _section_text(self, sec: str) -> list[str]:
        """Sentences of a figure section (firing order, level, ...) for the PDF."""
        c = self.comparison
        out: list[str] = []
        if sec == "timing":
            fo = (c.measures.get("tables") or {}).get("firing_order")
            if fo:
                out.append(_firing_order_text(fo))
        elif sec == "progress":
            lvl = self.level
            if lvl and lvl.get("level") is not None:
                out.append(f"Training level {lvl['level']} of {lvl.get('n_levels')} "
                           f"({lvl.get('name')}): {lvl.get('description')} Next: "
                           f"{lvl.get('needed')}.")
        return out


def _write_atomic(path: Path, write: Callable[[Path], Any]) -> None:
    """Write ``path`` through a temporary name in the same directory, renamed when
    complete; an interruption leaves neither a half-written file nor the temporary."""
    tmp = path.with_name(f".{path.name}.partial")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass


def _png(fig: Any, dpi: int, colors: int = 128) -> bytes:
    """PNG bytes of a figure, reduced to a ``colors`` palette (octree: rare colours such
    as thin red offset lines survive; about 3 x smaller for EMG traces) when Pillow is
    there."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    data = buf.getvalue()
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with matplotlib
        return data
    im = Image.open(io.BytesIO(data)).convert("RGB")
    q = im.quantize(colors=colors, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    q.save(out, format="png", optimize=True)
    return out.getvalue() if out.tell() < len(data) else data


def make_report(comparison: Any, recording: Any = None, out_dir: Any = None,
                **kwargs: Any) -> Report | dict[str, Path]:
    """Build a :class:`Report`; with ``out_dir`` also write it (HTML, PDF, JSON).

    Returns
    -------
    Report, or the dict of written paths when ``out_dir`` is given.
    """
    rep = Report(comparison, recording, **kwargs)
    if out_dir is None:
        return rep
    return rep.save(out_dir)
