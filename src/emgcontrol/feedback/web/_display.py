"""The web display: the live feedback as a page in a browser (patient view, clinician panel)."""

from __future__ import annotations

import ipaddress
import json
import math
import queue
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..._validate import check_positive
from ...errors import EmgcontrolError, ValidationError
from .._display import Display
from .._processor import FeedbackEvent, FeedbackState
from ._words import plain_names, repetition_sentence, short_name

__all__ = ["WebDisplay", "is_loopback", "DEFAULT_PORT"]

DEFAULT_PORT = 8765
"""Port of the feedback page unless another is given."""

_STATUS_CODE = {None: "0", "below": "1", "in": "2", "above": "3"}


def is_loopback(host: str) -> bool:
    """True when ``host`` is a loopback address or ``localhost`` (served to this computer only)."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _clean(obj: Any) -> Any:
    """JSON-safe copy: NaN/inf -> None, numpy -> Python."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, (np.floating,)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, (np.integer, np.bool_)):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return [_clean(v) for v in obj.tolist()]
    if isinstance(obj, Mapping):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


class WebDisplay(Display):
    """Live feedback in a web page: large %MVC bars, target zones, order lights, verdicts.

    The page (served by the package, nothing from the internet) has a **patient
    view** -- one large bar per muscle with its target zone, "in zone / too low /
    too high" in colour and words, order lights for the muscles that must come
    first, a repetition counter and a sentence after each repetition -- and a
    **clinician panel** (``/clinician``, or the button on the page): stop/start,
    MVC capture, training level, marker, signal quality per electrode with the
    reason, the recording path and the measured sample-to-screen latency.  It
    says when data stop arriving, when the connection to the server is lost and
    when an electrode fails.

    The server (aiohttp) runs in a background thread; it starts with the first
    :meth:`open` (or :meth:`start`) and stops with :meth:`stop` (or on leaving a
    ``with`` block).

    Parameters
    ----------
    host : str
        Address to serve on (default ``"127.0.0.1"``: this computer only).  Any
        other address (``"0.0.0.0"``, a LAN address for a tablet) requires an
        access token: one is made at random unless ``token`` is given, and put in
        :attr:`url`; requests without it are refused.
    port : int
        Port (default :data:`DEFAULT_PORT`; 0: any free port).
    token : str, optional
        Access token (default: random when ``host`` is not loopback, none otherwise).
    fps : float
        Largest number of state frames sent per second (default 40: the loop hands
        states over as blocks arrive, every few ms, so 40 gives at least 30 a second).
    pattern : TargetPattern, optional
        The pattern of the targets, for plain muscle names and which rules are
        core (default: looked up by the targets' name).
    on_command : callable, optional
        ``on_command(name, arg) -> str | None`` for the clinician controls
        (``stop``, ``start``, ``marker``, ``level``, ``mvc``); default: commands
        are queued in :attr:`commands`.
    stale_s : float
        The page warns when no state arrived for this long (default 1 s).
    announce : callable or None
        Called with the URL when the server starts (default ``print``).

    Attributes
    ----------
    url : str
        Address of the patient view (with the token when there is one).
    commands : queue.Queue
        ``(name, arg)`` of page commands when no ``on_command`` is given.
    stop_event : threading.Event
        Set by the page's *Stop* when no ``on_command`` is given: pass it as
        ``run_feedback(..., stop=page.stop_event)``.
    n_frames : int
        State frames sent.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = DEFAULT_PORT, *,
                 token: str | None = None, fps: float = 40.0, pattern: Any = None,
                 on_command: Callable[[str, Any], Any] | None = None, stale_s: float = 1.0,
                 announce: Callable[[str], Any] | None = print) -> None:
        if not isinstance(host, str) or not host:
            raise ValidationError(f"host must be an address such as '127.0.0.1'; got {host!r}")
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValidationError(f"port must be an integer 0-65535; got {port!r}")
        self.host = host
        self.port = port
        if token is not None and (not isinstance(token, str) or len(token) < 16):
            raise ValidationError("token must be a string of at least 16 characters")
        if token is None and not is_loopback(host):
            token = secrets.token_urlsafe(18)
        self.token = token
        self.fps = check_positive("fps", fps)
        self.stale_s = check_positive("stale_s", stale_s)
        self.pattern = pattern
        self.announce = announce
        self.commands: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.stop_event = threading.Event()
        self._on_command = on_command
        self._server: Any = None
        self._seq = 0
        self.n_frames = 0
        self._names: dict[str, dict[str, str]] = {}
        self._unit = ""
        self._core: set[str] | None = None
        self._lock = threading.Lock()
        self.status: dict[str, Any] = {}

    # ------------------------------------------------------------ server
    @property
    def url(self) -> str:
        """Address of the patient view (``/clinician`` for the clinician panel)."""
        host = self.host
        if host in ("0.0.0.0", "::", ""):
            host = _lan_address()
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        q = "" if self.token is None else f"?token={self.token}"
        return f"http://{host}:{self.port}/{q}"

    @property
    def clinician_url(self) -> str:
        """Address of the clinician panel."""
        base, _, q = self.url.partition("?")
        return base + "clinician" + (f"?{q}" if q else "")

    @property
    def server(self) -> Any:
        """The running :class:`FeedbackServer` (None before :meth:`start`)."""
        return self._server

    def start(self) -> str:
        """Start the server (once); return :attr:`url`."""
        if self._server is not None:
            return self.url
        try:
            from ._server import FeedbackServer
        except ImportError as err:  # pragma: no cover - aiohttp is a dependency
            raise EmgcontrolError(
                f"the web display needs aiohttp ({err}); pip install aiohttp") from None
        srv = FeedbackServer(self.host, self.port, self.token, self._command)
        try:
            self.port = srv.start()
        except OSError as err:
            raise EmgcontrolError(
                f"cannot serve the feedback page on {self.host}:{self.port}: {err.strerror or err}"
                f" (another program on that port? try --port 0 for a free one)") from None
        self._server = srv
        if self.announce is not None:
            self.announce(f"live feedback page: {self.url}   (clinician panel: "
                          f"{self.clinician_url})")
            if self.token is not None:
                self.announce("served to the network: the page needs the access token in "
                              "that address; share it only with the tablet or screen")
        return self.url

    def stop(self) -> None:
        """Stop the server."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> WebDisplay:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _command(self, name: str, arg: Any) -> Any:
        if name not in ("stop", "start", "marker", "level", "mvc"):
            return f"unknown command {name!r}"
        if self._on_command is not None:
            return self._on_command(name, arg)
        self.commands.put((name, arg))
        if name == "stop":
            self.stop_event.set()
            return "stopping"
        return None

    def publish(self, msg: dict[str, Any], *, retain: bool = True) -> None:
        """Send a message to the pages (see :mod:`emgcontrol.feedback.web._server`)."""
        if self._server is not None:
            self._server.publish(_clean(msg), retain=retain)

    def set_status(self, **status: Any) -> None:
        """Update the clinician panel's status (``running``, ``record_path``, ``level``,
        ``levels``, ``reference``, ``board``...)."""
        with self._lock:
            self.status.update(status)
            msg = {"t": "status", **self.status}
        self.publish(msg)

    # ------------------------------------------------------------ Display
    def open(self, info: dict[str, Any]) -> None:
        self.start()
        pattern = self.pattern
        if pattern is None and info.get("targets"):
            pattern = _try_pattern(str(info["targets"]))
        targets = None
        if pattern is not None:
            from .._targets import Targets

            targets = Targets.from_pattern(pattern)
        self._names = plain_names(pattern, targets)
        severity = {}
        for c in getattr(pattern, "criteria", ()) or ():
            severity[c.id] = getattr(c, "severity", "core")
        self._core = None if pattern is None else {k for k, v in severity.items()
                                                   if v == "core"}
        labels = list(info.get("labels") or info.get("channels") or [])
        channels = list(info.get("channels") or labels)
        self._unit = str(info.get("unit", ""))
        rules = []
        for o in info.get("order") or []:
            rid = str(o["id"])
            base = rid.split("[")[0]
            n = self._names.get(rid, {})
            first_lab = " / ".join(labels[channels.index(c)] for c in o["first"]
                                   if c in channels)
            then_lab = " / ".join(labels[channels.index(c)] for c in o["then"]
                                  if c in channels)
            rules.append({"id": rid, "kind": o.get("kind", "order"), "first": o["first"],
                          "then": o["then"],
                          "first_name": short_name(n.get("first") or first_lab),
                          "then_name": short_name(n.get("then") or then_lab),
                          "core": severity.get(base, "core") == "core"})
        zones = info.get("zones_by_channel") or [None] * len(labels)
        self._seq = 0
        self.publish({
            "t": "config", "channels": channels, "labels": labels,
            "names": [_channel_name(lab) for lab in labels], "zones": zones,
            "unit": self._unit, "sfreq": info.get("sfreq"), "band": info.get("band"),
            "targets": info.get("targets"), "rules": rules, "notes": info.get("notes", []),
            "zone_rules": info.get("zones", []), "stale_s": self.stale_s, "fps": self.fps,
            "title": getattr(pattern, "title", None) or info.get("targets") or "",
            "level": getattr(pattern, "level", None),
        })
        with self._lock:
            msg = {"t": "status", **self.status}
        self.publish(msg)

    def update(self, state: FeedbackState) -> None:
        self._seq += 1
        v = state.values
        vals = [None if not math.isfinite(x) else round(x, 1) for x in v.tolist()]
        frame = {"t": "s", "q": self._seq, "ts": state.received, "sent": time.time(),
                 "k": round(state.time_s, 3), "v": vals,
                 "s": "".join(_STATUS_CODE.get(s, "0") for s in state.status),
                 "a": "".join("1" if a else "0" for a in state.active.tolist()),
                 "m": state.movement, "r": bool(state.ready)}
        if self._server is not None:
            self._server.publish_state(json.dumps(frame, separators=(",", ":")))
            self.n_frames += 1

    def event(self, event: FeedbackEvent) -> None:
        msg: dict[str, Any] = {"t": "ev", **event.to_dict()}
        if event.kind == "movement":
            text, good = repetition_sentence(event.detail, self._names, self._unit,
                                             core=self._core)
            msg["sentence"] = text
            msg["good"] = good
            msg["detail"] = {"judged": event.detail.get("judged"),
                             "n_violations": event.detail.get("n_violations")}
        self.publish(msg)

    def message(self, text: str) -> None:
        self.publish({"t": "msg", "text": str(text), "time": time.time()})

    def close(self, result: Any) -> None:
        summary = getattr(result, "summary", None)
        self.publish({"t": "end", "summary": summary() if callable(summary) else "",
                      "latency": getattr(result, "latency", None)})

    # ------------------------------------------------------------ latency
    def page_latency(self) -> list[dict[str, Any]]:
        """Latency reports sent by the pages (their sample-to-screen measurements)."""
        return [] if self._server is None else list(self._server.latency_reports)


def _try_pattern(name: str) -> Any:
    try:
        from ...patterns import get_pattern

        return get_pattern(name)
    except Exception:  # noqa: BLE001 - built-in live targets have no pattern
        return None


def _channel_name(label: str) -> str:
    """Plain name of a channel label ("GMax R" -> "right buttock muscle")."""
    try:
        from ...montage import parse_muscle
        from ...patterns import plain_muscle

        return short_name(plain_muscle(parse_muscle(label)))
    except Exception:  # noqa: BLE001 - a channel without a muscle keeps its name
        return label


def _lan_address() -> str:
    """This computer's address on the local network (for the printed URL)."""
    import socket

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.1", 9))  # TEST-NET: no packet is sent for a UDP connect
        return str(s.getsockname()[0])
    except OSError:
        return socket.gethostname()
    finally:
        s.close()
