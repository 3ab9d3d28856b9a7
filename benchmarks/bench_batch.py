"""Cohort processing on Dask against a plain serial loop, and the scheduler's overhead.

A simulated cohort (prone hip extension, variants typical / reversed /
delayed-gluteus in turn, one seed each, MVC block + 3 repetitions at 250 Hz: 54 s
and ~0.45 MB of BDF per recording) is written once into a cache directory.
Then, for each configuration, the whole cohort is assessed:

serial
    ``for p in paths: emgcontrol.batch.run_one(p, protocol)`` in this process,
    after one warm-up (numba at its default thread count, and with 1 thread).
dask W x T
    ``emgcontrol.batch.run(paths, protocol, client=client, out=..., force=True)`` on
    a ``LocalCluster`` of W worker processes with T threads each (numba 1 thread
    per task, the batch default).  *startup* is the cluster start plus the
    workers' warm-up (run once, before); *batch* is the ``run()`` call: hashing,
    tasks, per-recording JSON files, parquet + CSV.

The scheduler's overhead is measured as a no-op task's round trip (1000 tasks
submitted at once, and 50 one after the other) and as (dask 1 x 1 - serial with 1
numba thread) / recording.  The machine may be shared: the load average before
each measurement is printed, and each configuration is timed ``--repeat`` times
(median shown).

Usage::

    python benchmarks/bench_batch.py                       # 200 recordings, 1 repeat
    python benchmarks/bench_batch.py --n 200 --repeat 3
    python benchmarks/bench_batch.py --n 40 --configs serial 1x1 2x1
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from emgcontrol import batch  # noqa: E402

PROTOCOL = "prone-hip-extension"
VARIANTS = ("typical", "reversed", "delayed-gluteus")


def make_cohort(folder: Path, n: int, sfreq: float, n_trials: int) -> list[Path]:
    """Write ``n`` simulated recordings into ``folder`` (kept between runs)."""
    from emgcontrol.io import write_bdf
    from emgcontrol.simulate import simulate

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(n):
            v = VARIANTS[i % len(VARIANTS)]
            p = folder / f"s{i:04d}-{v}.bdf"
            if not p.is_file():
                rec, _ = simulate(PROTOCOL, v, sfreq=sfreq, n_trials=n_trials, mvc=True,
                                  seed=i)
                tmp = p.with_suffix(".tmp.bdf")
                write_bdf(rec, tmp)
                os.replace(tmp, p)
            paths.append(p)
    dt = time.perf_counter() - t0
    if dt > 1:
        print(f"cohort: wrote/checked {n} recordings in {folder} in {dt:.0f} s",
              file=sys.stderr)
    return paths


def _load() -> str:
    return "{:.1f}".format(os.getloadavg()[0])


def time_serial(paths: list[Path], numba_threads: int | None) -> dict[str, float | str]:
    import numba

    before = numba.get_num_threads()
    batch.warm_up(PROTOCOL)
    load = _load()
    t0 = time.perf_counter()
    per = []
    for p in paths:
        item = batch.run_one(p, PROTOCOL, numba_threads=numba_threads)
        assert item["batch"]["status"] == "ok", item["batch"]["error"]
        per.append(item["batch"]["elapsed_s"])
    wall = time.perf_counter() - t0
    numba.set_num_threads(before)
    return {"wall": wall, "task": statistics.median(per), "load": load, "startup": 0.0}


def start_cluster(workers: int, threads: int) -> tuple[Any, Any, float]:
    from distributed import Client, LocalCluster

    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=workers, threads_per_worker=threads, processes=True,
                           dashboard_address=":0", silence_logs=40)
    client = Client(cluster)
    client.run(batch.warm_up, PROTOCOL, sim_protocol=PROTOCOL)
    return client, cluster, time.perf_counter() - t0


def time_dask(paths: list[Path], workers: int, threads: int, out_dir: Path
              ) -> dict[str, float | str]:
    """One cold run: start the cluster (+ warm-up), then ``batch.run`` on it.

    ``gap`` is the time each worker thread spends *not* assessing a recording,
    per recording: (threads x batch wall - sum of task times) / n -- scheduling,
    transfers and the client's work that the workers wait for.  ``client_cpu``
    is this process's CPU time per recording (hashing, results, JSON, tables).
    """
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    load = _load()
    client, cluster, startup = start_cluster(workers, threads)
    try:
        c0 = time.process_time()
        t0 = time.perf_counter()
        res = batch.run(paths, PROTOCOL, client=client, out=out_dir / "results.parquet",
                        force=True, progress=False)
        wall = time.perf_counter() - t0
        cpu = time.process_time() - c0
        assert res.n_failed == 0, res.summary()
        per = res.table.drop_duplicates("path")["elapsed_s"]
        n = len(paths)
        out = {"wall": wall, "task": float(per.median()), "load": load, "startup": startup,
               "gap": (workers * threads * wall - float(per.sum())) / n,
               "client_cpu": cpu / n}
        if (workers, threads) == (1, 1):
            out["piped"], out["seq"] = scheduler_overhead(client)
            # a re-run with everything done: hashes, JSON reads, tables
            t0 = time.perf_counter()
            again = batch.run(paths, PROTOCOL, client=client,
                              out=out_dir / "results.parquet", progress=False)
            out["rerun"] = time.perf_counter() - t0
            assert again.n_cached == n
        return out
    finally:
        client.close()
        cluster.close()


def noop(x: int) -> int:
    return x


def scheduler_overhead(client: Any) -> tuple[float, float]:
    """(pipelined ms/task over 1000 no-op tasks, sequential round trip ms)."""
    client.gather(client.map(noop, range(20), pure=False))  # warm
    t0 = time.perf_counter()
    client.gather(client.map(noop, range(1000), pure=False))
    piped = (time.perf_counter() - t0) / 1000 * 1e3
    t0 = time.perf_counter()
    for i in range(50):
        client.submit(noop, i, pure=False).result()
    seq = (time.perf_counter() - t0) / 50 * 1e3
    return piped, seq


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200, help="recordings in the cohort (200)")
    ap.add_argument("--sfreq", type=float, default=250.0)
    ap.add_argument("--trials", type=int, default=3, help="repetitions per recording (3)")
    ap.add_argument("--cache", type=Path,
                    default=Path(tempfile.gettempdir()) / "emgcontrol-bench-batch",
                    help="where the cohort is written once (default: a temp folder)")
    ap.add_argument("--repeat", type=int, default=1, help="timings per configuration")
    ap.add_argument("--configs", nargs="+", default=["serial", "1x1", "2x1", "1x2"],
                    help="serial and/or WxT (workers x threads per worker)")
    args = ap.parse_args(argv)

    cohort_dir = args.cache / f"n{args.n}-{args.sfreq:g}hz-{args.trials}trials"
    paths = make_cohort(cohort_dir, args.n, args.sfreq, args.trials)
    out_root = Path(tempfile.mkdtemp(prefix="emgcontrol-bench-batch-out-"))
    n = len(paths)
    import numba

    configs: list[tuple[str, object]] = []
    for c in args.configs:
        if c == "serial":
            configs += [(f"serial (numba {numba.get_num_threads()} threads)", None),
                        ("serial (numba 1 thread)", 1)]
        else:
            w, t = (int(x) for x in c.lower().split("x"))
            configs.append((f"dask {w} worker{'s' if w > 1 else ''} x {t} thread"
                            f"{'s' if t > 1 else ''}", (w, t)))
    runs: dict[str, list[dict]] = {label: [] for label, _ in configs}
    try:
        # rounds over all configurations (not all repeats of one, then the next), so
        # that the load of a shared machine falls on every configuration alike
        for r in range(args.repeat):
            for label, cfg in configs:
                if cfg is None or isinstance(cfg, int):
                    res = time_serial(paths, cfg)
                else:
                    res = time_dask(paths, cfg[0], cfg[1], out_root / f"{cfg[0]}x{cfg[1]}")
                runs[label].append(res)
                print(f"round {r + 1}: {label}: {res['wall']:.1f} s (load {res['load']})",
                      file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(out_root, ignore_errors=True)

    def med(label: str, key: str) -> float:
        return statistics.median(float(x[key]) for x in runs[label])

    base = med(configs[0][0], "wall") if configs[0][1] is None else None
    print(f"\n{n} recordings ({PROTOCOL}, MVC block + {args.trials} repetitions at "
          f"{args.sfreq:g} Hz, BDF), {os.cpu_count()} CPUs, median of {args.repeat} "
          f"round{'s' if args.repeat > 1 else ''}\n")
    print("| configuration | startup s | batch s | s / recording | speed-up vs serial "
          "| median task s | worker idle / recording | load avg before |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for label, cfg in configs:
        wall = med(label, "wall")
        sp = f"{base / wall:.2f}" if base else "-"
        gap = f"{med(label, 'gap') * 1e3:.0f} ms" if "gap" in runs[label][0] else "-"
        print(f"| {label} | {med(label, 'startup'):.1f} | {wall:.1f} | {wall / n:.3f} | {sp} "
              f"| {med(label, 'task'):.3f} | {gap} | "
              f"{', '.join(str(x['load']) for x in runs[label])} |")
    one = [label for label, cfg in configs if cfg == (1, 1)]
    if one:
        o = one[0]
        print("\n| scheduler overhead | value |")
        print("|---|---:|")
        print(f"| no-op task, 1000 submitted at once (1 worker) | {med(o, 'piped'):.2f} ms "
              "/ task |")
        print(f"| no-op task, one after the other (round trip) | {med(o, 'seq'):.2f} ms |")
        print(f"| worker idle between recordings, dask 1 x 1 | {med(o, 'gap') * 1e3:.0f} ms "
              "/ recording |")
        print(f"| client CPU (hash, results, JSON, tables), dask 1 x 1 | "
              f"{med(o, 'client_cpu') * 1e3:.0f} ms / recording |")
        s1 = [label for label, cfg in configs if cfg == 1]
        if s1:
            d = (med(o, "wall") - med(s1[0], "wall")) / n * 1e3
            print(f"| (dask 1 x 1 - serial with 1 numba thread) / recording | {d:.0f} ms |")
        print(f"| re-run with all {n} recordings done (hash + JSON + tables) | "
              f"{med(o, 'rerun'):.1f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
