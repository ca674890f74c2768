"""Account endpoints: BookLore login and refresh, the KOReader auth check and
refused registration, and the public health check."""

from .constraints import not_blank, reject_violations
from .request_fields import read_object, string_field
from .responses import json_response
from .timestamps import local_timestamp


def login(server, request):
    """``POST /api/v1/auth/login`` with BookLore (not KOReader) credentials."""
    body = read_object(request.body)
    username, password = string_field(body, "username"), string_field(body, "password")
    reject_violations(
        not_blank(username, "username", "Username must not be blank"),
        not_blank(password, "password", "Password must not be blank"),
    )
    return json_response(200, server.auth.login(username, password, request.client_ip))


def refresh(server, request):
    """``POST /api/v1/auth/refresh``: the presented refresh token is revoked."""
    body = read_object(request.body)
    token = string_field(body, "refreshToken")
    reject_violations(not_blank(token, "refreshToken"))
    return json_response(200, server.auth.refresh(token, request.client_ip))


def koreader_auth(server, request):
    """``GET /api/koreader/users/auth``: ``{"username"}``, not kosync's ``{"authorized"}``."""
    return json_response(200, {"username": request.user.koreader.username})


def koreader_register(server, request):
    """``POST /api/koreader/users/create`` is always refused."""
    return json_response(403, {"error": "User registration via Koreader is disabled"})


def healthcheck(server, request):
    """``GET /api/v1/healthcheck``; ``data.version`` lets clients tell servers apart."""
    now = local_timestamp()
    data = {"status": "UP", "message": "Application is running", "version": server.version,
            "timestamp": now}
    return json_response(200, {"status": 200, "message": "Pong", "data": data, "timestamp": now})
