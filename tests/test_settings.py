"""Setting types, ranges and server URL validation."""

import pytest

from python_core.errors import SettingsError
from python_core.settings import coerce, masked, normalise_server_url, with_defaults


@pytest.mark.parametrize("url, expected", [
    ("https://books.example.org/", "https://books.example.org"),
    ("  http://192.168.1.5:6060//  ", "http://192.168.1.5:6060"),
    ("https://example.org/booklore/", "https://example.org/booklore"),
    ("", ""),
])
def test_server_url_normalised(url, expected):
    assert normalise_server_url(url) == expected


@pytest.mark.parametrize("url", [
    "books.example.org", "ftp://x.org", "https://", "http://host:99999", "https://h/?a=1",
])
def test_malformed_server_url_is_refused_with_a_clear_message(url):
    with pytest.raises(SettingsError, match="(must start with http|invalid port|must not contain)"):
        coerce("server_url", url)


def test_text_values_from_the_command_line_get_their_type():
    assert coerce("min_duration", "45") == 45
    assert coerce("manual_sync_only", "on") is True
    assert coerce("silent_mode", "false") is False
    assert coerce("read_timeout", "12.5") == 12.5
    assert coerce("password", "012345") == "012345"


@pytest.mark.parametrize("key, value, message", [
    ("min_duration", "abc", "whole number"),
    ("progress_decimals", 6, "between 0 and 5"),
    ("detection_mode", "minutes", "one of: duration, pages"),
    ("manual_sync_only", "maybe", "on or off"),
    ("password", 12345, "must be text"),
    ("nonsense", "x", "Unknown setting"),
])
def test_bad_values_are_refused(key, value, message):
    with pytest.raises(SettingsError, match=message):
        coerce(key, value)


def test_secrets_are_masked():
    shown = masked(with_defaults({"password": "hunter2", "booklore_password": ""}))
    assert shown["password"] == "(set)" and shown["booklore_password"] == "(not set)"
    assert "hunter2" not in repr(shown)
