"""Imported by the case-import test workers (`celery worker -I tests.indicators.worker_hooks`), never by the app.

With ANESQC_TEST_PAUSE_FILE set, a running import waits after each write of its progress for as long
as that file exists, so a test can look at the job mid-way through its file.
"""

import os
import time
from typing import Any

from indicators.cases import postgres

PAUSE_FILE = os.environ.get("ANESQC_TEST_PAUSE_FILE", "")

if PAUSE_FILE:
    _write = postgres.progress_write

    def _paused_write(*args: Any, **kwargs: Any) -> bool:
        written = _write(*args, **kwargs)
        while os.path.exists(PAUSE_FILE):
            time.sleep(0.05)
        return written

    postgres.progress_write = _paused_write
