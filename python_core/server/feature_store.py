"""What each server offers, kept in the database per server URL (`server_capabilities`),
so a restart does not probe again; read once per client, which lives for one use case. Forgotten when the server URL or an account changes
(the facade) and re-decided by Test Connection."""

from __future__ import annotations

from python_core.clock import utc_now
from python_core.store import Database, config_tables


class DatabaseFeatureStore:
    """The client's FeatureStore (server/features.py) over `server_capabilities`."""

    def __init__(self, db: Database, server_url: str):
        self._db = db
        self._server_url = server_url
        self._known: dict[str, bool | None] = {}  # read once per client (one sync)

    def load(self, feature: str) -> bool | None:
        if feature not in self._known:
            self._known[feature] = config_tables.capability(
                self._db.connection(), self._server_url, feature)
        return self._known[feature]

    def save(self, feature: str, available: bool | None) -> None:
        with self._db.atomic() as tx:
            config_tables.set_capability(tx, self._server_url, feature, available, utc_now())
        self._known[feature] = available
