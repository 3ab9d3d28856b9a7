"""Displays for live feedback: terminal, matplotlib (desktop, Jupyter, headless), callbacks.

A display receives :class:`FeedbackState` updates (at most ``fps`` per second)
and every :class:`FeedbackEvent` as it happens.  Write your own by subclassing
:class:`Display` or wrap functions with :class:`CallbackDisplay`.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Callable
from typing import IO, Any

import numpy as np

from .._validate import check_positive
from ._processor import FeedbackEvent, FeedbackState

__all__ = ["Display", "CallbackDisplay", "TerminalDisplay", "MatplotlibDisplay",
           "make_display"]


class Display:
    """Base class of feedback displays.

    Attributes
    ----------
    fps : float
        Largest number of :meth:`update` calls per second (events are delivered
        immediately).
    """

    fps: float = 10.0

    def open(self, info: dict[str, Any]) -> None:
        """Called once before the first update with the processor's settings."""

    def update(self, state: FeedbackState) -> None:
        """Show a new state."""

    def event(self, event: FeedbackEvent) -> None:
        """Show an event (onset, violation, movement summary...)."""

    def message(self, text: str) -> None:
        """Show a status message (connection, MVC prompts...)."""

    def close(self, result: Any) -> None:
        """Called once at the end with the :class:`FeedbackResult`."""


class CallbackDisplay(Display):
    """A display made of functions.

    Parameters
    ----------
    on_state, on_event, on_message, on_close : callable, optional
        Called with the state, each event, each message, the result.
    fps : float
        Largest update rate (default: every block, ``inf``).
    """

    def __init__(self, on_state: Callable[[FeedbackState], Any] | None = None,
                 on_event: Callable[[FeedbackEvent], Any] | None = None,
                 on_message: Callable[[str], Any] | None = None,
                 on_close: Callable[[Any], Any] | None = None, *,
                 fps: float = float("inf")) -> None:
        self._s, self._e, self._m, self._c = on_state, on_event, on_message, on_close
        self.fps = float(fps)

    def update(self, state: FeedbackState) -> None:
        if self._s is not None:
            self._s(state)

    def event(self, event: FeedbackEvent) -> None:
        if self._e is not None:
            self._e(event)

    def message(self, text: str) -> None:
        if self._m is not None:
            self._m(text)

    def close(self, result: Any) -> None:
        if self._c is not None:
            self._c(result)


def _fmt(v: float, unit: str) -> str:
    if not np.isfinite(v):
        return "   -  "
    return f"{v:6.1f}" if unit != "uV" else f"{v:6.0f}"


