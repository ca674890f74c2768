"""The development BookLore server, exercised over real loopback HTTP with requests.

Each test states one behaviour of the real server's contract (docs: BookLore API
notes) that client code relies on; a regression in the fake would hide client bugs.
"""

import hashlib
import json
import time
import xml.etree.ElementTree as ET
import zipfile

import pytest
import requests

from tools.booklore_server import BookLoreServer, Fault, make_sample_library
from tools.booklore_server.fuzzy_score import fuzzy_score
from tools.booklore_server.samples import partial_md5

DUNE_HASH = "0123456789abcdef0123456789abcdef"
KO_HEADERS = {"x-auth-user": "kouser", "x-auth-key": hashlib.md5(b"kopass").hexdigest()}
SESSION = {"startTime": "2026-02-22T14:00:00Z", "endTime": "2026-02-22T15:00:00Z",
           "durationSeconds": 3600, "startProgress": 10.0, "endProgress": 12.5,
           "progressDelta": 2.5, "startLocation": "12", "endLocation": "15"}


def _serve(flavour):
    server = BookLoreServer(flavour=flavour)
    server.add_user("admin", "secret", koreader=("kouser", "kopass"), admin=True)
    server.dune = server.add_book(title="Dune", authors=["Frank Herbert"], file_hash=DUNE_HASH,
                                  isbn13="978-0-441-01359-3", isbn10="044101359X")
    return server.start()


@pytest.fixture
def server():
    srv = _serve("fork")
    yield srv
    srv.stop()


@pytest.fixture
def upstream():
    srv = _serve("upstream")
    yield srv
    srv.stop()


def login(srv, username="admin", password="secret", **kwargs):
    return requests.post(srv.url + "/api/v1/auth/login",
                         json={"username": username, "password": password}, **kwargs)


def bearer(srv):
    return {"Authorization": "Bearer " + login(srv).json()["accessToken"]}


def assert_shape_a(response, status, message):
    body = response.json()
    assert (response.status_code, body["status"], body["message"]) == (status, status, message)
    assert "T" in body["timestamp"] and not body["timestamp"].endswith("Z")


def assert_shape_b_forbidden(response, path):
    body = response.json()
    assert response.status_code == 403
    assert (body["status"], body["error"], body["path"]) == (403, "Forbidden", path)
    assert "message" not in body


def post_session(srv, headers, **overrides):
    body = {"bookId": srv.dune, "bookType": "EPUB", **SESSION, **overrides}
    return requests.post(srv.url + "/api/v1/reading-sessions", json=body, headers=headers)


def post_batch(srv, headers, sessions, book_id=None):
    body = {"bookId": book_id or srv.dune, "bookType": "EPUB", "sessions": sessions}
    return requests.post(srv.url + "/api/v1/reading-sessions/batch", json=body, headers=headers)


# -- authentication -------------------------------------------------------------------

def test_koreader_auth_accepts_md5_key_in_upper_case(server):
    headers = {**KO_HEADERS, "x-auth-key": KO_HEADERS["x-auth-key"].upper()}
    response = requests.get(server.url + "/api/koreader/users/auth", headers=headers)
    assert (response.status_code, response.json()) == (200, {"username": "kouser"})


@pytest.mark.parametrize("headers", [{}, {**KO_HEADERS, "x-auth-key": "0" * 32},
                                     {**KO_HEADERS, "x-auth-user": "nobody"}])
def test_bad_or_missing_koreader_credentials_are_403_shape_b(server, headers):
    response = requests.get(server.url + "/api/koreader/users/auth", headers=headers)
    assert_shape_b_forbidden(response, "/api/koreader/users/auth")


def test_jwt_path_with_only_koreader_headers_is_403_shape_b(server):
    response = requests.get(f"{server.url}/api/v1/books/{server.dune}", headers=KO_HEADERS)
    assert_shape_b_forbidden(response, f"/api/v1/books/{server.dune}")


def test_invalid_bearer_is_401_with_empty_body(server):
    response = requests.get(f"{server.url}/api/v1/books/{server.dune}",
                            headers={"Authorization": "Bearer not.a.token"})
    assert (response.status_code, response.content) == (401, b"")


def test_stale_bearer_on_login_is_401_before_login_runs(server):
    response = login(server, headers={"Authorization": "Bearer stale.token.here"})
    assert (response.status_code, response.content) == (401, b"")
    assert login(server).status_code == 200


