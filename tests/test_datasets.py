"""Sample sessions: loadable, with ground truth, and regenerable bit for bit."""

from pathlib import Path

import numpy as np
import pytest

import emgcontrol as ec
from emgcontrol import datasets


def test_every_sample_loads_with_its_truth():
    for name in datasets.list_datasets():
        rec, truth = datasets.load(name)
        sample = datasets.SAMPLES[name]
        assert rec.sfreq == sample.sfreq
        assert truth.protocol == sample.protocol and truth.variant == sample.variant
        emg = [m for m, t in zip(rec.muscles, rec.ch_types) if t == "emg"]
        assert all(m is not None for m in emg), name


REPO_DATASETS = Path(__file__).resolve().parents[1] / "datasets"


@pytest.mark.parametrize("name", datasets.list_datasets())
def test_files_in_the_repository_match_the_generator(name, tmp_path):
    sample = datasets.SAMPLES[name]
    stored_path = REPO_DATASETS / sample.filename
    assert stored_path.exists(), f"{stored_path} missing: run datasets/make_datasets.py"
    fresh = ec.read(datasets.make(name, tmp_path))
    stored = ec.read(stored_path)
    np.testing.assert_allclose(stored.data, fresh.data, rtol=0, atol=1e-9,
                               err_msg="stale sample: run datasets/make_datasets.py")
    assert stored.events == fresh.events
    truth = (tmp_path / sample.filename).with_name(sample.filename + ".truth.json")
    assert truth.read_text() == (REPO_DATASETS / truth.name).read_text()


def test_unknown_dataset():
    with pytest.raises(ec.ValidationError, match="available: prone-hip-extension-cyton"):
        datasets.load("nope")


def test_fetch_regenerates_when_the_folder_is_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "_repo_dir", lambda: tmp_path / "absent")
    monkeypatch.setenv("EMGCONTROL_DATA", str(tmp_path / "cache"))
    path = datasets.fetch("flexion-relaxation-absent")
    assert path.parent.parent == tmp_path / "cache" and path.exists()
    rec, truth = datasets.load("flexion-relaxation-absent")
    assert truth.variant == "absent" and rec.sfreq == 250
