"""Imported by the test workers (`celery worker -I tests.reports.worker_hooks`), never by the app.

With ANESQC_TEST_PAUSE_FILE set, a render waits before writing its PDF for as long as that file
exists, so a test can kill the worker process at a known point mid-render.
"""

import os
import time
from typing import Any

from reports import rendering

PAUSE_FILE = os.environ.get("ANESQC_TEST_PAUSE_FILE", "")

if PAUSE_FILE:
    _write = rendering.write

    def _paused_write(document: Any) -> rendering.Rendered:
        while os.path.exists(PAUSE_FILE):
            time.sleep(0.05)
        return _write(document)

    rendering.write = _paused_write
