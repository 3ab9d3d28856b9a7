"""Kernels compile once each, run rows in threads, and cache where they can write."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from emgcontrol import _threads


@pytest.mark.parametrize("n_rows", [1, 2, 3, 4, 5, 8, 9, 16, 17, 33])
@pytest.mark.parametrize("threads", [1, 2, 3, 8])
def test_row_groups_partition_the_rows(n_rows, threads):
    groups = _threads.row_groups(n_rows, work=1e9, threads=threads)
    # contiguous, complete, non-empty, no more groups than threads
    assert groups[0][0] == 0 and groups[-1][1] == n_rows
    assert all(a < b for a, b in groups)
    assert all(groups[i][1] == groups[i + 1][0] for i in range(len(groups) - 1))
    assert len(groups) <= threads
    if threads > 1 and n_rows > 1:
        assert len(groups) > 1  # the work pays: more than one group
    if n_rows >= 4 * threads:  # the filter kernels interleave four rows
        assert all((b - a) % 4 == 0 for a, b in groups[:-1])


def test_small_work_stays_in_the_calling_thread():
    assert _threads.row_groups(16, work=1000.0, threads=8) == [(0, 16)]
    seen = []
    _threads.run_row_groups(lambda a, b: seen.append((a, b)), 16, 1000.0)
    assert seen == [(0, 16)]
    _threads.run_row_groups(lambda a, b: seen.append((a, b)), 0, 1e9)
    assert seen == [(0, 16)]  # no rows: not called


def test_run_row_groups_covers_each_row_once_and_propagates_errors(monkeypatch):
    monkeypatch.setattr(_threads, "n_threads", lambda: 3)
    hits = np.zeros(10, dtype=int)

    def fn(a, b):
        hits[a:b] += 1

    _threads.run_row_groups(fn, 10, 1e9)
    assert np.array_equal(hits, np.ones(10, dtype=int))

    def boom(a, b):
        if a > 0:
            raise ValueError(f"rows {a}:{b}")

    with pytest.raises(ValueError, match="rows"):
        _threads.run_row_groups(boom, 10, 1e9)


def test_numba_thread_setting_limits_the_groups():
    import numba

    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        assert _threads.row_groups(16, 1e9) == [(0, 16)]
    finally:
        numba.set_num_threads(before)


# A chain that touches every kernel with the inputs users give: read-only
# Recording data, float32, non-contiguous views, live blocks, every detector.
CHAIN = textwrap.dedent("""
    import warnings
    import numpy as np
    import emgcontrol as ec
    import emgcontrol.signal as es
    from emgcontrol.onset import OnsetDetector
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 6000)) * 1e-5
    x[:, 2000:3000] *= 30
    rec = ec.Recording.from_array(x, 1000.0, units="V")
    assert not rec.data.flags.writeable
    f = rec.filter_emg(notch=50.0)
    es.filter_emg(x.astype(np.float32), 1000.0)
    es.bandpass(x[:, ::2], 500.0)
    es.bandpass(rec.data, 1000.0, phase="causal")
    for ph in ("zero", "causal"):
        es.moving_rms(rec.data, 1000.0, phase=ph)
        es.moving_average(x[::-1], 1000.0, phase=ph)
        es.envelope(rec.data, 1000.0, "arv", phase=ph)
        es.envelope(rec.data, 1000.0, "linear", phase=ph)
        es.tkeo(rec.data, phase=ph)
    es.rectify(rec.data)
    for m in ("hodges", "aglr", "tkeo", "bonato"):
        ec.detect_onsets(f, method=m)
    pipe = es.Pipeline([es.BandPass(20.0, 450.0), es.Notch(50.0), es.Rectify(),
                        es.MovingRMS(0.05), es.TKEO()], 1000.0, 4)
    det = OnsetDetector(1000.0, 4, thresholds={"thr_on": [1.0] * 4, "thr_off": [1.0] * 4,
                                               "sig0": [1.0] * 4})
    ro = x.copy()
    ro.flags.writeable = False
    for i in range(0, 6000, 50):
        pipe.process(ro[:, i:i + 50])
        det.process(ro[:, i:i + 50])
    det.flush()
    es.warmup()
    from numba.core.registry import CPUDispatcher
    from emgcontrol.signal import _kernels as ks
    from emgcontrol.onset import _kernels as ko
    many = {}
    for mod in (ks, ko):
        for name in dir(mod):
            d = getattr(mod, name)
            if isinstance(d, CPUDispatcher) and len(d.signatures) > 1:
                many[f"{mod.__name__}.{name}"] = [str(s) for s in d.signatures]
    assert not many, many
    print("ok")