def test_login_returns_tokens_and_string_default_password_flag(server):
    body = login(server).json()
    assert body["isDefaultPassword"] == "false"
    assert body["accessToken"].count(".") == 2 and body["refreshToken"] != body["accessToken"]


def test_wrong_password_is_400_invalid_credentials(server):
    assert_shape_a(login(server, password="wrong"), 400, "Invalid credentials")


def test_five_failed_logins_give_429_even_with_correct_password(server):
    for _ in range(5):
        assert login(server, password="wrong").status_code == 400
    response = login(server)
    assert_shape_a(response, 429, "Too many failed login attempts. Please try again later.")
    server.clock_offset = 15 * 60 + 1
    assert login(server).status_code == 200


def test_refresh_rotates_and_rejects_the_old_token(server):
    first = login(server).json()["refreshToken"]
    refresh_url = server.url + "/api/v1/auth/refresh"
    second = requests.post(refresh_url, json={"refreshToken": first})
    assert second.status_code == 200 and set(second.json()) == {"accessToken", "refreshToken"}
    assert_shape_a(requests.post(refresh_url, json={"refreshToken": first}),
                   400, "Invalid credentials")
    assert requests.post(refresh_url,
                         json={"refreshToken": second.json()["refreshToken"]}).status_code == 200


def test_access_token_expires_when_the_clock_moves_past_its_lifetime(server):
    server.access_token_lifetime = 60
    headers = bearer(server)
    url = f"{server.url}/api/v1/books/{server.dune}"
    assert requests.get(url, headers=headers).status_code == 200
    server.clock_offset = 61
    response = requests.get(url, headers=headers)
    assert (response.status_code, response.content) == (401, b"")


def test_valid_koreader_headers_with_stale_bearer_on_session_post_are_401(server):
    response = post_session(server, {**KO_HEADERS, "Authorization": "Bearer stale"})
    assert response.status_code == 401 and server.sessions == []


def test_bearer_token_on_koreader_path_is_401(server):
    response = requests.get(server.url + "/api/koreader/users/auth",
                            headers={**KO_HEADERS, **bearer(server)})
    assert response.status_code == 401


# -- books ----------------------------------------------------------------------------

@pytest.mark.parametrize("path, auth", [("/api/koreader/books/by-hash/", "koreader"),
                                        ("/api/v1/books/by-hash/", "jwt")])
def test_by_hash_returns_the_book_dto_with_metadata_only(server, path, auth):
    headers = KO_HEADERS if auth == "koreader" else bearer(server)
    body = requests.get(server.url + path + DUNE_HASH, headers=headers).json()
    assert body["id"] == server.dune and "title" not in body
    assert body["metadata"]["title"] == "Dune"
    assert body["metadata"]["authors"] == ["Frank Herbert"]
    assert body["primaryFile"]["bookType"] == "EPUB"


def test_unknown_hash_is_404_shape_a(server):
    response = requests.get(server.url + "/api/koreader/books/by-hash/" + "f" * 32,
                            headers=KO_HEADERS)
    assert_shape_a(response, 404, f"Book with hash {'f' * 32} not found")


def test_by_hash_on_upstream_falls_back_to_the_spa_page(upstream):
    response = requests.get(upstream.url + "/api/koreader/books/by-hash/" + DUNE_HASH,
                            headers=KO_HEADERS)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")


def test_search_by_isbn_matches_exactly_after_cleaning_with_score_one(server):
    server.add_book(title="Dune Messiah", isbn13="9780593098233")
    url = server.url + "/api/v1/books/search"
    headers = bearer(server)
    hits = requests.get(url, params={"isbn": "ISBN 978-0441-013593"}, headers=headers).json()
    assert hits == [{"id": server.dune, "title": "Dune", "hash": DUNE_HASH, "matchScore": 1.0}]
    assert requests.get(url, params={"isbn": "044101359x"}, headers=headers).json() == []
    assert requests.get(url, params={"isbn": "978044101359"}, headers=headers).json() == []


def test_search_by_title_is_fuzzy_sorted_and_capped_at_fifty(server):
    for n in range(60):
        server.add_book(title=f"Dune Chronicle {n}")
    hits = requests.get(server.url + "/api/v1/books/search", params={"title": "DUNE"},
                        headers=bearer(server)).json()
    scores = [hit["matchScore"] for hit in hits]
    assert len(hits) == 50 and scores == sorted(scores, reverse=True)
    assert hits[0] == {"id": server.dune, "title": "Dune", "hash": DUNE_HASH, "matchScore": 1.0}
    assert all(0 < score < 1 for score in scores[1:])


