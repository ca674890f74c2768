"""HS256 JSON Web Tokens, so clients see real three-part JWTs whose claims
(``sub``, ``userId``, ``isDefaultPassword``, ``iat``, ``exp``) decode like BookLore's."""

import base64
import hashlib
import hmac
import json


def _b64encode(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(claims, secret):
    """Sign ``claims`` with HMAC-SHA256."""
    header = _b64encode(b'{"alg":"HS256","typ":"JWT"}')
    payload = _b64encode(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = f"{header}.{payload}".encode("ascii")
    signature = hmac.new(secret, signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64encode(signature)}"


def decode(token, secret, now):
    """Return the claims of a well-signed, unexpired token, else None."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    signing_input = f"{parts[0]}.{parts[1]}".encode("ascii", "replace")
    expected = hmac.new(secret, signing_input, hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(expected, _b64decode(parts[2])):
            return None
        claims = json.loads(_b64decode(parts[1]))
    except ValueError:
        return None
    if not isinstance(claims, dict) or not isinstance(claims.get("exp"), (int, float)):
        return None
    return claims if claims["exp"] > now else None
