"""Settings → Import reading history, through the real plugin in the headless host: in the
background, with a progress message and a summary, and nothing imported twice."""

from bridge import HeadlessHost
from tests import koreader_fixtures as ko
from tests.plugin_support import MANAGE, labels

T0 = 1767261600
IMPORT = ("BookLore Sync", "Settings", "Import reading history")


def statistics(settings_dir):
    settings_dir.mkdir(parents=True, exist_ok=True)
    conn = ko.statistics_db(settings_dir / "statistics.sqlite3")
    book = ko.add_book(conn, "Dune", "d" * 32)
    for day in range(4):
        ko.read(conn, book, T0 + day * 86400, list(range(1 + 10 * day, 11 + 10 * day)))
    conn.commit()
    conn.close()


def summaries(host):
    return [w["text"] for w in host.screen() if "reading session" in (w.get("text") or "")]


def test_the_import_runs_in_the_background_and_says_what_it_did(tmp_path):
    settings = tmp_path / "koreader" / "settings"
    statistics(settings)
    with HeadlessHost(settings, online=False) as host:
        host.tap_menu(*IMPORT)
        assert "Importing reading history…" in host.toasts
        host.run_until_idle()
        [summary] = summaries(host)
        assert "Imported 4 reading sessions (40m 00s)" in summary
        assert "Sync Pending Now (4s, 0a, 0r)" in labels(host, *MANAGE)
        host.dismiss()
        host.tap_menu(*IMPORT)
        host.run_until_idle()
        assert "Imported 0 reading sessions" in summaries(host)[-1]
        assert "Sync Pending Now (4s, 0a, 0r)" in labels(host, *MANAGE)


def test_without_a_statistics_file_the_reader_is_told_where_it_was_looked_for(tmp_path):
    settings = tmp_path / "koreader" / "settings"
    with HeadlessHost(settings, online=False) as host:
        host.tap_menu(*IMPORT)
        host.run_until_idle()
        assert any("no KOReader statistics file" in (w.get("text") or "")
                   for w in host.screen())