class TerminalDisplay(Display):
    """Bars in a terminal (headless use, SSH, a clinic PC without a screen for plots).

    On a terminal, one line per muscle is redrawn in place::

        GMax R  |#########[####    ]        |  23.4 %MVC  in zone
        BF R    |#################[##  ]    |  31.0 %MVC  ABOVE

    ``[`` and ``]`` mark the target zone.  Events (onsets, violations, movement
    summaries) scroll above.  When the output is not a terminal (a pipe, a log
    file) events are printed as lines and a one-line status every
    ``status_interval`` seconds.

    Parameters
    ----------
    stream : file-like
        Where to write (default ``sys.stdout``).
    fps : float
        Redraws per second (default 10).
    width : int
        Bar width in characters (default 30).
    full_scale : float, optional
        Value of a full bar (default 100 %MVC, or the largest value seen in uV).
    ansi : bool, optional
        Redraw in place (default: when ``stream`` is a terminal).
    events : {"all", "checks", "none"}
        Which events to print (default ``"checks"``: violations, order/zone
        results and movement summaries; ``"all"`` adds onsets and offsets).
    status_interval : float
        Seconds between status lines when not redrawing in place (default 1).
    """

    def __init__(self, stream: IO[str] | None = None, *, fps: float = 10.0, width: int = 30,
                 full_scale: float | None = None, ansi: bool | None = None,
                 events: str = "checks", status_interval: float = 1.0) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.fps = check_positive("fps", fps)
        self.width = int(width)
        self.full_scale = full_scale
        isatty = getattr(self.stream, "isatty", None)
        self.ansi = bool(isatty()) if ansi is None and isatty is not None else bool(ansi)
        if events not in ("all", "checks", "none"):
            from ..errors import ValidationError

            raise ValidationError(f"events must be 'all', 'checks' or 'none'; got {events!r}")
        self.events = events
        self.status_interval = check_positive("status_interval", status_interval)
        self._drawn = 0
        self._last_status = -np.inf
        self._seen_max = 1.0
        self.lines_written = 0

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.lines_written += text.count("\n")

    def open(self, info: dict[str, Any]) -> None:
        unit = info.get("unit", "")
        self._write(f"live feedback: {len(info.get('channels', []))} channels at "
                    f"{info.get('sfreq', 0):g} Hz, band {info.get('band')}, unit {unit}\n")
        for note in info.get("notes", []):
            self._write(f"  note: {note}\n")
        self.stream.flush()

    def _bar(self, v: float, zone: Any, scale: float) -> str:
        w = self.width
        cells = [" "] * w
        if np.isfinite(v):
            k = int(round(min(max(v / scale, 0.0), 1.0) * w))
            for j in range(k):
                cells[j] = "#"
        if zone is not None:
            lo, hi = zone
            if lo is not None:
                cells[min(int(round(lo / scale * w)), w - 1)] = "["
            if hi is not None:
                cells[min(int(round(hi / scale * w)), w - 1)] = "]"
        return "".join(cells)

    def _scale(self, state: FeedbackState) -> float:
        if self.full_scale is not None:
            return float(self.full_scale)
        if state.unit.startswith("%"):
            return 100.0
        finite = state.values[np.isfinite(state.values)]
        if finite.size:
            self._seen_max = max(self._seen_max, float(finite.max()))
        return self._seen_max

    def update(self, state: FeedbackState) -> None:
        if self.ansi:
            scale = self._scale(state)
            out = []
            if self._drawn:
                out.append(f"\x1b[{self._drawn}F")
            head = (f"t = {state.time_s:7.2f} s" + (f"   movement {state.movement}"
                                                    if state.movement else "")
                    + ("" if state.ready else "   (capturing baseline: rest)"))
            out.append(f"\x1b[2K{head}\n")
            for lab, v, z, st, act in zip(state.labels, state.values, state.zones,
                                          state.status, state.active):
                flag = {"in": "in zone", "below": "below", "above": "ABOVE"}.get(st or "", "")
                mark = "*" if act else " "
                out.append(f"\x1b[2K{mark}{lab:<8}|{self._bar(v, z, scale)}| "
                           f"{_fmt(v, state.unit)} {state.unit:<5} {flag}\n")
            self._drawn = len(state.labels) + 1
            self._write("".join(out))
            self.stream.flush()
            return
        if state.time_s - self._last_status >= self.status_interval:
            self._last_status = state.time_s
            parts = []
            for lab, v, st in zip(state.labels, state.values, state.status):
                tag = {"in": "", "below": "-", "above": "+"}.get(st or "", "")
                parts.append(f"{lab} {_fmt(v, state.unit).strip()}{tag}")
            self._write(f"t={state.time_s:.1f}s [{state.unit}] " + " | ".join(parts) + "\n")
            self.stream.flush()

    def _print_above(self, text: str) -> None:
        if self.ansi and self._drawn:
            # move above the bars, print, and let the next update redraw them
            self._write(f"\x1b[{self._drawn}F\x1b[J{text}\n")
            self._drawn = 0
        else:
            self._write(text + "\n")
        self.stream.flush()

    def event(self, event: FeedbackEvent) -> None:
        if self.events == "none":
            return
        if self.events == "checks" and event.kind in ("onset", "offset"):
            return
        mark = "!!" if event.violation else "  "
        self._print_above(f"{mark} [{event.time_s:7.2f} s] {event.message}")

    def message(self, text: str) -> None:
        self._print_above(f"-- {text}")

    def close(self, result: Any) -> None:
        summary = getattr(result, "summary", None)
        if callable(summary):
            self._print_above(summary())


