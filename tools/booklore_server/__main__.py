"""Run the server standalone:
``python -m tools.booklore_server --port 6060 --user admin:secret --koreader kouser:kopass --library DIR``
"""

import argparse
import hashlib
import tempfile
import threading

from . import BookLoreServer, make_sample_library


def _credentials(text):
    username, sep, password = text.partition(":")
    if not sep or not username:
        raise argparse.ArgumentTypeError("expected USERNAME:PASSWORD")
    return username, password


def _parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m tools.booklore_server",
                                     description="Local BookLore-compatible server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6060)
    parser.add_argument("--flavour", choices=("fork", "upstream"), default="fork")
    parser.add_argument("--user", type=_credentials, default=("admin", "secret"),
                        help="BookLore account, USERNAME:PASSWORD")
    parser.add_argument("--koreader", type=_credentials, default=("kouser", "kopass"),
                        help="linked KOReader sync account, USERNAME:PASSWORD")
    parser.add_argument("--library", help="where to write the sample EPUBs (default: a temp dir)")
    parser.add_argument("--quiet", action="store_true", help="do not echo each request")
    return parser.parse_args(argv)


def main(argv=None):
    args = _parse_args(argv)
    library = args.library or tempfile.mkdtemp(prefix="booklore-library-")
    server = BookLoreServer(flavour=args.flavour, host=args.host, port=args.port)
    server.echo_requests = not args.quiet
    server.add_user(*args.user, koreader=args.koreader, admin=True)
    books = make_sample_library(library)
    book_ids = server.add_sample_library(books)
    server.start()
    ko_user, ko_password = args.koreader
    print(f"BookLore ({args.flavour}) listening on {server.url}")
    print(f"  BookLore login : {args.user[0]} / {args.user[1]}")
    print(f"  KOReader sync  : {ko_user} / {ko_password} "
          f"(x-auth-key {hashlib.md5(ko_password.encode()).hexdigest()})")
    print(f"  Library in {library}:")
    for book_id, book in zip(book_ids, books):
        print(f"    #{book_id} {book.title} ({book.file_hash})")
    print("Ctrl-C to stop.")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
