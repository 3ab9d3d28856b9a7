"""Start-up cost: cold (empty numba cache) and warm times of the first calls.

Every measurement runs in a new process, so imports and compilation count as a
user meets them: the first ``import emgcontrol`` and the first call of each
step in a fresh Python.  "Cold" gives the process an empty ``NUMBA_CACHE_DIR``
(a fresh install: every kernel compiles); "warm" reuses the cache the cold run
filled (every later run on that machine).  Medians of ``--repeats`` runs; the
load average is printed, since the machines are shared.

Scenarios

* ``chain``: ``import emgcontrol`` -> ``Recording.filter_emg()`` ->
  ``detect_onsets`` on 8 channels x 20 s at 1 kHz (random data with bursts).
* ``compare``: ``import emgcontrol`` -> ``compare`` of a simulated
  prone-hip-extension session (250 Hz, MVC block) with its pattern; the
  simulation itself is not timed.
* ``assess``: the command ``emgcontrol assess prone-hip-extension --input FILE``
  on a simulated session file, whole command wall time (report included).

Usage::

    python benchmarks/bench_startup.py              # all scenarios, 3 repeats
    python benchmarks/bench_startup.py --quick      # chain only, 1 repeat
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

CHILD = textwrap.dedent("""
    import json, sys, time, warnings
    warnings.simplefilter("ignore")
    scenario = sys.argv[1]
    out = {}
    t = time.perf_counter()
    import numpy as np
    import emgcontrol as ec
    out["import"] = time.perf_counter() - t
    if scenario == "chain":
        rng = np.random.default_rng(0)
        x = rng.standard_normal((8, 20_000)) * 1e-5
        for c in range(8):
            x[c, 4000 + 300 * c:7000 + 300 * c] *= 20
            x[c, 12000:15000] *= 10
        rec = ec.Recording.from_array(x, 1000.0, units="V")
        t = time.perf_counter(); f = rec.filter_emg(); out["filter_emg"] = time.perf_counter() - t
        t = time.perf_counter(); acts = ec.detect_onsets(f)
        out["detect_onsets"] = time.perf_counter() - t
        out["n_activations"] = len(acts)
    elif scenario == "compare":
        from emgcontrol.simulate import simulate
        rec, _ = simulate("prone-hip-extension", sfreq=250.0, snr_db=20, seed=1, mvc=True)
        t = time.perf_counter(); res = ec.compare(rec, "prone-hip-extension")
        out["compare"] = time.perf_counter() - t
    print("RESULT " + json.dumps(out))
""")


def _child(scenario: str, cache: Path) -> dict[str, float]:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "EMGCONTROL_QUIET_COMPILE": "1"}
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, scenario], env=env,
                         capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("RESULT "))
    res = json.loads(line[len("RESULT "):])
    res["process wall"] = wall
    return res


def _assess(cache: Path, data: Path, out_dir: Path) -> dict[str, float]:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "EMGCONTROL_QUIET_COMPILE": "1"}
    exe = Path(sys.executable).with_name("emgcontrol")
    cmd = ([str(exe)] if exe.exists() else [sys.executable, "-m", "emgcontrol.cli"])
    t0 = time.perf_counter()
    subprocess.run([*cmd, "assess", "prone-hip-extension", "--input", str(data),
                    "--out", str(out_dir), "--overwrite", "--yes"], env=env,
                   capture_output=True, text=True, check=True)
    return {"process wall": time.perf_counter() - t0}


def _table(title: str, runs: dict[str, list[dict[str, float]]]) -> str:
    keys = [k for k in runs["cold"][0] if not k.startswith("n_")]
    lines = [f"\n### {title}\n", "| step | cold (s) | warm (s) |", "|---|---:|---:|"]
    for k in keys:
        cold = float(np.median([r[k] for r in runs["cold"]]))
        warm = float(np.median([r[k] for r in runs["warm"]]))
        lines.append(f"| {k} | {cold:.2f} | {warm:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="chain only, one repeat")
    args = ap.parse_args(argv)
    repeats = 1 if args.quick else args.repeats
    scenarios = ["chain"] if args.quick else ["chain", "compare", "assess"]
    import emgcontrol
    import numba

    print(f"emgcontrol {emgcontrol.__version__}, numba {numba.__version__}, "
          f"numpy {np.__version__}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, load average before: "
          f"{', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    work = Path(tempfile.mkdtemp(prefix="emgcontrol-startup-"))
    try:
        data = work / "session.bdf"
        if "assess" in scenarios:
            subprocess.run([sys.executable, "-m", "emgcontrol.cli", "simulate",
                            "prone-hip-extension", "--out", str(data), "--mvc",
                            "--sfreq", "250"], check=True, capture_output=True)
        for sc in scenarios:
            runs: dict[str, list[dict[str, float]]] = {"cold": [], "warm": []}
            for r in range(repeats):
                cache = work / f"cache-{sc}-{r}"
                for kind in ("cold", "warm"):  # cold fills the cache the warm run uses
                    if sc == "assess":
                        res = _assess(cache, data, work / f"out-{sc}-{r}-{kind}")
                    else:
                        res = _child(sc, cache)
                    runs[kind].append(res)
            title = {"chain": "import -> filter_emg -> detect_onsets, 8 ch x 20 s at 1 kHz",
                     "compare": "import -> compare (prone hip extension, 250 Hz)",
                     "assess": "emgcontrol assess --input (whole command)"}[sc]
            print(_table(title + f" (median of {repeats})", runs))
            if sc == "chain":
                cold_total = float(np.median([r["process wall"] for r in runs["cold"]]))
                print(f"\ncold first call, whole process: {cold_total:.2f} s (goal <= 5 s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nload average after: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
