"""What the server offers, asked of the client: `has(feature)` answers from memory or
with one harmless probe (server/features.py has the rules), `knows` answers from memory
only. A part of `BookLoreClient`, kept apart from its one-method-per-endpoint body; it
uses the client's senders (`_session_post_answers`, `_koreader`, `_jwt`) and its
`_features` store.
"""

from __future__ import annotations

from python_core.errors import AuthError, BookLoreError, Unreachable
from python_core.server import features as feature_rules


class FeatureProbes:
    """Mixed into BookLoreClient (module docstring)."""

    def has(self, feature: str) -> bool | None:
        """Whether the server has an optional endpoint (`features.PROBED`): remembered,
        or found out now with one harmless probe, whose answer is kept only when it is
        decisive. None when it cannot be told (or the account it needs is not set).
        Raises `Unreachable` (nothing could be sent) and `AuthError` (an account refused)."""
        known = self._features.load(feature)
        if known is not None:
            return known
        try:
            verdict = self._probe(feature)
        except (Unreachable, AuthError):
            raise
        except BookLoreError:  # a lost answer, an unreadable one: ask again another time
            return None
        self._learn(feature, verdict)
        return verdict

    def knows(self, feature: str) -> bool | None:
        """What is remembered about `feature`, without asking the server."""
        return self._features.load(feature)

    def forget_features(self) -> None:
        """Decide every feature afresh (Test Connection)."""
        for feature in feature_rules.FEATURES:
            self._features.save(feature, None)

    def _probe(self, feature: str) -> bool | None:
        """One probe's verdict. Upstream's 500 for an unmapped path comes every time; a
        server that has the endpoint fails with 500 only in a bad moment, so "missing"
        from a 500 counts only when a second probe says the same."""
        verdict, status = self._probe_once(feature)
        if verdict is False and status == 500:
            verdict, status = self._probe_once(feature)
        return verdict

    def _probe_once(self, feature: str) -> tuple[bool | None, int | None]:
        accounts = self._credentials
        if feature == feature_rules.BATCH:
            if not (accounts.koreader_user or accounts.booklore_user):
                return None, None
            answers = self._session_post_answers("batch", feature_rules.EMPTY_BATCH)
            return feature_rules.batch_verdict(answers), answers[-1][1].status
        if feature == feature_rules.BY_HASH:
            if not accounts.koreader_user:
                return None, None
            reply = self._koreader("by_hash", hash=feature_rules.PROBE_HASH)
            return feature_rules.by_hash_verdict(reply), reply.status
        if not accounts.booklore_user:
            return None, None
        if feature == feature_rules.SEARCH:
            reply = self._jwt("search")
            return feature_rules.search_verdict(reply), reply.status
        if feature == feature_rules.READ_BACK:
            reply = self._jwt("book_sessions", id=feature_rules.NO_BOOK,
                              params={"page": 0, "size": 1})
            return feature_rules.read_back_verdict(reply), reply.status
        if feature == feature_rules.KOREADER_SESSIONS:
            return None, None  # learnt from session POSTs, never probed
        raise ValueError(f"unknown server feature {feature!r}")

    def _learn(self, feature: str, verdict: bool | None) -> None:
        if verdict is not None and self._features.load(feature) != verdict:
            self._features.save(feature, verdict)
