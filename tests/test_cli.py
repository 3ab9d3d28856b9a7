"""The `emgcontrol` command: info and simulate."""

import json
import re
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
    assert {"channel", "muscle", "onset_s", "offset_s", "peak_uV", "area_uVs"} <= set(rows[0])
    assert abs(len(rows) - n_true) <= 0.1 * n_true
    assert main(["onsets", str(out), "--method", "hodges"]) == 0
    assert "onset" in capsys.readouterr().out


# --------------------------------------------------------------- simulate: formats
FORMATS = [("bdf", "x.bdf", []), ("edf", "x.edf", []), ("brainflow", "x.csv", []),
           ("csv", "x.csv", ["--format", "csv"])]


def _task_events(rec):
    return [(e.label, e.onset, e.duration) for e in rec.events if e.label != "dropped_samples"]


@pytest.mark.parametrize("protocol", ec.simulate.PROTOCOLS)
@pytest.mark.parametrize("sfreq", [125, 250, 1000])
def test_simulate_any_protocol_rate_and_format_reads_back(protocol, sfreq, tmp_path, capsys):
    ref, _ = ec.simulate.simulate(protocol, sfreq=sfreq, n_trials=2, mvc=True, seed=1)
    for fmt, name, extra in FORMATS:
        out = tmp_path / fmt / name
        out.parent.mkdir()
        argv = ["simulate", protocol, "--out", str(out), "--sfreq", str(sfreq), "--trials", "2",
                "--mvc", "--seed", "1", *extra]
        assert main(argv) == 0, (fmt, capsys.readouterr().err)
        said = capsys.readouterr().out
        rec = ec.read(out)
        assert rec.sfreq == sfreq, fmt
        assert rec.n_channels == ref.n_channels and rec.ch_names == ref.ch_names, fmt
        assert rec.ch_types == ref.ch_types and rec.muscles == ref.muscles, fmt
        assert rec.n_times == ref.n_times, fmt
        got, want = _task_events(rec), _task_events(ref)
        assert [g[0] for g in got] == [w[0] for w in want], fmt
        for (_, on, dur), (_, on0, dur0) in zip(got, want):
            assert abs(on - on0) <= 1.0 / sfreq and abs(dur - dur0) <= 1.0 / sfreq, fmt
        assert {"mvc", "trial", "cue"} <= {g[0] for g in got}
        if fmt == "brainflow":  # the output line names the board layout used
            board = rec.meta["board"]
            assert f"board {board!r}" in said
            native = ec.io.brainflow_csv.board_layout(board)["sfreq"] == sfreq
            assert ("the rate is stated in" in said) is (not native)


def test_simulate_brainflow_board_choice(tmp_path, capsys):
    # a board that streams at the rate and holds the channels is chosen
    for protocol, sfreq, board in [("prone-hip-extension", 250, "cyton"),
                                   ("lift", 125, "cyton-daisy"),
                                   ("lift", 250, "synthetic"),   # 16 EXG rows at 250 Hz
                                   ("lift", 1000, "cyton-daisy"),  # no board at 1 kHz
                                   ("arm-raise", 1000, "cyton")]:
        out = tmp_path / f"{protocol}-{sfreq}.csv"
        assert main(["simulate", protocol, "--out", str(out), "--sfreq", str(sfreq),
                     "--trials", "1"]) == 0
        capsys.readouterr()
        rec = ec.read(out)
        assert rec.meta["board"] == board and rec.sfreq == sfreq, (protocol, sfreq)
        side = json.loads((tmp_path / f"{out.name}.json").read_text())
        assert side["board"] == board and side["sfreq"] == sfreq
    # --board: its rate is the default
    out = tmp_path / "cyton.csv"
    assert main(["simulate", "arm-raise", "--out", str(out), "--board", "cyton",
                 "--trials", "1"]) == 0
    assert "'cyton'" in capsys.readouterr().out
    rec = ec.read(out)
    assert rec.sfreq == 250 and rec.meta["board"] == "cyton" and "board_sfreq" not in rec.meta
    # --board with another rate: the sidecar states it
    assert main(["simulate", "arm-raise", "--out", str(out), "--board", "ganglion",
                 "--sfreq", "500", "--trials", "1"]) == 2
    assert "--board ganglion" in capsys.readouterr().err  # 4 EXG rows < 8 channels
    assert main(["simulate", "arm-raise", "--out", str(out), "--board", "cyton-daisy",
                 "--sfreq", "500", "--trials", "1"]) == 0
    assert "stated in cyton.csv.json" in capsys.readouterr().out
    rec = ec.read(out)
    assert rec.sfreq == 500 and rec.meta["board_sfreq"] == 125


