"""``run()``: a cohort of recordings -> one assessment each -> one tidy table.

Nothing heavy at import: Dask comes in ``_dask`` (imported by :func:`run` when there
is work to do), pandas when the table is built.
"""

from __future__ import annotations

import datetime as _dt
import glob
import hashlib
import json
import os
import socket
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import EmgcontrolError, EmgcontrolWarning, RecordingFileNotFoundError, ValidationError

__all__ = ["run", "run_one", "warm_up", "BatchResult", "expand_paths", "content_hash",
           "output_paths", "COLUMNS", "RECORDING_SUFFIXES", "ITEM_FORMAT", "ITEM_VERSION"]

ITEM_FORMAT = "emgcontrol-batch-item"
"""``item["batch"]["format"]`` of a per-recording result."""

ITEM_VERSION = 1

RECORDING_SUFFIXES = (".bdf", ".edf", ".csv", ".tsv", ".txt", ".vhdr", ".npy", ".npz")
"""File endings a glob or a directory is filtered on (case-insensitive).  Paths
given one by one are taken whatever their ending (an unreadable one becomes an
error row)."""

COLUMNS = ("path", "content_hash", "protocol", "level", "status", "criterion", "kind",
           "severity", "weight", "verdict", "measured", "unit", "target", "min", "max",
           "deviation", "pass_share", "n_assessed", "n_trials", "reason", "score",
           "error_type", "error", "cached", "elapsed_s", "worker", "json")
"""Columns of :attr:`BatchResult.table`, in order.

path : str
    The recording as found (glob/directory expansion keeps the pattern's form).
content_hash : str
    SHA-256 of the file's bytes (hex; :func:`content_hash`).
protocol : str
    Pattern id.
level : int or <NA>
    Training level whose criteria and targets were used (<NA>: the full pattern).
status : {"ok", "error"}
    Whether the recording could be assessed.
criterion, kind, severity, weight, verdict, measured, unit, target, min, max, deviation,
pass_share, n_assessed, n_trials, reason :
    One criterion's result (:class:`emgcontrol.patterns.CriterionResult`):
    ``measured`` in ``unit`` (median over the assessed trials), ``target`` the band as
    text with bounds ``min``/``max``, ``deviation`` how far ``measured`` lies outside
    the band (0 inside), ``reason`` why not assessable.  Empty in an error row.
score : float
    The recording's score, 0-100 (repeated on its rows; NaN when nothing was
    assessable or on error).
error_type, error : str
    Exception class and message of a failed recording.
cached : bool
    The result comes from an earlier run (same content, same settings).
elapsed_s : float
    Time the assessment took on its worker, s.
worker : str
    ``host:pid`` of the process that assessed it.
json : str
    The per-recording JSON file (empty without ``out``).
"""

_FLOAT_COLS = ("weight", "measured", "min", "max", "deviation", "pass_share", "score",
               "elapsed_s")
_INT_COLS = ("level", "n_assessed", "n_trials")
_CRITERION_FIELDS = ("kind", "severity", "weight", "verdict", "measured", "unit", "target",
                     "min", "max", "deviation", "pass_share", "n_assessed", "n_trials",
                     "reason")
_MAX_WARNINGS = 50


# ----------------------------------------------------------------- inputs
def content_hash(path: str | os.PathLike[str], *, chunk: int = 1 << 20) -> str:
    """SHA-256 (hex) identifying a recording's content.

    For a single-file recording this is ``sha256sum FILE``.  Files that are read
    together with companions add them after the main file (each preceded by a
    separator with its suffix): the BrainFlow/CSV JSON sidecar ``<file>.json`` and,
    for a BrainVision ``.vhdr``, the ``.eeg`` and ``.vmrk`` of the same stem.

    Raises
    ------
    RecordingFileNotFoundError
        ``path`` does not exist or is not a file.
    """
    p = Path(path)
    if not p.is_file():
        raise RecordingFileNotFoundError(f"recording not found (or not a file): {p}")
    h = hashlib.sha256()
    _feed(h, p, chunk)
    for comp in _companions(p):
        h.update(b"\0emgcontrol-companion\0" + comp.name[len(p.stem):].encode() + b"\0")
        _feed(h, comp, chunk)
    return h.hexdigest()