def test_search_without_parameters_is_400(server):
    response = requests.get(server.url + "/api/v1/books/search", headers=bearer(server))
    assert_shape_a(response, 400, "At least one search parameter (title or isbn) must be provided")


def test_search_on_upstream_falls_into_get_book_and_is_500(upstream):
    response = requests.get(upstream.url + "/api/v1/books/search", params={"title": "Dune"},
                            headers=bearer(upstream))
    assert_shape_a(response, 500, "An unexpected error occurred.")


@pytest.mark.parametrize("term, query, score", [
    ("", "", 0), ("Workshop", "b", 0), ("Room", "o", 1), ("Workshop", "w", 1),
    ("Workshop", "ws", 2), ("Workshop", "wo", 4), ("Apache Software Foundation", "asf", 3)])
def test_fuzzy_score_matches_commons_text_examples(term, query, score):
    assert fuzzy_score(term, query) == score


def test_large_json_is_gzipped_when_the_client_accepts_it(server):
    for n in range(40):
        server.add_book(title=f"Dune Chronicle {n}")
    response = requests.get(server.url + "/api/v1/books/search", params={"title": "dune"},
                            headers={**bearer(server), "Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip" and len(response.json()) == 41


def test_personal_rating_returns_one_entry_per_id(server):
    other = server.add_book(title="Emma")
    response = requests.put(server.url + "/api/v1/books/personal-rating",
                            json={"ids": [server.dune, other], "rating": 8}, headers=bearer(server))
    assert response.json() == [{"bookId": server.dune, "personalRating": 8},
                               {"bookId": other, "personalRating": 8}]
    assert server.ratings == {server.dune: 8, other: 8}


def test_personal_rating_for_unknown_id_is_the_format_bug_400(server):
    response = requests.put(server.url + "/api/v1/books/personal-rating",
                            json={"ids": [server.dune, 999], "rating": 8}, headers=bearer(server))
    assert_shape_a(response, 400, "d != java.lang.String")
    assert server.ratings == {}


# -- reading sessions ---------------------------------------------------------------

def test_single_session_is_202_with_empty_body_and_stored_in_utc(server):
    response = post_session(server, KO_HEADERS, startTime="2026-02-22T15:00:00.250+01:00")
    assert (response.status_code, response.content) == (202, b"")
    [stored] = server.sessions
    assert stored["startTime"] == "2026-02-22T14:00:00Z"
    assert (stored["bookId"], stored["bookType"], stored["endLocation"]) == (server.dune, "EPUB", "15")


@pytest.mark.parametrize("overrides", [{"startTime": "2026-02-22T14:00:00"},
                                       {"bookType": "epub"}, {"durationSeconds": "long"}])
def test_single_session_binding_errors_are_400_malformed(server, overrides):
    response = post_session(server, KO_HEADERS, **overrides)
    assert_shape_a(response, 400, "Request body is missing or malformed.")


def test_single_session_accepts_epoch_seconds_and_rejects_absurd_ones(server):
    assert post_session(server, KO_HEADERS, startTime=1771768800).status_code == 202
    assert server.sessions[0]["startTime"] == "2026-02-22T14:00:00Z"
    response = post_session(server, KO_HEADERS, startTime=10 ** 20)
    assert_shape_a(response, 400, "Request body is missing or malformed.")


def test_chunked_upload_is_read_and_the_connection_stays_usable(server):
    body = json.dumps({"bookId": server.dune, "bookType": "EPUB", **SESSION}).encode()
    with requests.Session() as client:
        response = client.post(server.url + "/api/v1/reading-sessions",
                               data=iter([body[:10], body[10:]]),
                               headers={**KO_HEADERS, "Content-Type": "application/json"})
        assert response.status_code == 202
        assert client.get(server.url + "/api/koreader/users/auth",
                          headers=KO_HEADERS).status_code == 200
    assert len(server.sessions) == 1


def test_stop_is_fast_with_an_idle_keep_alive_connection_open():
    srv = _serve("fork")
    client = requests.Session()
    assert client.get(srv.url + "/api/v1/healthcheck").status_code == 200
    started = time.monotonic()
    srv.stop()
    assert time.monotonic() - started < 1.0
    client.close()


def test_single_session_location_over_500_chars_is_a_data_conflict(server):
    response = post_session(server, KO_HEADERS, startLocation="x" * 501)
    assert_shape_a(response, 400, "A data conflict occurred. The operation could not be completed.")


def test_single_session_missing_duration_is_a_validation_error(server):
    response = post_session(server, KO_HEADERS, durationSeconds=None)
    assert_shape_a(response, 400, "Validation error")
    assert response.json()["details"] == ["durationSeconds: must not be null"]


def test_single_session_for_unknown_book_is_404(server):
    assert_shape_a(post_session(server, KO_HEADERS, bookId=999), 404, "Book not found with ID: 999")


def test_upstream_single_session_takes_jwt_only(upstream):
    assert_shape_b_forbidden(post_session(upstream, KO_HEADERS), "/api/v1/reading-sessions")
    assert post_session(upstream, bearer(upstream)).status_code == 202


def test_batch_stores_all_items_and_answers_in_order(server):
    second = {**SESSION, "startTime": "2026-02-22T18:00:00.5Z", "endTime": "2026-02-22T18:20:00Z"}
    response = post_batch(server, KO_HEADERS, [SESSION, second])
    body = response.json()
    assert response.status_code == 200 and body["totalRequested"] == body["successCount"] == 2
    ids = [stored["id"] for stored in server.sessions]
    assert [r["sessionId"] for r in body["results"]] == ids
    assert body["results"][1]["startTime"] == "2026-02-22T18:00:00.500Z"


def test_batch_with_one_item_ending_before_it_starts_stores_nothing(server):
    backwards = {**SESSION, "endTime": "2026-02-22T13:59:59Z"}
    response = post_batch(server, bearer(server), [SESSION, backwards])
    assert_shape_a(response, 400, "End time must be after start time")
    assert server.sessions == []


def test_batch_item_validation_lists_indexed_details(server):
    items = [SESSION, {**SESSION, "startLocation": "x" * 501}, {**SESSION, "endTime": None}]
    response = post_batch(server, KO_HEADERS, items)
    assert_shape_a(response, 400, "Validation error")
    assert response.json()["details"] == [
        "sessions[1].startLocation: Start location must not exceed 500 characters",
        "sessions[2].endTime: End time is required"]


@pytest.mark.parametrize("count", [0, 1001])
def test_batch_empty_or_over_a_thousand_items_is_400(server, count):
    response = post_batch(server, KO_HEADERS, [SESSION] * count)
    assert_shape_a(response, 400, "Validation error")
    assert server.sessions == []


def test_batch_for_unknown_book_is_404(server):
    assert_shape_a(post_batch(server, KO_HEADERS, [SESSION], book_id=999),
                   404, "Book not found with ID: 999")


def test_upstream_has_no_batch_403_with_koreader_headers_500_with_jwt(upstream):
    assert_shape_b_forbidden(post_batch(upstream, KO_HEADERS, [SESSION]),
                             "/api/v1/reading-sessions/batch")
    assert_shape_a(post_batch(upstream, bearer(upstream), [SESSION]),
                   500, "An unexpected error occurred.")


# -- read-back: GET /api/v1/reading-sessions/book/{id} ----------------------------------

def read_back(srv, headers, book_id=None, **params):
    return requests.get(f"{srv.url}/api/v1/reading-sessions/book/{book_id or srv.dune}",
                        params=params, headers=headers)


def test_read_back_pages_the_callers_sessions_newest_first(server):
    starts = ["2026-02-22T14:00:00Z", "2026-02-23T09:30:00Z", "2026-02-21T20:15:00Z"]
    items = [{**SESSION, "startTime": start, "endTime": start} for start in starts]
    assert post_batch(server, KO_HEADERS, items).status_code == 200
    headers = bearer(server)
    first = read_back(server, headers, size=2).json()
    second = read_back(server, headers, size=2, page=1).json()
    assert [s["startTime"] for s in first["content"] + second["content"]] == sorted(
        starts, reverse=True)
    assert first["page"] == {"size": 2, "number": 0, "totalElements": 3, "totalPages": 2}
    assert read_back(server, headers).json()["page"]["size"] == 5


def test_read_back_rows_have_whole_seconds_java_floats_and_nulls(server):
    item = {**SESSION, "startTime": "2026-02-22T14:00:00.750Z", "startProgress": 100 / 3,
            "progressDelta": None, "endLocation": None}
    post_session(server, KO_HEADERS, **item)
    row = read_back(server, bearer(server)).json()["content"][0]
    assert (row["startTime"], row["endTime"]) == ("2026-02-22T14:00:00Z", "2026-02-22T15:00:00Z")
    assert row["startProgress"] == 33.333332 and row["endProgress"] == 12.5
    assert row["progressDelta"] is None and row["endLocation"] is None
    assert (row["bookId"], row["bookTitle"], row["bookType"]) == (server.dune, "Dune", "EPUB")
    assert "durationFormatted" not in row and not row["createdAt"].endswith("Z")


def test_read_back_shows_only_the_callers_own_sessions(server):
    server.add_user("bob", "bobpass")
    post_session(server, KO_HEADERS)
    bob = {"Authorization": "Bearer " + login(server, "bob", "bobpass").json()["accessToken"]}
    assert read_back(server, bob).json()["content"] == []
    assert len(read_back(server, bearer(server)).json()["content"]) == 1


@pytest.mark.parametrize("params, detail", [
    ({"size": 101}, "getReadingSessionsForBook.size: must be less than or equal to 100"),
    ({"size": 0}, "getReadingSessionsForBook.size: must be greater than or equal to 1"),
    ({"page": -1}, "getReadingSessionsForBook.page: must be greater than or equal to 0")])
def test_read_back_page_parameters_are_validated_before_the_book_lookup(server, params, detail):
    response = read_back(server, bearer(server), book_id=999, **params)
    assert_shape_a(response, 400, "Validation error")
    assert response.json()["details"] == [detail]


def test_read_back_unknown_book_is_404_and_bad_numbers_are_500(server):
    headers = bearer(server)
    assert_shape_a(read_back(server, headers, book_id=999), 404, "Book not found with ID: 999")
    assert_shape_a(read_back(server, headers, page="x"), 500, "An unexpected error occurred.")
    assert_shape_a(read_back(server, headers, book_id="abc"), 500, "An unexpected error occurred.")


@pytest.mark.parametrize("flavour", ["fork", "upstream"])
def test_read_back_takes_jwt_only_on_both_flavours(flavour):
    srv = _serve(flavour)
    try:
        path = f"/api/v1/reading-sessions/book/{srv.dune}"
        assert_shape_b_forbidden(read_back(srv, KO_HEADERS), path)
        assert read_back(srv, bearer(srv)).status_code == 200
    finally:
        srv.stop()


# -- annotations, notes, bookmarks ------------------------------------------------------

@pytest.mark.parametrize("path, body, message", [
    ("/api/v1/annotations", {"text": "Call me Ishmael."}, "Annotation already exists at this location"),
    ("/api/v2/book-notes", {"noteContent": "Opening"}, "Note already exists at this location"),
    ("/api/v1/bookmarks", {"title": "Start"}, "Bookmark already exists at this location")])
def test_same_cfi_twice_is_409(server, path, body, message):
    headers = bearer(server)
    body = {"bookId": server.dune, "cfi": "epubcfi(/6/4!/4/2/1:0)", **body}
    first = requests.post(server.url + path, json=body, headers=headers)
    assert first.status_code == 200 and first.json()["bookId"] == server.dune
    assert_shape_a(requests.post(server.url + path, json=body, headers=headers), 409, message)


def test_annotation_defaults_and_unknown_book_500(server):
    headers = bearer(server)
    body = {"bookId": server.dune, "cfi": "epubcfi(/6/2)", "text": "It is a truth"}
    created = requests.post(server.url + "/api/v1/annotations", json=body, headers=headers).json()
    assert (created["color"], created["style"]) == ("#FFFF00", "highlight")
    response = requests.post(server.url + "/api/v1/annotations",
                             json={**body, "bookId": 999}, headers=headers)
    assert_shape_a(response, 500, "An unexpected error occurred.")


def test_v1_book_notes_do_not_deduplicate(server):
    headers = bearer(server)
    body = {"bookId": server.dune, "title": "Note", "content": "Spice"}
    for _ in range(2):
        assert requests.post(server.url + "/api/v1/book-notes", json=body,
                             headers=headers).status_code == 200
    assert len(server.notes_v1) == 2
    response = requests.post(server.url + "/api/v1/book-notes", json={**body, "bookId": 999},
                             headers=headers)
    assert_shape_a(response, 404, "Book not found with ID: 999")


# -- public paths and fallbacks ---------------------------------------------------------

def test_healthcheck_is_public(server):
    body = requests.get(server.url + "/api/v1/healthcheck").json()
    assert (body["message"], body["data"]["status"]) == ("Pong", "UP")


def test_unmapped_paths_get_spa_page_500_or_403(server):
    page = requests.get(server.url + "/api/v1/nothing-here", headers=bearer(server))
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert_shape_a(requests.post(server.url + "/api/v1/nothing-here", json={},
                                 headers=bearer(server)), 500, "An unexpected error occurred.")
    assert_shape_b_forbidden(requests.post(server.url + "/api/v1/nothing-here", json={}),
                             "/api/v1/nothing-here")


# -- fault injection --------------------------------------------------------------------

def last_logged(server, timeout=2.0):
    """The server logs a faulted request just after the client already saw the reset."""
    deadline = time.monotonic() + timeout
    while not server.request_log and time.monotonic() < deadline:
        time.sleep(0.01)
    return server.request_log[-1]


def only_batch(fault):
    return lambda method, path: fault if path.endswith("/batch") else None


def test_reset_before_body_raises_connection_error_and_stores_nothing(server):
    server.set_fault(only_batch(Fault.RESET_BEFORE_BODY))
    with pytest.raises(requests.ConnectionError):
        post_batch(server, KO_HEADERS, [SESSION])
    assert server.sessions == []
    assert last_logged(server) == ("POST", "/api/v1/reading-sessions/batch", None)


def test_lost_response_raises_connection_error_but_stores_the_sessions(server):
    server.set_fault(only_batch(Fault.LOST_RESPONSE))
    with pytest.raises(requests.ConnectionError):
        post_batch(server, KO_HEADERS, [SESSION, SESSION])
    assert len(server.sessions) == 2


def test_stall_times_out_the_client_and_stop_stays_fast(server):
    server.set_fault(only_batch(Fault.STALL))
    with pytest.raises(requests.ReadTimeout):
        requests.post(server.url + "/api/v1/reading-sessions/batch", json={},
                      headers=KO_HEADERS, timeout=(2, 0.3))
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 1.0


def test_error_500_fault_answers_shape_a_without_processing(server):
    server.set_fault(only_batch(Fault.ERROR_500))
    assert_shape_a(post_batch(server, KO_HEADERS, [SESSION]), 500, "An unexpected error occurred.")
    assert server.sessions == []


def test_html_200_fault_answers_an_html_page(server):
    server.set_fault(lambda method, path: Fault.HTML_200)
    response = requests.get(server.url + "/api/koreader/users/auth", headers=KO_HEADERS)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    server.set_fault(None)
    assert requests.get(server.url + "/api/koreader/users/auth",
                        headers=KO_HEADERS).json() == {"username": "kouser"}


def test_reset_state_keeps_users_and_books(server):
    post_session(server, KO_HEADERS)
    server.reset_state()
    assert server.sessions == [] and server.request_log == []
    assert post_session(server, KO_HEADERS).status_code == 202


# -- sample library ----------------------------------------------------------------------

def test_sample_library_is_byte_identical_across_runs(tmp_path):
    first = make_sample_library(tmp_path / "a")
    second = make_sample_library(tmp_path / "b")
    assert len(first) == 5 and len({book.title for book in first}) == 5
    for one, two in zip(first, second):
        assert open(one.path, "rb").read() == open(two.path, "rb").read()
        assert one.file_hash == two.file_hash == partial_md5(one.path)


def test_sample_epubs_are_valid_epub3_archives(tmp_path):
    for book in make_sample_library(tmp_path):
        with zipfile.ZipFile(book.path) as archive:
            first = archive.infolist()[0]
            assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
            assert archive.read("mimetype") == b"application/epub+zip"
            documents = {name: ET.fromstring(archive.read(name)) for name in archive.namelist()
                         if name.endswith((".xml", ".opf", ".xhtml"))}
        opf = documents["OEBPS/content.opf"]
        dc = "{http://purl.org/dc/elements/1.1/}"
        assert opf.get("version") == "3.0" and opf.find(f".//{dc}title").text == book.title
        paragraphs = documents["OEBPS/chapter-1.xhtml"].iter("{http://www.w3.org/1999/xhtml}p")
        assert len(list(paragraphs)) >= 2


def test_sample_library_registers_as_server_books(server, tmp_path):
    books = make_sample_library(tmp_path)
    ids = server.add_sample_library(books)
    response = requests.get(server.url + "/api/koreader/books/by-hash/" + books[1].file_hash,
                            headers=KO_HEADERS)
    assert response.json()["id"] == ids[1]
    assert response.json()["metadata"]["title"] == books[1].title
