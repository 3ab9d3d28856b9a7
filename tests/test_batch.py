"""Cohort processing on Dask: emgcontrol.batch.run and `emgcontrol batch`.

Oracles: the same recordings assessed one by one with emgcontrol.assess.assess
(the table must hold exactly its criteria, verdicts and values), the simulator's
ground truth (sign of the gluteus-vs-back latency), sha256 of the file bytes, and
the files the batch must (not) rewrite on a second run.

A small cohort (4 short simulated sessions at 250 Hz + one corrupt file) runs on an
in-process 2-worker LocalCluster; the CLI test starts a 1-process local cluster.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from emgcontrol import batch
from emgcontrol.cli import main
from emgcontrol.errors import ValidationError
from emgcontrol.io import write_bdf, write_brainflow_csv
from emgcontrol.patterns import Comparison, get_pattern
from emgcontrol.simulate import simulate

PROTOCOL = "prone-hip-extension"
ORDER = "gmax-before-ipsilateral-es"
# (variant, seed, writer): two formats, healthy and faulty recruitment
COHORT = [("typical", 0, "bdf"), ("reversed", 1, "bdf"), ("delayed-gluteus", 2, "bdf"),
          ("typical", 3, "csv")]


def _truth_latency_ms(truth) -> float:
    """Median over trials of (right longissimus onset - right gluteus onset), ms:
    positive when the gluteus fires first (what ORDER measures on the right side)."""
    df = truth.to_dataframe()
    df = df[df["trial"] >= 0]
    d = []
    for _, g in df.groupby("trial"):
        on = dict(zip(g["channel"], g["onset"]))
        d.append((on["LT R"] - on["GMax R"]) * 1000.0)
    return float(np.median(d))


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    d = tmp_path_factory.mktemp("cohort")
    files, truth = [], {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for variant, seed, fmt in COHORT:
            rec, tr = simulate(PROTOCOL, variant, sfreq=250.0, n_trials=3, mvc=True, seed=seed)
            p = d / f"s{seed}-{variant}.{fmt}"
            (write_bdf if fmt == "bdf" else write_brainflow_csv)(rec, p)
            files.append(p)
            truth[p.name] = _truth_latency_ms(tr)
    bad = d / "corrupt.bdf"
    bad.write_bytes(b"\xffBIOSEMI" + b"\x00" * 100)  # a truncated BDF header
    (d / "notes.md").write_text("not a recording\n")
    return {"dir": d, "good": files, "bad": bad, "truth": truth}


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("pyarrow")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                       dashboard_address=":0")
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def oracle(cohort):
    """Each good recording assessed directly, one by one."""
    from emgcontrol.assess import assess

    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for p in cohort["good"]:
            a = assess(PROTOCOL, input=p, out=None, pdf=False)
            out[str(p)] = a.comparison
    return out


def _by_path(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {p: g.reset_index(drop=True) for p, g in table.groupby("path", sort=False)}


# ------------------------------------------------------------- the cohort
def test_cohort_rows_errors_and_rerun(cohort, client, oracle, tmp_path):
    out = tmp_path / "results.parquet"
    seen = []
    res = batch.run(str(cohort["dir"] / "*"), PROTOCOL, out=out, client=client,
                    progress=lambda done, total, item: seen.append((done, total)))
    n_crit = len(get_pattern(PROTOCOL).criteria)
    paths = sorted(str(p) for p in cohort["good"] + [cohort["bad"]])
    assert sorted(res.table["path"].unique()) == paths  # notes.md left out by the glob
    assert seen == [(i, 5) for i in range(1, 6)]
    assert (res.n_recordings, res.n_ok, res.n_failed, res.n_cached, res.n_computed) == \
        (5, 4, 1, 0, 5)
    assert res.files == batch.output_paths(out)
    rows = _by_path(res.table)

    for p in cohort["good"]:
        r = rows[str(p)]
        comp = oracle[str(p)]
        # exactly the criteria of the direct assessment, in order, same results
        assert list(r["criterion"]) == [c.id for c in comp.criteria]
        assert len(r) == n_crit
        assert list(r["verdict"]) == [c.verdict for c in comp.criteria]
        np.testing.assert_allclose(r["measured"].to_numpy(float),
                                   [np.nan if c.measured is None else c.measured
                                    for c in comp.criteria], rtol=1e-12, equal_nan=True)
        assert list(r["target"]) == [c.target for c in comp.criteria]
        assert (r["status"] == "ok").all() and r["error"].isna().all()
        assert r["score"].iloc[0] == pytest.approx(comp.score)
        assert (r["protocol"] == PROTOCOL).all() and not r["cached"].any()
        assert (r["content_hash"] == hashlib.sha256(p.read_bytes()).hexdigest()).all() \
            or p.suffix == ".csv"  # a CSV's hash covers its JSON sidecar too
        # the simulator's firing order: gluteus first <=> positive latency
        meas = float(r.loc[r["criterion"] == ORDER, "measured"].iloc[0])
        assert np.sign(meas) == np.sign(cohort["truth"][p.name])
        # per-recording JSON: results.json content + batch block, read back as a Comparison
        item = json.loads(Path(r["json"].iloc[0]).read_text())
        assert item["batch"]["status"] == "ok" and item["batch"]["path"] == str(p)
        assert Comparison.from_dict(item).verdicts == comp.verdicts
        assert "reporting_items" in item and "assessment" in item

    # one row per recording, verdicts counted
    recs = res.recordings().set_index("path")
    assert sorted(recs.index) == paths
    for p in cohort["good"]:
        v = [c.verdict for c in oracle[str(p)].criteria]
        assert (recs.loc[str(p), "n_pass"], recs.loc[str(p), "n_fail"],
                recs.loc[str(p), "n_not_assessable"]) == \
            (v.count("pass"), v.count("fail"), v.count("not_assessable"))
    assert recs.loc[str(cohort["bad"]), "status"] == "error"
    assert f"FAILED {cohort['bad']}: FileFormatError" in res.summary()

    bad = rows[str(cohort["bad"])]
    assert len(bad) == 1 and bad["status"].iloc[0] == "error"
    assert bad["error_type"].iloc[0] == "FileFormatError"
    assert str(cohort["bad"]) in bad["error"].iloc[0]
    assert bad["criterion"].isna().all() and bad["verdict"].isna().all()
    assert bad["content_hash"].iloc[0] == hashlib.sha256(cohort["bad"].read_bytes()).hexdigest()

    # the files hold the same table
    for f in (res.files["parquet"], res.files["csv"]):
        t = pd.read_parquet(f) if f.suffix == ".parquet" else pd.read_csv(f)
        assert list(t.columns) == list(batch.COLUMNS)
        assert list(t["path"]) == list(res.table["path"])
        assert list(t["verdict"].fillna("-")) == list(res.table["verdict"].fillna("-"))

    # second run: the finished recordings are reused (their JSON untouched), the
    # corrupt one is tried again; a copy of a finished file is reused as well
    copy = cohort["dir"] / "copy-of-s0.bdf"
    copy.write_bytes(cohort["good"][0].read_bytes())
    try:
        stamps = {p: (res.files["json_dir"] / f"{h}.json").stat().st_mtime_ns
                  for p, h in zip(res.table["path"], res.table["content_hash"])}
        res2 = batch.run(str(cohort["dir"] / "*"), PROTOCOL, out=out, client=client,
                         progress=False)
        assert (res2.n_recordings, res2.n_ok, res2.n_failed, res2.n_cached,
                res2.n_computed) == (6, 5, 1, 5, 1)
        rows2 = _by_path(res2.table)
        for p in cohort["good"]:
            assert rows2[str(p)]["cached"].all()
            pd.testing.assert_frame_equal(rows2[str(p)].drop(columns="cached"),
                                          rows[str(p)].drop(columns="cached"))
            h = rows[str(p)]["content_hash"].iloc[0]
            assert (res.files["json_dir"] / f"{h}.json").stat().st_mtime_ns == stamps[str(p)]
        assert rows2[str(copy)]["cached"].all()
        assert list(rows2[str(copy)]["verdict"]) == list(rows[str(cohort["good"][0])]["verdict"])
        assert rows2[str(cohort["bad"])]["status"].iloc[0] == "error"
        assert not rows2[str(cohort["bad"])]["cached"].any()

        # --force: everything again (identical contents once)
        res3 = batch.run(str(cohort["dir"] / "*"), PROTOCOL, out=out, client=client,
                         force=True, progress=False)
        assert (res3.n_cached, res3.n_computed, res3.n_ok) == (0, 5, 5)
        assert not res3.table["cached"].any()
        for p in cohort["good"]:
            assert list(_by_path(res3.table)[str(p)]["verdict"]) == \
                list(rows[str(p)]["verdict"])
    finally:
        copy.unlink()

    # other settings (a training level) are not "done": assessed again
    lv = get_pattern(PROTOCOL).levels[0]
    res4 = batch.run([cohort["good"][0]], PROTOCOL, out=out, client=client, level=lv.level,
                     progress=False)
    assert (res4.n_cached, res4.n_computed) == (0, 1)
    assert (res4.table["level"] == lv.level).all()
    assert sorted(res4.table["criterion"]) == sorted(lv.criteria)


def test_dask_side_failure_is_recorded(cohort, client, monkeypatch):
    """A task that dies on the Dask side (not inside the chain) is an error row too."""
    import emgcontrol.batch._dask as bd

    def broken(path, protocol, **kw):
        raise RuntimeError(f"worker lost while on {path}")

    monkeypatch.setattr(bd, "run_one", broken)
    res = batch.run([cohort["good"][0], cohort["bad"]], PROTOCOL, client=client,
                    progress=False, warmup=False)
    assert res.n_failed == 2 and res.files == {}
    t = res.table
    assert list(t["error_type"]) == ["RuntimeError", "RuntimeError"]
    assert str(cohort["good"][0]) in t["error"].iloc[0]


def test_scheduler_by_address(cohort, client, tmp_path):
    """A scheduler address (here the in-process one) instead of a Client."""
    res = batch.run([cohort["good"][0]], PROTOCOL, client=client.scheduler.address,
                    out=tmp_path / "r.csv", progress=False)
    assert res.n_ok == 1 and res.scheduler == client.scheduler.address
    item = json.loads(Path(res.table["json"].iloc[0]).read_text())
    assert item["batch"]["path"] == str(cohort["good"][0].resolve())
    # the warm-up plugin is not left behind on a cluster that outlives the call
    assert "emgcontrol-warmup" not in client.run_on_scheduler(
        lambda dask_scheduler: list(dask_scheduler.worker_plugins))


def test_run_one_never_raises(cohort, tmp_path):
    item = batch.run_one(tmp_path / "nope.bdf", PROTOCOL)
    assert item["batch"]["status"] == "error"
    assert item["batch"]["error_type"] == "RecordingFileNotFoundError"
    assert item["criteria"] == [] and item["score"] is None
    json.dumps(item, allow_nan=False)
    item = batch.run_one(cohort["bad"], PROTOCOL, content_hash="x" * 64)
    assert item["batch"]["error_type"] == "FileFormatError"
    assert item["batch"]["traceback"] is None  # expected errors: the message says it all


# ------------------------------------------------------------------ CLI
def test_cli_batch(cohort, tmp_path, capsys):
    pytest.importorskip("distributed")
    pytest.importorskip("pyarrow")
    good, bad = cohort["good"][1], cohort["bad"]
    out = tmp_path / "cli.parquet"
    argv = ["batch", str(good), str(bad), "--protocol", PROTOCOL, "--out", str(out),
            "--workers", "1", "--quiet", "--no-warmup"]
    assert main(argv) == 1  # one recording failed
    txt = capsys.readouterr().out
    assert f"FAILED {bad}: FileFormatError" in txt and "1 failed" in txt
    t = pd.read_parquet(out)
    assert set(t["status"]) == {"ok", "error"}
    assert (t.loc[t["path"] == str(good), "criterion"].tolist()
            == [c.id for c in get_pattern(PROTOCOL).criteria])
    assert out.with_suffix(".csv").is_file()
    assert len(list(out.with_suffix(".d").glob("*.json"))) == 2
    # all done: nothing runs (no cluster), exit 0
    assert main(["batch", str(good), "--protocol", PROTOCOL, "--out", str(out), "-q"]) == 0
    assert "1 reused" in capsys.readouterr().out


@pytest.mark.parametrize("extra, message", [
    (["--out", "r.txt"], "must end in .parquet or .csv"),
    (["--out", "r.parquet", "--protocol", "no-such-protocol"], "no-such-protocol"),
    (["--out", "r.parquet", "--level", "x"], "--level"),
    (["--out", "r.parquet", "--option", "side"], "KEY=VALUE"),
    (["--out", "r.parquet", "--scheduler", "tcp://127.0.0.1:1", "--workers", "2"],
     "one or the other"),
])
def test_cli_batch_bad_arguments(cohort, extra, message, capsys):
    argv = ["batch", str(cohort["good"][0])] + extra
    if "--protocol" not in extra:
        argv += ["--protocol", PROTOCOL]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("emgcontrol batch: error:") and message in err


def test_cli_batch_nothing_matches(tmp_path, capsys):
    assert main(["batch", str(tmp_path / "*.bdf"), "--protocol", PROTOCOL,
                 "--out", str(tmp_path / "r.parquet")]) == 2
    assert "no recordings match" in capsys.readouterr().err


# ------------------------------------------------------- inputs and hashes
def test_expand_paths(cohort, tmp_path):
    d = cohort["dir"]
    got = batch.expand_paths(str(d / "*"))
    names = [p.name for p in got]
    assert names == sorted(names)
    assert "notes.md" not in names and not any(n.endswith(".json") for n in names)
    assert set(names) >= {p.name for p in cohort["good"]} | {"corrupt.bdf"}
    assert batch.expand_paths(d) == got  # a directory = its recordings
    # duplicates removed, order kept, explicit paths kept even when missing
    missing = tmp_path / "missing.bdf"
    two = batch.expand_paths([cohort["good"][1], str(d / "*.csv"), cohort["good"][1], missing])
    assert two == [cohort["good"][1], cohort["good"][3], missing]
    # outputs are left out
    (d / "res.d").mkdir(exist_ok=True)
    (d / "res.d" / "x.csv").write_text("a\n")
    (d / "res.csv").write_text("a\n")
    try:
        out = batch.expand_paths(str(d / "**" / "*.csv"),
                                 exclude=[d / "res.csv", d / "res.d"])
        assert [p.name for p in out] == [cohort["good"][3].name]
    finally:
        (d / "res.csv").unlink()
        (d / "res.d" / "x.csv").unlink()
        (d / "res.d").rmdir()
    with pytest.warns(Warning, match="no recordings match"):
        assert batch.expand_paths([str(d / "*.bdf"), str(tmp_path / "*.edf")])
    with pytest.raises(ValidationError, match="no recordings match"):
        batch.expand_paths(str(tmp_path / "*.edf"))
    with pytest.raises(ValidationError, match="empty"):
        batch.expand_paths([])
    with pytest.raises(ValidationError, match="paths or glob"):
        batch.expand_paths([3])


def test_content_hash(cohort, tmp_path):
    bdf = cohort["good"][0]
    assert batch.content_hash(bdf) == hashlib.sha256(bdf.read_bytes()).hexdigest()
    # a CSV and its sidecar are one recording: changing either changes the hash
    csv = tmp_path / "r.csv"
    csv.write_bytes(cohort["good"][3].read_bytes())
    side = tmp_path / "r.csv.json"
    side.write_bytes(Path(str(cohort["good"][3]) + ".json").read_bytes())
    h1 = batch.content_hash(csv)
    assert h1 != hashlib.sha256(csv.read_bytes()).hexdigest()
    side.write_text(side.read_text().replace('"', '"', 1) + " ")
    assert batch.content_hash(csv) != h1
    assert batch.content_hash(csv, chunk=7) == batch.content_hash(csv)
    with pytest.raises(Exception, match="not found"):
        batch.content_hash(tmp_path / "nope.bdf")


def test_output_paths_and_argument_checks(cohort, tmp_path):
    assert batch.output_paths(tmp_path / "r.csv") == {
        "parquet": tmp_path / "r.parquet", "csv": tmp_path / "r.csv",
        "json_dir": tmp_path / "r.d"}
    with pytest.raises(ValidationError, match=r"\.parquet or \.csv"):
        batch.output_paths("results")
    for kw, msg in [({"n_workers": 0}, "n_workers"), ({"threads_per_worker": 1.5},
                    "threads_per_worker"), ({"level": "max"}, "level"),
                    ({"options": ["side"]}, "options"), ({"montage": "no-such-preset"},
                    "no-such-preset"), ({"client": "tcp://127.0.0.1:1", "n_workers": 2},
                    "one or the other")]:
        with pytest.raises(ValidationError, match=msg):
            batch.run(cohort["good"][0], PROTOCOL, **kw)


def test_import_stays_light():
    """`import emgcontrol.batch` and building the CLI parser import no dask/pandas."""
    code = ("import sys, json, emgcontrol.batch, emgcontrol.cli; emgcontrol.cli.build_parser(); "
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout
    loaded = set(json.loads(out.strip().splitlines()[-1]))
    assert not loaded & {"dask", "distributed", "pandas", "pyarrow", "matplotlib", "mne"}
