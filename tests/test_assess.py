"""The assessment command: markers -> windows, MVC reference, assess() and the CLI.

Oracles: the simulator's ground truth (MVC RMS per channel, firing order of the
variants, task amplitudes in %MVC), marker times put in by hand, and the files
the command must write.  The simulated-board run goes through BrainFlow in real
time (a short session: 1 repetition).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emgcontrol.assess import (assess, events_from_markers, mvc_reference, mvc_windows,
                               plan_session, record_session)
from emgcontrol.cli import main
from emgcontrol.io import write_bdf
from emgcontrol.patterns import get_pattern
from emgcontrol.recording import Event, Recording
from emgcontrol.simulate import simulate


def _rec(duration: float = 10.0, events=()) -> Recording:
    n = int(duration * 100)
    return Recording.from_array(np.zeros((1, n)), 100.0, ["GMax R"], units="V",
                                muscles=["right gluteus maximus"], events=list(events))


# ---------------------------------------------------------------- markers
def test_markers_become_windows():
    rec = _rec(10.0, [Event(1.0, 0, "trial"), Event(1.5, 0, "cue"), Event(3.0, 0, "trial_end"),
                      Event(4.0, 0, "trial"), Event(7.0, 0, "trial"),
                      Event(0.2, 0, "mvc:gluteus_maximus"), Event(0.8, 0, "mvc_end")])
    out = events_from_markers(rec)
    trials = [(e.onset, e.duration) for e in out.events if e.label == "trial"]
    # closed by trial_end, then by the next trial, then by the end of the recording
    assert trials == [(1.0, 2.0), (4.0, 3.0), (7.0, pytest.approx(3.0))]
    assert [e.label for e in out.events].count("cue") == 1
    assert mvc_windows(out) == [(0.2, pytest.approx(0.8), "gluteus_maximus")]
    assert out.history[-1]["step"] == "events_from_markers"
    # existing windows are left alone; nothing to do returns the same object
    assert events_from_markers(out).events == out.events
    plain = _rec(5.0)
    assert events_from_markers(plain) is plain
    # an end marker that lands just after the next start (same polling block) closes
    # the previous window, not the new one
    touching = events_from_markers(_rec(10.0, [Event(1.0, 0, "trial"), Event(5.0, 0, "trial"),
                                               Event(5.03, 0, "trial_end"),
                                               Event(9.0, 0, "trial_end")]))
    assert [(e.onset, e.duration) for e in touching.events if e.label == "trial"] == [
        (1.0, 4.0), (5.0, 4.0)]
    capped = events_from_markers(_rec(20.0, [Event(2.0, 0, "mvc")]), max_s={"mvc": 3.0})
    assert mvc_windows(capped) == [(2.0, 5.0, None)]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.0, 9.9, allow_nan=False), min_size=1, max_size=12, unique=True),
       st.lists(st.floats(0.0, 9.9, allow_nan=False), max_size=6))
def test_trial_windows_never_overlap_and_keep_every_start(starts, ends):
    rec = _rec(10.0, [Event(t, 0, "trial") for t in starts] +
               [Event(t, 0, "trial_end") for t in ends])
    wins = sorted((e.onset, e.onset + e.duration) for e in events_from_markers(rec).events
                  if e.label == "trial" and e.duration > 0)
    assert [a for a, _ in wins] == sorted(t for t in starts if t < rec.duration)
    for (a0, b0), (a1, _) in zip(wins, wins[1:]):
        assert b0 <= a1 + 1e-9
    assert all(b <= rec.duration + 1e-9 for _, b in wins)


# ------------------------------------------------------------------- MVC
@pytest.mark.parametrize("seed", [0, 3])
def test_mvc_reference_matches_truth_and_rejects_resting_muscles(seed):
    rec, truth = simulate("prone-hip-extension", sfreq=250, seed=seed, n_trials=1, mvc=True,
                          openbci=True)
    gmax = [e for e in rec.events if e.label == "mvc"][2]  # LT, MF, GMax, BF
    sub = rec.crop(gmax.onset - 2.0, gmax.onset + gmax.duration + 2.0)
    ref, info = mvc_reference(sub)
    rows = {r["channel"]: r for r in ref.rows}
    assert sorted(info["channels"]) == ["GMax L", "GMax R"]
    for ch in ("GMax L", "GMax R"):
        assert rows[ch]["rms_v"] == pytest.approx(truth.mvc_rms_v[ch], rel=0.12)
    for ch in ("LT L", "LT R", "MF L", "MF R", "BF L", "BF R"):
        assert rows[ch]["status"] == "not_assessable"
        assert "no contraction above rest" in rows[ch]["reason"]
    # a contraction marked for another muscle counts only for that muscle
    lab = Recording.from_array(sub.data, sub.sfreq, sub.ch_names, ch_types=sub.ch_types,
                               muscles=sub.muscles, units="V",
                               events=[Event(2.0, 0, "mvc:multifidus"), Event(5.0, 0, "mvc_end")])
    _, info2 = mvc_reference(events_from_markers(lab))
    assert info2["channels"] == []
    assert "no MVC contraction of the gluteus maximus" in info2["rejected"]["GMax R"]
    assert "no contraction above rest" in info2["rejected"]["MF L"]


# --------------------------------------------------------------- assess()
@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("sessions")
    out = {}
    for variant in ("typical", "reversed"):
        rec, truth = simulate("prone-hip-extension", variant, sfreq=250, seed=0, n_trials=3,
                              mvc=True, openbci=True)
        p = d / f"phe-{variant}.bdf"
        write_bdf(rec, p)
        out[variant] = (p, truth)
    return out


def test_cli_on_files_typical_passes_reversed_fails(files, tmp_path, capsys):
    verdicts = {}
    for variant, (path, truth) in files.items():
        out = tmp_path / variant
        code = main(["assess", "prone-hip-extension", "--input", str(path), "--out", str(out),
                     "--no-pdf", "-q"])
        assert code == 0
        printed = capsys.readouterr().out
        assert "score:" in printed and str(out / "report.html") in printed
        data = json.loads((out / "results.json").read_text())
        verdicts[variant] = {c["id"]: c["verdict"] for c in data["criteria"]}
        assert (out / "report.html").stat().st_size > 50_000
        assert not (out / "report.pdf").exists()
        # the MVC block of the file normalised the gluteus: %MVC near the simulated level
        amt = [a for a in data["measures"]["amounts"] if a["channel"] == "GMax R"
               and a["status"] == "ok"]
        sim = [a.amplitude_mvc for a in truth.activations if a.channel == "GMax R"
               and a.phase != "mvc"]
        assert np.median([a["value"] for a in amt]) == pytest.approx(np.median(sim), rel=0.3)
    # ground truth: typical gluteus leads the back; reversed: the back leads
    assert verdicts["typical"]["gmax-before-ipsilateral-es"] == "pass"
    assert verdicts["reversed"]["gmax-before-ipsilateral-es"] == "fail"
    assert verdicts["reversed"]["janda-sequence"] == "fail"


def test_patient_progress_and_levels(files, tmp_path):
    path, _ = files["typical"]
    store = tmp_path / "store"
    first = assess("prone-hip-extension", input=path, patient="p007", store=store,
                   session_date="2026-02-01", out=None)
    # a patient starts at training level 1: its criteria and targets are used
    assert first.compared_level == 1
    assert first.comparison.level == 1
    assert {c.id for c in first.comparison.criteria} == set(
        get_pattern("prone-hip-extension").get_level(1).criteria)
    second = assess("prone-hip-extension", input=path, patient="p007", store=store,
                    session_date="2026-02-08", out=tmp_path / "s2", pdf=False)
    stored = sorted((store / "p007" / "prone-hip-extension").glob("*.json"))
    assert len(stored) == 2 and second.files["stored"] in stored
    html = (tmp_path / "s2" / "report.html").read_text()
    assert 'id="fig-progress"' in html
    assert "fig-progress" not in [f.id for f in first.report.figure_specs()]
    assert "html" not in first.files and first.files["stored"].exists()
    data = json.loads((tmp_path / "s2" / "results.json").read_text())
    assert data["assessment"]["progress"]["n_sessions"] == 2
    assert data["assessment"]["level"]["level"] in (1, 2)
    full = assess("prone-hip-extension", input=path, patient="p008", store=store, level="full",
                  out=None)
    assert full.compared_level is None and full.comparison.level is None
    assert full.files["stored"].exists() and "html" not in full.files


def test_cli_errors_are_one_line_with_exit_code_2(files, tmp_path, capsys):
    path, _ = files["typical"]
    cases = [
        (["assess", "no-such-protocol", "--input", str(path)], "no-such-protocol"),
        (["assess", "prone-hip-extension", "--input", str(tmp_path / "missing.bdf")],
         "missing.bdf"),
        (["assess", "prone-hip-extension", "--board", "synthetic", "--variant", "reversed"],
         "--board simulated"),
        (["assess", "prone-hip-extension", "--input", str(path), "--level", "7"], "level"),
        (["assess", "prone-hip-extension", "--input", str(path), "--option", "side"],
         "KEY=VALUE"),
    ]
    for argv, needle in cases:
        code = main(argv + ["--out", str(tmp_path / "x"), "-q"])
        err = capsys.readouterr().err
        assert code == 2, argv
        assert err.startswith("emgcontrol assess: error:") and needle in err, err
        assert "Traceback" not in err
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "results.json").write_text("{}")
    code = main(["assess", "prone-hip-extension", "--input", str(path), "--out",
                 str(tmp_path / "taken"), "-q"])
    assert code == 2 and "--overwrite" in capsys.readouterr().err
    code = main(["assess", "prone-hip-extension", "--input", str(path), "--out",
                 str(tmp_path / "taken"), "-q", "--overwrite", "--no-pdf", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert set(summary["verdicts"]) and summary["files"]["json"].endswith("results.json")


# ------------------------------------------------------------ boards
def test_guided_session_on_a_real_board_places_markers(tmp_path):
    """BrainFlow's synthetic board stands in for hardware: the guide's markers must
    become one MVC window per muscle and one window per repetition."""
    pattern = get_pattern("prone-hip-extension")
    plan = plan_session(pattern, n_trials=2, trial_seconds=0.8, mvc_seconds=0.6,
                        rest_seconds=0.2, pause_seconds=0.0)
    lines: list[str] = []
    sr = record_session(pattern, tmp_path, board="synthetic", montage="cyton-low-back-8",
                        plan=plan, prompt=lines.append)
    trials = [e for e in sr.task.events if e.label == "trial"]
    assert len(trials) == 2
    for e in trials:  # baseline + trial time, to a block or two
        assert e.duration == pytest.approx(plan.baseline_s + plan.trial_s, abs=0.15)
    assert [m for *_, m in mvc_windows(sr.mvc)] == ["gluteus_maximus"]
    (a, b, _), = mvc_windows(sr.mvc)
    assert b - a == pytest.approx(plan.mvc_s, abs=0.15)
    assert any("MVC 1/1: gluteus maximus" in s for s in lines)
    assert sum("GO:" in s for s in lines) == 2
    assert sr.task_path.exists() and Path(str(sr.task_path) + ".json").exists()


def test_simulated_board_session_end_to_end(tmp_path, capsys):
    """The README's command, shortened to one repetition (real-time BrainFlow replay)."""
    out = tmp_path / "assessment"
    code = main(["assess", "prone-hip-extension", "--yes", "--trials", "1", "--out", str(out)])
    assert code == 0
    io = capsys.readouterr()
    assert "MVC 1/1: gluteus maximus" in io.err and "Repetition 1/1" in io.err
    for name in ("report.html", "report.pdf", "results.json", "recordings/task.csv",
                 "recordings/task.csv.json", "recordings/mvc.csv"):
        assert (out / name).exists(), name
    data = json.loads((out / "results.json").read_text())
    assert data["assessment"]["session"]["board"] == "simulated"
    assert data["assessment"]["mvc"]["channels"] == ["GMax L", "GMax R"]
    assert data["measures"]["trials"][0]["stop_s"] - data["measures"]["trials"][0]["start_s"] \
        == pytest.approx(8.0, abs=0.1)
    # %MVC of the gluteus through BrainFlow: the simulated subject's task level
    _, truth = simulate("prone-hip-extension", sfreq=250, seed=0, n_trials=1, openbci=True)
    sim = [a.amplitude_mvc for a in truth.activations if a.channel == "GMax R"]
    amt = [a["value"] for a in data["measures"]["amounts"] if a["channel"] == "GMax R"
           and a["status"] == "ok"]
    assert len(amt) == 1 and amt[0] == pytest.approx(sim[0], rel=0.3)
    # the guide closed the repetition where the simulated trial ends
    tr = data["measures"]["trials"][0]
    assert tr["movement_onset_s"] is not None and tr["start_s"] < tr["movement_onset_s"]
    crit = {c["id"]: c for c in data["criteria"]}
    assert crit["gmax-amount"]["n_trials"] == 1
    assert math.isfinite(crit["gmax-amount"]["trials"][0]["value"])


