"""Acquisition: boards, the simulated board through BrainFlow, crash-safe recording.

Every streaming test uses the built-in "simulated" board (the simulator replayed
by BrainFlow's playback-file board), a few seconds each; no timing assertions.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("brainflow")

import emgcontrol as ec  # noqa: E402
from emgcontrol.acquire import (GAINS, INPUT_TYPES, BoardConnectionError,  # noqa: E402
                                BoardSession, CytonChannel, board_info,
                                cyton_channel_command, list_boards, open_board,
                                parse_cyton_command, rail_uv, record, resolve_board)
from emgcontrol.errors import DroppedSamplesWarning, ValidationError  # noqa: E402
from emgcontrol.simulate import simulate  # noqa: E402

SF = 250.0
RES_V = 1e-12  # BrainFlow text files keep 6 decimals of microvolts


def sim_exg(seed=0, variant="typical", start_s=0.0, **kw):
    """The simulator's EMG rows (V) as the simulated board replays them."""
    rec, _ = simulate("prone-hip-extension", variant, sfreq=SF, seed=seed, openbci=True, **kw)
    if start_s:
        rec = rec.crop(tmin=start_s)
    return rec.data[:8]


def read_quiet(path):
    """Read a recording, ignoring the notes about gaps and a cut last line."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ec.EmgcontrolWarning)
        return ec.read(path)


# ---------------------------------------------------------------- boards
def test_board_names_ids_and_errors():
    assert resolve_board("simulated") == ("simulated", -3)
    assert resolve_board(None) == ("simulated", -3)
    assert resolve_board("Cyton") == ("cyton", 0)
    assert resolve_board("daisy") == ("cyton-daisy", 2)
    assert resolve_board("CYTON_WIFI_BOARD") == ("cyton-wifi", 5)
    assert resolve_board(1) == ("ganglion", 1)
    with pytest.raises(ValidationError, match="did you mean 'cyton'"):
        resolve_board("cyten")
    with pytest.raises(ValidationError, match="not a BrainFlow board"):
        resolve_board(12345)
    cy = board_info("cyton")
    assert (cy.sfreq, cy.n_emg, cy.required) == (250.0, 8, ("serial_port",))
    assert board_info("cyton-daisy").sfreq == 125.0
    names = [b.name for b in list_boards()]
    assert names[0] == "simulated" and {"synthetic", "cyton", "ganglion"} <= set(names)
    assert all(b.n_emg > 0 for b in list_boards()
               if b.name not in ("simulated", "playback", "synthetic"))
    # a missing connection parameter is caught before BrainFlow is asked
    with pytest.raises(ValidationError, match="needs serial_port"):
        BoardSession("cyton")
    with pytest.raises(ValidationError, match="need board='simulated'"):
        BoardSession("synthetic", variant="reversed")
    with pytest.raises(ValidationError, match="no connection parameters"):
        BoardSession("simulated", serial_port="/dev/ttyUSB0")
    with pytest.raises(ValidationError, match="montage has 17 channels but board 'synthetic'"):
        BoardSession("synthetic", montage={f"C{i}": "left multifidus" for i in range(17)})


def test_unreachable_board_message():
    with pytest.raises(BoardConnectionError, match="could not open board 'cyton'.*port"):
        open_board("cyton", serial_port="/dev/emgcontrol-no-such-port")


@settings(max_examples=60, deadline=None)
@given(ch=st.integers(1, 16), gain=st.sampled_from(GAINS),
       it=st.sampled_from(INPUT_TYPES), flags=st.tuples(*[st.booleans()] * 4))
def test_cyton_command_roundtrip(ch, gain, it, flags):
    pd, bias, srb2, srb1 = flags
    cmd = cyton_channel_command(ch, power_down=pd, gain=gain, input_type=it, bias=bias,
                                srb2=srb2, srb1=srb1)
    assert len(cmd) == 9 and cmd[0] == "x" and cmd[-1] == "X"
    assert parse_cyton_command(cmd) == [CytonChannel(ch, pd, gain, it, bias, srb2, srb1)]


def test_cyton_command_values_and_errors():
    assert cyton_channel_command(1, srb2=True) == "x1060110X"  # the Cyton default
    assert cyton_channel_command(9, gain=8) == "xQ040100X"
    assert rail_uv(24) == pytest.approx(187_500.0)
    assert len(parse_cyton_command("x1060110Xx2040100X")) == 2
    with pytest.raises(ValidationError, match="gain must be one of"):
        cyton_channel_command(1, gain=3)
    with pytest.raises(ValidationError, match="channel must be"):
        cyton_channel_command(17)
    with pytest.raises(ValidationError, match="gain code must be 0-6"):
        parse_cyton_command("x1070110X")
    with pytest.raises(ValidationError, match="characters 10-18"):
        parse_cyton_command("x1060110Xx10601")
    with pytest.raises(ValidationError, match="not a Cyton"):
        BoardSession("synthetic", channel_settings=["x1060110X"])


# ------------------------------------------------------ simulated recording
def test_simulated_recording_is_the_simulators_data(tmp_path):
    out = tmp_path / "rec.csv"
    res = record(out, duration=2.0, seed=1)
    n_target = int(2.0 * SF)
    # N x sfreq samples, within one block (what arrived between the last poll and stop)
    assert n_target <= res.n_samples <= n_target + 0.1 * SF
    assert res.status == "complete" and res.dropped == {"count": 0, "gaps": []}
    rec = ec.read(out)
    assert rec.n_times == res.n_samples and rec.sfreq == SF
    ref = sim_exg(seed=1)
    np.testing.assert_allclose(rec.data[:8], ref[:, :rec.n_times], rtol=0, atol=RES_V)
    # the sidecar, written before the first sample, names board, channels and muscles
    side = json.loads((tmp_path / "rec.csv.json").read_text())
    assert side["board"] == "cyton" and side["meta"]["acquisition"]["status"] == "complete"
    sim, _ = simulate("prone-hip-extension", sfreq=SF, seed=1)
    assert rec.ch_names[:8] == sim.ch_names[:8] and rec.muscles[:8] == sim.muscles[:8]
    assert rec.meta["acquisition"]["board"] == "simulated"


def test_dropped_samples_and_flags_are_reported(tmp_path):
    out = tmp_path / "gaps.csv"
    msgs = []
    # 10 samples lost at 0.8 s, 260 (> one 256-sample counter period) at 1.6 s
    res = record(out, duration=2.4, seed=2, drop=[(0.8, 10), (1.6, 260)],
                 faults={"GMax L": "railed", "BF R": "flat"}, on_message=msgs.append)
    gaps = [(g["sample"], g["n_missing"]) for g in res.dropped["gaps"]]
    assert gaps == [(200, 10), (390, 260)]
    assert res.dropped["count"] == 270
    assert all(g["line"] == g["sample"] + 1 for g in res.dropped["gaps"])
    on = {(f["kind"], f["channel"]) for f in res.flags if f["active"]}
    assert on == {("railed", "GMax L"), ("flat", "BF R")}
    assert any("lost before sample 200" in m for m in msgs)
    # the file reports the same gaps through the reader
    with pytest.warns(DroppedSamplesWarning):
        rec = ec.read(out)
    got = rec.meta["dropped_samples"]["gaps"]
    assert [g["sample"] for g in got] == [200, 390]
    assert got[0]["n_missing"] == 10
    assert abs(got[1]["n_missing"] - 260) <= 2  # the reader estimates it from timestamps
    # data around the gaps are the simulator's samples that were not dropped
    ref = sim_exg(seed=2)
    keep = np.r_[0:200, 210:400, 660:ref.shape[1]][:rec.n_times]
    ok = [i for i in range(8) if rec.ch_names[i] not in ("GMax L", "BF R")]
    np.testing.assert_allclose(rec.data[ok], ref[ok][:, keep], rtol=0, atol=RES_V)


def test_markers_are_recorded_with_labels(tmp_path):
    out = tmp_path / "mk.csv"
    # start 1.5 s into the session: its first "trial" event (2 s) comes at 0.5 s
    with open_board("simulated", seed=3, start_s=1.5, duration=1.6) as s:
        s.start(record_to=out)
        inserted = False
        for blk in s.blocks(duration=1.6):
            if not inserted and s.n_samples > 0.5 * SF:
                sim_codes = set(s.simulation.marker_labels)
                assert s.marker("squat") not in sim_codes  # its own code
                assert s.marker("7") == 7.0  # numeric labels keep their value
                assert s.marker("squat") == s.marker("squat")
                inserted = True
        s.stop()
        markers = {m.label: m.sample for m in s.markers}
    assert {"squat", "7", "trial"} <= set(markers)
    # replayed events become markers within one polling block of their time
    assert round(0.5 * SF) <= markers["trial"] <= round(0.6 * SF)
    rec = read_quiet(out)
    got = {e.label: e.onset for e in rec.events}
    for label, sample in markers.items():
        assert got[label] == pytest.approx(sample / SF)


def test_context_manager_always_releases(tmp_path):
    with pytest.raises(RuntimeError):
        with open_board("simulated", seed=4) as s:
            s.start(record_to=tmp_path / "err.csv")
            next(s.blocks(duration=1.0))
            raise RuntimeError("boom")
    assert not s.is_open and not s.is_streaming
    side = json.loads((tmp_path / "err.csv.json").read_text())
    assert side["meta"]["acquisition"]["status"] == "error"
    assert read_quiet(tmp_path / "err.csv").n_times > 0
    with open_board("simulated", seed=4) as s2:  # the board can be opened again
        s2.start()
        assert next(s2.blocks(duration=0.2)).data.shape[0] == 8


def test_existing_file_is_not_overwritten(tmp_path):
    out = tmp_path / "x.csv"
    out.write_text("keep")
    with pytest.raises(ValidationError, match="exists"):
        record(out, duration=0.5)
    assert out.read_text() == "keep"


def test_synthetic_board_records_with_a_montage(tmp_path):
    # BrainFlow's own synthetic board: a driver thread in BrainFlow, 16 EXG rows
    res = record(tmp_path / "syn.csv", "synthetic", duration=0.8,
                 montage="cyton-daisy-low-back-16")
    rec = read_quiet(tmp_path / "syn.csv")
    assert rec.meta["board"] == "synthetic" and rec.n_times == res.n_samples >= 0.8 * SF
    assert rec.ch_names[:16] == ec.get_preset("cyton-daisy-low-back-16").ch_names
    assert rec.muscles[0] == ec.parse_muscle("left longissimus")
    assert res.dropped["count"] == 0 and np.isfinite(rec.data).all()


def test_playback_board_replays_a_recording(tmp_path):
    src = tmp_path / "src.csv"
    record(src, duration=1.0, seed=8, channel_settings={1: {"gain": 8}})
    side = json.loads((tmp_path / "src.csv.json").read_text())
    rails = side["meta"]["acquisition"]["rails_uV"]
    assert rails[0] == pytest.approx(562_500.0) and rails[1] == pytest.approx(187_500.0)
    first = read_quiet(src)
    # "playback" replays any BrainFlow CSV file; names and muscles come from its sidecar
    with open_board("playback", file=src) as s:
        assert s.ch_names == first.ch_names[:8] and s.muscles == first.muscles[:8]
        s.start()
        got = np.concatenate([b.data for b in s.blocks(duration=0.5)], axis=1)
    n = got.shape[1]
    np.testing.assert_allclose(got, first.data[:8, :n], rtol=0, atol=RES_V)


# ------------------------------------------------------------- crash safety
_CHILD = textwrap.dedent("""
    import sys
    from emgcontrol.acquire import record
    def progress(blk):
        print(blk.first_sample + blk.n_samples, flush=True)
    record(sys.argv[1], duration=60.0, seed=5, on_block=progress)
