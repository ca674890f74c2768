"""The Lua runtime, value conversion and the core table (bridge.runtime, convert, api)."""

from __future__ import annotations

import logging
import threading

import pytest

from bridge.api import CORE_MODULE, build_core_table
from bridge.convert import ConversionError, to_lua, to_python
from bridge.inbox import WorkerInbox
from bridge.runtime import LuaError, make_runtime


@pytest.fixture
def lua():
    return make_runtime()


@pytest.fixture
def inbox():
    worker_inbox = WorkerInbox()
    yield worker_inbox
    worker_inbox.close(timeout=1)


def install(lua, inbox, sync=None, asynchronous=None):
    return build_core_table(lua, inbox, sync or {}, asynchronous or {})


# Runtime -------------------------------------------------------------------------


def test_runtime_is_luajit_21(lua):
    assert lua.eval("jit.version").startswith("LuaJIT 2.1")


def test_table_pack_and_unpack_are_polyfilled(lua):
    assert lua.execute("local t = table.pack(1, nil, 3) return t.n, t[3], table.unpack({4, 5})") == (3, 3, 4, 5)


def test_os_exit_raises_a_lua_error_instead_of_ending_the_process(lua):
    with pytest.raises(LuaError, match=r"os.exit\(3\) called"):
        lua.execute("os.exit(3)")
    assert lua.execute("return pcall(os.exit)")[0] is False


def test_print_goes_to_python_logging(lua, caplog):
    with caplog.at_level(logging.INFO, logger="booklore_sync.lua"):
        lua.execute("print('hello', 1, nil)")
        lua.execute("print('bad \\255 byte')")
    messages = [record.getMessage() for record in caplog.records if record.name == "booklore_sync.lua"]
    assert messages == ["hello\t1\tnil", "bad ? byte"]


def test_debug_traceback_is_kept(lua):
    assert lua.eval("type(debug.traceback)") == "function"
    with pytest.raises(LuaError, match="stack traceback"):
        lua.execute("local function f() error('deep') end f()")


def test_python_escape_helpers_are_removed(lua):
    names = "eval builtins as_attrgetter as_itemgetter set_overflow_handler".split()
    assert [lua.eval(f"python.{name} == nil") for name in names] == [True] * len(names)


class _Secret:
    token = "t0ken"

    def method(self):
        return 1


def _raiser():
    raise ValueError("from python")


@pytest.mark.parametrize(
    "probe",
    [
        "return obj.__class__",
        "return obj.token",
        "return obj.method",
        "obj.token = 'x'",
        "return fn.__globals__",
        "local ok, e = pcall(raiser) return e.__traceback__.tb_frame.f_globals",
    ],
)
def test_attribute_filter_blocks_known_escape_routes(lua, probe):
    lua.globals().obj, lua.globals().fn, lua.globals().raiser = _Secret(), _raiser, _raiser
    ok, _message = lua.execute(f"return pcall(function() {probe} end)")
    assert ok is False


def test_python_functions_stay_callable_under_the_filter(lua):
    lua.globals().add = lambda a, b: a + b
    assert lua.eval("add(2, 3)") == 5


# Conversion ---------------------------------------------------------------------


def test_lua_tables_become_plain_python(lua):
    value = lua.eval("{ 1, 'two', { a = 'x', b = { true, false } }, }")
    assert to_python(value) == [1, "two", {"a": "x", "b": [True, False]}]
    assert to_python(lua.eval("{}")) == {}
    assert to_python(lua.eval("{ 1, 2, x = 3 }")) == {1: 1, 2: 2, "x": 3}
    assert to_python(lua.eval("{ 1, nil, 3 }")) == {1: 1, 3: 3}
    assert to_python(lua.eval("2.5")) == 2.5 and to_python(lua.eval("4.0")) == 4


def test_python_values_round_trip_through_lua(lua):
    value = {"a": [1, 2.5, "ü€😀", {"b": None, "c": True}], "gone": None, "empty": {}, 7: "seven"}
    expected = {"a": [1, 2.5, "ü€😀", {"c": True}], "empty": {}, 7: "seven"}
    assert to_python(to_lua(lua, value)) == expected
    assert to_python(to_lua(lua, ("x", ("y",)))) == ["x", ["y"]]
    assert to_lua(lua, "plain") == "plain" and to_lua(lua, None) is None


def test_invalid_utf8_from_lua_is_a_conversion_error(lua):
    with pytest.raises(ConversionError, match="UTF-8"):
        to_python(lua.eval("{ 'fine', { deep = 'bad \\255' } }"))


@pytest.mark.parametrize("value", [object(), {1, 2}, 2**60, {(1, 2): "tuple key"}, {True: "bool key"}])
def test_non_plain_python_values_are_refused(lua, value):
    with pytest.raises(ConversionError):
        to_lua(lua, value)


def test_lua_functions_are_not_plain_data(lua):
    with pytest.raises(ConversionError, match="function"):
        to_python(lua.eval("{ f = print }"))


# The core table -----------------------------------------------------------------


def test_core_table_is_installed_as_the_core_module(lua, inbox):
    table = install(lua, inbox, {"ping": lambda: {"ok": True}})
    assert lua.eval(f'function(t) return require("{CORE_MODULE}") == t end')(table) is True
    assert lua.eval(f'require("{CORE_MODULE}").ping().ok') is True


