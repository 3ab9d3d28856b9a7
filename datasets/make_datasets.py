"""Regenerate the sample sessions in this folder from the simulator.

Usage::

    python datasets/make_datasets.py            # all samples
    python datasets/make_datasets.py NAME ...   # some of them

Each sample is a recording file and its ground truth (``<file>.truth.json``);
see ``emgcontrol.datasets.SAMPLES`` for how each is made.  The output is
deterministic: the seeds are fixed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from emgcontrol import datasets


def main(names: list[str]) -> None:
    here = Path(__file__).resolve().parent
    for name in names or datasets.list_datasets():
        path = datasets.make(name, here)
        print(f"{name}: {path.name} ({path.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main(sys.argv[1:])
