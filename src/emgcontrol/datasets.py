"""Sample sessions made by the simulator, in the file formats users have.

The samples live in the repository's ``datasets/`` folder (with the script
``datasets/make_datasets.py`` that regenerates them).  Where the package is
installed without that folder, :func:`fetch` regenerates the same files,
deterministically from their seeds, into a cache folder
(``$EMGCONTROL_DATA`` or ``~/.cache/emgcontrol/datasets``).

Examples
--------
>>> import emgcontrol as ec
>>> rec, truth = ec.datasets.load("prone-hip-extension-cyton")  # doctest: +SKIP
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ValidationError

if TYPE_CHECKING:  # pragma: no cover
    from .recording import Recording
    from .simulate import GroundTruth

__all__ = ["SAMPLES", "Sample", "list_datasets", "fetch", "load", "make", "data_dir"]


@dataclass(frozen=True)
class Sample:
    """How a sample session is made.

    Attributes
    ----------
    name : str
        Dataset name.
    protocol, variant : str
        Simulator scenario.
    sfreq : float
        Sampling rate in Hz.
    snr_db : float
        Signal-to-noise ratio in dB.
    seed : int
        Random seed.
    filename : str
        File name; the extension gives the format (``.bdf``, ``.edf``, ``.csv`` for
        BrainFlow CSV).
    board : str or None
        BrainFlow board for BrainFlow CSV files.
    description : str
        What it shows.
    """

    name: str
    protocol: str
    variant: str
    sfreq: float
    snr_db: float
    seed: int
    filename: str
    board: str | None
    description: str


_SAMPLES = (
    Sample("prone-hip-extension-cyton", "prone-hip-extension", "typical", 250.0, 15.0, 11,
           "prone-hip-extension_cyton.csv", "cyton",
           "Prone hip extension, typical firing order, OpenBCI Cyton (8 ch, 250 Hz), "
           "BrainFlow CSV as the board writes it."),
    Sample("prone-hip-extension-delayed-gluteus", "prone-hip-extension", "delayed-gluteus",
           1000.0, 15.0, 12, "prone-hip-extension_delayed-gluteus.bdf", None,
           "Prone hip extension with a late gluteus maximus, 1 kHz BDF."),
    Sample("arm-raise-delayed-trunk", "arm-raise", "delayed-trunk", 1000.0, 15.0, 13,
           "arm-raise_delayed-trunk.bdf", None,
           "Rapid arm raise with delayed trunk (IO/TrA) onset, 1 kHz BDF."),
    Sample("flexion-relaxation-absent", "flexion-relaxation", "absent", 250.0, 15.0, 14,
           "flexion-relaxation_absent.edf", None,
           "Trunk flexion without flexion-relaxation, 250 Hz EDF+."),
)

SAMPLES: dict[str, Sample] = {s.name: s for s in _SAMPLES}
"""Available sample sessions, by name."""


def list_datasets() -> list[str]:
    """Names of the sample sessions."""
    return list(SAMPLES)


def _repo_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "datasets"


def data_dir() -> Path:
    """Folder where samples are read: the repository's ``datasets/`` if present,
    else ``$EMGCONTROL_DATA`` or ``~/.cache/emgcontrol/datasets``, in a subfolder
    named after the generator's fingerprint (so a newer simulator never reads
    files an older one cached)."""
    repo = _repo_dir()
    if (repo / "make_datasets.py").exists():
        return repo
    env = os.environ.get("EMGCONTROL_DATA")
    root = Path(env) if env else Path.home() / ".cache" / "emgcontrol" / "datasets"
    return root / _generator_fingerprint()


def _generator_fingerprint() -> str:
    """Hash of the code that makes the samples (simulator, writers, this module)."""
    import hashlib

    pkg = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    files = [pkg / "datasets.py", *sorted((pkg / "simulate").glob("*.py")),
             *sorted((pkg / "io").glob("*.py"))]
    for f in files:
        digest.update(f.name.encode())
        digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


def _get(name: str) -> Sample:
    if name not in SAMPLES:
        raise ValidationError(
            f"unknown dataset {name!r}; available: {', '.join(SAMPLES)}")
    return SAMPLES[name]


def make(name: str, folder: str | os.PathLike[str]) -> Path:
    """Generate one sample session (and its ``.truth.json``) into ``folder``.

    Returns
    -------
    Path
        The recording file.
    """
    from .io import write_bdf, write_brainflow_csv, write_edf
    from .simulate import simulate

    sample = _get(name)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rec, truth = simulate(sample.protocol, sample.variant, sfreq=sample.sfreq,
                          snr_db=sample.snr_db, seed=sample.seed)
    path = folder / sample.filename
    ext = path.suffix.lower()
    if ext == ".bdf":
        write_bdf(rec, path)
    elif ext == ".edf":
        write_edf(rec, path)
    else:
        write_brainflow_csv(rec, path, board=sample.board)
    truth.save(path.with_name(path.name + ".truth.json"))
    return path


def fetch(name: str) -> Path:
    """Path of a sample session's file, generating it if it is not there yet."""
    sample = _get(name)
    folder = data_dir()
    path = folder / sample.filename
    if not path.exists() or not path.with_name(path.name + ".truth.json").exists():
        make(name, folder)
    return path


def load(name: str) -> tuple[Recording, GroundTruth]:
    """Read a sample session and its ground truth.

    Returns
    -------
    rec : Recording
        The session as read back from its file.
    truth : GroundTruth
        The simulator's ground truth (onsets, amplitudes, expected order...).
    """
    from .io import read
    from .simulate import GroundTruth

    path = fetch(name)
    rec = read(path)
    truth = GroundTruth.load(path.with_name(path.name + ".truth.json"))
    return rec, truth
