"""Failure modes the server can inject, so client tests can exercise every way a
request can go wrong between "nothing reached the server" and "stored but unanswered"."""

import enum


class Fault(enum.Enum):
    """What to do with one request instead of (or after) answering it normally."""

    NONE = "none"
    #: Answer 500 shape A "An unexpected error occurred." without processing.
    ERROR_500 = "error_500"
    #: TCP RST (SO_LINGER 0) before the body is read: nothing is stored.
    RESET_BEFORE_BODY = "reset_before_body"
    #: Process and store everything, then RST instead of answering: the in-doubt case.
    LOST_RESPONSE = "lost_response"
    #: Hold the connection for ``stall_seconds`` (or until stop), then close unanswered.
    STALL = "stall"
    #: Answer 200 text/html, as a reverse proxy or an SPA fallback would.
    HTML_200 = "html_200"
