"""The io helpers that recording code outside ``io`` uses (acquire): lost-sample
counting from a board's counter, JSON sidecars, output-file checks; and the boards'
counter conventions in ``emgcontrol.hardware``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from emgcontrol import Recording, hardware
from emgcontrol import io as eio
from emgcontrol.errors import FileFormatError, ValidationError


def test_counter_conventions_of_the_boards():
    assert hardware.counter_spec(0) == hardware.CounterSpec(256)  # Cyton
    assert hardware.counter_spec(2) == hardware.CounterSpec(256, 2)  # Cyton+Daisy
    assert hardware.counter_spec(1).ganglion_packets  # Ganglion: 2 samples a packet id
    assert hardware.counter_spec(1).modulus == 100
    assert hardware.counter_spec(57) == hardware.CounterSpec(None)  # unknown: inferred


def test_find_gaps_from_a_wrapping_counter():
    # Cyton: 0..255; samples with counter 1 and 2 lost across the wrap
    gaps = eio.find_gaps(np.array([254, 255, 0, 3, 4]), sfreq=250.0, modulus=256)
    assert gaps == [eio.Gap(3, 2, "counter")]
    # Cyton+Daisy in BrainFlow: even ids; one merged sample (id 6) lost
    assert eio.find_gaps(np.array([2, 4, 8, 10]), sfreq=125.0, modulus=256, step=2) == \
        [eio.Gap(2, 1, "counter")]
    assert eio.find_gaps(np.arange(10) % 256, sfreq=250.0, modulus=256) == []
    assert eio.find_gaps(np.array([3]), sfreq=250.0) == []


def test_find_gaps_from_packet_keys_needs_no_timestamps():
    """Two samples a packet key (Ganglion): a lost packet is two lost samples, with or
    without timestamps (the live monitor has none to pass)."""
    keys = np.array([0, 0, 1, 1, 3, 3, 4, 4])
    want = [eio.Gap(4, 2, "counter")]
    assert eio.find_gaps(None, sfreq=200.0, modulus=100, packet_keys=keys,
                         samples_per_packet=2) == want
    assert eio.find_gaps(None, sfreq=200.0, modulus=100, packet_keys=keys,
                         samples_per_packet=2, times=np.arange(8) / 200.0) == want


@pytest.mark.parametrize("board_id, blocks, want", [
    # Cyton: counter 4 and 5 lost between two blocks
    (0, ([0, 1, 2, 3], [6, 7, 8]), [(4, 2)]),
    # Ganglion: packet id 3 (two samples) lost between two blocks
    (1, ([1, 1, 2, 2], [4, 4, 5, 5]), [(4, 2)]),
    # Ganglion: packet id 2 lost inside a block
    (1, ([1, 1, 3, 3, 4, 4],), [(2, 2)]),
])
def test_live_counter_tracker_counts_lost_samples(board_id, blocks, want):
    from emgcontrol.acquire._monitor import CounterTracker

    sfreq = 250.0 if board_id == 0 else 200.0
    tracker = CounterTracker(board_id, sfreq)
    got, first = [], 0
    for block in blocks:
        got += tracker.update(np.asarray(block, dtype=float), None, first)
        first += len(block)
    assert [(g["sample"], g["n_missing"]) for g in got] == want
    assert all(g["source"] == "counter" and g["line"] == g["sample"] + 1 for g in got)


def test_sidecar_path_and_reading(tmp_path):
    assert eio.sidecar_path(tmp_path / "rec.csv") == tmp_path / "rec.csv.json"
    assert eio.sidecar_path(str(tmp_path / "a.b.csv")) == tmp_path / "a.b.csv.json"
    rec = Recording.from_array(np.zeros((2, 50)), 250.0, ["a", "b"], units="V")
    path = eio.write_csv(rec, tmp_path / "rec.csv")
    body = eio.read_sidecar(path, "csv")
    assert body is not None and body["format"] == eio.SIDECAR_FORMAT
    assert body["version"] == eio.SIDECAR_VERSION
    with pytest.raises(FileFormatError, match=r"rec\.csv\.json.*describes a 'csv' file, "
                                              r"not a 'brainflow-csv' file"):
        eio.read_sidecar(path, "brainflow-csv")
    other = tmp_path / "other.csv"
    assert eio.read_sidecar(other, "csv") is None  # no sidecar
    eio.sidecar_path(other).write_text(json.dumps({"someone": "else"}))
    assert eio.read_sidecar(other, "csv") is None  # not ours: ignored
    eio.sidecar_path(other).write_text("{not json")
    with pytest.raises(FileFormatError, match=r"other\.csv\.json.*not valid JSON"):
        eio.read_sidecar(other, "csv")


def test_check_output_file_names_the_problem(tmp_path):
    assert eio.check_output_file(str(tmp_path / "new.csv")) == tmp_path / "new.csv"
    with pytest.raises(ValidationError, match="is a directory"):
        eio.check_output_file(tmp_path)
    with pytest.raises(ValidationError, match=r"folder .*nowhere.* does not exist"):
        eio.check_output_file(tmp_path / "nowhere" / "x.csv")
    with pytest.raises(ValidationError, match="path must be a str or path-like"):
        eio.check_output_file(3)  # type: ignore[arg-type]


def test_public_helpers_are_documented():
    for name in ("find_gaps", "sidecar_path", "read_sidecar", "check_output_file"):
        doc = getattr(eio, name).__doc__
        assert "Parameters\n" in doc and "Returns\n" in doc, name
    assert "Attributes\n" in eio.Gap.__doc__ and "Attributes\n" in hardware.CounterSpec.__doc__
    assert isinstance(eio.SIDECAR_FORMAT, str) and isinstance(eio.SIDECAR_VERSION, int)