""")


def test_sigkill_leaves_everything_older_than_1s(tmp_path):
    out = tmp_path / "killed.csv"
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        n_seen = 0
        deadline = time.monotonic() + 120
        while n_seen < 2.5 * SF:
            line = proc.stdout.readline()
            assert line, "the recording process ended early"
            n_seen = int(line)
            assert time.monotonic() < deadline
        time.sleep(1.0)  # every sample counted so far is now older than 1 s
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    rec = read_quiet(out)  # a cut last line is dropped with a note, not an error
    assert rec.n_times >= n_seen
    assert rec.muscles[4] == ec.parse_muscle("left gluteus maximus")  # sidecar from the start
    acq = rec.meta["acquisition"]
    assert acq["status"] == "recording"
    ref = sim_exg(seed=5, n_trials=acq["simulation"]["n_trials"])  # 60 s asked: 9 trials
    np.testing.assert_allclose(rec.data[:8], ref[:, :rec.n_times], rtol=0, atol=RES_V)


# ------------------------------------------------------------- disconnects
def test_cable_pull_reconnects_and_counts_the_loss(tmp_path):
    out = tmp_path / "pull.csv"
    msgs = []
    with open_board("simulated", seed=6, cable_pull=(1.0, 0.8), stall_timeout=0.4,
                    reconnect_wait=0.2, reconnect_attempts=20, on_message=msgs.append,
                    duration=3.0) as s:
        res = record(out, session=s, duration=3.0)
        segs = s.simulation.segments
    assert len(segs) == 2 and segs[0]["stop"] == 250
    assert len(res.reconnections) == 1 and res.reconnections[0]["resumed"]
    assert res.dropped["gaps"] == [{"sample": 250, "time_s": 1.0,
                                    "n_missing": segs[1]["start"] - 250, "line": 251,
                                    "source": "reconnection"}]
    assert any("connection lost" in m and str(out) in m for m in msgs)
    assert any("reconnected" in m for m in msgs)
    rec = read_quiet(out)
    ref = sim_exg(seed=6)
    k0 = segs[1]["start"]
    keep = np.r_[0:250, k0:ref.shape[1]][:rec.n_times]
    np.testing.assert_allclose(rec.data[:8], ref[:, keep], rtol=0, atol=RES_V)


def test_lost_board_gives_up_with_the_partial_file(tmp_path):
    out = tmp_path / "lost.csv"
    with pytest.raises(BoardConnectionError, match="2 reconnection attempt") as err:
        record(out, duration=5.0, seed=7, cable_pull=(0.8, 1000.0), stall_timeout=0.3,
               reconnect_wait=0.1, reconnect_attempts=2)
    assert err.value.path == str(out.resolve()) and str(out.resolve()) in str(err.value)
    rec = read_quiet(out)
    assert rec.n_times == 200
    side = json.loads((tmp_path / "lost.csv.json").read_text())
    assert side["meta"]["acquisition"]["status"] == "disconnected"


# -------------------------------------------------------------------- CLI
def _parser():
    import argparse

    from emgcontrol.cli._acquire import add_acquire_commands

    p = argparse.ArgumentParser(prog="emgcontrol")
    add_acquire_commands(p.add_subparsers(dest="command", required=True))
    return p


def test_cli_boards_and_record(tmp_path, capsys):
    p = _parser()
    args = p.parse_args(["boards"])
    assert args.func(args) == 0
    text = capsys.readouterr().out
    assert "simulated" in text and "cyton-daisy" in text and "125" in text
    args = p.parse_args(["boards", "--json"])
    args.func(args)
    data = json.loads(capsys.readouterr().out)
    assert data["boards"][0]["name"] == "simulated" and data["sfreq_caveats"]
    out = tmp_path / "cli.csv"
    args = p.parse_args(["record", "--out", str(out), "--duration", "1", "--variant",
                         "reversed", "--fault", "BF L=flat", "--json", "--no-keyboard"])
    assert args.func(args) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["status"] == "complete" and res["n_samples"] >= SF
    assert any(f["channel"] == "BF L" and f["kind"] == "flat" for f in res["channel_flags"])
    assert read_quiet(out).n_times == res["n_samples"]
    args = p.parse_args(["record", "--out", str(tmp_path / "c.csv"), "--board", "cyton",
                         "--duration", "1"])
    with pytest.raises(ValidationError, match="needs serial_port"):
        args.func(args)
    args = p.parse_args(["record", "--out", str(tmp_path / "c.csv"), "--board", "synthetic",
                         "--variant", "reversed", "--duration", "1"])
    with pytest.raises(ValidationError, match="need --board simulated"):
        args.func(args)


def test_import_does_not_load_brainflow():
    code = ("import sys, emgcontrol.acquire, emgcontrol.feedback, "
            "emgcontrol.cli._acquire; "
            "print(sorted(m for m in ('brainflow', 'matplotlib', 'scipy', 'numba', 'pandas') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True).stdout.strip()
    assert out == "[]"
