"""The tutorial notebooks execute from top to bottom (nbclient, fresh kernel each).

Outputs are not stored in the repository; this test runs every cell and fails on
the first error.  It skips when nbclient/nbformat/ipykernel are not installed (the
``test`` extra installs them).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
TIMEOUT_S = 180  # per cell


def test_notebooks_are_found_and_hold_no_outputs():
    names = [p.name for p in NOTEBOOKS]
    assert names == ["01_quick_start.ipynb", "02_onset_detectors.ipynb",
                     "03_protocol_assessment.ipynb", "04_live_biofeedback.ipynb"]
    nbformat = pytest.importorskip("nbformat")
    for p in NOTEBOOKS:
        nb = nbformat.read(p, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.get("outputs") and cell.get("execution_count") is None, p.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(path, as_version=4)
    env_backend = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"  # the kernel inherits it: headless whatever the host
    try:
        client = nbclient.NotebookClient(nb, timeout=TIMEOUT_S, kernel_name="python3",
                                         resources={"metadata": {"path": str(tmp_path)}})
        client.execute()
    finally:
        if env_backend is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = env_backend
    # every notebook shows at least one figure
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if "image/png" in o.get("data", {})]
    assert images, f"{path.name} produced no figure"


def test_onset_notebook_names_the_default_the_code_uses():
    """Notebook 02 says which detector runs when none is chosen: check it against the
    code (DEFAULT_METHOD, the built-in pattern files) rather than trusting the text."""
    nbformat = pytest.importorskip("nbformat")
    from emgcontrol.onset import DEFAULT_METHOD, METHODS
    from emgcontrol.patterns import BUILTIN_PROTOCOLS, get_pattern

    nb = nbformat.read(NOTEBOOKS[1], as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert f"uses `{DEFAULT_METHOD}` (`emgcontrol.onset.DEFAULT_METHOD`)" in text
    for name in BUILTIN_PROTOCOLS:  # "whose pattern files set no method"
        assert "method" not in get_pattern(name).onsets.params, name
    for other in set(METHODS) - {DEFAULT_METHOD}:
        assert f"`{other}` by default" not in text and f"choose\n`{other}`" not in text
