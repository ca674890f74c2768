"""Which credentials a request needs, decided the way BookLore's SecurityConfig
chains and its two filters decide it, before any endpoint code runs.

- The JWT filter runs on every path except its whitelist (the login path is *not*
  on it): a present but invalid or expired ``Bearer`` token is answered 401 with an
  empty body right there, whatever else the request carries.
- ``/api/koreader/**`` takes only the MD5 headers; following the spec's inference
  that a Bearer token there replaces the KOReader principal, any Bearer token on
  those paths gives 401.
- FORK: POST to exactly ``/api/v1/reading-sessions`` or ``.../batch`` takes either.
- Other ``/api/**`` paths take JWT only; an anonymous request gets 403 shape B.
"""

from .auth import NO_TOKEN
from .responses import invalid_token, security_forbidden

JWT_FILTER_SKIPS = ("/api/v1/opds/", "/api/v2/opds/", "/api/v1/auth/refresh",
                    "/api/v1/setup/", "/api/kobo/")
PUBLIC_API_PATHS = ("/api/v1/auth", "/api/v1/healthcheck", "/api/v1/public-settings",
                    "/api/v1/setup")
DUAL_AUTH_POST_PATHS = ("/api/v1/reading-sessions", "/api/v1/reading-sessions/batch")


def _under(path, root):
    return path == root or path.startswith(root.rstrip("/") + "/")


def chain_for(method, path, flavour):
    """One of "koreader", "koreader_or_jwt", "jwt", "public"."""
    if path.startswith("/api/koreader/"):
        return "koreader"
    if flavour == "fork" and method == "POST" and path in DUAL_AUTH_POST_PATHS:
        return "koreader_or_jwt"
    if not path.startswith("/api/") or any(_under(path, p) for p in PUBLIC_API_PATHS):
        return "public"
    return "jwt"


def authenticate(request, authenticator, flavour):
    """Set ``request.user``; return the refusal Response, or None to go on."""
    bearer = NO_TOKEN
    if not path_skips_jwt_filter(request.path):
        bearer = authenticator.bearer_user(request.headers)
        if bearer is None:
            return invalid_token()
    chain = chain_for(request.method, request.path, flavour)
    if chain == "public":
        request.user = None if bearer is NO_TOKEN else bearer
        return None
    if chain == "koreader" and bearer is not NO_TOKEN:
        return invalid_token()
    user = None
    if chain in ("koreader", "koreader_or_jwt"):
        user = authenticator.koreader_user(request.headers)
    if chain in ("jwt", "koreader_or_jwt") and bearer is not NO_TOKEN:
        user = bearer
    if user is None:
        return security_forbidden(request.path)
    request.user = user
    return None


def path_skips_jwt_filter(path):
    return any(path.startswith(prefix) for prefix in JWT_FILTER_SKIPS)