def _feed(h: Any, p: Path, chunk: int) -> None:
    with open(p, "rb") as fh:
        while True:
            b = fh.read(chunk)
            if not b:
                break
            h.update(b)


def _companions(p: Path) -> list[Path]:
    out = []
    side = p.with_name(p.name + ".json")
    if side.is_file():
        out.append(side)
    if p.suffix.lower() == ".vhdr":
        for ext in (".eeg", ".vmrk"):
            c = p.with_suffix(ext)
            if c.is_file():
                out.append(c)
    return out


def expand_paths(paths_or_glob: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
                 *, exclude: Iterable[str | os.PathLike[str]] = ()) -> list[Path]:
    """The recordings a batch works on.

    Parameters
    ----------
    paths_or_glob : str, path or iterable of them
        Each item is a glob pattern (a ``str`` with ``*``, ``?`` or ``[...]``;
        ``**`` recurses), a directory (its files, not recursive) or a file path
        (a :class:`~pathlib.Path` is always taken literally).  Glob and directory
        matches are filtered on :data:`RECORDING_SUFFIXES` (so sidecars and
        ``.truth.json`` files are left out); a file path is kept as given, even
        if it does not exist (the batch records the error).
    exclude : iterable of paths
        Files (or directories, with everything under them) to leave out: the
        batch's own outputs.

    Returns
    -------
    list of Path
        In the order given, sorted within each pattern/directory, without
        duplicates.

    Raises
    ------
    ValidationError
        Nothing matched at all.
    """
    if isinstance(paths_or_glob, (str, os.PathLike)):
        items: list[Any] = [paths_or_glob]
    else:
        try:
            items = list(paths_or_glob)
        except TypeError:
            raise ValidationError(
                "paths_or_glob must be a path, a glob pattern or a list of them; got "
                f"{type(paths_or_glob).__name__}") from None
    if not items:
        raise ValidationError("paths_or_glob is empty: give recordings, a directory or a glob "
                              "pattern")
    excl = [Path(e).resolve() for e in exclude]

    def excluded(p: Path) -> bool:
        r = p.resolve()
        return any(r == e or e in r.parents for e in excl)

    def keep(p: Path) -> bool:
        return p.is_file() and p.suffix.lower() in RECORDING_SUFFIXES and not excluded(p)

    out: list[Path] = []
    seen: set[Path] = set()
    empty: list[str] = []
    for it in items:
        if not isinstance(it, (str, os.PathLike)):
            raise ValidationError(f"paths_or_glob items must be paths or glob patterns; got "
                                  f"{type(it).__name__} ({it!r})")
        s = os.fspath(it)
        if isinstance(it, str) and glob.has_magic(s):
            found = [Path(m) for m in sorted(glob.glob(s, recursive=True)) if keep(Path(m))]
        elif os.path.isdir(s):
            found = [p for p in sorted(Path(s).iterdir()) if keep(p)]
        else:
            found = [] if excluded(Path(s)) else [Path(s)]
        if not found:
            empty.append(s)
        for p in found:
            r = p.resolve()
            if r not in seen:
                seen.add(r)
                out.append(p)
    if not out:
        raise ValidationError(
            f"no recordings match {', '.join(repr(e) for e in empty)} (globs and directories "
            f"keep files ending in {', '.join(RECORDING_SUFFIXES)})")
    if empty:
        warnings.warn(f"no recordings match {', '.join(repr(e) for e in empty)}",
                      EmgcontrolWarning, stacklevel=2)
    return out


def output_paths(out: str | os.PathLike[str]) -> dict[str, Path]:
    """Where :func:`run` writes for ``out``: ``{"parquet", "csv", "json_dir"}``.

    ``results.parquet`` (or ``results.csv``) -> ``results.parquet``,
    ``results.csv`` and the directory ``results.d/`` of per-recording JSON files.

    Raises
    ------
    ValidationError
        ``out`` does not end in ``.parquet`` or ``.csv``.
    """
    p = Path(out)
    if p.suffix.lower() not in (".parquet", ".csv"):
        raise ValidationError(f"out {str(p)!r}: the results table must end in .parquet or "
                              f".csv (both are written); got {p.suffix or 'no extension'!r}")
    stem = p.with_suffix("")
    return {"parquet": stem.with_name(stem.name + ".parquet"),
            "csv": stem.with_name(stem.name + ".csv"),
            "json_dir": stem.with_name(stem.name + ".d")}


