"""The BookLore JWT life cycle, in one place (the old plugin had ten copies of it).

Access tokens live 10 h and refresh tokens rotate (booklore-api.md §1.3, §2.7). A request
uses the stored token; a 401 triggers one refresh (or, if that is refused, one login) and
one resend. A refused login is remembered by the TokenStore and never retried on its own:
five failures lock the account for 15 minutes, even with the right password afterwards.
Login and refresh go out without an Authorization header; a stale Bearer gets a 401 there.
"""

from __future__ import annotations

from collections.abc import Callable

from python_core.errors import AuthError, BadResponse
from python_core.server import http_errors
from python_core.server.credentials import Credentials, Tokens, TokenStore
from python_core.server.endpoints import ENDPOINTS
from python_core.server.http_errors import Reply

LOGIN_PATH = ENDPOINTS["login"].path
REFRESH_PATH = ENDPOINTS["refresh"].path
#: Login answers that mean "these credentials will not work": 400 Invalid credentials,
#: 403 local login disabled, 429 locked out for 15 minutes; 401 only comes from a proxy.
LOGIN_REFUSED = frozenset({400, 401, 403, 429})

#: send(method, path, *, headers=None, payload=None, params=None) -> Reply; the client's
#: transport, which raises only NetworkError / BadResponse.
Send = Callable[..., Reply]


class JwtAuth:
    """Sends JWT requests for the client and keeps the token pair fresh."""

    def __init__(self, credentials: Credentials, store: TokenStore, send: Send):
        self._credentials = credentials
        self._store = store
        self._send = send

    def request(self, method: str, path: str, **kwargs) -> Reply:
        """Send with the stored access token; on 401 renew it once and resend once."""
        tokens = self._store.load_tokens() or self._login_unless_blocked()
        reply = self._send(method, path, headers=_bearer(tokens), **kwargs)
        if reply.status != 401:
            return reply
        renewed = self._renew(tokens)
        return self._send(method, path, headers=_bearer(renewed), **kwargs)

    def login(self) -> Tokens:
        """Log in now, whatever an earlier refusal said (the user asked for it)."""
        user, password = self._credentials.booklore_user, self._credentials.booklore_password
        if not (user and password):
            raise AuthError("BookLore account is not set")
        reply = self._send("POST", LOGIN_PATH, payload={"username": user, "password": password})
        if reply.status in LOGIN_REFUSED:
            text, _ = http_errors.error_text(reply.content_type, reply.body, self.redact)
            reason = f"Login refused ({reply.status}): {text or 'no reason given'}"
            self._store.block_login(reason)
            raise AuthError(reason, reply.status)
        return self._save(self._tokens_from(reply, None))

    def redact(self, text: str) -> str:
        """Replace every secret this account has with ***; strings under 4 characters are
        left alone because replacing them would mangle ordinary words."""
        tokens = self._store.load_tokens()
        secrets = (self._credentials.booklore_password, self._credentials.koreader_key,
                   tokens and tokens.access_token, tokens and tokens.refresh_token)
        for secret in secrets:
            if secret and len(secret) >= 4:
                text = text.replace(secret, "***")
        return text

    def _renew(self, expired: Tokens) -> Tokens:
        """Refresh (saving the rotated pair); if the server refuses, fall back to one login."""
        if expired.refresh_token:
            reply = self._send("POST", REFRESH_PATH, payload={"refreshToken": expired.refresh_token})
            if 200 <= reply.status < 300:
                return self._save(self._tokens_from(reply, expired.refresh_token))
            if not 400 <= reply.status < 500:
                # A redirect or a server failure: a login would not fare better.
                http_errors.raise_for_status(reply, self.redact)
        self._store.save_tokens(None)
        return self._login_unless_blocked()

    def _login_unless_blocked(self) -> Tokens:
        reason = self._store.login_blocked()
        if reason:
            raise AuthError(f"BookLore login is paused after a refusal: {reason}. "
                            "Fix the account, then use Test Connection")
        return self.login()

    def _tokens_from(self, reply: Reply, old_refresh: str | None) -> Tokens:
        data = http_errors.json_body(reply, dict, self.redact)
        access, refresh = data.get("accessToken"), data.get("refreshToken")
        if not (isinstance(access, str) and access):
            raise BadResponse("The server's login answer has no access token", reply.status)
        return Tokens(access, refresh if isinstance(refresh, str) and refresh else old_refresh)

    def _save(self, tokens: Tokens) -> Tokens:
        self._store.save_tokens(tokens)
        return tokens


def _bearer(tokens: Tokens) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.access_token}"}
