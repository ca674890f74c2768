"""Shared fixtures: the local HTTP server (checked after every test) and its helpers."""

import importlib.util
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.support import rst_now

SIMULATED_RESET = "simulated reset"

#: The in-process host needs lupa; the core, the sidecar and the standalone host do not, and
#: run under interpreters without it too (CI runs them under Debian's PyPy 3.9).
HAVE_LUPA = importlib.util.find_spec("lupa") is not None
_NEEDS_LUPA = re.compile(r"^(from bridge(\.(host|api|runtime|convert|inbox|booklore_core))? "
                         r"import|import lupa|from lupa|from tools\.(demo|bench))", re.M)
_TEST_HELPERS = re.compile(r"^from tests(?:\.(\w+))? import (\w+)", re.M)
_left_out: set[Path] = set()  # a module named twice on the command line is asked twice


def _needs_lupa(path: Path, seen: frozenset = frozenset()) -> bool:
    """Whether a module imports lupa or the in-process host, itself or through one of the
    tests' own helper modules."""
    text = path.read_text(encoding="utf-8")
    if _NEEDS_LUPA.search(text):
        return True
    for module, name in _TEST_HELPERS.findall(text):
        helper = Path(__file__).parent / f"{module or name}.py"
        if helper.is_file() and helper not in seen and _needs_lupa(helper, seen | {helper}):
            return True
    return False


def pytest_ignore_collect(collection_path: Path, config):
    """Without lupa, the test modules of the in-process host are left out (and counted)."""
    if HAVE_LUPA or collection_path.suffix != ".py" or not collection_path.is_file():
        return None
    if _needs_lupa(collection_path):
        _left_out.add(collection_path)
        return True
    return None


def pytest_collection_modifyitems(config, items):
    if HAVE_LUPA:
        return
    skip = pytest.mark.skip(reason="needs the in-process host (lupa is not installed)")
    for item in items:
        if item.get_closest_marker("host"):
            item.add_marker(skip)


def pytest_report_header(config):
    if not HAVE_LUPA:
        return "lupa not installed: the in-process host's tests are left out"


def pytest_terminal_summary(terminalreporter):
    if _left_out:
        names = ", ".join(sorted(path.name for path in _left_out))
        terminalreporter.write_line(f"without lupa, {len(_left_out)} test modules of the "
                                    f"in-process host were left out: {names}")


@pytest.fixture(autouse=True)
def no_blocking_network_call_on_the_ui_thread(monkeypatch):
    """Every HeadlessHost a test starts is checked afterwards: no plugin code may have
    called a NetworkMgr function that blocks on a device (isOnline resolves a host name;
    the host's NetworkMgr records each such call with its Lua traceback).

    Only where the bridge is loaded already (its tests import it): the core's own tests
    also run under interpreters without lupa.
    """
    host_module = sys.modules.get("bridge.host")
    if host_module is None:
        yield
        return
    hosts = []
    start = host_module.HeadlessHost._start

    def start_and_remember(host, *args, **kwargs):
        hosts.append(host)
        return start(host, *args, **kwargs)
    monkeypatch.setattr(host_module.HeadlessHost, "_start", start_and_remember)
    yield
    stalls = [stall for host in hosts if getattr(host, "lua", None) is not None
              for stall in host.ui_stalls if ".koplugin/" in stall["traceback"]]
    assert not stalls, f"a plugin blocked the UI thread on the network: {stalls[0]}"


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """The sample EPUBs of the local BookLore server, written once per test module."""
    from tools.booklore_server import make_sample_library
    return make_sample_library(tmp_path_factory.mktemp("books"))


@pytest.fixture
def server(library):
    """The local BookLore-compatible server with the account and four of the five books."""
    from tests.plugin_support import start_server
    server, _ = start_server(library)
    yield server
    server.stop()


@pytest.fixture
def httpserver(httpserver):
    """pytest-httpserver's server, failing the test on unexpected requests or handler errors."""
    yield httpserver
    httpserver.check_assertions()
    httpserver.check_handler_errors()


@pytest.fixture
def release():
    """An event slow handlers wait on; set at teardown so the single-threaded server moves on."""
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def reset_connection(httpserver):
    """A handler that answers with a TCP reset (RST) instead of a response.

    The handler must raise for werkzeug to drop the connection quietly; the error it
    leaves in `httpserver.handler_errors` is removed here, after the server recorded it.
    """
    used = threading.Event()

    def handler(request):
        rst_now(request.environ["werkzeug.socket"])
        used.set()
        raise ConnectionAbortedError(SIMULATED_RESET)

    yield handler
    deadline = time.monotonic() + 2
    while used.is_set() and time.monotonic() < deadline:
        simulated = [e for e in httpserver.handler_errors if str(e) == SIMULATED_RESET]
        if simulated:
            httpserver.handler_errors[:] = [e for e in httpserver.handler_errors
                                            if e not in simulated]
            return
        time.sleep(0.01)


@pytest.fixture
def core(tmp_path):
    """The core over a fresh, unconfigured settings folder (`tmp_path / "settings"`); a
    module that needs it configured says so with an autouse fixture of its own."""
    from python_core.facade import BookLoreSync
    with BookLoreSync(tmp_path / "settings") as core:
        yield core


@pytest.fixture
def on_the_server(tmp_path, server):
    """Configure `core`'s settings folder for `server` (both accounts)."""
    from tests.plugin_support import configure
    configure(tmp_path / "settings", server.url)


@pytest.fixture(scope="session")
def self_signed_cert(tmp_path_factory):
    """(cert.pem, key.pem) for localhost and 127.0.0.1, made fresh: no key is committed."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return str(cert), str(key)  # strings: PyPy 3.9's ssl takes no Path