class MatplotlibDisplay(Display):
    """A live matplotlib figure: bars with target zones and envelope traces.

    Works in a desktop window (interactive backends), in Jupyter (``%matplotlib
    widget``: redrawn in place; inline: the figure is replaced in place through
    an IPython display handle, slower) and headless with the Agg backend (the
    canvas is drawn; :attr:`figure` can be saved).  Updates redraw only the
    moving artists over a cached background (blitting) where the canvas allows
    it, so a redraw costs a few milliseconds instead of a full figure draw.

    Parameters
    ----------
    fig : matplotlib Figure, optional
        Figure to draw in (default: a new one).
    fps : float
        Redraws per second (default 10).
    history_s : float
        Seconds of envelope history shown (default 5).
    full_scale : float, optional
        Axis limit of bars and traces (default 100 %MVC; in uV it grows with the
        data).
    save : path, optional
        Save the final figure there on close.
    blit : bool
        Redraw only the moving artists (default True).
    """

    def __init__(self, fig: Any = None, *, fps: float = 10.0, history_s: float = 5.0,
                 full_scale: float | None = None, save: Any = None, blit: bool = True) -> None:
        self.fps = check_positive("fps", fps)
        self.history_s = check_positive("history_s", history_s)
        self.full_scale = full_scale
        self.save = save
        self.blit = bool(blit)
        self.figure = fig
        self._bars: Any = None
        self._lines: list[Any] = []
        self._texts: list[Any] = []
        self._hist_t: deque[float] = deque()
        self._hist_v: deque[np.ndarray] = deque()
        self._log: deque[str] = deque(maxlen=6)
        self._handle: Any = None
        self._mode = "agg"
        self._bg: Any = None
        self._top = 1.0
        self.n_draws = 0
        self.n_full_draws = 0
        self.last_values: np.ndarray | None = None

    def open(self, info: dict[str, Any]) -> None:
        import matplotlib

        b = matplotlib.get_backend().lower()
        inline = "inline" in b
        try:
            from matplotlib.backends import BackendFilter, backend_registry

            gui = [x.lower() for x in backend_registry.list_builtin(BackendFilter.INTERACTIVE)]
        except ImportError:  # pragma: no cover - older matplotlib
            from matplotlib import rcsetup

            gui = [x.lower() for x in rcsetup.interactive_bk]
        interactive = not inline and (b in gui or "ipympl" in b or "widget" in b)
        if self.figure is not None:
            self._mode = "pyplot" if interactive else "agg"
        elif interactive:
            import matplotlib.pyplot as plt

            self.figure = plt.figure(figsize=(10, 5.5))
            self._mode = "pyplot"
        else:  # Agg (headless) or Jupyter inline: a figure outside pyplot
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure

            self.figure = Figure(figsize=(10, 5.5))
            FigureCanvasAgg(self.figure)
            self._mode = "inline" if inline and "ipykernel" in sys.modules else "agg"
        fig = self.figure
        fig.clf()
        ch = list(info.get("labels") or info.get("channels") or [])
        self._unit = str(info.get("unit", ""))
        pct = self._unit.startswith("%")
        self._top = float(self.full_scale or (100.0 if pct else 50.0))
        self._ax_bar = fig.add_subplot(1, 2, 1)
        self._ax_env = fig.add_subplot(1, 2, 2)
        y = np.arange(len(ch))
        zones = info.get("zones_by_channel") or [None] * len(ch)
        for k, z in enumerate(zones):
            if z is None:
                continue
            lo = 0.0 if z[0] is None else z[0]
            hi = self._top if z[1] is None else z[1]
            self._ax_bar.barh(k, hi - lo, left=lo, height=0.9, color="#cdeccd", zorder=0)
        anim = self.blit and self._mode != "inline"
        self._bars = self._ax_bar.barh(y, np.zeros(len(ch)), height=0.6, color="#888888",
                                       zorder=2, animated=anim)
        self._ax_bar.set_yticks(y, ch)
        self._ax_bar.invert_yaxis()
        self._ax_bar.set_xlabel(self._unit)
        self._ax_bar.set_xlim(0, self._top)
        self._ax_bar.set_title("now (green band: target)")
        self._texts = [self._ax_bar.text(0, k, "", va="center", ha="left", fontsize=8,
                                         zorder=3, animated=anim) for k in range(len(ch))]
        self._lines = [self._ax_env.plot([], [], lw=1, label=c, animated=anim)[0] for c in ch]
        self._ax_env.set_xlim(-self.history_s, 0.0)
        self._ax_env.set_ylim(0, self._top)
        self._ax_env.set_xlabel("time before now (s)")
        self._ax_env.set_ylabel(self._unit)
        self._ax_env.set_title("envelopes")
        if ch:
            self._ax_env.legend(loc="upper left", fontsize=7, ncol=2)
        # the event log changes rarely and costs tens of ms to render: it is part of the
        # cached background, redrawn (full draw) only when an event arrives
        self._log_text = fig.text(0.01, 0.01, "", fontsize=8, va="bottom", family="monospace")
        self._log_dirty = False
        self._head = fig.text(0.5, 0.97, "", ha="center", va="top", fontsize=11,
                              animated=anim)
        fig.subplots_adjust(bottom=0.25, wspace=0.35, top=0.88)
        self._animated = [*self._bars, *self._texts, *self._lines, self._head]
        if anim:
            fig.canvas.mpl_connect("draw_event", self._grab_background)
        if self._mode == "inline":
            from IPython.display import display

            self._handle = display(fig, display_id=True)
        elif self._mode == "pyplot":
            import matplotlib.pyplot as plt

            plt.show(block=False)
        self._full_draw()

    def _grab_background(self, event: Any = None) -> None:
        canvas = self.figure.canvas
        if hasattr(canvas, "copy_from_bbox"):
            self._bg = canvas.copy_from_bbox(self.figure.bbox)

    def _full_draw(self) -> None:
        fig = self.figure
        if self._mode == "inline" and self._handle is not None:
            self._handle.update(fig)
        else:
            fig.canvas.draw()  # fires draw_event: the background is re-grabbed
            if self._mode == "pyplot":
                fig.canvas.flush_events()
        self.n_full_draws += 1

    def _draw(self) -> None:
        fig = self.figure
        canvas = fig.canvas
        if self._mode == "inline" or not self.blit:
            for a in self._animated:
                a.set_animated(False)
            self._full_draw()
        elif self._bg is None or self._log_dirty:
            # background changed (log, axes): draw it without the moving artists, grab
            # it, then draw them on top
            self._log_dirty = False
            self._full_draw()
            for a in self._animated:
                fig.draw_artist(a)
            canvas.blit(fig.bbox)
        else:
            canvas.restore_region(self._bg)
            for a in self._animated:
                fig.draw_artist(a)
            canvas.blit(fig.bbox)
            if self._mode == "pyplot":
                canvas.flush_events()
        self.n_draws += 1

    def update(self, state: FeedbackState) -> None:
        colors = {"in": "#2ca02c", "below": "#ff7f0e", "above": "#d62728", None: "#1f77b4"}
        vals = np.where(np.isfinite(state.values), state.values, 0.0)
        self.last_values = vals.copy()
        for bar, v, st, txt, act in zip(self._bars, vals, state.status, self._texts,
                                        state.active):
            bar.set_width(v)
            bar.set_color(colors.get(st, "#1f77b4"))
            bar.set_edgecolor("black" if act else "none")
            txt.set_x(min(v, self._top * 0.9))
            txt.set_text(f" {v:.0f}")
        self._hist_t.append(state.time_s)
        self._hist_v.append(vals)
        while self._hist_t and self._hist_t[0] < state.time_s - self.history_s:
            self._hist_t.popleft()
            self._hist_v.popleft()
        t = np.fromiter(self._hist_t, float) - state.time_s
        v = np.array(self._hist_v)
        for k, line in enumerate(self._lines):
            line.set_data(t, v[:, k])
        head = f"t = {state.time_s:.2f} s" + (f"   movement {state.movement}"
                                              if state.movement else "")
        if not state.ready:
            head += "   (capturing the baseline: rest)"
        self._head.set_text(head)
        peak = float(v.max()) if v.size else 0.0
        if self.full_scale is None and not self._unit.startswith("%") and peak > self._top:
            self._top = peak * 1.5  # uV: grow the axes (a full redraw)
            self._ax_bar.set_xlim(0, self._top)
            self._ax_env.set_ylim(0, self._top)
            self._bg = None
        self._draw()

    def event(self, event: FeedbackEvent) -> None:
        if event.kind in ("onset", "offset"):
            return
        self._log.append(("!! " if event.violation else "   ") + event.message[:110])
        if self._bars is not None:
            self._log_text.set_text("\n".join(self._log))
            self._log_dirty = True

    def message(self, text: str) -> None:
        self._log.append("-- " + text[:110])
        if self._bars is not None:
            self._log_text.set_text("\n".join(self._log))
            self._log_dirty = True

    def close(self, result: Any) -> None:
        if self.figure is None:
            return
        for a in self._animated if self._bars is not None else []:
            a.set_animated(False)
        self._full_draw()
        if self.save is not None:
            self.figure.savefig(self.save)


def make_display(spec: Any) -> list[Display]:
    """Displays from a spec: a Display, ``"terminal"``, ``"matplotlib"``, None, a list."""
    from ..errors import ValidationError

    if spec is None:
        return []
    if isinstance(spec, Display):
        return [spec]
    if isinstance(spec, str):
        if spec == "terminal":
            return [TerminalDisplay()]
        if spec in ("matplotlib", "plot", "figure"):
            return [MatplotlibDisplay()]
        if spec == "none":
            return []
        raise ValidationError(
            f"display must be 'terminal', 'matplotlib', 'none', a Display or a list; "
            f"got {spec!r}")
    if callable(spec):
        return [CallbackDisplay(spec)]
    if isinstance(spec, (list, tuple)):
        out: list[Display] = []
        for s in spec:
            out += make_display(s)
        return out
    raise ValidationError(f"display must be 'terminal', 'matplotlib', a Display or a list; "
                          f"got {spec!r}")
