"""The `emgcontrol` command: info and simulate."""

import json
import subprocess
import sys

import numpy as np
import pytest

import emgcontrol as ec
from emgcontrol.cli import main
from emgcontrol.simulate import GroundTruth, list_variants


def test_simulate_writes_recording_and_truth(tmp_path, capsys):
    out = tmp_path / "phe.bdf"
    assert main(["simulate", "prone-hip-extension", "--variant", "reversed", "--out", str(out),
                 "--seed", "3", "--sfreq", "500", "--snr", "12"]) == 0
    rec = ec.read(out)
    truth = GroundTruth.load(tmp_path / "phe.bdf.truth.json")
    assert rec.sfreq == 500 and truth.variant == "reversed" and truth.snr_db == 12
    ref, ref_truth = ec.simulate.simulate("prone-hip-extension", "reversed", sfreq=500,
                                          snr_db=12, seed=3)
    assert rec.ch_names == ref.ch_names and rec.muscles == ref.muscles
    # BDF keeps the data within its 24-bit resolution
    step = np.ptp(ref.data, axis=1, keepdims=True) / 2**23
    assert np.all(np.abs(rec.data - ref.data) <= step)
    assert truth.to_dict() == ref_truth.to_dict()
    assert "wrote" in capsys.readouterr().out


def test_simulate_list_variants(capsys):
    assert main(["simulate", "arm-raise", "--list-variants"]) == 0
    assert capsys.readouterr().out.split() == list_variants("arm-raise")


def test_info_text_and_json(tmp_path, capsys):
    out = tmp_path / "s.csv"
    assert main(["simulate", "arm-raise", "--out", str(out), "--sfreq", "250"]) == 0
    capsys.readouterr()
    assert main(["info", str(out), "--json"]) == 0
    desc = json.loads(capsys.readouterr().out)
    assert desc["sfreq"] == 250 and desc["channels"][0]["type"] == "emg"
    assert any(e["label"] == "trial" for e in desc["events"])
    assert main(["info", str(out)]) == 0
    text = capsys.readouterr().out
    assert "250 Hz" in text and "events:" in text


@pytest.mark.parametrize("argv, message", [
    (["info", "does-not-exist.bdf"], "does-not-exist.bdf"),
    (["simulate", "yoga"], "prone-hip-extension"),
    (["simulate", "arm-raise", "--variant", "nope", "--out", "x.bdf"], "delayed-trunk"),
    (["simulate", "arm-raise", "--out", "x.wav"], "extension"),
])
def test_errors_are_one_clear_line(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_console_script_runs():
    out = subprocess.run([sys.executable, "-m", "emgcontrol.cli", "--version"],
                         capture_output=True, text=True, check=True).stdout
    assert out.startswith("emgcontrol ")


def test_onsets_command_table_and_json(tmp_path, capsys):
    out = tmp_path / "ar.bdf"
    assert main(["simulate", "arm-raise", "--out", str(out), "--snr", "25"]) == 0
    capsys.readouterr()
    assert main(["onsets", str(out), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    truth = GroundTruth.load(tmp_path / "ar.bdf.truth.json")
    n_true = sum(1 for a in truth.activations if a.trial >= 0)
    assert {"channel", "muscle", "onset", "offset", "peak", "area"} <= set(rows[0])
    assert abs(len(rows) - n_true) <= 0.1 * n_true
    assert main(["onsets", str(out), "--method", "hodges"]) == 0
    assert "onset" in capsys.readouterr().out
