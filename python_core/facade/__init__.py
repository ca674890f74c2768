"""The use cases of BookLore Sync, as the plugin (through the bridge or the sidecar) and
the CLI call them: `BookLoreSync`, one settings folder's database and every call over it.

Every public method returns plain data (dicts of str, int, float, bool, None, lists) and
never raises: expected trouble (a vanished book file, a bad setting, a server refusal)
becomes `{"ok": False, "message": ...}` with a sentence for the reader, and anything
unexpected is logged with its traceback and reported the same way (`use_case`).

The calls are grouped by what they serve, one module each: `reading_calls` (what a
reader's KOReader reports while reading; no network), `server_calls` (everything that
talks to BookLore), `queue_calls` (the queue, the database and the reader's notices);
`core` puts them together with the settings. Only the command line and the sidecar import
this package; nothing below it does (tests/test_layers.py).
"""

from python_core.facade.core import BookLoreSync
from python_core.facade.queue_calls import check_database

__all__ = ["BookLoreSync", "check_database"]
