-- The calls of bookloresync/core and their kinds, rendered from python_core/calls.py
-- by `python -m python_core.calls > bookloresync/calls.lua`. Do not edit by hand:
-- tests/test_calls.py checks that this file is that table.
return {
    quick = {
        "book_for_matching",
        "book_status",
        "capture_rating_and_annotations",
        "clear_cache",
        "clear_pending",
        "database_status",
        "finish_reading",
        "get_settings",
        "next_unmatched_book",
        "page_turned",
        "queue_counts",
        "set_book_tracking",
        "set_setting",
        "start_reading",
        "take_notices",
        "view_details",
        "work_progress",
    },
    slow = {
        "confirm_match",
        "identify_book",
        "import_history",
        "lookup_book_id",
        "match_unmatched",
        "repair_database",
        "search_matches",
        "sync_pending",
        "test_connection",
    },
    journaled = {
        "capture_rating_and_annotations",
        "finish_reading",
        "page_turned",
        "start_reading",
    },
}
