"""Security: secrets never reach a log line or the screen, the database is owner-only, Lua
cannot reach Python internals through the bridge, and TLS verification cannot be turned
off without the user saying so.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import logging
import os
import sqlite3
import ssl
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bridge import HeadlessHost
from python_core.facade import BookLoreSync
from python_core.server.client import md5_hex
from python_core.settings import SETTINGS
from python_core.store import DB_FILENAME, Database, schema
from tests.reliability.support import T0, open_raw
from tools.booklore_server import BookLoreServer, make_sample_library

KO_USER, KO_PASSWORD = "reader-ko", "Ko-p4ss-Sekret!"
BL_USER, BL_PASSWORD = "reader", "Bl-p4ss-Sekret!"
REPO = Path(__file__).resolve().parents[2]
SERVER_MENU = ("BookLore Sync", "Settings", "Server and accounts")


# Secrets in logs and on screen -------------------------------------------------------------


class Everything(logging.Handler):
    """Every record of every logger at DEBUG, formatted with its traceback if it has one."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextlib.contextmanager
def capture_all_logging():
    handler, root = Everything(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def cli(settings_dir: Path, *args: str, stdin: str = "") -> str:
    """The command line in a subprocess, -v (DEBUG to stderr); stdout and stderr together."""
    done = subprocess.run([sys.executable, "-m", "python_core.cli", "--settings-dir",
                           str(settings_dir), "-v", *args], input=stdin, capture_output=True,
                          text=True, cwd=REPO, timeout=60)
    return done.stdout + done.stderr


def visible_text(host) -> list[str]:
    """What the reader can see: every window's texts, except the masked password fields."""
    texts = []
    for window in host.screen():
        texts += [str(window.get(key)) for key in ("text", "title", "input")]
        texts += [json.dumps(window.get(key), ensure_ascii=False) for key in ("buttons", "items", "checks")]
        texts += [json.dumps(f, ensure_ascii=False) for f in window["fields"]
                  if f.get("text_type") != "password"]
    return texts


def read_and_dismiss(host) -> list[str]:
    """The visible text, then tap away every message (a modal one swallows gestures)."""
    texts = visible_text(host)
    while len(host.screen()) > 1 and host.dismiss():
        pass
    return texts


def enter_account(host, entry: str, user: str, password: str) -> None:
    host.tap_menu(*SERVER_MENU, entry)
    host.type_text(user, field=0)
    host.type_text(password, field=1)
    host.tap_button("Save")


def stored_tokens(settings_dir: Path) -> list[str]:
    conn = open_raw(settings_dir)
    tokens = [v for row in conn.execute("SELECT access_token, refresh_token FROM auth_tokens")
              for v in row if v]
    conn.close()
    return tokens


def full_run(settings_dir: Path, server: BookLoreServer, library) -> tuple[list[str], list[str]]:
    """Everything a reader and a script do, online and refused; returns all text shown and
    every token the device held on the way."""
    seen, tokens = [], []
    seen.append(cli(settings_dir, "config", "set", "server_url", server.url))
    seen.append(cli(settings_dir, "config", "set", "password", "-", stdin=KO_PASSWORD + "\n"))
    with HeadlessHost(settings_dir, online=True) as host:
        enter_account(host, "KOReader account", KO_USER, KO_PASSWORD)
        enter_account(host, "BookLore account", BL_USER, BL_PASSWORD)
        seen += visible_text(host)
        host.tap_menu(*SERVER_MENU, "Test Connection")
        host.run_until_idle()
        seen += read_and_dismiss(host)
        for book in library[:3]:
            host.open_book(book.path, title=book.title)
            for _ in range(4):
                host.advance(30)
                host.turn_page()
            host.close_book()
            host.run_until_idle()
            seen += read_and_dismiss(host)
        queue_rating(settings_dir, library[0].file_hash)
        host.dispatch("SyncBooklorePending")
        host.run_until_idle()
        tokens += stored_tokens(settings_dir)
        seen += read_and_dismiss(host)
        server.clock_offset = 11 * 3600  # the access token expired: refresh, rotate
        queue_rating(settings_dir, library[1].file_hash)
        host.dispatch("SyncBooklorePending")
        host.run_until_idle()
        tokens += stored_tokens(settings_dir)
        seen += read_and_dismiss(host)
        enter_account(host, "BookLore account", BL_USER, "wrong-password")  # refused login
        host.tap_menu(*SERVER_MENU, "Test Connection")
        host.run_until_idle()
        seen += visible_text(host) + host.toasts + host.logs
    for args in (("status",), ("sync",), ("--json", "sync"), ("config", "get"),
                 ("--json", "config", "get"), ("config", "get", "password")):
        seen.append(cli(settings_dir, *args))
    return seen, tokens


def queue_rating(settings_dir: Path, book_hash: str) -> None:
    """A rating in its queue (its capture is another feature); it makes the sync log in."""
    core = BookLoreSync(settings_dir)
    with core.db.atomic() as tx:
        tx.execute("INSERT INTO pending_ratings (book_hash, rating, created_at, updated_at) "
                   "VALUES (?, 8, 'x', 'x') ON CONFLICT DO NOTHING", (book_hash,))
    core.close()


def test_no_secret_in_any_log_line_or_visible_text(tmp_path):
    library = make_sample_library(tmp_path / "books")
    server = BookLoreServer().start()
    server.add_user(BL_USER, BL_PASSWORD, koreader=(KO_USER, KO_PASSWORD))
    for book in library[:2]:
        server.add_book(book.title, book.authors, file_hash=book.file_hash)
    settings_dir = tmp_path / "settings"
    try:
        with capture_all_logging() as log_lines:
            seen, tokens = full_run(settings_dir, server, library)
        ratings = server.ratings
    finally:
        server.stop()
    conn = open_raw(settings_dir)
    synced = conn.execute("SELECT count(*) FROM historical_sessions").fetchone()[0]
    conn.close()
    assert synced == 2 and len(ratings) == 2, "the run must have uploaded sessions and ratings"
    assert len(set(tokens)) >= 3, "a login and a refresh must have happened"
    everything = "\n".join(seen + log_lines)
    assert "Synced: 1 rating" in everything and "refused" in everything
    assert any("booklore_sync.client" in line for line in log_lines)  # DEBUG was on
    secrets = {"KOReader password": KO_PASSWORD, "KOReader key": md5_hex(KO_PASSWORD),
               "BookLore password": BL_PASSWORD,
               **{f"token {i}": t for i, t in enumerate(set(tokens))}}
    leaks = [name for name, secret in secrets.items() if secret in everything]
    assert leaks == [], f"secrets found in logs or on screen: {leaks}"


# Files on disk ---------------------------------------------------------------------------------


@contextlib.contextmanager
def umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_database_and_its_wal_and_shm_are_owner_only_even_with_a_lax_umask(tmp_path):
    with umask(0o000):
        core = BookLoreSync(tmp_path / "settings")
        assert core.set_setting("password", KO_PASSWORD)["ok"]
        assert core.record_session({"book_hash": "a" * 32, "book_type": "EPUB",
                                    "start_time": T0, "end_time": T0 + 600, "pages_read": 3})["ok"]
        files = [tmp_path / "settings" / f"{DB_FILENAME}{suffix}" for suffix in ("", "-wal", "-shm")]
        assert all(f.exists() for f in files)
        assert {f.name: oct(mode(f)) for f in files} == {f.name: "0o600" for f in files}
        core.close()


def test_migration_backup_is_never_readable_by_others(tmp_path, monkeypatch):
    """The backup holds the passwords too: owner-only from its first byte, not after."""
    Database.in_settings_dir(tmp_path).close()
    monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS + [
        schema.Migration("add column", ["ALTER TABLE book_cache ADD COLUMN series TEXT"])])
    monkeypatch.setattr(schema, "LATEST_VERSION", len(schema.MIGRATIONS))
    modes_while_written = []
    real_connect = sqlite3.connect

    def watching_connect(target, *args, **kwargs):
        conn = real_connect(target, *args, **kwargs)
        if ".bkp." in str(target):
            modes_while_written.append(mode(Path(target)))
        return conn
    monkeypatch.setattr(schema.sqlite3, "connect", watching_connect)
    with umask(0o022):
        Database.in_settings_dir(tmp_path).close()
    backups = list(tmp_path.glob("*.bkp.*"))
    assert len(backups) == 1 and mode(backups[0]) == 0o600
    assert modes_while_written == [0o600]


