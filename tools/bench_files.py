"""Benchmark 5: KOReader's partial MD5 over many files of mixed sizes, against the floor of
reading the same samples in plain Python without hashing.

The fingerprint reads at most twelve 1 KiB samples (offset 0 and 1024 * 4**i, i = 0..10),
so its cost is opening the file plus up to twelve seek+read pairs, whatever the size.
Files up to 2 MiB hold random bytes; bigger ones are sparse (the samples read as zeros),
which is why a 2 GiB "book" costs no disk space. Timings are with a warm page cache.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from python_core.books.fingerprint import SAMPLE_OFFSETS, SAMPLE_SIZE, partial_md5
from tools.bench_setup import Sizes, figure, heading, say

SIZES = (0, 700, 4_000, 60_000, 300_000, 2_000_000, 20_000_000, 300_000_000, 2_000_000_000)


def make_files(folder: Path, count: int) -> list[str]:
    rng = random.Random(5)
    paths = []
    for i in range(count):
        size = rng.choice(SIZES)
        path = folder / f"book-{i:04d}.epub"
        with open(path, "wb") as book:
            if size <= 2_000_000:
                book.write(rng.randbytes(size))
            else:
                book.write(rng.randbytes(4096))
                book.truncate(size)
        paths.append(str(path))
    return paths


def read_samples(path: str) -> int:
    """The floor: the same opens, seeks and reads, no hashing."""
    total = 0
    with open(path, "rb") as book:
        for offset in SAMPLE_OFFSETS:
            book.seek(offset)
            sample = book.read(SAMPLE_SIZE)
            if not sample:
                break
            total += len(sample)
    return total


def open_only(path: str) -> int:
    with open(path, "rb"):
        return 0


def timed(function, paths: list[str], repeats: int = 5) -> float:
    runs = []
    for _ in range(repeats):
        started = time.perf_counter()
        for path in paths:
            function(path)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def run(sizes: Sizes) -> None:
    heading(5, f"Fingerprint of {sizes.files:,} files of mixed sizes (0 B to 2 GB, sparse)")
    folder = Path(tempfile.mkdtemp(prefix="bench-files-"))
    try:
        paths = make_files(folder, sizes.files)
        timed(partial_md5, paths, repeats=1)  # warm the page cache
        core = timed(partial_md5, paths)
        floor = timed(read_samples, paths)
        opens = timed(open_only, paths)
        samples = sum(read_samples(p) for p in paths)
        say(f"core partial_md5: {core * 1000:.1f} ms ({core / len(paths) * 1e6:.1f} us per file)")
        say(f"floor, same samples read in plain Python, no hashing: {floor * 1000:.1f} ms "
            f"({floor / len(paths) * 1e6:.1f} us per file)")
        say(f"open+close only: {opens * 1000:.1f} ms; bytes sampled: {samples / 2**20:.1f} MiB")
        say(f"ratio core / reading floor: {core / floor:.2f}x "
            f"(the difference is MD5 over {samples / len(paths) / 1024:.1f} KiB per file)")
        figure(5, f"fingerprint of {len(paths):,} mixed files",
               f"{core / len(paths) * 1e6:.1f} us per file",
               f"same samples read, no hashing: {floor / len(paths) * 1e6:.1f} us", core / floor)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        os.sync()
