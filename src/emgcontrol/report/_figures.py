"""Figures of an assessment: traces, timing diagram, amounts, criteria, progress.

Every ``plot_*`` function returns a :class:`matplotlib.figure.Figure`.  Where one
axes makes sense it takes ``ax=`` (draw into your own figure, e.g. from
``plt.subplots``); otherwise it makes a new figure.  New figures are plain
``Figure`` objects, not registered with pyplot: nothing opens a window, nothing
needs a display (headless-safe, the Agg canvas renders them), and nothing
accumulates in pyplot's figure list.  In Jupyter a returned figure displays
inline; elsewhere save it with ``fig.savefig(...)``.  matplotlib is imported
only when a function runs.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import EmgcontrolError, ValidationError
from ._style import (TARGET_COLOUR, TRIAL_COLOURS, TRIAL_SHADE, VERDICT_COLOURS, VERDICT_MARKERS,
                     VERDICT_TEXT, finite, fmt_value, muscle_label, pattern_channels)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..patterns import Comparison
    from ..recording import Recording

__all__ = ["TraceSignals", "trace_signals", "plot_traces", "plot_timing", "plot_amounts",
           "plot_criteria", "plot_progress", "timing_rows", "amount_rows"]


# ------------------------------------------------------------------ helpers
def _new_figure(width: float, height: float, layout: str | None = "constrained") -> Figure:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout=layout)
    return fig


def _figure_of(ax: Any) -> Figure:
    fig = ax.get_figure()
    root = getattr(fig, "get_figure", None)
    if root is not None:  # a SubFigure: return the top-level figure
        try:
            top = fig.get_figure(root=True)
        except TypeError:  # pragma: no cover - older matplotlib
            top = fig.figure
        return top
    return fig  # pragma: no cover


def _check_ax(ax: Any) -> None:
    if ax is None:
        return
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise ValidationError(f"ax must be a matplotlib Axes; got {type(ax).__name__}")


def as_comparison(comparison: Any) -> Comparison:
    """The typed Comparison behind a report argument: a Comparison as it is, its
    ``to_dict()`` output (a stored results file) read by :meth:`Comparison.from_dict`;
    anything else is refused, naming what came."""
    from ..patterns import Comparison

    if isinstance(comparison, Comparison):
        return comparison
    if isinstance(comparison, Mapping):
        return Comparison.from_dict(comparison)
    raise ValidationError(
        "comparison must be an emgcontrol.patterns.Comparison (or its to_dict() output); "
        f"got {type(comparison).__name__}")


def _measures(comparison: Any) -> dict[str, Any]:
    """The measures dict of a Comparison (None: empty)."""
    return {} if comparison is None else dict(as_comparison(comparison).measures)


def _criteria(comparison: Any) -> list[dict[str, Any]]:
    return [c.to_dict() for c in as_comparison(comparison).criteria]


def _groups(c: Mapping[str, Any]) -> dict[str, list[str]]:
    """Muscle group -> channels of a criterion result (other entries of its ``channels``,
    such as ``excluded`` or per-pair details, are skipped)."""
    out: dict[str, list[str]] = {}
    for k, v in (c.get("channels") or {}).items():
        if k == "excluded" or not isinstance(v, (list, tuple)):
            continue
        if all(isinstance(x, str) for x in v):
            out[k] = list(v)
    return out


def _empty(ax: Axes, text: str) -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes,
            fontsize=10, color="#555555", wrap=True)


def _channel_info(measures: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["channel"]: r for r in measures.get("channels") or []}


# ------------------------------------------------------------------ signals
@dataclass
class TraceSignals:
    """The signals drawn by :func:`plot_traces`.

    Attributes
    ----------
    raw : Recording
        The recording as analysed (EMG in V).
    filtered : Recording
        ECG removed where the comparison removed it, then band-pass and notch as
        in the comparison's processing chain.
    envelope : Recording
        Moving RMS of ``filtered`` (centred window).
    params : dict
        What was applied (for captions and the methods section).
    """

    raw: Recording
    filtered: Recording
    envelope: Recording
    params: dict[str, Any] = field(default_factory=dict)


def trace_signals(recording: Recording, comparison: Any = None, *,
                  envelope_window: float = 0.1) -> TraceSignals:
    """Filtered signals and envelopes for :func:`plot_traces`, as the comparison made them.

    Parameters
    ----------
    recording : Recording
        The recording that was compared (EMG in V).
    comparison : Comparison, optional
        Its comparison: the same ECG removal, band-pass and notch are applied
        (default: :func:`emgcontrol.signal.filter_emg` defaults with
        ``notch="auto"``).
    envelope_window : float
        Moving-RMS window of the envelope, s (default 0.1 s).

    Returns
    -------
    TraceSignals
    """
    from ..recording import Recording
    from ..signal import filter_emg

    if not isinstance(recording, Recording):
        raise ValidationError(f"recording must be a Recording; got {type(recording).__name__}")
    proc: Mapping[str, Any] = {}
    if comparison is not None:
        proc = as_comparison(comparison).processing
    params: dict[str, Any] = {"envelope": {"method": "rms", "window_s": envelope_window,
                                           "alignment": "centred"}}
    clean = recording
    ecg = proc.get("ecg") or {}
    if ecg.get("applied") and ecg.get("channels"):
        from ..signal.ecg import remove_ecg

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                clean = remove_ecg(recording, method=ecg.get("method", "template"),
                                   picks=list(ecg["channels"]))
            params["ecg"] = {"method": ecg.get("method"), "channels": list(ecg["channels"])}
        except EmgcontrolError as err:  # pragma: no cover - the comparison managed it
            params["ecg"] = {"error": str(err)}
    f = proc.get("filter") or {}
    kw: dict[str, Any] = {}
    if f.get("l_freq") is not None:
        kw["l_freq"] = float(f["l_freq"])
    if f.get("h_freq") is not None:
        kw["h_freq"] = float(f["h_freq"])
    notch = f.get("notch", "auto") if f else "auto"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        filt = filter_emg(clean, notch=notch, **kw)
        env = filt.envelope("rms", window=envelope_window)
    params["filter"] = dict(filt.history[-1]["params"])
    return TraceSignals(recording, filt, env, params)


def _nice_divisor(ratio: float) -> int:
    """The smallest of 2, 5, 10, 20, 50, 100... at or above ``ratio``."""
    base = 1
    while True:
        for m in (2, 5, 10):
            if m * base >= ratio:
                return m * base
        base *= 10


def _trial_windows(measures: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [t for t in measures.get("trials") or [] if t.get("start_s") is not None]


# ------------------------------------------------------------------- traces
def plot_traces(
    recording: Recording | TraceSignals,
    comparison: Any = None,
    *,
    channels: Sequence[str] | None = None,
    trial: int | None = None,
    tmin: float | None = None,
    tmax: float | None = None,
    show: Sequence[str] = ("raw", "filtered", "envelope"),
    envelope_window: float = 0.1,
    ax: Axes | None = None,
) -> Figure:
    """Per-muscle traces (raw, filtered, envelope) with detected onsets and offsets.

    Parameters
    ----------
    recording : Recording or TraceSignals
        The recording (filtered here like the comparison did), or signals from
        :func:`trace_signals` (faster when plotting several windows).
    comparison : Comparison, optional
        Adds the onsets and offsets used by the criteria (solid green / dashed
        red lines), every detected activation (green bar under each trace), trial
        windows (shaded) and movement onsets (dotted black lines).
    channels : sequence of str, optional
        Channels to draw (default: the pattern's channels, else every EMG channel).
    trial : int, optional
        Zoom on one trial: 1 s before to 2.5 s after its movement onset (or the
        trial window when the movement onset is unknown).
    tmin, tmax : float, optional
        Time window, s (overrides ``trial``).
    show : sequence of {"raw", "filtered", "envelope"}
        Which signals to draw.
    envelope_window : float
        Moving-RMS window of the envelope, s.
    ax : Axes, optional
        Draw a single channel into this axes.

    Returns
    -------
    Figure
        One row per channel, amplitudes in uV, time in s.
    """
    _check_ax(ax)
    sig = recording if isinstance(recording, TraceSignals) else trace_signals(
        recording, comparison, envelope_window=envelope_window)
    bad = [s for s in show if s not in ("raw", "filtered", "envelope")]
    if bad or not show:
        raise ValidationError(f"show must hold 'raw', 'filtered' and/or 'envelope'; got "
                              f"{list(show)!r}")
    m = _measures(comparison)
    rec = sig.raw
    emg = [n for n, t in zip(rec.ch_names, rec.ch_types) if t == "emg"]
    if channels is None:
        chans = [c for c in pattern_channels(m) if c in emg] if m else []
        chans = chans or emg
    else:
        chans = [str(c) for c in channels]
        unknown = [c for c in chans if c not in emg]
        if unknown:
            raise ValidationError(f"channels {unknown} are not EMG channels of the recording "
                                  f"(EMG channels: {', '.join(emg)})")
    if not chans:
        raise ValidationError("the recording has no EMG channel to draw")
    if ax is not None and len(chans) != 1:
        raise ValidationError(f"ax= draws one channel; got {len(chans)} channels "
                              "(pass channels=[name] or leave ax=None)")
    trials = _trial_windows(m)
    t0, t1 = 0.0, rec.duration
    if trial is not None:
        tr = next((t for t in trials if t["trial"] == trial), None)
        if tr is None:
            raise ValidationError(f"trial {trial!r} is not in the comparison (trials: "
                                  f"{[t['trial'] for t in trials]})")
        mo = tr.get("movement_onset_s")
        if mo is not None:
            t0, t1 = max(0.0, mo - 1.0), min(rec.duration, mo + 2.5)
        else:
            t0, t1 = tr["start_s"], tr["stop_s"]
    if tmin is not None:
        t0 = max(0.0, float(tmin))
    if tmax is not None:
        t1 = min(rec.duration, float(tmax))
    if not t1 > t0:
        raise ValidationError(f"empty time window: tmin={t0} s, tmax={t1} s")
    sf = rec.sfreq
    i0, i1 = int(math.floor(t0 * sf)), int(math.ceil(t1 * sf))
    times = np.arange(i0, i1) / sf
    if ax is None:
        # fixed margins (in inches): constrained layout costs ~0.1 s per row here
        h = 0.95 + 1.25 * len(chans)
        fig = _new_figure(9.0, h, layout=None)
        fig.subplots_adjust(left=0.075, right=0.985, top=1 - 0.62 / h, bottom=0.42 / h,
                            hspace=0.42)
        axes = fig.subplots(len(chans), 1, sharex=True, squeeze=False)[:, 0]
    else:
        fig = _figure_of(ax)
        axes = np.array([ax])
    info = _channel_info(m)
    onsets = [o for o in m.get("onsets") or [] if o.get("status") == "ok"]
    acts = ((m.get("tables") or {}).get("activations") or {}).get("activations") or []
    long = (t1 - t0) > 20.0
    for a, ch in zip(axes, chans):
        k = rec.ch_names.index(ch)
        raw = rec.data[k, i0:i1] * 1e6
        raw = raw - np.median(raw) if raw.size else raw
        fk = sig.filtered.ch_names.index(ch)
        filt = sig.filtered.data[fk, i0:i1] * 1e6
        ek = sig.envelope.ch_names.index(ch)
        env = sig.envelope.data[ek, i0:i1] * 1e6
        lim = float(np.percentile(np.abs(filt), 99.7)) * 1.25 if filt.size else 1.0
        lim = max(lim, float(np.max(env)) * 1.1 if env.size else 0.0, 1e-3)
        for t in trials if trial is None else ():
            a0, a1 = max(t["start_s"], t0), min(t["stop_s"], t1)
            if a1 > a0:
                a.axvspan(a0, a1, color=TRIAL_SHADE, zorder=0, lw=0)
        lw = 0.4 if long else 0.7
        if "raw" in show:
            # the raw trace (offset removed) stays inside the axes: where its drift
            # exceeds the filtered signal's range it is drawn scaled down, and the
            # panel says by how much
            rmax = float(np.max(np.abs(raw))) if raw.size else 0.0
            div = _nice_divisor(rmax / (0.95 * lim)) if rmax > 0.95 * lim else 1
            a.plot(times, raw / div, color="#b0b0b0", lw=lw, label="raw (offset removed)",
                   rasterized=True, zorder=1)
            if div > 1:
                a.text(1.0, 1.02, f"raw shown 1/{div}", transform=a.transAxes, ha="right",
                       va="bottom", fontsize=7.5, color="#777777")
        if "filtered" in show:
            a.plot(times, filt, color="#4a78a8", lw=lw, label="filtered", rasterized=True,
                   zorder=2)
        if "envelope" in show:
            a.plot(times, env, color="#111111", lw=1.4, label="envelope (RMS)", zorder=3)
        for act in acts:
            if act.get("channel") != ch:
                continue
            on, off = act.get("onset"), act.get("offset")
            if on is None or off is None or off < t0 or on > t1:
                continue
            a.plot([max(on, t0), min(off, t1)], [-0.93 * lim] * 2, color="#66bb6a", lw=3,
                   solid_capstyle="butt", zorder=4)
        for o in onsets:
            if o["channel"] != ch:
                continue
            if t0 <= o["onset_s"] <= t1:
                a.axvline(o["onset_s"], color=VERDICT_COLOURS["pass"], lw=1.3, zorder=5)
            off = o.get("offset_s")
            if off is not None and t0 <= off <= t1:
                a.axvline(off, color=VERDICT_COLOURS["fail"], lw=1.1, ls="--", zorder=5)
        for t in trials:
            mo = t.get("movement_onset_s")
            if mo is not None and t0 <= mo <= t1:
                a.axvline(mo, color="black", lw=1.0, ls=":", zorder=5)
        a.set_ylim(-lim, lim)
        a.set_xlim(t0, t1)
        row = info.get(ch, {})
        usable = row.get("usable", True)
        label = muscle_label(ch, row.get("muscle"), row.get("side")) if row else ch
        if rec.muscles[k] is not None and not row:
            label = muscle_label(ch, rec.muscles[k].muscle, rec.muscles[k].side)
        if not usable:
            label += " -- not usable"
        a.text(0.0, 1.02, label, transform=a.transAxes, ha="left", va="bottom", fontsize=9,
               color="#b71c1c" if not usable else "black")
        a.set_ylabel("uV", fontsize=8)
        a.tick_params(labelsize=8)
        a.grid(True, axis="x", color="#dddddd", lw=0.5)
    axes[-1].set_xlabel("time (s)", fontsize=9)
    if ax is None:
        from matplotlib.lines import Line2D

        handles = [h for h in axes[0].get_lines() if not str(h.get_label()).startswith("_")]
        extra = [Line2D([], [], color=VERDICT_COLOURS["pass"], lw=1.3, label="onset used"),
                 Line2D([], [], color=VERDICT_COLOURS["fail"], lw=1.1, ls="--",
                        label="offset"),
                 Line2D([], [], color="#66bb6a", lw=3, label="detected activations")]
        if any(t.get("movement_onset_s") is not None for t in trials):
            extra.append(Line2D([], [], color="black", lw=1.0, ls=":",
                                label="movement onset"))
        fig.legend(handles=handles[:3] + (extra if m else []), loc="upper center",
                   bbox_to_anchor=(0.5, 1.0), ncols=4, fontsize=8, frameon=False)
    return fig


# ------------------------------------------------------------------- timing
def _target_order(criteria: Sequence[Mapping[str, Any]]) -> list[str]:
    """Group names in their target order (a sequence criterion, else order pairs)."""
    for c in criteria:
        if c.get("kind") == "order" and len(_groups(c)) > 2:
            return list(_groups(c))
    pairs = []
    for c in criteria:
        if c.get("kind") == "order":
            keys = list(_groups(c))
            if len(keys) == 2:
                pairs.append((keys[0], keys[1]))
    nodes: list[str] = []
    for a, b in pairs:
        for n in (a, b):
            if n not in nodes:
                nodes.append(n)
    out: list[str] = []
    remaining = list(nodes)
    while remaining:  # Kahn: stable topological order (cycles broken by first seen)
        free = [n for n in remaining if not any(b == n and a in remaining for a, b in pairs)]
        n = free[0] if free else remaining[0]
        out.append(n)
        remaining.remove(n)
    return out


def timing_rows(comparison: Any) -> dict[str, Any]:
    """The data of :func:`plot_timing` (JSON-ready).

    Returns
    -------
    dict
        ``rows``: one per channel in target order, with ``channel, label, group,
        rank`` (target position of its group, or None), ``trials`` (per trial:
        ``onset_ms, offset_ms`` relative to the anchor), ``windows`` (target
        windows from latency criteria: ``criterion, start_ms, stop_ms, verdict``);
        ``anchor`` (``"movement onset"`` or ``"trial start"``); ``search_ms``;
        ``order`` (the target order of the groups).
    """
    m = _measures(comparison)
    crit = _criteria(comparison)
    info = _channel_info(m)
    trials = {t["trial"]: t for t in m.get("trials") or []}
    anchors: dict[int, float | None] = {}
    use_movement = any(t.get("movement_onset_s") is not None for t in trials.values())
    for k, t in trials.items():
        anchors[k] = t.get("movement_onset_s") if use_movement else t.get("start_s")
    order = _target_order(crit)
    group_of: dict[str, str] = {}
    for c in crit:
        for g, chans in _groups(c).items():
            for ch in chans:
                group_of.setdefault(ch, g)
    chans = [c for c in pattern_channels(m)]
    for c in crit:
        for g, cs in _groups(c).items():
            chans += [ch for ch in cs if ch not in chans]

    def rank(ch: str) -> tuple[int, int]:
        g = group_of.get(ch)
        r = order.index(g) if g in order else len(order)
        return (r, chans.index(ch))

    chans = sorted(dict.fromkeys(chans), key=rank)
    onsets: dict[tuple[str, int], dict[str, Any]] = {}
    for o in m.get("onsets") or []:
        onsets[(o["channel"], o["trial"])] = o
    search = None
    rows = []
    for ch in chans:
        per = []
        for k in sorted(trials):
            o = onsets.get((ch, k))
            a = anchors.get(k)
            if o is None:
                continue
            if search is None and o.get("window_s") and a is not None:
                w = o["window_s"]
                search = [1000.0 * (w[0] - a), 1000.0 * (w[1] - a)]
            if o.get("status") != "ok" or a is None:
                per.append({"trial": k, "onset_ms": None, "offset_ms": None,
                            "reason": o.get("reason")})
                continue
            off = o.get("offset_s")
            per.append({"trial": k, "onset_ms": 1000.0 * (o["onset_s"] - a),
                        "offset_ms": None if off is None else 1000.0 * (off - a),
                        "reason": None})
        r = info.get(ch, {})
        g = group_of.get(ch)
        rows.append({"channel": ch, "label": muscle_label(ch, r.get("muscle"), r.get("side")),
                     "group": g, "rank": (order.index(g) + 1) if g in order else None,
                     "trials": per, "windows": []})
    by_ch = {r["channel"]: r for r in rows}
    for c in crit:
        if c.get("kind") != "latency":
            continue
        groups = _groups(c)
        keys = list(groups)
        if not keys:
            continue
        lo = c.get("min")
        hi = c.get("max")
        refs_rel: list[float] = []
        for t in c.get("trials") or []:
            k = t.get("trial")
            a = anchors.get(k)
            if a is None or t.get("value") is None:
                continue
            if t.get("reference_s") is not None:
                refs_rel.append(1000.0 * (t["reference_s"] - a))
            elif t.get("per_channel_ms"):
                for ch2, v in t["per_channel_ms"].items():
                    o = onsets.get((ch2, k))
                    if o is not None and o.get("onset_s") is not None:
                        refs_rel.append(1000.0 * (o["onset_s"] - a) - v)
                        break
        if not refs_rel:
            continue
        ref = float(np.median(refs_rel))
        span = (ref + (lo if lo is not None else -1e4), ref + (hi if hi is not None else 1e4))
        for ch in groups[keys[0]]:
            if ch in by_ch:
                by_ch[ch]["windows"].append({"criterion": c["id"], "start_ms": span[0],
                                             "stop_ms": span[1], "verdict": c["verdict"],
                                             "reference_ms": ref})
    return {"rows": rows, "anchor": "movement onset" if use_movement else "trial start",
            "search_ms": search, "order": order, "n_trials": len(trials)}


def plot_timing(comparison: Any, *, ax: Axes | None = None,
                xlim_ms: tuple[float, float] | None = None) -> Figure:
    """Timing diagram: activations of each muscle against the target windows and order.

    One row per channel of the pattern, in the target order (the number before
    the label is its group's place in the target sequence).  Each trial is a
    thin bar from onset to offset, relative to the movement onset (or to the
    trial start when the movement is unknown); the dot marks the onset, the
    black tick the median onset over trials.  Green bands are the target
    windows of latency criteria (relative to the movement, or to the reference
    muscle's median onset); the grey band is the window in which onsets were
    searched.

    Parameters
    ----------
    comparison : Comparison
        Result of :func:`emgcontrol.patterns.compare` (or its ``to_dict()``).
    ax : Axes, optional
        Draw into this axes.
    xlim_ms : (float, float), optional
        Time axis limits in ms (default: the search window, widened to show the
        onsets).

    Returns
    -------
    Figure
    """
    _check_ax(ax)
    data = timing_rows(comparison)
    rows = data["rows"]
    if ax is None:
        fig = _new_figure(8.0, 1.7 + 0.42 * max(len(rows), 2))
        ax = fig.add_subplot(1, 1, 1)
    else:
        fig = _figure_of(ax)
    if not rows or not any(t["onset_ms"] is not None for r in rows for t in r["trials"]):
        _empty(ax, "No onsets were measured in this session (no timing criteria, or no "
                   "activation found).")
        return fig
    n_tr = max(data["n_trials"], 1)
    height = 0.7 / n_tr
    ons_all = [t["onset_ms"] for r in rows for t in r["trials"] if t["onset_ms"] is not None]
    search = data["search_ms"]
    if xlim_ms is None:
        lo = min(ons_all + ([search[0]] if search else [])) - 100.0
        hi = max(ons_all + ([search[1]] if search else [])) + 400.0
        xlim_ms = (lo, hi)
    ylabels = []
    for i, r in enumerate(rows):
        y = len(rows) - 1 - i
        if search:
            ax.add_patch(_rect(search[0], y - 0.45, search[1] - search[0], 0.9,
                               color="#eeeeee", zorder=0))
        for w in r["windows"]:
            ax.add_patch(_rect(w["start_ms"], y - 0.45, w["stop_ms"] - w["start_ms"], 0.9,
                               color=TARGET_COLOUR, alpha=0.22, zorder=1))
        med = finite([t["onset_ms"] for t in r["trials"]])
        for j, t in enumerate(r["trials"]):
            if t["onset_ms"] is None:
                continue
            yy = y + 0.35 - (j + 0.5) * height
            end = t["offset_ms"] if t["offset_ms"] is not None else t["onset_ms"] + 50.0
            colour = TRIAL_COLOURS[t["trial"] % len(TRIAL_COLOURS)]
            ax.plot([t["onset_ms"], min(end, xlim_ms[1])], [yy, yy], color=colour,
                    lw=max(1.0, min(5.0, 40.0 * height)), solid_capstyle="butt", alpha=0.8,
                    zorder=2)
            ax.plot([t["onset_ms"]], [yy], "o", color=colour, ms=3.5, zorder=3)
        if med:
            mm = float(np.median(med))
            ax.plot([mm, mm], [y - 0.42, y + 0.42], color="black", lw=2.0, zorder=4)
        rank = f"{r['rank']}. " if r["rank"] else ""
        na = sum(1 for t in r["trials"] if t["onset_ms"] is None)
        ylabels.append(f"{rank}{r['label']}" + (f"  [{na} trial(s) without onset]"
                                               if na else ""))
    ax.set_yticks(list(range(len(rows) - 1, -1, -1)))
    ax.set_yticklabels(ylabels, fontsize=8)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xlim(*xlim_ms)
    ax.axvline(0.0, color="black", lw=1.0, ls=":")
    ax.set_xlabel(f"time from {data['anchor']} (ms)", fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(True, axis="x", color="#dddddd", lw=0.5)
    order = data["order"]
    title = "Activations per trial"
    if order:
        title += " -- target order: " + " \u2192 ".join(o.replace("_", " ") for o in order)
    ax.set_title(title, fontsize=9, loc="left")
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [Line2D([], [], color=TRIAL_COLOURS[0], lw=3, marker="o", ms=3.5,
                      label="activation (one bar per trial)"),
               Line2D([], [], color="black", lw=2, label="median onset"),
               Patch(color=TARGET_COLOUR, alpha=0.3, label="target window"),
               Patch(color="#eeeeee", label="onset search window")]
    ax.legend(handles=handles, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16),
              ncols=4, frameon=False)
    return fig


def _rect(x: float, y: float, w: float, h: float, **kw: Any) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, lw=0, **kw)


# ------------------------------------------------------------------ amounts
def amount_rows(comparison: Any, *, phase: str | None = None,
                measure: str | None = None) -> dict[str, Any]:
    """The data of :func:`plot_amounts` (JSON-ready).

    Returns
    -------
    dict
        ``phase, measure, unit`` and ``rows`` (per channel: ``channel, label,
        values`` per trial, ``median``, ``targets``: amount criteria on that
        channel with ``criterion, min, max, verdict``, ``reason`` when nothing was
        measured).
    """
    m = _measures(comparison)
    crit = _criteria(comparison)
    rows_all = m.get("amounts") or []
    phases = list(dict.fromkeys(r["phase"] for r in rows_all))
    measures_ = list(dict.fromkeys(r["measure"] for r in rows_all))
    if phase is None:
        phase = phases[0] if phases else None
    elif phase not in phases:
        raise ValidationError(f"phase {phase!r} has no amplitudes (phases: {phases})")
    if measure is None:
        measure = measures_[0] if measures_ else None
    elif measure not in measures_:
        raise ValidationError(f"measure {measure!r} was not computed (measures: {measures_})")
    sel = [r for r in rows_all if r["phase"] == phase and r["measure"] == measure]
    phases_of = {cid: p.params.get("phase") for cid, p in _pattern_criteria(comparison).items()
                 if p.params.get("phase")}
    normalised = any(r.get("value") is not None for r in sel)
    unit = next((r.get("unit") for r in sel if r.get("unit")), "%MVC") if normalised else "uV"
    info = _channel_info(m)
    out = []
    for ch in list(dict.fromkeys(r["channel"] for r in sel)):
        mine = [r for r in sel if r["channel"] == ch]
        if normalised:
            vals = [r.get("value") for r in mine]
        else:
            vals = [None if r.get("corrected_v") is None else 1e6 * r["corrected_v"]
                    for r in mine]
        fv = finite(vals)
        reason = None if fv else "; ".join(sorted({str(r.get("reason")) for r in mine
                                                   if r.get("reason")})) or "not measured"
        targets = []
        for c in crit:
            if c.get("kind") != "amount" or not normalised:
                continue
            chans = [x for cs in _groups(c).values() for x in cs]
            if ch in chans and phases_of.get(c["id"], phase) == phase:
                targets.append({"criterion": c["id"], "min": c.get("min"),
                                "max": c.get("max"), "verdict": c["verdict"]})
        r0 = info.get(ch, {})
        out.append({"channel": ch, "label": muscle_label(ch, r0.get("muscle"), r0.get("side")),
                    "values": [None if v is None or not math.isfinite(float(v)) else float(v)
                               for v in vals],
                    "trials": [r["trial"] for r in mine],
                    "median": float(np.median(fv)) if fv else None, "targets": targets,
                    "reason": reason})
    return {"phase": phase, "measure": measure, "unit": unit, "normalised": normalised,
            "rows": out}


def _pattern_criteria(comparison: Any) -> dict[str, Any]:
    """Criterion id -> pattern Criterion of the comparison's pattern ({} if not found)."""
    pat = as_comparison(comparison).pattern
    if not isinstance(pat, Mapping) or not pat.get("id"):
        return {}
    from ..patterns import get_pattern

    try:
        from pathlib import Path

        src = pat.get("source")
        name = str(src) if src and not str(src).startswith("<") and Path(str(src)).is_file() \
            else str(pat["id"])
        p = get_pattern(name, options=dict(pat.get("options") or {}) or None,
                        level=None if pat.get("level") is None else int(pat["level"]))
    except (EmgcontrolError, OSError, ValueError):
        return {}
    return {c.id: c for c in p.criteria}


def plot_amounts(comparison: Any, *, phase: str | None = None, measure: str | None = None,
                 ax: Axes | None = None) -> Figure:
    """Amount bars: each muscle's amplitude in a phase against the target bands.

    Bars are the median over trials (%MVC when the session was normalised, else
    noise-corrected uV), dots the trials.  Green bands are the targets of the
    amount criteria on that muscle, labelled with the verdict.

    Parameters
    ----------
    comparison : Comparison
        Result of :func:`emgcontrol.patterns.compare`.
    phase, measure : str, optional
        Which phase and measure (default: the first measured).
    ax : Axes, optional
        Draw into this axes.

    Returns
    -------
    Figure
    """
    _check_ax(ax)
    data = amount_rows(comparison, phase=phase, measure=measure)
    rows = data["rows"]
    if ax is None:
        fig = _new_figure(8.0, 3.6)
        ax = fig.add_subplot(1, 1, 1)
    else:
        fig = _figure_of(ax)
    if not rows:
        _empty(ax, "No amplitudes were measured for this protocol.")
        return fig
    x = np.arange(len(rows))
    top = max([v for r in rows for v in finite(r["values"])] +
              [t["min"] for r in rows for t in r["targets"] if t["min"] is not None] +
              [t["max"] for r in rows for t in r["targets"] if t["max"] is not None] + [1e-9])
    top *= 1.25
    for i, r in enumerate(rows):
        for t in r["targets"]:
            lo = t["min"] if t["min"] is not None else 0.0
            hi = t["max"] if t["max"] is not None else top
            ax.add_patch(_rect(i - 0.45, lo, 0.9, hi - lo, color=TARGET_COLOUR, alpha=0.22,
                               zorder=0))
            ax.text(i, min(hi, top) * 0.97 if t["max"] is not None else top * 0.97,
                    f"{t['criterion']}: {VERDICT_TEXT.get(t['verdict'], t['verdict'])}",
                    ha="center", va="top", fontsize=7,
                    color=VERDICT_COLOURS.get(t["verdict"], "black"))
        verdicts = [t["verdict"] for t in r["targets"]]
        colour = (VERDICT_COLOURS["fail"] if "fail" in verdicts else
                  VERDICT_COLOURS["pass"] if "pass" in verdicts else "#90a4ae")
        if r["median"] is not None:
            ax.bar(i, r["median"], width=0.6, color=colour, alpha=0.75, zorder=2)
            vals = finite(r["values"])
            jitter = np.linspace(-0.15, 0.15, len(vals)) if len(vals) > 1 else [0.0]
            ax.plot(i + np.asarray(jitter), vals, "o", color="black", ms=3.5, zorder=3)
            ax.text(i + 0.32, r["median"], fmt_value(r["median"], None), ha="left",
                    va="center", fontsize=7, zorder=4)
        else:
            why = "no MVC\nreference" if "reference" in str(r["reason"]) else "not\nmeasured"
            ax.text(i, top * 0.05, why, ha="center", va="bottom", fontsize=7,
                    color="#757575")
    ax.set_xticks(x)
    ax.set_xticklabels([r["channel"] for r in rows], fontsize=8, rotation=0)
    ax.set_ylim(0, top)
    ax.set_xlim(-0.6, len(rows) - 0.4)
    unit = data["unit"]
    ax.set_ylabel(f"{data['measure'].upper()} ({unit})" if data["measure"] else unit,
                  fontsize=9)
    ax.tick_params(axis="y", labelsize=8)
    ax.grid(True, axis="y", color="#dddddd", lw=0.5)
    ttl = f"Amplitude in phase '{data['phase']}' (bar: median over trials; dots: trials)"
    if not data["normalised"]:
        ttl += " -- not normalised (no MVC reference)"
    ax.set_title(ttl, fontsize=9, loc="left")
    return fig


# ----------------------------------------------------------------- criteria
def plot_criteria(comparison: Any, *, ids: Sequence[str] | None = None,
                  kinds: Sequence[str] | None = None, ax: Axes | None = None) -> Figure:
    """Each criterion's per-trial values against its target band.

    One panel per criterion (units differ): dots are trials (circle = passes,
    cross = fails), the diamond is the session value (median over trials), the
    green band the target; the panel title gives the verdict.

    Parameters
    ----------
    comparison : Comparison
        Result of :func:`emgcontrol.patterns.compare`.
    ids : sequence of str, optional
        Criteria to draw (default all, or those of ``kinds``).
    kinds : sequence of str, optional
        Criterion kinds to draw (``"ratio"``, ``"cocontraction"``...).
    ax : Axes, optional
        Draw a single criterion into this axes.

    Returns
    -------
    Figure
    """
    _check_ax(ax)
    crit = _criteria(comparison)
    if ids is not None:
        known = [c["id"] for c in crit]
        bad = [i for i in ids if i not in known]
        if bad:
            raise ValidationError(f"unknown criterion id(s) {bad}; criteria: {known}")
        crit = [c for c in crit if c["id"] in ids]
    if kinds is not None:
        crit = [c for c in crit if c.get("kind") in tuple(kinds)]
    if ax is not None and len(crit) != 1:
        raise ValidationError(f"ax= draws one criterion; got {len(crit)} (pass ids=[...])")
    if ax is None:
        fig = _new_figure(8.0, 0.4 + 0.95 * max(len(crit), 1))
        axes = fig.subplots(max(len(crit), 1), 1, squeeze=False)[:, 0]
    else:
        fig = _figure_of(ax)
        axes = np.array([ax])
    if not crit:
        _empty(axes[0], "No criterion of this kind in the protocol.")
        return fig
    for a, c in zip(axes, crit):
        vals = [(t.get("trial"), t.get("value"), t.get("verdict")) for t in c.get("trials")
                or []]
        fv = finite([v for _, v, _ in vals])
        if not fv and c.get("measured") is None:
            # nothing measured: no axis that would suggest a scale
            _empty(a, f"{c['id']}: not assessable -- nothing was measured")
            continue
        lo, hi = c.get("min"), c.get("max")
        pts = fv + [x for x in (lo, hi) if x is not None]
        if c.get("measured") is not None:
            pts.append(float(c["measured"]))
        if pts:
            span = max(pts) - min(pts)
            pad = 0.15 * span if span > 0 else max(abs(max(pts)) * 0.2, 1.0)
            xl = (min(pts) - pad, max(pts) + pad)
        else:
            xl = (0.0, 1.0)
        band_lo = lo if lo is not None else xl[0] - abs(xl[0]) - 1e6
        band_hi = hi if hi is not None else xl[1] + abs(xl[1]) + 1e6
        a.axvspan(band_lo, band_hi, color=TARGET_COLOUR, alpha=0.22, lw=0)
        for x in (lo, hi):
            if x is not None:
                a.axvline(x, color=TARGET_COLOUR, lw=1.2)
        for k, (tr, v, verdict) in enumerate(vals):
            if v is None or not math.isfinite(float(v)):
                continue
            mk = VERDICT_MARKERS.get(str(verdict), "o")
            a.plot([v], [0.0], mk, color=VERDICT_COLOURS.get(str(verdict), "#555555"),
                   ms=6, alpha=0.85, zorder=3)
        if c.get("measured") is not None:
            a.plot([c["measured"]], [0.0], "D", mfc="none", mec="black", ms=11, mew=1.6,
                   zorder=4)
        a.set_xlim(*xl)
        a.set_ylim(-1, 1)
        a.set_yticks([])
        a.tick_params(axis="x", labelsize=8)
        unit = c.get("unit") or ""
        a.set_xlabel(unit, fontsize=8, labelpad=1)
        verdict = c.get("verdict")
        meas = fmt_value(c.get("measured"), unit)
        txt = (f"{c['id']}: {VERDICT_TEXT.get(verdict, verdict)} -- measured {meas}, "
               f"target {c.get('target')}")
        if c.get("n_trials"):
            txt += f" ({c.get('n_assessed', 0)} of {c['n_trials']} trials assessed)"
        a.set_title(txt, fontsize=8.5, loc="left", color=VERDICT_COLOURS.get(verdict,
                                                                              "black"))
        for s in ("left", "right", "top"):
            a.spines[s].set_visible(False)
    return fig


# ----------------------------------------------------------------- progress
def _history_frame(history: Any) -> Any:
    import pandas as pd

    if isinstance(history, pd.DataFrame):
        return history
    if isinstance(history, Sequence) and not isinstance(history, (str, bytes)):
        rows = []
        for k, s in enumerate(history):
            d = s.to_dict() if hasattr(s, "to_dict") else dict(s)
            res = d.get("result", d)
            date = d.get("session_date") or res.get("created")
            for c in res.get("criteria", []):
                rows.append({"session": k, "session_date": pd.Timestamp(date) if date else
                             pd.NaT, "level": d.get("level", (res.get("pattern") or {}).get(
                                 "level")), "score": res.get("score"),
                             "criterion": c["id"], "verdict": c["verdict"],
                             "measured": c.get("measured"), "unit": c.get("unit"),
                             "target": c.get("target"), "min": c.get("min"),
                             "max": c.get("max")})
        return pd.DataFrame(rows)
    raise ValidationError("history must be a DataFrame from ProgressStore.history() or a "
                          f"list of comparisons; got {type(history).__name__}")


def plot_progress(history: Any, *, criteria: str | Sequence[str] | None = None,
                  bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
                  ax: Axes | None = None) -> Figure:
    """Progress across sessions: the score and each criterion's value against its target.

    Parameters
    ----------
    history : DataFrame or list
        :meth:`emgcontrol.patterns.ProgressStore.history` output, or a list of
        comparisons (``Comparison``, their ``to_dict()`` or stored session dicts)
        in date order.
    criteria : str or sequence of str, optional
        Panels: ``"score"`` and/or criterion ids (default: the score, then every
        criterion measured in at least one session).
    bounds : mapping, optional
        Criterion id -> (min, max) target band to shade (default: from a list
        of comparisons; parsed from the ``target`` text otherwise).
    ax : Axes, optional
        Draw a single panel into this axes.

    Returns
    -------
    Figure
        Sessions on the x axis (numbered, dates below); pass = circle, fail =
        cross, not assessable = square at the bottom.
    """
    _check_ax(ax)
    df = _history_frame(history)
    if df.empty:
        if ax is None:
            fig = _new_figure(8.0, 2.0)
            ax = fig.add_subplot(1, 1, 1)
        else:
            fig = _figure_of(ax)
        _empty(ax, "No stored sessions yet.")
        return fig
    ids = list(dict.fromkeys(df["criterion"]))
    if criteria is None:
        panels = ["score"] + [i for i in ids if df[df["criterion"] == i]["measured"].notna()
                              .any()]
    else:
        panels = [criteria] if isinstance(criteria, str) else list(criteria)
        bad = [p for p in panels if p != "score" and p not in ids]
        if bad:
            raise ValidationError(f"unknown criterion id(s) {bad}; stored criteria: {ids}")
    if ax is not None and len(panels) != 1:
        raise ValidationError(f"ax= draws one panel; got {len(panels)} (pass criteria='score' "
                              "or one criterion id)")
    bnds = dict(bounds or {})
    if "min" in df.columns:
        for cid, g in df.groupby("criterion", sort=False):
            bnds.setdefault(cid, (g["min"].iloc[-1] if g["min"].notna().any() else None,
                                  g["max"].iloc[-1] if g["max"].notna().any() else None))
    for cid, g in df.groupby("criterion", sort=False):
        if cid not in bnds and "target" in g:
            bnds[cid] = _parse_target(str(g["target"].iloc[-1]))
    if ax is None:
        ncol = 1 if len(panels) <= 2 else 2
        nrow = math.ceil(len(panels) / ncol)
        fig = _new_figure(8.0, 0.6 + 2.0 * nrow)
        axes = list(fig.subplots(nrow, ncol, squeeze=False).ravel())
        for extra in axes[len(panels):]:
            extra.set_axis_off()
    else:
        fig = _figure_of(ax)
        axes = [ax]
    sessions = df.drop_duplicates("session").sort_values("session")
    xs = sessions["session"].to_numpy(int)
    dates = [("" if d is None or (isinstance(d, float) and math.isnan(d)) else
              str(d)[:10]) for d in sessions["session_date"]]
    xlabels = [f"{x + 1}\n{d}" for x, d in zip(xs, dates)]
    for a, p in zip(axes, panels):
        if p == "score":
            y = [s if s is not None and not (isinstance(s, float) and math.isnan(s)) else
                 np.nan for s in sessions["score"]]
            a.plot(xs, y, "-o", color="#37474f", ms=5)
            lv = sessions["level"].tolist() if "level" in sessions else []
            for x, yy, level in zip(xs, y, lv):
                if level is not None and not (isinstance(level, float) and math.isnan(level)) \
                        and not np.isnan(yy):
                    a.annotate(f"L{int(level)}", (x, yy), textcoords="offset points",
                               xytext=(0, 6), ha="center", fontsize=7)
            a.set_ylim(-5, 110)
            a.set_title("Score (0-100; L = training level)", fontsize=9, loc="left")
        else:
            g = df[df["criterion"] == p].sort_values("session")
            lo, hi = bnds.get(p, (None, None))
            vals = finite(g["measured"].tolist())
            pts = vals + [v for v in (lo, hi) if v is not None]
            span = (max(pts) - min(pts)) if pts else 1.0
            pad = 0.2 * span if span > 0 else 1.0
            yl = (min(pts) - pad, max(pts) + pad) if pts else (0, 1)
            a.axhspan(lo if lo is not None else yl[0] - 1e6,
                      hi if hi is not None else yl[1] + 1e6, color=TARGET_COLOUR, alpha=0.2,
                      lw=0)
            a.plot(g["session"], g["measured"], "-", color="#90a4ae", lw=1)
            for _, r in g.iterrows():
                v = r["measured"]
                verdict = r["verdict"]
                if v is None or (isinstance(v, float) and math.isnan(v)):
                    a.plot([r["session"]], [yl[0] + 0.05 * (yl[1] - yl[0])],
                           VERDICT_MARKERS["not_assessable"],
                           color=VERDICT_COLOURS["not_assessable"], ms=5)
                    continue
                a.plot([r["session"]], [v], VERDICT_MARKERS.get(verdict, "o"),
                       color=VERDICT_COLOURS.get(verdict, "black"), ms=6)
            a.set_ylim(*yl)
            unit = g["unit"].dropna().iloc[-1] if "unit" in g and g["unit"].notna().any() \
                else ""
            a.set_title(f"{p} ({unit})" if unit else p, fontsize=9, loc="left")
        a.set_xticks(xs)
        a.set_xticklabels(xlabels, fontsize=7)
        a.set_xlim(xs.min() - 0.5, xs.max() + 0.5)
        a.tick_params(axis="y", labelsize=8)
        a.grid(True, axis="y", color="#dddddd", lw=0.5)
    return fig


def _parse_target(text: str) -> tuple[float | None, float | None]:
    """(min, max) from a target text such as ``">= -20 ms"`` or ``"-300 to 100 ms"``."""
    import re

    num = r"[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?"
    m = re.match(rf"^\s*({num})\s+to\s+({num})", text)
    if m:
        return float(m.group(1)), float(m.group(2))
    m = re.match(rf"^\s*>=?\s*({num})", text)
    if m:
        return float(m.group(1)), None
    m = re.match(rf"^\s*<=?\s*({num})", text)
    if m:
        return None, float(m.group(1))
    return None, None