# ---------------------------------------------------------------- one task
_WARMED: dict[str, float] = {}
_WARM_LOCK = threading.Lock()


def _now() -> str:
    return _dt.datetime.now().isoformat(sep=" ", timespec="seconds")


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _set_numba_threads(n: int | None) -> None:
    if n is None:
        return
    import numba

    n = max(1, min(int(n), int(numba.config.NUMBA_NUM_THREADS)))
    if numba.get_num_threads() != n:
        numba.set_num_threads(n)  # per calling thread


def _batch_block(path: Any, digest: str | None, settings: Mapping[str, Any] | None) -> dict:
    from .._version import __version__

    return {"format": ITEM_FORMAT, "version": ITEM_VERSION, "path": str(path),
            "content_hash": digest, "settings": dict(settings or {}), "status": "ok",
            "error_type": None, "error": None, "traceback": None, "warnings": [],
            "started": _now(), "elapsed_s": None, "worker": _worker_name(),
            "emgcontrol_version": __version__}


def error_item(path: Any, digest: str | None, settings: Mapping[str, Any] | None,
               err: BaseException, *, with_traceback: bool = False) -> dict[str, Any]:
    """A per-recording result for a recording that could not be assessed."""
    b = _batch_block(path, digest, settings)
    b.update(status="error", error_type=type(err).__name__,
             error=(str(err) or repr(err)).strip(),
             traceback="".join(traceback.format_exception(err)) if with_traceback else None)
    return {"score": None, "criteria": [], "batch": b}


