"""Application errors, each rendered by the handler as shape A
``{"status","message","timestamp"[,"details"]}`` like BookLore's GlobalExceptionHandler."""

MALFORMED_BODY = "Request body is missing or malformed."
DATA_CONFLICT = "A data conflict occurred. The operation could not be completed."
UNEXPECTED = "An unexpected error occurred."
INVALID_CREDENTIALS = "Invalid credentials"
TOO_MANY_ATTEMPTS = "Too many failed login attempts. Please try again later."


class ApiError(Exception):
    """An exception the server answers with its own status and message."""

    def __init__(self, status, message, details=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details


def malformed_body():
    """Jackson could not bind the body: bad JSON, wrong type, bad enum or date."""
    return ApiError(400, MALFORMED_BODY)


def validation_error(details):
    """Bean Validation failed; ``details`` are ``"field: message"`` strings."""
    return ApiError(400, "Validation error", list(details))


def data_conflict():
    """A database constraint (NOT NULL, column length) rejected the row."""
    return ApiError(400, DATA_CONFLICT)


def unexpected():
    """Any exception without its own mapping (NPE, EntityNotFound, type mismatch)."""
    return ApiError(500, UNEXPECTED)


def book_not_found(book_id):
    """The ``ApiError.BOOK_NOT_FOUND`` message used by sessions, notes and books."""
    return ApiError(404, f"Book not found with ID: {book_id}")
