"""Fuzz every reader with corrupted files: each must read correctly or raise an
``EmgcontrolError`` that names the file.

For each format a small valid file is made here, then corrupted ``--n`` times
(default 1000) by one of: truncation, byte flips (anywhere or in the header),
inserted / deleted / duplicated / swapped lines, a wrong encoding (UTF-16,
Latin-1 accents, a BOM), huge or non-finite numbers (``1e308``, ``1e999``,
``nan``, ``-inf``, 30-digit integers), empty fields, inserted or deleted
byte blocks, and damaged JSON sidecars.  A corrupted file ends as one of:

* ``read``: a Recording that passes the checks of :func:`check_recording`
  (finite data, positive rate, one name/type per channel, events inside or at
  the end of the recording, finite timestamps);
* ``error``: an ``EmgcontrolError`` whose message names the file (``line``:
  how many of them also name the line, for the text formats);
* ``FAIL``: any other exception, an EmgcontrolError that does not name the
  file, a read that fails the checks, or a read taking longer than 20 s.

Run::

    python benchmarks/fuzz_readers.py            # 1000 per reader, the table
    python benchmarks/fuzz_readers.py --n 50 --readers edf,csv

The exit status is 1 when any input failed.  ``tests/test_io_fuzz.py`` runs a
short version of this in CI.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import emgcontrol as ec
from emgcontrol import io as eio
from emgcontrol.errors import EmgcontrolError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _biosemi import status_values, write_biosemi_bdf  # noqa: E402  (tests/_biosemi.py)
from _openbci import openbci_old, openbci_v6  # noqa: E402  (tests/_openbci.py)

TEXT = {"openbci_v6", "openbci_old", "brainflow", "csv", "myo_text", "brainvision"}
HUGE = ["1e308", "1e999", "-1e999", "nan", "NaN", "-inf", "inf", "123456789012345678901234567890",
        "-0", "0x1F", "1,5", "", " ", "١٢٣"]
TIMEOUT_S = 20


# ------------------------------------------------------------------ valid files
def make_samples(d: Path) -> dict[str, tuple[list[Path], Callable[[Path], Any]]]:
    """Valid files per reader: (files that may be corrupted, how to read the main one)."""
    rng = np.random.default_rng(0)
    rec = ec.Recording.from_array(rng.normal(0, 50, (2, 250)), 250, ["a", "b"], units="uV",
                                  muscles=["left multifidus", None],
                                  events=[(0.1, 0.0, "1"), (0.2, 0.1, "trial")])
    out: dict[str, tuple[list[Path], Callable[[Path], Any]]] = {}
    (d / "v6.txt").write_bytes(openbci_v6(120))
    out["openbci_v6"] = ([d / "v6.txt"], lambda p: eio.read(p, markers={1: "trial"}))
    (d / "old.txt").write_bytes(openbci_old(120))
    out["openbci_old"] = ([d / "old.txt"], lambda p: eio.read(p))
    eio.write_brainflow_csv(rec, d / "bf.csv", board="cyton")  # with its JSON sidecar
    out["brainflow"] = ([d / "bf.csv", d / "bf.csv.json"], lambda p: eio.read(p))
    eio.write_edf(rec, d / "r.edf")
    out["edf"] = ([d / "r.edf"], lambda p: eio.read(p))
    write_biosemi_bdf(d / "r.bdf", rng.normal(0, 40e-6, (3, 512)),
                      status_values(512, [(100, 10, 1), (300, 10, 2)]), 256)
    out["bdf_biosemi"] = ([d / "r.bdf"], lambda p: eio.read(p, markers={1: "trial"}))
    eio.write_csv(rec, d / "r.csv")
    out["csv"] = ([d / "r.csv", d / "r.csv.json"], lambda p: eio.read(p))
    t = np.arange(300)
    lab = np.zeros(300)
    lab[100:200] = 2
    np.savetxt(d / "myo.txt", np.column_stack([t, rng.normal(0, 1e-4, (300, 3)), lab]),
               delimiter="\t", fmt="%.6g", header="time\tc1\tc2\tc3\tclass", comments="")
    out["myo_text"] = ([d / "myo.txt"], lambda p: eio.read(p, units="V"))
    np.save(d / "r.npy", rec.get_data(units="uV"))
    out["npy"] = ([d / "r.npy"], lambda p: eio.read(p, sfreq=250))
    np.savez(d / "r.npz", x=rec.get_data(units="uV"), fs=250.0)
    out["npz"] = ([d / "r.npz"], lambda p: eio.read(p))
    import scipy.io

    scipy.io.savemat(d / "r.mat", {"EMG": {"channelData": rec.get_data(units="uV").T,
                                           "fs": 250}})
    out["mat"] = ([d / "r.mat"], lambda p: eio.read(p))
    eio.write_brainvision(rec, d / "s.vhdr")
    out["brainvision"] = ([d / "s.vhdr", d / "s.vmrk", d / "s.eeg"],
                          lambda p: eio.read(p))
    for name, (files, reader) in out.items():  # every sample is valid to begin with
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            problem = check_recording(reader(files[0]))
        assert problem is None, (name, problem)
    return out


# -------------------------------------------------------------- corruptions
def _is_text(raw: bytes) -> bool:
    return b"\x00" not in raw[:4096]


def corrupt(raw: bytes, rnd: random.Random, text: bool) -> tuple[str, bytes]:
    """One random corruption of ``raw``: (kind, new bytes)."""
    kinds = ["truncate", "flip", "flip_header", "insert_bytes", "delete_bytes",
             "header_number"]
    if text:
        kinds += ["insert_line", "delete_line", "duplicate_line", "swap_lines",
                  "encoding", "huge_number", "empty_field", "drop_delimiter"] * 2
    kind = rnd.choice(kinds)
    n = len(raw)
    if kind == "truncate":
        return kind, raw[:rnd.randrange(0, max(n, 1))]
    if kind in ("flip", "flip_header"):
        b = bytearray(raw)
        span = n if kind == "flip" else min(n, 600)
        for _ in range(rnd.randint(1, 6)):
            b[rnd.randrange(span)] = rnd.randrange(256)
        return kind, bytes(b)
    if kind == "insert_bytes":
        pos = rnd.randrange(n + 1)
        block = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 64)))
        return kind, raw[:pos] + block + raw[pos:]
    if kind == "delete_bytes":
        pos = rnd.randrange(n)
        return kind, raw[:pos] + raw[pos + rnd.randint(1, 64):]
    if kind == "header_number":  # a number of the first 600 bytes becomes a huge/odd one
        head = raw[:600].decode("latin-1")
        nums = list(re.finditer(r"-?\d+(\.\d+)?", head))
        if not nums:
            return kind, raw
        m = rnd.choice(nums)
        new = rnd.choice(HUGE + ["0", "-1", "99999999", "1e9"])
        width = m.end() - m.start()
        if not text:  # keep fixed-width header fields fixed
            new = (new + " " * width)[:width] if len(new) <= width else new[:width]
        return kind, ((head[:m.start()] + new + head[m.end():]).encode("latin-1", "replace")
                      + raw[600:])
    lines = raw.split(b"\n")
    if kind == "insert_line":
        pos = rnd.randrange(len(lines) + 1)
        choice = rnd.choice([b"", b"garbage,line,\xff\xfe", b",,,,", rnd.choice(lines) + b",9",
                             b"1" * rnd.randint(1, 400), b"# a comment", b"%Sample Rate = 0 Hz"])
        lines.insert(pos, choice)
    elif kind == "delete_line":
        del lines[rnd.randrange(len(lines))]
    elif kind == "duplicate_line":
        i = rnd.randrange(len(lines))
        lines.insert(i, lines[i])
    elif kind == "swap_lines":
        i, j = rnd.randrange(len(lines)), rnd.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "encoding":
        how = rnd.choice(["utf16", "latin1", "bom", "cp1252_mu"])
        text_s = raw.decode("utf-8", errors="replace")
        if how == "utf16":
            return kind, text_s.encode("utf-16")
        if how == "latin1":
            return kind, text_s.replace("a", "à", 3).encode("latin-1", errors="replace")
        if how == "bom":
            return kind, b"\xef\xbb\xbf" + raw
        return kind, text_s.replace("µ", "\xb5").encode("cp1252", errors="replace")
    elif kind in ("huge_number", "empty_field", "drop_delimiter"):
        i = rnd.randrange(len(lines))
        line = lines[i].decode("utf-8", errors="replace")
        nums = list(re.finditer(r"-?\d+(\.\d+)?(e-?\d+)?", line))
        if kind == "drop_delimiter":
            delims = [m.start() for m in re.finditer(r"[,\t;=]", line)]
            if delims:
                k = rnd.choice(delims)
                line = line[:k] + line[k + 1:]
        elif nums:
            m = rnd.choice(nums)
            new = rnd.choice(HUGE) if kind == "huge_number" else ""
            line = line[:m.start()] + new + line[m.end():]
        lines[i] = line.encode("utf-8")
    return kind, b"\n".join(lines)


# ------------------------------------------------------------------ checks
def check_recording(rec: Any) -> str | None:
    """None if ``rec`` is a sound Recording, else what is wrong."""
    if not isinstance(rec, ec.Recording):
        return f"returned {type(rec).__name__}"
    d = rec.data
    if d.ndim != 2 or d.shape[0] < 1 or d.shape[1] < 1:
        return f"data shape {d.shape}"
    if not np.isfinite(d).all():
        return "non-finite data"
    if not (np.isfinite(rec.sfreq) and rec.sfreq > 0):
        return f"sfreq {rec.sfreq}"
    if not (len(rec.ch_names) == len(rec.ch_types) == len(rec.muscles) == d.shape[0]):
        return "channel lists differ in length"
    if len(set(rec.ch_names)) != len(rec.ch_names):
        return "duplicate channel names"
    for e in rec.events:
        if not (np.isfinite(e.onset) and np.isfinite(e.duration) and e.duration >= 0):
            return f"bad event {e}"
    if rec.timestamps is not None and not np.isfinite(rec.timestamps).all():
        return "non-finite timestamps"
    return None


@dataclass
class Tally:
    inputs: int = 0
    read: int = 0
    error: int = 0
    line: int = 0
    fail: int = 0
    max_ms: float = 0.0
    slowest: str = ""
    kinds: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Timeout


def fuzz_one(name: str, files: list[Path], reader: Callable[[Path], Any], n: int,
             seed: int, work: Path) -> Tally:
    rnd = random.Random(f"{seed}-{name}")
    tally = Tally()
    originals = {f: f.read_bytes() for f in files}
    target_dir = work / f"fuzz_{name}"
    target_dir.mkdir()
    has_alarm = hasattr(signal, "SIGALRM")
    if has_alarm:
        signal.signal(signal.SIGALRM, _alarm)
    for i in range(n):
        for f, raw in originals.items():
            (target_dir / f.name).write_bytes(raw)
        victim = files[0] if len(files) == 1 or rnd.random() < 0.6 else rnd.choice(files[1:])
        raw = originals[victim]
        kind, bad = corrupt(raw, rnd, text=_is_text(raw))
        (target_dir / victim.name).write_bytes(bad)
        tally.inputs += 1
        tally.kinds[kind] = tally.kinds.get(kind, 0) + 1
        path = target_dir / files[0].name
        t0 = time.perf_counter()
        try:
            if has_alarm:
                signal.alarm(TIMEOUT_S)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rec = reader(path)
            problem = check_recording(rec)
            if problem is None:
                tally.read += 1
            else:
                tally.fail += 1
                tally.failures.append(f"#{i} {kind} on {victim.name}: read but {problem}")
        except _Timeout:
            tally.fail += 1
            tally.failures.append(f"#{i} {kind} on {victim.name}: longer than {TIMEOUT_S} s")
        except EmgcontrolError as err:
            msg = str(err)
            tally.errors[type(err).__name__] = tally.errors.get(type(err).__name__, 0) + 1
            named = any(f.name in msg for f in files) or str(target_dir) in msg
            if named:
                tally.error += 1
                if re.search(r"line \d+", msg):
                    tally.line += 1
            else:
                tally.fail += 1
                tally.failures.append(f"#{i} {kind} on {victim.name}: "
                                      f"{type(err).__name__} without the file: {msg[:200]}")
        except Exception as err:  # noqa: BLE001 - exactly what the fuzzing looks for
            tally.fail += 1
            tb = traceback.extract_tb(err.__traceback__)[-1]
            tally.failures.append(f"#{i} {kind} on {victim.name}: {type(err).__name__}: "
                                  f"{str(err)[:160]} ({Path(tb.filename).name}:{tb.lineno})")
        finally:
            if has_alarm:
                signal.alarm(0)
        ms = (time.perf_counter() - t0) * 1e3
        if ms > tally.max_ms:
            tally.max_ms, tally.slowest = ms, f"#{i} {kind} on {victim.name}"
            if ms > 1000 * TIMEOUT_S:  # C code the alarm could not interrupt
                tally.fail += 1
                tally.failures.append(f"#{i} {kind} on {victim.name}: took {ms / 1e3:.0f} s")
    return tally


def run(n: int = 1000, seed: int = 0, readers: list[str] | None = None,
        verbose: bool = False) -> dict[str, Tally]:
    """Fuzz the readers; returns a :class:`Tally` per reader."""
    work = Path(tempfile.mkdtemp(prefix="emgcontrol_fuzz_"))
    try:
        samples = make_samples(work)
        names = readers or list(samples)
        out = {}
        for name in names:
            files, reader = samples[name]
            out[name] = fuzz_one(name, files, reader, n, seed, work)
            if verbose:
                t = out[name]
                print(f"{name}: {t.inputs} inputs, {t.fail} failures", file=sys.stderr)
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def table(res: dict[str, Tally]) -> str:
    rows = ["| reader | inputs | read correctly | EmgcontrolError naming the file | "
            "... and the line | failures | slowest read (ms) |",
            "|---|---:|---:|---:|---:|---:|---:|"]
    for name, t in res.items():
        rows.append(f"| {name} | {t.inputs} | {t.read} | {t.error} | {t.line} | {t.fail} | "
                    f"{t.max_ms:.0f} |")
    tot = Tally()
    for t in res.values():
        tot.inputs += t.inputs
        tot.read += t.read
        tot.error += t.error
        tot.line += t.line
        tot.fail += t.fail
    rows.append(f"| **all** | {tot.inputs} | {tot.read} | {tot.error} | {tot.line} | "
                f"{tot.fail} | |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="corrupted inputs per reader")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--readers", default=None, help="comma-separated subset")
    ap.add_argument("--json", default=None, help="also write the counts to this file")
    args = ap.parse_args(argv)
    readers = args.readers.split(",") if args.readers else None
    t0 = time.perf_counter()
    res = run(args.n, args.seed, readers, verbose=True)
    print(table(res))
    print(f"\n{time.perf_counter() - t0:.0f} s; emgcontrol {ec.__version__}, numpy "
          f"{np.__version__}")
    for name, t in res.items():
        print(f"slowest {name}: {t.max_ms:.0f} ms ({t.slowest})")
    for name, t in res.items():
        for f in t.failures[:10]:
            print(f"FAIL {name} {f}")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {k: {kk: vv for kk, vv in vars(v).items()} for k, v in res.items()}, indent=1))
    return 1 if any(t.fail for t in res.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
