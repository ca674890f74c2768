"""The client a set of settings describes: the server, both accounts, the timeouts and the
CA bundle, with the JWT pair and what the server was found to have kept in the database."""

from __future__ import annotations

from typing import Any

from python_core.server.client import BookLoreClient, Credentials, md5_hex
from python_core.server.feature_store import DatabaseFeatureStore
from python_core.server.token_store import DatabaseTokenStore
from python_core.store import Database


def client_for(db: Database, current: dict[str, Any]) -> BookLoreClient:
    credentials = Credentials(
        server_url=current["server_url"],
        koreader_user=current["username"] or None,
        # No stored key is an empty password, whose key KOReader would send too.
        koreader_key=(current["koreader_key"] or md5_hex("")) if current["username"] else None,
        booklore_user=current["booklore_username"] or None,
        booklore_password=current["booklore_password"] or None,
    )
    tokens = DatabaseTokenStore(db, current["server_url"], current["booklore_username"])
    return BookLoreClient(credentials, tokens,
                          timeout=(current["connect_timeout"], current["read_timeout"]),
                          ca_bundle=current["ca_bundle"] or None,
                          features=DatabaseFeatureStore(db, current["server_url"]))
