"""Live feedback in the browser: a page for the patient (wall screen, tablet, phone) and the clinician.

::

    from emgcontrol.feedback import run_feedback
    from emgcontrol.feedback.web import WebDisplay, serve_feedback

    with WebDisplay() as page:                    # http://127.0.0.1:8765/
        run_feedback(display=page, duration=60)   # simulated board

    serve_feedback(pattern="prone-hip-extension", level=2, record_to="s01.csv")

The server is aiohttp (imported only when a page is served); the page's
script, style and markup are files of this package (``static/``): nothing is
loaded from the internet.  See :class:`WebDisplay` for the views and the safety
rules (loopback by default; another address needs an access token).
"""

from __future__ import annotations

from ._app import resolve_live_pattern, serve_feedback
from ._display import DEFAULT_PORT, WebDisplay, is_loopback
from ._words import plain_names, repetition_sentence

__all__ = ["WebDisplay", "serve_feedback", "resolve_live_pattern", "is_loopback",
           "DEFAULT_PORT", "plain_names", "repetition_sentence"]