def run_one(
    path: str | os.PathLike[str],
    protocol: str | os.PathLike[str],
    *,
    options: Mapping[str, Any] | None = None,
    level: int | str = "full",
    montage: Any = None,
    numba_threads: int | None = None,
    content_hash: str | None = None,
    settings: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Assess one recording; never raises for a problem with the recording.

    This is the task :func:`run` sends to the workers; call it directly to assess
    recordings your own way (a loop, another executor).

    Parameters
    ----------
    path : path
        The recording (any format :func:`emgcontrol.read` reads); its ``"trial"``
        and ``"mvc"`` markers/events give the trial windows and the MVC reference,
        as for ``emgcontrol assess --input``.
    protocol : str or path
        Built-in protocol, pattern id or ``.toml`` pattern file.
    options : mapping, optional
        Pattern options (``{"side": "left"}``...).
    level : "full" or int
        The full pattern (default) or a training level's criteria and targets.
    montage : optional
        Channel -> muscle montage for recordings that do not carry one (preset name,
        muscles in channel order, ``"CH=muscle,..."`` or a mapping).
    numba_threads : int, optional
        Threads the numba kernels may use in this call's thread (None: leave as is).
    content_hash : str, optional
        The recording's :func:`content_hash` (computed when None).
    settings : mapping, optional
        Stored as is in the ``"batch"`` block (what :func:`run` compares to skip).

    Returns
    -------
    dict
        JSON-ready.  When the recording was assessed: the ``results.json`` content
        of ``emgcontrol assess`` (:meth:`emgcontrol.report.Report.to_dict`: the
        comparison -- ``pattern, score, criteria`` with per-trial values, ``measures``,
        ``processing`` -- plus ``summary``, ``assessment`` and ``reporting_items``).
        Always: ``"batch"`` with ``format, version, path, content_hash, settings,
        status ("ok"/"error"), error_type, error, traceback`` (unexpected errors
        only), ``warnings`` (the Python warnings raised, as text), ``started,
        elapsed_s, worker`` (``host:pid``) and ``emgcontrol_version``.  On error
        ``criteria`` is empty and ``score`` None.
    """
    t0 = time.perf_counter()
    digest = content_hash
    item: dict[str, Any]
    caught: list[Any] = []
    try:
        if digest is None:
            digest = _content_hash(path)
        _set_numba_threads(numba_threads)
        from ..assess import assess

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = assess(protocol, input=path, montage=montage,
                            options=dict(options) if options else None, level=level,
                            out=None, pdf=False)
            item = result.report.to_dict()
        item["batch"] = _batch_block(path, digest, settings)
    except Exception as err:  # noqa: BLE001 - a bad recording must not stop the batch
        item = error_item(path, digest, settings, err,
                          with_traceback=not isinstance(err, EmgcontrolError))
    msgs: list[str] = []
    for w in caught or []:
        m = f"{w.category.__name__}: {w.message}"
        if m not in msgs:
            msgs.append(m)
    item["batch"]["warnings"] = msgs[:_MAX_WARNINGS]
    item["batch"]["elapsed_s"] = round(time.perf_counter() - t0, 4)
    return item


_content_hash = content_hash


def warm_up(protocol: str | os.PathLike[str] = "prone-hip-extension", *,
            sim_protocol: str | None = None, options: Mapping[str, Any] | None = None,
            level: int | str = "full", montage: Any = None) -> float:
    """Run the whole chain once on a short simulated session (a BDF file in a
    temporary directory), so that the numba kernels are compiled (or loaded from
    their on-disk cache) and the modules imported before the first recording.

    Done once per process and protocol; later calls return 0 at once.  Never
    raises.

    Parameters
    ----------
    protocol, options, level, montage :
        As for :func:`run_one`.
    sim_protocol : str, optional
        Simulated protocol (default: the pattern's id when the simulator knows it,
        else ``"prone-hip-extension"``).

    Returns
    -------
    float
        Seconds spent.
    """
    key = json.dumps([os.fspath(protocol), sim_protocol, options, level, str(montage)],
                     sort_keys=True, default=str)
    with _WARM_LOCK:
        if key in _WARMED:
            return 0.0
        t0 = time.perf_counter()
        try:
            import tempfile

            from ..io import write_bdf
            from ..simulate import PROTOCOLS, simulate

            name = sim_protocol or os.fspath(protocol)
            if name not in PROTOCOLS:
                name = "prone-hip-extension"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rec, _ = simulate(name, sfreq=250.0, n_trials=1, mvc=True, seed=0)
                with tempfile.TemporaryDirectory(prefix="emgcontrol-warmup-") as d:
                    p = write_bdf(rec, Path(d) / "warmup.bdf")
                    run_one(p, protocol, options=options, level=level, montage=montage)
        except Exception:  # noqa: BLE001 - a failed warm-up only costs time later
            pass
        dt = time.perf_counter() - t0
        _WARMED[key] = dt
        return dt


# ------------------------------------------------------------------- table
def _slim(item: Mapping[str, Any]) -> dict[str, Any]:
    """What the table needs of a per-recording result (kept in memory for every
    recording until the end, instead of the whole result with its measures)."""
    b = item.get("batch") or {}
    keep = ("content_hash", "status", "error_type", "error", "elapsed_s", "worker")
    st = b.get("settings") or {}
    return {"score": item.get("score"),
            "criteria": [{k: c.get(k) for k in ("id",) + _CRITERION_FIELDS}
                         for c in item.get("criteria") or []],
            "batch": {**{k: b.get(k) for k in keep},
                      "settings": {"protocol": st.get("protocol"), "level": st.get("level")}}}


def _rows(item: Mapping[str, Any], path: str, *, cached: bool,
          json_path: str | None) -> list[dict[str, Any]]:
    b = item.get("batch") or {}
    st = b.get("settings") or {}
    lvl = st.get("level")
    ok = b.get("status") == "ok"
    score = item.get("score") if ok else None
    base = {"path": path, "content_hash": b.get("content_hash"),
            "protocol": st.get("protocol"),
            "level": lvl if isinstance(lvl, int) and not isinstance(lvl, bool) else None,
            "status": b.get("status") or "error", "score": score,
            "error_type": b.get("error_type"), "error": b.get("error"), "cached": cached,
            "elapsed_s": b.get("elapsed_s"), "worker": b.get("worker"),
            "json": json_path or ""}
    crit = (item.get("criteria") or []) if ok else []
    if not crit:
        return [{**base, "criterion": None, **{k: None for k in _CRITERION_FIELDS}}]
    return [{**base, "criterion": c.get("id"), **{k: c.get(k) for k in _CRITERION_FIELDS}}
            for c in crit]


def _table(rows: list[dict[str, Any]], attrs: Mapping[str, Any]) -> Any:
    import pandas as pd

    df = pd.DataFrame(rows, columns=list(COLUMNS))
    for c in _FLOAT_COLS:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    for c in _INT_COLS:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("Int64")
    df["cached"] = df["cached"].astype(bool)
    for c in COLUMNS:
        if c not in _FLOAT_COLS and c not in _INT_COLS and c != "cached":
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    df.attrs = dict(attrs)
    return df


def _write_atomic(path: Path, write: Callable[[Path], Any]) -> Path:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _write_json(path: Path, item: Mapping[str, Any]) -> Path:
    text = json.dumps(item, indent=1, allow_nan=False) + "\n"
    return _write_atomic(path, lambda t: t.write_text(text, encoding="utf-8"))


def _load_item(path: Path) -> dict[str, Any] | None:
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(d, dict) or not isinstance(d.get("batch"), dict) \
            or d["batch"].get("format") != ITEM_FORMAT:
        return None
    return d


# ---------------------------------------------------------------- progress
class _Progress:
    """A progress bar on stderr (redrawn in place on a terminal; a line every 10 %
    otherwise), or a callback ``progress(done, total, item)``."""

    def __init__(self, total: int, progress: bool | Callable[..., Any],
                 stream: Any = None) -> None:
        self.total = total
        self.done = 0
        self.counts = {"ok": 0, "error": 0, "reused": 0}
        self.callback = progress if callable(progress) else None
        self.enabled = bool(progress) and self.callback is None
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.t0 = time.perf_counter()
        self.t_first: float | None = None
        self.n_first = 0
        self._last_decile = -1

    def start_computing(self) -> None:
        self.t_first = time.perf_counter()
        self.n_first = self.done

    def advance(self, item: Mapping[str, Any], *, reused: bool = False) -> None:
        self.done += 1
        ok = (item.get("batch") or {}).get("status") == "ok"
        self.counts["reused" if reused else ("ok" if ok else "error")] += 1
        if self.callback is not None:
            self.callback(self.done, self.total, item)
        elif self.enabled:
            self._draw()

    def _line(self) -> str:
        n, tot = self.done, max(self.total, 1)
        width = 24
        fill = int(round(width * n / tot))
        el = time.perf_counter() - self.t0
        eta = ""
        if self.t_first is not None and n > self.n_first and n < tot:
            rate = (time.perf_counter() - self.t_first) / (n - self.n_first)
            eta = f", ~{_hms(rate * (tot - n))} left"
        c = self.counts
        return (f"batch {n:>{len(str(tot))}}/{tot} [{'#' * fill}{'.' * (width - fill)}] "
                f"{100 * n / tot:3.0f}% | ok {c['ok']}, error {c['error']}, reused "
                f"{c['reused']} | {_hms(el)}{eta}")

    def _draw(self) -> None:
        if self.tty:
            self.stream.write("\r" + self._line() + "\x1b[K")
            self.stream.flush()
            return
        dec = int(10 * self.done / max(self.total, 1))
        if dec != self._last_decile:
            self._last_decile = dec
            self.stream.write(self._line() + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty and self.done:
            self.stream.write("\n")
            self.stream.flush()


def _hms(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else \
        f"{s // 60}:{s % 60:02d}"


# ------------------------------------------------------------------ result
@dataclass
class BatchResult:
    """The result of :func:`run`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per recording x criterion (:data:`COLUMNS`); a failed recording
        has one row with ``status="error"``.  ``table.attrs`` holds the protocol,
        the settings and the time of the run.
    files : dict
        ``parquet``, ``csv`` and ``json_dir`` written (empty without ``out``).
    protocol : str
        Pattern id.
    settings : dict
        Protocol, pattern source and SHA-256, options, level, montage, and their
        ``key`` (what a re-run compares).
    n_recordings, n_ok, n_failed, n_cached : int
        Recordings in the batch / assessed / failed / reused from an earlier run
        (``n_ok`` includes the reused ones).
    n_computed : int
        Tasks run (recordings with identical content run once).
    elapsed_s : float
        Wall time of :func:`run`, s.
    n_workers : int or None
        Dask workers used (None when nothing had to run).
    scheduler : str or None
        Scheduler address (None when nothing had to run).
    """

    table: Any
    files: dict[str, Path] = field(default_factory=dict)
    protocol: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    n_recordings: int = 0
    n_ok: int = 0
    n_failed: int = 0
    n_cached: int = 0
    n_computed: int = 0
    elapsed_s: float = 0.0
    n_workers: int | None = None
    scheduler: str | None = None

    def to_dataframe(self) -> Any:
        """The table (:attr:`table`)."""
        return self.table

    def recordings(self) -> Any:
        """One row per recording: ``path, content_hash, status, score, n_pass, n_fail,
        n_not_assessable, error_type, error, cached, elapsed_s, json``."""
        import pandas as pd

        t = self.table
        keys = ["path", "content_hash", "status", "score", "error_type", "error", "cached",
                "elapsed_s", "json"]
        first = t.drop_duplicates("path")[keys].set_index("path")
        counts = (t.assign(v=t["verdict"]).groupby(["path", "v"]).size()
                  .unstack(fill_value=0))
        for v in ("pass", "fail", "not_assessable"):
            first[f"n_{v}"] = (counts[v] if v in counts.columns
                               else pd.Series(dtype="int64")).reindex(first.index) \
                .fillna(0).astype("int64")
        cols = ["content_hash", "status", "score", "n_pass", "n_fail", "n_not_assessable",
                "error_type", "error", "cached", "elapsed_s", "json"]
        return first[cols].reset_index()

    def failed(self) -> Any:
        """The error rows: ``path, error_type, error`` (and the other columns)."""
        return self.table[self.table["status"] == "error"].reset_index(drop=True)

    def summary(self) -> str:
        """What the command prints: counts, files and the failed recordings."""
        lines = [f"{self.protocol}: {self.n_recordings} recording"
                 f"{'s' if self.n_recordings != 1 else ''}, {self.n_ok} assessed "
                 f"({self.n_cached} reused from an earlier run), {self.n_failed} failed "
                 f"-- {self.elapsed_s:.1f} s"
                 + (f" on {self.n_workers} worker{'s' if self.n_workers != 1 else ''}"
                    if self.n_workers else "")]
        if self.n_ok:
            ok = self.table[self.table["status"] == "ok"].drop_duplicates("path")
            sc = ok["score"].dropna()
            if len(sc):
                lines.append(f"score: median {sc.median():.0f}, range {sc.min():.0f}-"
                             f"{sc.max():.0f} ({len(sc)} with a score)")
        bad = self.failed()
        for _, r in bad.head(20).iterrows():
            msg = str(r["error"])
            msg = msg if len(msg) <= 160 else msg[:157] + "..."
            lines.append(f"  FAILED {r['path']}: {r['error_type']}: {msg}")
        if len(bad) > 20:
            lines.append(f"  ... and {len(bad) - 20} more (status == 'error' in the table)")
        for k in ("parquet", "csv", "json_dir"):
            if k in self.files:
                lines.append(f"{k + ':':<10}{self.files[k]}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"<BatchResult | {self.protocol}: {self.n_recordings} recordings, "
                f"{self.n_ok} ok ({self.n_cached} reused), {self.n_failed} failed, "
                f"{len(self.table)} rows>")


# --------------------------------------------------------------------- run
def _check_count(name: str, value: Any, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(f"{name} must be an integer >= 1"
                              + (" or None" if allow_none else "") + f"; got {value!r}")
    return value


def _settings(protocol: Any, options: Mapping[str, Any] | None, level: Any,
              montage: Any) -> tuple[dict[str, Any], str, str | None]:
    """Resolve the pattern now (bad protocol/options/level/montage fail before any
    work) and describe what decides whether an earlier result can be reused."""
    from .._util import jsonable
    from ..patterns import get_pattern

    if not isinstance(protocol, (str, os.PathLike)):
        raise ValidationError(f"protocol must be a protocol name, a pattern id or a .toml "
                              f"path; got {type(protocol).__name__}")
    if options is not None and not isinstance(options, Mapping):
        raise ValidationError(f"options must be a mapping such as {{'side': 'left'}}; got "
                              f"{type(options).__name__}")
    pattern = get_pattern(protocol, options=dict(options) if options else None)
    if not (level == "full" or (isinstance(level, int) and not isinstance(level, bool))):
        raise ValidationError(f"level must be 'full' or a level number; got {level!r}")
    if level != "full":
        pattern.get_level(level)
    mont_desc: Any = None
    if montage is not None:
        from ..montage import as_montage

        m = as_montage(montage)
        mont_desc = m.to_dict() if hasattr(m, "to_dict") else str(m)
    src = pattern.source
    # workers get a path they can open for a pattern file (not the caller's search path)
    proto_arg = str(Path(src).resolve()) if src and not src.startswith("<") and \
        Path(src).is_file() else os.fspath(protocol)
    settings = {"protocol": pattern.id, "pattern_source": src,
                "pattern_sha256": hashlib.sha256((pattern.text or "").encode()).hexdigest(),
                "options": jsonable(dict(options or {})), "level": level,
                "montage": jsonable(mont_desc)}
    settings["key"] = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()
                                     ).hexdigest()[:16]
    return settings, proto_arg, pattern.id


def run(
    paths_or_glob: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    protocol: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] | None = None,
    client: Any = None,
    n_workers: int | None = None,
    threads_per_worker: int = 1,
    processes: bool = True,
    numba_threads: int | None = 1,
    force: bool = False,
    options: Mapping[str, Any] | None = None,
    level: int | str = "full",
    montage: Any = None,
    progress: bool | Callable[[int, int, dict[str, Any]], Any] = True,
    warmup: bool = True,
) -> BatchResult:
    """Assess a cohort of recordings against a protocol, one Dask task per recording.

    Parameters
    ----------
    paths_or_glob : str, path or iterable of them
        Recordings: glob patterns (``"cohort/*.bdf"``, ``"data/**/*.csv"``),
        directories or files (see :func:`expand_paths`).  The batch's own outputs
        are left out.
    protocol : str or path
        Built-in protocol (``prone-hip-extension``, ``flexion-relaxation``,
        ``arm-raise``, ``sorensen``, ``lift``), pattern id or ``.toml`` file.
    out : path, optional
        The results table, ``*.parquet`` or ``*.csv``: both ``<stem>.parquet`` and
        ``<stem>.csv`` are written, and one JSON per recording in ``<stem>.d/``
        (:func:`output_paths`).  None: nothing is written and nothing can be reused.
    client : distributed.Client, str or None
        Where to run: a Client, a scheduler address (``"tcp://host:8786"``; the
        workers must have emgcontrol installed and see the files at the same
        paths), or None for a local cluster started for this call and closed after.
    n_workers : int, optional
        Workers of the local cluster (default: the CPU count, at most one per task).
    threads_per_worker : int
        Threads per local worker (default 1: the chain holds the GIL part of the
        time, so processes scale better than threads).
    processes : bool
        Local workers as processes (default) or threads of this process.
    numba_threads : int or None
        Threads each task lets the numba kernels use (default 1: the cohort is the
        parallel dimension; None leaves numba's default, all cores per task).
    force : bool
        Re-assess every recording, even those done before.
    options : mapping, optional
        Pattern options (``{"side": "left"}``).
    level : "full" or int
        The full pattern (default) or a training level.
    montage : optional
        Montage for recordings that carry none (preset, muscles, ``"CH=muscle,..."``).
    progress : bool or callable
        A progress bar on stderr (default), nothing (False), or a function called
        as ``progress(done, total, item)`` after each recording (``item``: the
        per-recording dict of :func:`run_one`).
    warmup : bool
        Let every worker run the chain once on a short simulated session before the
        first recording (:func:`warm_up`; a worker plugin, so workers that join
        later warm up too).

    Returns
    -------
    BatchResult

    Raises
    ------
    ValidationError
        Bad arguments, unknown protocol/level/montage, no recordings matched,
        ``out`` without a .parquet/.csv ending, no parquet engine installed.
    EmgcontrolError
        Dask is not installed, the scheduler cannot be reached or has no workers.

    Notes
    -----
    A recording is *done* when ``<stem>.d/<content_hash>.json`` holds
    ``status="ok"`` for the same settings (``settings["key"]``: pattern text,
    options, level and montage; not the emgcontrol version, which is recorded).
    Recordings with identical content run once and get a row each.  Every
    per-recording JSON is written (atomically) as soon as its task finishes, so
    an interrupted batch continues where it stopped when run again; the tables
    are written at the end.
    """
    t0 = time.perf_counter()
    n_workers = _check_count("n_workers", n_workers, allow_none=True)
    if client is not None and n_workers is not None:
        raise ValidationError("n_workers sizes the local cluster; a client or scheduler "
                              "address brings its own workers: give one or the other")
    threads_per_worker = _check_count("threads_per_worker", threads_per_worker)
    numba_threads = _check_count("numba_threads", numba_threads, allow_none=True)
    settings, proto_arg, pattern_id = _settings(protocol, options, level, montage)
    files = output_paths(out) if out is not None else {}
    if files:
        import importlib.util

        if importlib.util.find_spec("pyarrow") is None and \
                importlib.util.find_spec("fastparquet") is None:
            raise ValidationError("writing the results table needs pyarrow: pip install "
                                  "'emgcontrol[cohort]' (or pyarrow)")
        if files["json_dir"].exists() and not files["json_dir"].is_dir():
            raise ValidationError(f"{files['json_dir']} exists and is not a directory")
    paths = expand_paths(paths_or_glob,
                         exclude=[files[k] for k in ("parquet", "csv", "json_dir")]
                         if files else ())

    # content hashes (a path that cannot be read becomes an error row now)
    pre_errors: dict[str, dict[str, Any]] = {}
    hash_of: dict[str, str] = {}
    groups: dict[str, list[Path]] = {}
    for p in paths:
        try:
            h = content_hash(p)
        except (OSError, EmgcontrolError) as err:
            pre_errors[str(p)] = error_item(p, None, settings, err)
            continue
        hash_of[str(p)] = h
        groups.setdefault(h, []).append(p)

    # what earlier runs finished
    reused: dict[str, dict[str, Any]] = {}
    prog = _Progress(len(groups) + len(pre_errors), progress)
    for item in pre_errors.values():
        prog.advance(item)
    if files and not force:
        for h in groups:
            prev = _load_item(files["json_dir"] / f"{h}.json")
            if prev is not None and prev["batch"].get("status") == "ok" and \
                    (prev["batch"].get("settings") or {}).get("key") == settings["key"]:
                reused[h] = _slim(prev)
                prog.advance(prev, reused=True)
    todo = [h for h in groups if h not in reused]
    if files:
        files["json_dir"].mkdir(parents=True, exist_ok=True)

    results: dict[str, dict[str, Any]] = {}

    def on_result(h: str, item: dict[str, Any]) -> None:
        if files:
            _write_json(files["json_dir"] / f"{h}.json", item)
        results[h] = _slim(item)
        prog.advance(item)

    info: dict[str, Any] = {}
    try:
        if todo:
            from ._dask import execute

            def size(h: str) -> int:
                try:
                    return groups[h][0].stat().st_size
                except OSError:
                    return 0

            # absolute paths: a worker's working directory is not ours
            jobs = [(h, str(groups[h][0].resolve()))
                    for h in sorted(todo, key=size, reverse=True)]
            task_kwargs = {"options": dict(options) if options else None, "level": level,
                           "montage": montage, "numba_threads": numba_threads,
                           "settings": settings}
            warm_kwargs = {"sim_protocol": pattern_id, "options": task_kwargs["options"],
                           "level": level, "montage": montage} if warmup else None
            info = execute(jobs, proto_arg, task_kwargs, client=client, n_workers=n_workers,
                           threads_per_worker=threads_per_worker, processes=processes,
                           warm_kwargs=warm_kwargs, on_result=on_result,
                           on_start=prog.start_computing)
    finally:
        prog.close()

    rows: list[dict[str, Any]] = []
    n_ok = n_failed = n_cached = 0
    for p in paths:
        s = str(p)
        if s in pre_errors:
            rows += _rows(pre_errors[s], s, cached=False, json_path=None)
            n_failed += 1
            continue
        h = hash_of[s]
        was_reused = h in reused
        item = reused[h] if was_reused else results[h]
        jp = str(files["json_dir"] / f"{h}.json") if files else None
        rows += _rows(item, s, cached=was_reused, json_path=jp)
        if item["batch"].get("status") == "ok":
            n_ok += 1
            n_cached += was_reused
        else:
            n_failed += 1
    attrs = {"format": "emgcontrol-batch", "version": ITEM_VERSION, "protocol": pattern_id,
             "settings": settings, "created": _now()}
    table = _table(rows, attrs)
    if files:
        _write_atomic(files["parquet"], lambda t: table.to_parquet(t, index=False))
        _write_atomic(files["csv"], lambda t: table.to_csv(t, index=False))
    return BatchResult(table=table, files=files, protocol=str(pattern_id), settings=settings,
                       n_recordings=len(paths), n_ok=n_ok, n_failed=n_failed,
                       n_cached=n_cached, n_computed=len(todo),
                       elapsed_s=time.perf_counter() - t0,
                       n_workers=info.get("n_workers"), scheduler=info.get("scheduler"))