# ------------------------------------------------- refusals and interruptions
@pytest.mark.parametrize("argv, needle", [
    (["no-such-protocol"], "no-such-protocol"),
    (["prone-hip-extension", "--board", "nosuchboard"], "nosuchboard"),
])
def test_refusals_come_before_anything_is_recorded_or_created(argv, needle, tmp_path, capsys):
    out = tmp_path / "a"
    code = main(["assess", *argv, "--yes", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and needle in err
    assert "recording on board" not in err
    assert not out.exists()


def test_out_with_other_files_is_refused_even_with_overwrite(files, tmp_path, capsys):
    path, _ = files["typical"]
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("patient notes")
    for extra in ([], ["--overwrite"]):
        code = main(["assess", "prone-hip-extension", "--input", str(path), "--out", str(out),
                     "-q", *extra])
        err = capsys.readouterr().err
        assert code == 2 and "notes.txt" in err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_interrupted_input_run_keeps_no_finished_looking_report(files, tmp_path, capsys,
                                                                monkeypatch):
    import emgcontrol.report._pdf as pdfmod

    path, _ = files["typical"]
    calls = {"n": 0}
    real = pdfmod._image

    def image_then_stop(P, b):
        calls["n"] += 1
        if calls["n"] == 2:  # part of the PDF is on disk when Ctrl+C comes
            raise KeyboardInterrupt
        return real(P, b)

    monkeypatch.setattr(pdfmod, "_image", image_then_stop)
    out = tmp_path / "a2"
    code = main(["assess", "prone-hip-extension", "--input", str(path), "--out", str(out),
                 "-q"])
    err = capsys.readouterr().err
    assert code == 130
    assert "nothing was kept" in err and "recordings" not in err
    assert not out.exists() or sorted(p.name for p in out.iterdir()) == []


def test_interrupted_recording_says_what_it_kept(tmp_path, capsys, monkeypatch):
    import emgcontrol.assess._session as ses

    def record_then_stop(pattern, folder, **kw):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "task.csv").write_text("1,2,3\n")
        raise KeyboardInterrupt

    monkeypatch.setattr(ses, "record_session", record_then_stop)
    out = tmp_path / "rec"
    code = main(["assess", "prone-hip-extension", "--yes", "--out", str(out), "-q"])
    err = capsys.readouterr().err
    assert code == 130
    assert str(out / "recordings" / "task.csv") in err and "--input" in err
    assert sorted(p.name for p in out.iterdir()) == ["recordings"]
