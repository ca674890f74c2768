"""Credentials: KOReader header auth, JWT issue and verification, refresh-token
rotation and the failed-login rate limit, as BookLore's filters and
AuthenticationService/AuthRateLimitService implement them."""

import hmac
import secrets

from . import tokens
from .errors import INVALID_CREDENTIALS, TOO_MANY_ATTEMPTS, ApiError

ACCESS_TOKEN_LIFETIME = 10 * 3600
REFRESH_TOKEN_LIFETIME = 30 * 86400
MAX_FAILURES = 5
FAILURE_WINDOW = 15 * 60

#: ``bearer_user`` result when the request carries no ``Bearer `` header at all.
NO_TOKEN = object()


class Authenticator:
    """Checks credentials against ``state``; ``clock()`` gives epoch seconds."""

    def __init__(self, state, clock):
        self.state = state
        self.clock = clock
        self.secret = secrets.token_bytes(32)
        self.access_token_lifetime = ACCESS_TOKEN_LIFETIME

    def koreader_user(self, headers):
        """The linked user for valid ``x-auth-user``/``x-auth-key`` headers, else None."""
        username, key = headers.get("x-auth-user"), headers.get("x-auth-key")
        if not username or not key:
            return None
        user = self.state.koreader_user(username)
        if user is None:
            return None
        expected = user.koreader.password_md5.encode("ascii")
        return user if hmac.compare_digest(expected, key.strip().lower().encode()) else None

    def bearer_user(self, headers):
        """NO_TOKEN, the token's user, or None for an invalid/expired/refresh token."""
        header = headers.get("Authorization")
        if not header or not header.startswith("Bearer "):
            return NO_TOKEN
        claims = tokens.decode(header[len("Bearer "):].strip(), self.secret, self.clock())
        if claims is None or "jti" in claims:
            return None
        return self.state.users.get(claims.get("userId"))

    def login(self, username, password, client_ip):
        """Tokens for good credentials; 400 for bad ones; 429 once either key hit 5 failures."""
        keys = (("login-ip", client_ip), ("login-user", username))
        if any(self._is_limited(key) for key in keys):
            raise ApiError(429, TOO_MANY_ATTEMPTS)
        user = self.state.user_named(username)
        # Bytes: compare_digest refuses non-ASCII str, and BookLore (bcrypt) takes any password.
        if user is None or not hmac.compare_digest(user.password.encode(), password.encode()):
            for key in keys:
                self._record_failure(key)
            raise ApiError(400, INVALID_CREDENTIALS)
        for key in keys:
            self.state.failures.pop(key, None)
        return {**self._issue(user), "isDefaultPassword": "false"}

    def refresh(self, refresh_token, client_ip):
        """Rotate: revoke ``refresh_token`` and issue a new pair."""
        key = ("refresh-ip", client_ip)
        if self._is_limited(key):
            raise ApiError(429, TOO_MANY_ATTEMPTS)
        user_id = self.state.refresh_tokens.pop(refresh_token, None)
        claims = tokens.decode(refresh_token, self.secret, self.clock())
        user = self.state.users.get(user_id)
        if claims is None or user is None:
            self._record_failure(key)
            raise ApiError(400, INVALID_CREDENTIALS)
        self.state.failures.pop(key, None)
        return self._issue(user)

    def _issue(self, user):
        now = int(self.clock())
        claims = {"sub": user.username, "userId": user.id, "isDefaultPassword": False, "iat": now}
        access = tokens.encode({**claims, "exp": now + self.access_token_lifetime}, self.secret)
        refresh_claims = {**claims, "exp": now + REFRESH_TOKEN_LIFETIME, "jti": secrets.token_hex(8)}
        refresh = tokens.encode(refresh_claims, self.secret)
        self.state.refresh_tokens[refresh] = user.id
        return {"accessToken": access, "refreshToken": refresh}

    def _is_limited(self, key):
        entry = self.state.failures.get(key)
        if entry is None:
            return False
        count, first_failure = entry
        if self.clock() - first_failure >= FAILURE_WINDOW:
            del self.state.failures[key]
            return False
        return count >= MAX_FAILURES

    def _record_failure(self, key):
        count, first_failure = self.state.failures.get(key, (0, self.clock()))
        if self.clock() - first_failure >= FAILURE_WINDOW:
            count, first_failure = 0, self.clock()
        self.state.failures[key] = (count + 1, first_failure)
