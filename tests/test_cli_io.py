"""Every reader keyword on the command line; errors name the flag there and the
keyword in Python."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import emgcontrol as ec
from emgcontrol import io as eio
from emgcontrol.cli import main
from emgcontrol.errors import EmgcontrolError

sys.path.insert(0, str(Path(__file__).parent))
from _biosemi import status_values, write_biosemi_bdf  # noqa: E402

RNG = np.random.default_rng(5)


def _info(capsys, *argv):
    code = main(["info", *map(str, argv), "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def _error(capsys, *argv):
    code = main(list(map(str, argv)))
    err = capsys.readouterr().err
    assert code == 2, err
    return err


@pytest.fixture
def files(tmp_path):
    x = RNG.normal(0, 50, (3, 1000))  # uV
    np.save(tmp_path / "a.npy", x)
    np.savez(tmp_path / "b.npz", first=x, second=x[:2] * 1e-3, fs=500.0)
    st = status_values(1024, [(100, 5, 1), (600, 5, 2)])
    write_biosemi_bdf(tmp_path / "c.bdf", RNG.normal(0, 30e-6, (2, 1024)), st, 512)
    raw = (tmp_path / "c.bdf").read_bytes()
    (tmp_path / "cut.bdf").write_bytes(raw[:len(raw) - 1000])
    np.savetxt(tmp_path / "h.csv", x.T, delimiter=",")
    np.savetxt(tmp_path / "v.csv", np.column_stack([np.arange(1000) / 1000, x.T * 1e-6]),
               delimiter=",", header="t,a,b,c", comments="")
    return tmp_path


def test_sfreq_units_key_on_the_command_line(files, capsys):
    d = _info(capsys, files / "a.npy", "--sfreq", 500)
    assert d["sfreq"] == 500 and d["n_times"] == 1000
    d = _info(capsys, files / "b.npz", "--key", "second", "--units", "mV")
    assert len(d["channels"]) == 2 and d["sfreq"] == 500
    d = _info(capsys, files / "h.csv", "--sfreq", 250)  # header-less CSV
    assert len(d["channels"]) == 3 and d["sfreq"] == 250
    d = _info(capsys, files / "v.csv", "--units", "V")
    assert d["sfreq"] == 1000


def test_errors_name_the_flag_on_the_cli_and_the_keyword_in_python(files, capsys):
    cases = [
        (["info", files / "a.npy"], "--sfreq", "sfreq="),
        (["info", files / "b.npz"], "--key", "key="),
        (["info", files / "v.csv"], "--units", "units="),
        (["info", files / "cut.bdf"], "--allow-truncated", "allow_truncated=True"),
    ]
    for argv, flag, keyword in cases:
        err = _error(capsys, *argv)
        assert flag in err and keyword not in err, err
        with pytest.raises(EmgcontrolError) as info:
            eio.read(argv[1])
        assert keyword in str(info.value) and flag not in str(info.value)
    assert _info(capsys, files / "c.bdf", "--types", "misc")["channels"][0]["type"] == "misc"
    err = _error(capsys, "info", files / "c.bdf", "--types", "emg,emg,emg")
    assert "--types lists 3 types but c.bdf has 2" in err
    err = _error(capsys, "info", files / "c.bdf", "--markers", "1:trial")
    assert "--markers: '1:trial' is not CODE=LABEL" in err


def test_allow_truncated_types_markers_montage(files, capsys):
    d = _info(capsys, files / "cut.bdf", "--allow-truncated")
    assert d["n_times"] == 512  # the one complete 1-s record
    d = _info(capsys, files / "c.bdf", "--types", "EXG2=ecg", "--markers", "1=trial,2=mvc",
              "--montage", "EXG1=left multifidus,EXG2=right multifidus")
    assert [c["type"] for c in d["channels"]] == ["emg", "ecg"]
    assert [(c["muscle"], c["side"]) for c in d["channels"]] == [("multifidus", "left"),
                                                                  ("multifidus", "right")]
    main(["info", str(files / "c.bdf"), "--markers", "1=trial,2=mvc"])
    out = capsys.readouterr().out
    assert "events: trial x1, mvc x1" in out
    d = _info(capsys, files / "c.bdf", "--montage", "left multifidus,GMax R")
    assert d["channels"][1]["muscle"] == "gluteus_maximus"
    err = _error(capsys, "info", files / "c.bdf", "--montage", "EXG1=left multifidous")
    assert "did you mean" in err


def test_onsets_picks_and_reader_flags(tmp_path, capsys):
    rec, _ = ec.simulate.simulate("prone-hip-extension", sfreq=500, n_trials=1, seed=1,
                                  acc=False)
    np.save(tmp_path / "s.npy", rec.get_data(units="uV"))
    err = _error(capsys, "onsets", tmp_path / "s.npy")
    assert "--sfreq" in err
    code = main(["onsets", str(tmp_path / "s.npy"), "--sfreq", "500", "--picks", "EMG1,EMG2",
                 "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    rows = json.loads(out.out)
    assert {r["channel"] for r in rows} <= {"EMG1", "EMG2"} and rows
    err = _error(capsys, "onsets", tmp_path / "s.npy", "--sfreq", "500", "--picks", "nope")
    assert "nope" in err


def test_onsets_baseline_flag_window_or_rest_file(tmp_path, capsys):
    """A hold over the whole file: not assessable by itself (the message names the
    flag, not the keyword); with --baseline REST.npy one censored activation;
    --baseline with a window or a bad value."""
    rng = np.random.default_rng(3)
    sos = __import__("scipy.signal", fromlist=["butter"]).butter(
        4, [20, 200], "bandpass", fs=500, output="sos")
    band = __import__("scipy.signal", fromlist=["sosfilt"]).sosfilt

    def noise(n, uv):
        return band(sos, rng.standard_normal(n)) * uv / 0.6 + rng.standard_normal(n) * 1.5

    n = 500 * 12
    np.save(tmp_path / "hold.npy", np.vstack([noise(n, 40.0), noise(n, 0.0)]))
    np.save(tmp_path / "rest.npy", np.vstack([noise(2500, 0.0), noise(2500, 0.0)]))
    assert main(["onsets", str(tmp_path / "hold.npy"), "--sfreq", "500"]) == 0
    out = capsys.readouterr().out
    assert "no rest period found: give --baseline START,STOP" in out
    assert "baseline=" not in out
    code = main(["onsets", str(tmp_path / "hold.npy"), "--sfreq", "500", "--json",
                 "--baseline", str(tmp_path / "rest.npy")])
    out = capsys.readouterr()
    assert code == 0, out.err
    rows = json.loads(out.out)
    assert [(r["channel"], r["onset_s"], r["onset_censored"], r["offset_censored"])
            for r in rows] == [("EMG1", 0.0, True, True)]
    assert main(["onsets", str(tmp_path / "hold.npy"), "--sfreq", "500",
                 "--baseline", "1,4"]) == 0
    assert "EMG1" in capsys.readouterr().out
    err = _error(capsys, "onsets", tmp_path / "hold.npy", "--sfreq", "500",
                 "--baseline", "quiet")
    assert "--baseline 'quiet' is neither" in err
    err = _error(capsys, "onsets", tmp_path / "hold.npy", "--sfreq", "500",
                 "--baseline", "5,40")
    assert "--baseline" in err and "12 s" in err


def test_assess_input_takes_the_reader_flags(tmp_path, capsys):
    """An OpenBCI-style session whose trial and MVC markers are codes 1 and 2:
    `assess --input` with --markers finds the trials and the MVC; without it the
    notes name the codes and the flag."""
    from emgcontrol.recording import Event, Recording
    from emgcontrol.simulate import simulate

    rec, _ = simulate("prone-hip-extension", "typical", sfreq=500, snr_db=20, seed=2,
                      n_trials=3, mvc=True)
    evs = [Event(e.onset, e.duration, {"trial": "1", "mvc": "2"}.get(e.label, e.label))
           for e in rec.events]
    coded = Recording.from_array(rec.data, rec.sfreq, rec.ch_names, units="V",
                                 muscles=rec.muscles, ch_types=rec.ch_types, events=evs)
    path = tmp_path / "coded.bdf"
    ec.write(coded, path)
    out = tmp_path / "a"
    code = main(["assess", "prone-hip-extension", "--input", str(path), "--yes", "--json",
                 "--no-pdf", "--out", str(out), "--markers", "1=trial,2=mvc"])
    assert code == 0
    res = json.loads((out / "results.json").read_text())
    assert res["processing"]["trials"]["source"] == "events labelled 'trial'"
    assert res["processing"]["trials"]["n"] == 3
    assert res["processing"]["normalization"].get("reference") is not None or \
        "reason" not in res["processing"]["normalization"]
    capsys.readouterr()
    out2 = tmp_path / "b"
    assert main(["assess", "prone-hip-extension", "--input", str(path), "--yes", "--json",
                 "--no-pdf", "--out", str(out2)]) == 0
    res2 = json.loads((out2 / "results.json").read_text())
    assert any("numeric markers ('1' x3, '2' x" in w and "--markers CODE=mvc" in w
               for w in res2["warnings"]), res2["warnings"]
    # reading flags without a file to read are refused before anything happens
    capsys.readouterr()
    assert main(["assess", "prone-hip-extension", "--yes", "--units", "uV",
                 "--out", str(tmp_path / "c")]) == 2
    assert "give --input FILE" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()