# Lua cannot reach Python internals ----------------------------------------------------------

ESCAPE_ROUTES = Path(__file__).with_name("escape_routes.lua")


def test_lua_cannot_reach_python_internals_through_the_bridge(tmp_path):
    with HeadlessHost(tmp_path / "settings") as host:
        script = ESCAPE_ROUTES.read_text()
        reached, bridge_objects_tried, plain_call_works, objects = host.lua.execute(script)
        assert reached == "", f"escape routes that got through:\n{reached}"
        assert bridge_objects_tried == 2 and objects >= 4  # the routes were really tried
        assert plain_call_works is True  # the one sanctioned door still opens


# TLS -------------------------------------------------------------------------------------------


class _Health(http.server.BaseHTTPRequestHandler):
    answered: list[str] = []

    def do_GET(self):
        _Health.answered.append(self.path)
        body = b'{"data": {"version": "v2.1.0"}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def https_server(self_signed_cert):
    """A server with a self-signed certificate for 127.0.0.1 (made by the fixture)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*self_signed_cert)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Health.answered.clear()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def sync_against(settings_dir: Path, url: str, sent: bool = False, **extra) -> tuple[dict, dict]:
    core = BookLoreSync(settings_dir)
    for key, value in {"server_url": url, "username": KO_USER, "password": KO_PASSWORD,
                       **extra}.items():
        assert core.set_setting(key, value)["ok"], key
    core.record_session({"book_hash": "b" * 32, "book_id": 1, "book_type": "EPUB",
                         "start_time": T0, "end_time": T0 + 600, "pages_read": 3})
    report, check = core.sync_pending(), core.test_connection()
    row = core.db.connection().execute(
        "SELECT retry_count, unconfirmed_sends FROM pending_sessions").fetchone()
    core.close()
    if not sent:
        assert tuple(row) == (0, 0), "nothing was sent, so no counter may move"
    return report, check


@pytest.mark.parametrize("environment", ["clean", "pointing at the server's certificate"])
def test_a_self_signed_server_fails_with_a_clear_message_whatever_the_environment(
        tmp_path, https_server, self_signed_cert, monkeypatch, environment):
    if environment != "clean":
        cert = str(self_signed_cert[0])
        for name, value in {"REQUESTS_CA_BUNDLE": cert, "SSL_CERT_FILE": cert,
                            "CURL_CA_BUNDLE": "", "PYTHONHTTPSVERIFY": "0"}.items():
            monkeypatch.setenv(name, value)
    report, check = sync_against(tmp_path / "settings", https_server)
    assert report["status"] == "offline"
    assert "TLS certificate could not be verified" in report["summary"], report["summary"]
    assert not check["ok"] and "certificate could not be verified" in check["text"]
    assert _Health.answered == []  # no request got past the handshake


@pytest.mark.parametrize("bundle", ["false", "0", "off", "no-such-file.pem"])
def test_no_ca_bundle_value_turns_verification_off(tmp_path, https_server, bundle):
    report, _check = sync_against(tmp_path / "settings", https_server, ca_bundle=bundle)
    assert report["status"] == "offline"
    assert f"Cannot use the CA bundle '{bundle}'" in report["summary"], report["summary"]
    assert _Health.answered == []


def test_only_an_explicit_ca_bundle_makes_a_private_certificate_trusted(tmp_path, https_server,
                                                                        self_signed_cert):
    _report, check = sync_against(tmp_path / "settings", https_server, sent=True,
                                  ca_bundle=str(self_signed_cert[0]))
    assert "Server: reachable (v2.1.0)" in check["text"]  # the server itself works
    assert _Health.answered


def test_no_setting_exists_to_skip_verification():
    assert not [key for key in SETTINGS if any(word in key for word in (
        "verify", "insecure", "tls", "ssl", "cert"))]
    core_settings = BookLoreSync.__init__.__code__.co_varnames  # facade takes no such flag
    assert "verify" not in core_settings