@pytest.mark.parametrize("argv, message", [
    (["simulate", "lift", "--out", "l.csv", "--board", "cyton"], "--board cyton"),
    (["simulate", "lift", "--out", "l.csv", "--board", "nope"], "--board nope"),
    (["simulate", "lift", "--out", "l.bdf", "--board", "cyton"], "--board applies to"),
    (["simulate", "lift", "--out", "l.csv", "--sfreq", "50"], "--sfreq 50"),
    (["simulate", "lift", "--out", "l.csv", "--snr", "200"], "--snr 200"),
    (["simulate", "lift", "--out", "l.csv", "--trials", "0"], "--trials"),
    (["simulate", "lift", "--out", "l.wav"], "--format"),
])
def test_simulate_errors_name_the_flag(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_brainflow_csv_rate_other_than_the_board_needs_the_flag(tmp_path):
    rec, _ = ec.simulate.simulate("arm-raise", sfreq=500, n_trials=1)
    with pytest.raises(ec.ValidationError, match="native_rate=False"):
        ec.io.write_brainflow_csv(rec, tmp_path / "a.csv", board="cyton")
    with pytest.raises(ec.ValidationError, match="sidecar=False"):
        ec.io.write_brainflow_csv(rec, tmp_path / "a.csv", board="cyton", native_rate=False,
                                  sidecar=False)
    p = ec.io.write_brainflow_csv(rec, tmp_path / "a.csv", board="cyton", native_rate=False)
    back = ec.read(p)
    assert back.sfreq == 500 and back.meta["board_sfreq"] == 250
    with pytest.raises(ec.ValidationError, match="500 Hz stated in the sidecar"):
        ec.read(p, sfreq=250)
    side = json.loads((tmp_path / "a.csv.json").read_text())
    side["sfreq"] = -1
    (tmp_path / "a.csv.json").write_text(json.dumps(side))
    with pytest.raises(ec.FileFormatError, match="sidecar 'sfreq'"):
        ec.read(p)


# --------------------------------------------------------------- simulate: MVC, variants
def test_simulate_mvc_then_assess_assesses_amount(tmp_path, capsys):
    out = tmp_path / "phe.bdf"
    assert main(["simulate", "prone-hip-extension", "--mvc", "--out", str(out), "--sfreq",
                 "500", "--trials", "3"]) == 0
    assert "MVC block first" in capsys.readouterr().out
    assert main(["assess", "prone-hip-extension", "--input", str(out), "--out",
                 str(tmp_path / "a"), "--no-pdf", "--quiet", "--json"]) == 0
    said = capsys.readouterr()
    verdicts = json.loads(said.out)["verdicts"]
    results = json.loads((tmp_path / "a" / "results.json").read_text())
    amount = [c for c in results["criteria"] if c["kind"] == "amount"]
    assert amount, "the pattern has an amount criterion"
    for c in amount:
        assert verdicts[c["id"]] in ("pass", "fail"), c
        assert "not normalised" not in json.dumps(c)
    # the simulated gluteus maximus holds 25 %MVC (x 0.82-1.22 per trial)
    gmax = next(c for c in amount if c["id"] == "gmax-amount")
    assert gmax["unit"] == "%MVC" and abs(gmax["measured"] - 25.0) < 7.0
    # at 500 Hz the default 450 Hz band edge is lowered to 225 Hz: the documented
    # default, stated in the report's processing section, not a warning
    note = "default 450 Hz lowered to 0.9 x Nyquist at sfreq=500 Hz"
    assert "warning" not in said.err and "Nyquist" not in said.err
    assert not any("Nyquist" in w for w in results["warnings"])
    assert results["processing"]["filter"]["h_freq"] == 225.0
    band = next(i for i in results["reporting_items"] if i["item"] == "Band-pass filter")
    assert "20-225 Hz" in band["value"] and note in band["value"]
    assert note in (tmp_path / "a" / "report.html").read_text()


def test_simulate_list_variants_says_what_each_simulates(capsys):
    from emgcontrol.simulate import variant_summaries

    for protocol in ec.simulate.PROTOCOLS:
        assert main(["simulate", protocol, "--list-variants"]) == 0
        lines = capsys.readouterr().out.splitlines()
        summaries = variant_summaries(protocol)
        assert list(summaries) == list_variants(protocol)
        assert len(lines) == len(summaries)
        for line, (name, text) in zip(lines, summaries.items()):
            assert line.split()[0] == name and line.endswith(text)
            assert 20 <= len(text) <= 120, (protocol, name)
        # the summaries are distinct and the full descriptions still exist
        assert len(set(summaries.values())) == len(summaries)
        for name in summaries:
            assert len(ec.simulate.describe(protocol, name)) > len(summaries[name])


# --------------------------------------------------------------- warnings
def _cut_brainflow_file(tmp_path):
    rec, _ = ec.simulate.simulate("arm-raise", sfreq=250, n_trials=1)
    p = ec.io.write_brainflow_csv(rec, tmp_path / "cut.csv")
    text = p.read_text()
    p.write_text(text[: text.rindex("\t") - 3])  # an interrupted recording: last line cut
    return p


def test_warnings_are_one_clean_line_on_stderr(tmp_path):
    p = _cut_brainflow_file(tmp_path)
    run = subprocess.run(
        [sys.executable, "-c", "import sys; from emgcontrol.cli import main; sys.exit(main())",
         "info", str(p)], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    assert lines and all(line.startswith("warning: ") for line in lines), run.stderr
    assert any("incomplete" in line for line in lines)
    assert "Warning:" not in run.stderr and "sys.exit" not in run.stderr
    assert "cut.csv" in run.stdout


def test_main_prints_each_warning_once_and_restores_the_warning_state(tmp_path, capsys,
                                                                      monkeypatch):
    import warnings

    from emgcontrol.cli import _commands

    def noisy(args):
        for _ in range(3):
            warnings.warn("same\nthing", ec.EmgcontrolWarning)
        warnings.warn("other", UserWarning)
        return 0

    monkeypatch.setattr(_commands, "info_command", noisy)
    before = (warnings.showwarning, list(warnings.filters))
    with warnings.catch_warnings():
        warnings.simplefilter("always")  # repeats reach the handler: it must drop them
        assert main(["info", str(tmp_path / "any.bdf")]) == 0
    assert capsys.readouterr().err == "warning: same thing\nwarning: other\n"
    assert (warnings.showwarning, list(warnings.filters)) == before


# --------------------------------------------------------------- help texts
def _help(capsys, *argv):
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--help"])
    assert exit_.value.code == 0
    return " ".join(capsys.readouterr().out.split())  # argparse wraps lines


def test_help_texts_state_the_defaults_of_the_code(capsys):
    from emgcontrol.feedback import LIVE_ONSET_METHOD
    from emgcontrol.onset import DEFAULT_METHOD, METHODS

    text = _help(capsys, "onsets")
    assert f"(default: {DEFAULT_METHOD})" in text and "best" not in text
    assert all(m in text for m in METHODS)
    text = _help(capsys, "live")
    assert f"else {LIVE_ONSET_METHOD})" in text
    text = _help(capsys, "simulate")
    for flag in ("--mvc", "--board", "--format", "--trials", "--list-variants"):
        assert flag in text
    assert all(p in text for p in ec.simulate.PROTOCOLS)
    text = _help(capsys, "assess")
    assert "'mvc' contractions of the --input file" in text
    for command in ("info", "boards", "record", "batch"):
        assert "usage: emgcontrol " + command in _help(capsys, command)


@pytest.mark.parametrize("command", ["record", "live"])
def test_recording_commands_refuse_a_name_that_promises_another_format(command, tmp_path,
                                                                       capsys):
    out = tmp_path / "s01.bdf"
    assert main([command, "--out", str(out), "--duration", "1"]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "BrainFlow CSV" in err and err.count("\n") == 1
    assert not out.exists()


def test_protocol_help_is_built_from_the_protocol_lists(capsys, tmp_path, monkeypatch):
    from emgcontrol.patterns import BUILTIN_PROTOCOLS, ENV_VAR

    (tmp_path / "clinic-squat.toml").write_text("# listed by its file name\n")
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    for command in ("assess", "batch"):
        text = _help(capsys, command)
        listed = ", ".join(BUILTIN_PROTOCOLS) + ", clinic-squat"
        assert listed in text, (command, text)
    text = _help(capsys, "record")
    assert all(p in text for p in ec.simulate.PROTOCOLS)
    assert f"{ec.acquire.SimulatedBoard.protocol} (default)" in text


# ------------------------------------------------------- small points of the outputs
def test_onsets_json_has_the_table_units_and_no_float_noise(tmp_path, capsys):
    from emgcontrol.onset import detect_onsets

    out = tmp_path / "ar.bdf"
    assert main(["simulate", "arm-raise", "--out", str(out), "--sfreq", "250"]) == 0
    capsys.readouterr()
    assert main(["onsets", str(out), "--json"]) == 0
    text = capsys.readouterr().out
    rows = json.loads(text)
    acts = detect_onsets(ec.read(out)).to_dict()["activations"]
    assert len(rows) == len(acts)
    for r, a in zip(rows, acts):
        assert r["onset_s"] == pytest.approx(a["onset"], abs=1e-6)
        assert r["peak_uV"] == pytest.approx(a["peak"] * 1e6, abs=1e-4)
        assert r["area_uVs"] == pytest.approx(a["area"] * 1e6, abs=1e-4)
    # no binary-fraction noise: every number has at most 6 decimals
    for num in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", text):
        assert "e" in num or len(num.split(".")[1]) <= 6, num
    # the text table uses the same units
    assert main(["onsets", str(out)]) == 0
    table = capsys.readouterr().out
    assert "peak_uV" in table and "onset_s" in table


def test_info_says_when_a_recording_was_interrupted(tmp_path, capsys):
    out = tmp_path / "s.csv"
    assert main(["simulate", "arm-raise", "--out", str(out), "--sfreq", "250"]) == 0
    capsys.readouterr()
    assert main(["info", str(out)]) == 0
    assert "INTERRUPTED" not in capsys.readouterr().out
    side = tmp_path / "s.csv.json"
    body = json.loads(side.read_text())
    body.setdefault("meta", {})["acquisition"] = {"status": "interrupted"}
    side.write_text(json.dumps(body))
    assert main(["info", str(out)]) == 0
    assert "recording: INTERRUPTED" in capsys.readouterr().out
    body["meta"]["acquisition"]["status"] = "recording"
    side.write_text(json.dumps(body))
    assert main(["info", str(out)]) == 0
    assert "INCOMPLETE" in capsys.readouterr().out


def test_batch_summary_separates_each_output_name_from_its_path():
    import pandas as pd

    from emgcontrol.batch._run import BatchResult

    files = {"parquet": "res.parquet", "csv": "res.csv", "json_dir": "res.d"}
    res = BatchResult(table=pd.DataFrame({"status": [], "path": [], "error": [],
                                          "error_type": []}), files=files, protocol="p")
    lines = res.summary().splitlines()
    for k, v in files.items():
        line = next(ln for ln in lines if ln.startswith(k + ":"))
        assert line.split(":", 1)[1].startswith(" ") and line.split()[-1] == v


def test_live_output_to_a_pipe_is_in_time_order():
    import io

    from emgcontrol.cli._acquire import TimeOrderedLines

    # the order the feedback loop reports in: a movement's checks when it ends
    seq = ["live feedback: 8 channels at 250 Hz",
           "t=3.2s [%MVC] LT L 1.2",
           "   [   3.67 s] order janda-sequence[1]: BF R started 64 ms before GMax R",
           "   [   3.82 s] order hamstrings-before-es: BF R started 212 ms before LT R",
           "t=4.2s [%MVC] LT L 16.5",
           "t=6.3s [%MVC] LT L 12.1",
           "   [   3.61 s] GMax R in its zone: 31 %MVC",
           "   [   6.96 s] movement 1 (3.61-6.96 s): all targets met",
           "t=7.3s [%MVC] LT L 1.2",
           "!! [  12.00 s] order gmax-before-ipsilateral-es: no onset detected",
           "   [  11.87 s] order gmax-before-contralateral-es: GMax R started 52 ms before",
           "live feedback: 12.0 s, 1828 blocks"]
    out = io.StringIO()
    s = TimeOrderedLines(out)
    assert not s.isatty()
    s.write("\n".join(seq[:5]) + "\n")
    s.write("\n".join(seq[5:]) + "\n")
    s.close()
    lines = out.getvalue().splitlines()
    assert sorted(lines) == sorted(seq)  # nothing lost, nothing added
    times = []
    for ln in lines:
        m = TimeOrderedLines._TIME.match(ln)
        if m:
            times.append(float(m.group("t") or m.group("e")))
    assert times == sorted(times)
    assert lines[0] == seq[0] and lines[-1] == seq[-1]
    # the movement's verdict follows every line of its movement, before later status
    i = lines.index(seq[7])
    assert lines.index(seq[6]) < lines.index(seq[2]) < i < lines.index(seq[8])