""")


def test_every_kernel_has_one_specialisation():
    """Read-only, float32 and strided inputs reach the kernels as one type.

    Each extra specialisation is seconds of compiling on a fresh machine; the
    chain runs in a new process so that nothing else in the test session has
    compiled variants first.
    """
    out = subprocess.run([sys.executable, "-c", CHAIN], capture_output=True, text=True,
                         timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("ok")


CACHED = textwrap.dedent("""
    import sys
    if sys.argv[1] == "read-only":  # as numba sees a package folder it cannot write
        from numba.core import caching
        in_tree = getattr(caching, "InTreeCacheLocator", None) or caching._InTreeCacheLocator
        in_tree.from_function = classmethod(lambda cls, f, p: None)
    import numpy as np
    import emgcontrol as ec
    from emgcontrol.signal import _kernels as ks
    from emgcontrol.onset import _kernels as ko
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3000)) * 1e-5
    x[:, 1000:1500] *= 30
    ec.detect_onsets(ec.Recording.from_array(x, 1000.0, units="V").filter_emg())
    used = [ks.sosfiltfilt, ks.sosfilt, ko.hodges]
    print(sum(d.stats.cache_hits[s] for d in used for s in d.signatures),
          sum(d.stats.cache_misses[s] for d in used for s in d.signatures))
""")


@pytest.mark.parametrize("where", ["cache-dir", "read-only"])
def test_second_process_loads_every_kernel_from_the_cache(tmp_path, where):
    """Compiled once, loaded after: from ``NUMBA_CACHE_DIR``, or, when the
    package folder cannot be written (a read-only site-packages), from the
    user's cache folder (``XDG_CACHE_HOME``)."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    if where == "cache-dir":
        env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba")
    else:
        env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    runs = []
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", CACHED, where], env=env,
                             capture_output=True, text=True, timeout=900)
        assert out.returncode == 0, out.stderr[-3000:]
        runs.append([int(v) for v in out.stdout.split()[-2:]])
    (hits1, misses1), (hits2, misses2) = runs
    assert misses1 >= 1  # the first process compiled (an empty cache) ...
    assert hits2 >= 3 and misses2 == 0  # ... the second compiled nothing
    written = list(tmp_path.rglob("*.nbi"))
    assert written, "no numba index in the cache folder"


def test_parallel_detector_twin_equals_the_serial_kernel(monkeypatch):
    """Large offline arrays take the prange twin; events and statistics are identical."""
    from emgcontrol.onset import _detect, detect_onsets

    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 20_000)) * 1e-5
    for c in range(3):
        x[c, 5000 + 700 * c:9000 + 500 * c] *= 25
    runs = {}
    for name, limit in (("serial", 1 << 40), ("parallel", 0)):
        monkeypatch.setattr(_detect, "PARALLEL_MIN_SAMPLES", limit)
        runs[name] = detect_onsets(x, 1000.0, ecg=None, notch=None).to_dataframe()
    assert len(runs["serial"]) == 3
    assert runs["serial"].equals(runs["parallel"])


