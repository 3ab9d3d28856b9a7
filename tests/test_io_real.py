"""Readers against real OpenBCI GUI exports in ../shared/data (skipped where absent)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from emgcontrol import io as eio
from emgcontrol.errors import DroppedSamplesWarning

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
GUI = DATA / "openbci-gui-sample"
GANGLION = DATA / "openbci-ganglion-myoware"
GENERATIONS = {
    "v6": "OpenBCI_GUI-v6-blinks-jawClench-alpha.txt",
    "v5": "OpenBCI_GUI-v5-blinks-jawClench-alpha.txt",
    "v1-4": "OpenBCI-sampleData-1-blinks-jawClench-alpha.txt",
}


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real data not available: {path}")
    return path


@pytest.fixture(scope="module")
def cyton():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DroppedSamplesWarning)  # this session lost nothing
        return {gen: eio.read(_need(GUI / name)) for gen, name in GENERATIONS.items()}


def test_three_gui_generations_read_to_the_same_session(cyton):
    ref = cyton["v6"]
    for gen, rec in cyton.items():
        assert rec.meta["source_format"] == f"openbci-gui-{gen}"
        assert rec.sfreq == 250.0 and rec.meta["board"] == "cyton"
        assert rec.ch_types == ["emg"] * 8 + ["acc"] * 3
        assert rec.ch_names == ref.ch_names and rec.n_times == 22490
        np.testing.assert_array_equal(rec.data[:8], ref.data[:8])  # identical EXG
        assert rec.meta["dropped_samples"] == {"count": 0, "gaps": []}
    # v5 starts with an all-zero row (file line 5) that is not a sample
    assert cyton["v5"].meta["dropped_rows"]["lines"] == [5]
    assert cyton["v5"].history[0]["params"]["dropped_leading_zero_rows"] == 1
    assert cyton["v6"].meta["dropped_rows"]["lines"] == []
    # ground truth from the text: first sample of v6, EXG Channel 0 = 61379.36 uV
    assert ref.data[0, 0] == pytest.approx(61379.36e-6, abs=1e-15)
    assert ref.data[8:, 0] == pytest.approx([0.040, 0.420, 0.238])
    # v1-4 writes accel only when a new value came (0,0,0 otherwise): held, it matches
    # v5/v6 except where a real reading had x == 0, which later GUIs skip
    diff = np.abs(cyton["v1-4"].data[8:] - ref.data[8:]).max(axis=0)
    assert np.mean(diff == 0) > 0.999 and diff.max() <= 0.02
    np.testing.assert_array_equal(cyton["v5"].data[8:], ref.data[8:])
    ts6, ts14 = ref.timestamps, cyton["v1-4"].timestamps
    np.testing.assert_array_equal(ts6, ts14)
    assert ts6[0] == pytest.approx(1557936053.329)


def test_ganglion_files_are_200_hz_with_4_exg():
    for name in ("OpenBCI-RAW-S02_S1R0.txt", "OpenBCI-RAW-S02_S1REST.txt",
                 "OpenBCI-RAW-S03_S1REST.txt"):
        with warnings.catch_warnings():
            warnings.simplefilter("error", DroppedSamplesWarning)
            rec = eio.read(_need(GANGLION / name))
        assert rec.sfreq == 200.0 and rec.meta["board"] == "ganglion"
        assert rec.ch_names[:4] == ["EXG1", "EXG2", "EXG3", "EXG4"]
        assert rec.meta["dropped_samples"]["count"] == 0  # index wraps 200 -> 0: no gap


def test_ganglion_gap_after_index_60_is_reported_from_timestamps():
    path = _need(GANGLION / "OpenBCI-RAW-S03_S1R0.txt")
    lines = path.read_text().splitlines()
    assert lines[1875].startswith("60,") and lines[1876].startswith("0,")  # the file itself
    with pytest.warns(DroppedSamplesWarning, match=r"line 1877") as rec_w:
        rec = eio.read(path)
    assert "dropped sample" in str(rec_w[0].message)
    gap, = rec.meta["dropped_samples"]["gaps"]
    # 11:01:35.499 -> 11:02:04.703 is 29.204 s: about 5840 samples at 200 Hz, far more
    # than the counter's 140 (60 -> 0 modulo 201)
    assert gap["line"] == 1877 and gap["sample"] == 1870 and gap["source"] == "timestamps"
    assert 5830 <= gap["n_missing"] <= 5845
    assert rec.meta["dropped_samples"]["count"] == gap["n_missing"]
    ev, = [e for e in rec.events if e.label == "dropped_samples"]
    assert ev.onset == pytest.approx(1870 / 200) and ev.duration == pytest.approx(
        gap["n_missing"] / 200)
    assert rec.n_times == 26612  # samples stay contiguous, nothing inserted


def test_real_session_survives_bdf_and_brainflow_round_trips(cyton, tmp_path):
    rec = cyton["v6"].crop(0, 20)
    eio.write_bdf(rec, tmp_path / "s.bdf")
    back = eio.read(tmp_path / "s.bdf")
    span = rec.data.max(axis=1) - rec.data.min(axis=1)
    step = span / (2 ** 24 - 1)
    assert np.all(np.abs(back.data - rec.data).max(axis=1) <= step * 0.51 + 1e-7 * span)
    assert back.ch_names == rec.ch_names and back.ch_types == rec.ch_types
    full = cyton["v6"]
    eio.write_brainflow_csv(full, tmp_path / "s.csv")
    again = eio.read(tmp_path / "s.csv")
    np.testing.assert_allclose(again.data, full.data, rtol=0, atol=1e-12)
    assert again.timestamps == pytest.approx(full.timestamps, abs=1e-6)
