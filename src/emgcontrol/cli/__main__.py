"""``python -m emgcontrol.cli``: the ``emgcontrol`` command."""

import sys

from ._main import main

sys.exit(main())