def test_warmup_command_fills_the_cache_and_names_it(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    cmd = [sys.executable, "-m", "emgcontrol.cli", "warmup", "--methods", "hodges,tkeo"]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert [ln.split()[0] for ln in lines[:3]] == ["signal", "'hodges'", "'tkeo'"]
    assert lines[-1].startswith("numba cache: ") and str(tmp_path / "numba") in lines[-1]
    assert list((tmp_path / "numba").rglob("*.nbi"))
    bad = subprocess.run([sys.executable, "-m", "emgcontrol.cli", "warmup", "--methods", "x"],
                         env=env, capture_output=True, text=True, timeout=900)
    assert bad.returncode == 2 and "--methods" in bad.stderr and "hodges" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_top_level_warmup_prepares_signal_and_detector():
    import emgcontrol as ec
    from emgcontrol.onset import _kernels as ko

    assert ec.warmup() >= 0.0
    assert ko.hodges.signatures


PREFETCH = textwrap.dedent("""
    import numpy as np
    import emgcontrol as ec
    from emgcontrol import _compile_notice
    from emgcontrol.onset import _kernels as ko
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3000)) * 1e-5
    x[:, 1000:1500] *= 30
    f = ec.Recording.from_array(x, 1000.0, units="V").filter_emg()
    started = _compile_notice._prefetch is not None
    ec.detect_onsets(f)
    sig = ko.hodges.signatures[0]
    print(int(started), ko.hodges.stats.cache_hits[sig], ko.hodges.stats.cache_misses[sig])
""")


@pytest.mark.parametrize("enabled", [True, False])
def test_cold_filter_prefetches_the_detector_in_the_background(tmp_path, enabled):
    """With an empty cache, the first zero-phase filter starts a background compile
    of the default detector; the detector then loads from the cache it filled."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba"),
           "EMGCONTROL_PREFETCH": "1" if enabled else "0"}
    out = subprocess.run([sys.executable, "-c", PREFETCH], env=env, capture_output=True,
                         text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    started, hits, misses = (int(v) for v in out.stdout.split()[-3:])
    if enabled:
        assert (started, hits, misses) == (1, 1, 0)
    else:
        assert (started, hits, misses) == (0, 0, 1)
    assert "compiling the zero-phase filter" in out.stderr


def test_detection_runs_without_jit():
    """NUMBA_DISABLE_JIT=1 (coverage, debugging): the same chain in plain Python."""
    code = textwrap.dedent("""
        import numpy as np, emgcontrol as ec
        x = np.random.default_rng(0).standard_normal((2, 3000)) * 1e-5
        x[:, 1000:1500] *= 30
        acts = ec.detect_onsets(ec.Recording.from_array(x, 1000.0, units="V").filter_emg())
        assert len(acts) == 2, acts.to_dataframe()
        assert all(0.95 < a.onset < 1.05 and 1.45 < a.offset < 1.55 for a in acts)
        print("ok")
    """)
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]


def test_warmup_checks_methods_and_prepares_the_parallel_twin():
    import emgcontrol as ec
    from emgcontrol.onset import _kernels as ko

    for bad in (5, "nope", ["hodges", 3]):
        with pytest.raises(ec.ValidationError, match="methods"):
            ec.warmup(bad)
    assert ec.warmup(["tkeo"], large=True) >= 0.0
    assert ko.tkeo.signatures and ko.tkeo_par.signatures


QUIET_COMPILE = textwrap.dedent("""
    import warnings, numpy as np
    with warnings.catch_warnings():  # the module's own filter ends with this block,
        import emgcontrol.onset._kernels  # as when a test imported it
        from emgcontrol.onset import detect_onsets
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        x = np.random.default_rng(0).standard_normal((2, 20000))
        detect_onsets(x, 1000.0, method="tkeo", ecg=None, notch=None)
    print([w_.category.__name__ for w_ in w])
""")


def test_compiling_a_detector_warns_nothing_whatever_the_callers_filters(tmp_path):
    """The serial kernels go through numba's parallel pipeline with nothing to
    parallelise (NO_PARFOR): that expected notice is silenced at the compile,
    not only by a module-level filter that a caller's catch_warnings can drop."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba"),
           "EMGCONTROL_PREFETCH": "0"}
    out = subprocess.run([sys.executable, "-c", QUIET_COMPILE], env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "compiling the 'tkeo' onset detector" in out.stderr  # it did compile
    assert out.stdout.strip().splitlines()[-1] == "[]"