def test_sync_call_gets_plain_arguments_and_returns_a_table(lua, inbox):
    seen = []

    def add(a, b, options, missing):
        seen.append((a, b, options, missing))
        return {"ok": True, "sum": a + b, "tags": options["tags"]}

    install(lua, inbox, {"add": add})
    result = lua.execute(
        'local core = require("bookloresync/core")\n'
        "local r = core.add(1, 2.5, { tags = { 'x', 'ü' } }, nil)\n"
        "return r.sum, r.tags[2], #r.tags"
    )
    assert result == (3.5, "ü", 2)
    assert seen == [(1, 2.5, {"tags": ["x", "ü"]}, None)]


def test_exception_becomes_error_result_and_is_logged_with_traceback(lua, inbox, caplog):
    def broken(x):
        raise KeyError("missing-key")

    install(lua, inbox, {"broken": broken})
    with caplog.at_level(logging.ERROR, logger="booklore_sync.bridge"):
        ok, message = lua.execute('local r = require("bookloresync/core").broken(1) return r.ok, r.message')
    assert ok is False
    # The facade's wording: the kind of failure on screen, its text only in the log.
    assert message == "Internal error in broken: KeyError"
    assert any(record.exc_info and "missing-key" in str(record.exc_info[1])
               for record in caplog.records)


@pytest.mark.parametrize(
    "result, fragment",
    [(["not", "a", "dict"], "returned a list"), ({"value": object()}, "cannot hold"), (None, "returned a NoneType")],
)
def test_bad_results_become_error_results(lua, inbox, result, fragment):
    install(lua, inbox, {"bad": lambda: result})
    ok, message = lua.execute('local r = require("bookloresync/core").bad() return r.ok, r.message')
    assert ok is False and fragment in message


def test_invalid_utf8_argument_becomes_error_result(lua, inbox):
    called = []
    install(lua, inbox, {"take": lambda text: called.append(text) or {"ok": True}})
    ok, message = lua.execute('local r = require("bookloresync/core").take("bad \\255") return r.ok, r.message')
    assert ok is False and "UTF-8" in message and called == []


def test_async_call_answers_through_the_callback_only_when_drained(lua, inbox):
    threads = []

    def slow_sum(a, b):
        threads.append(threading.current_thread().name)
        return {"ok": True, "sum": a + b}

    install(lua, inbox, {"note": lambda where: threads.append(where) or {"ok": True}}, {"slow_sum": slow_sum})
    started = lua.execute(
        "results = {}\n"
        'local core = require("bookloresync/core")\n'
        "local r = core.slow_sum(2, 3, function(res) results[#results + 1] = res.sum core.note('callback') end)\n"
        "return r.ok, r.started"
    )
    assert started == (True, True)
    assert lua.eval("#results") == 0
    assert inbox.drain(wait=2.0) == 1
    assert lua.eval("results[1]") == 5
    assert threads[0].startswith("booklore-core") and threads[1] == "callback"
    assert inbox.pending == 0


def test_async_exception_reaches_the_callback_as_error_result(lua, inbox):
    def fails():
        raise RuntimeError("server on fire")

    install(lua, inbox, {}, {"fails": fails})
    lua.execute('require("bookloresync/core").fails(function(r) answer = r end)')
    inbox.drain(wait=2.0)
    assert lua.eval("answer.ok") is False
    assert lua.eval("answer.message") == "Internal error in fails: RuntimeError"


def test_async_call_without_callback_is_refused(lua, inbox):
    install(lua, inbox, {}, {"job": lambda: {"ok": True}})
    ok, message = lua.execute('local r = require("bookloresync/core").job(1) return r.ok, r.message')
    assert ok is False and "callback" in message and inbox.pending == 0


def test_a_name_cannot_be_both_sync_and_async(lua, inbox):
    with pytest.raises(ValueError):
        install(lua, inbox, {"x": dict}, {"x": dict})


def test_inbox_refuses_other_threads(inbox):
    caught = []

    def drain_elsewhere():
        try:
            inbox.drain()
        except RuntimeError as exc:
            caught.append(exc)

    thread = threading.Thread(target=drain_elsewhere)
    thread.start()
    thread.join()
    assert caught


def test_core_table_survives_wrapper_churn(lua, inbox):
    """Regression guard for lupa-bridge.md §2.9: Lua must never reach the wrong function.

    The core table is handed over once; Lua then calls through it 20,000 times while
    churning Python wrappers (the pattern that makes lupa 2.8 return a stale object).
    """
    install(
        lua,
        inbox,
        {
            "echo": lambda i, payload: {"i": i, "tag": payload["tag"]},
            "negate": lambda i: {"i": -i},
        },
    )
    lua.globals().many = [type(f"C{i}", (), {}) for i in range(201)]
    bad = lua.execute(
        'local core = require("bookloresync/core")\n'
        "local bad = 0\n"
        "for i = 1, 20000 do\n"
        "  local r = core.echo(i, { tag = 'e' .. i })\n"
        "  if r.i ~= i or r.tag ~= 'e' .. i then bad = bad + 1 end\n"
        "  if core.negate(i).i ~= -i then bad = bad + 1 end\n"
        "  local c = many[i % 201]\n"
        "  if i % 1000 == 0 then collectgarbage() end\n"
        "end\n"
        "return bad"
    )
    assert bad == 0


def test_async_call_after_the_worker_stopped_is_an_error_result(lua, inbox):
    install(lua, inbox, {}, {"job": lambda: {"ok": True}})
    inbox.close(timeout=0)
    ok, message = lua.execute('local r = require("bookloresync/core").job(function() end) return r.ok, r.message')
    assert ok is False and message == "Internal error in job: RuntimeError" and inbox.pending == 0
