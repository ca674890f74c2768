"""KOReader's partial MD5, byte for byte, for every size class."""

import hashlib
import os

import pytest

from python_core.books.fingerprint import SAMPLE_OFFSETS, is_fingerprint, partial_md5
from python_core.errors import FingerprintError


def reference(data: bytes) -> str:
    """Independent statement of the algorithm over bytes in memory (koreader-host.md §7)."""
    digest = hashlib.md5()
    for offset in [0] + [1024 * 4**i for i in range(11)]:
        sample = data[offset:offset + 1024]
        if not sample:
            break
        digest.update(sample)
    return digest.hexdigest()


def write(tmp_path, data: bytes, name="book.epub"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_offsets_start_at_zero_then_powers_of_four():
    assert SAMPLE_OFFSETS[:4] == (0, 1024, 4096, 16384)
    assert SAMPLE_OFFSETS[-1] == 1073741824


@pytest.mark.parametrize("data, expected", [
    (b"", "d41d8cd98f00b204e9800998ecf8427e"),
    (bytes(100), "6d0bb00954ceb7fbee436bb55a8397a9"),
    (bytes(i % 251 for i in range(5000)), "e77dcca7f22a949ae8492c260ca19f32"),
    (bytes((7 * i + 3) % 256 for i in range(300000)), "7f79a1051a44620f9633d5a081d3f5b6"),
])
def test_published_vectors(tmp_path, data, expected):
    assert partial_md5(write(tmp_path, data)) == expected


@pytest.mark.parametrize("size", [
    1, 1023, 1024, 1025, 2047, 2048, 2049, 4095, 4096, 4097, 5120, 5121,
    16383, 16384, 16385, 65535, 65536, 65537, 262144, 262145, 1048577,
])
def test_sizes_around_every_boundary_match_the_reference(tmp_path, size):
    data = os.urandom(size)
    assert partial_md5(write(tmp_path, data)) == reference(data)


def test_small_files_hash_like_plain_md5(tmp_path):
    data = b"x" * 2048
    assert partial_md5(write(tmp_path, data)) == hashlib.md5(data).hexdigest()


def test_only_the_first_2048_bytes_count_below_4096(tmp_path):
    a = write(tmp_path, b"a" * 2048 + b"b" * 1000, "a.pdf")
    b = write(tmp_path, b"a" * 2048 + b"c" * 1000, "b.pdf")
    assert partial_md5(a) == partial_md5(b)


def test_sparse_file_over_one_gib_reads_the_last_sample(tmp_path):
    path = tmp_path / "big.pdf"
    size = (1 << 30) + 700
    with open(path, "wb") as f:
        f.truncate(size)
        f.seek(1 << 30)
        f.write(b"Z" * 700)
    expected = hashlib.md5()
    for _ in SAMPLE_OFFSETS[:-1]:  # every sample before 1 GiB falls in the hole: zeros
        expected.update(bytes(1024))
    expected.update(b"Z" * 700)
    assert partial_md5(path) == expected.hexdigest()


def test_changing_a_sampled_byte_changes_the_hash_and_an_unsampled_one_does_not(tmp_path):
    data = bytearray(os.urandom(20000))
    before = partial_md5(write(tmp_path, bytes(data)))
    data[3000] ^= 0xFF  # between samples [2048, 4096)
    assert partial_md5(write(tmp_path, bytes(data))) == before
    data[4096] ^= 0xFF
    assert partial_md5(write(tmp_path, bytes(data))) != before


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FingerprintError, match="Book file not found: .*gone.epub"):
        partial_md5(tmp_path / "gone.epub")


def test_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FingerprintError, match="folder"):
        partial_md5(tmp_path)


def test_unreadable_file_is_a_clear_error(tmp_path, monkeypatch):
    # The suite may run as root, who can read a chmod-0 file; refuse the open instead.
    from python_core.books import fingerprint

    def refuse(path, mode="r"):
        raise PermissionError(13, "Permission denied", str(path))
    monkeypatch.setattr(fingerprint, "open", refuse, raising=False)
    with pytest.raises(FingerprintError, match="No permission to read the book file"):
        partial_md5(write(tmp_path, b"data"))


def test_io_error_mid_read_is_a_clear_error(tmp_path, monkeypatch):
    from python_core.books import fingerprint

    def broken(path, mode="r"):
        raise OSError(5, "Input/output error")
    monkeypatch.setattr(fingerprint, "open", broken, raising=False)
    with pytest.raises(FingerprintError, match="Cannot read the book file .*Input/output"):
        partial_md5(write(tmp_path, b"data"))


def test_non_ascii_path(tmp_path):
    path = write(tmp_path, b"hello", "Ελληνικά – «livre» 📖.epub")
    assert partial_md5(path) == hashlib.md5(b"hello").hexdigest()


def test_is_fingerprint():
    assert is_fingerprint("d41d8cd98f00b204e9800998ecf8427e")
    assert not is_fingerprint("")
    assert not is_fingerprint("D41D8CD98F00B204E9800998ECF8427E")
    assert not is_fingerprint(None)
