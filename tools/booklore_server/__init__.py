"""A local BookLore-compatible HTTP server (standard library only) for the demo and
for end-to-end tests. It follows the contract in the project's BookLore API notes:
both auth schemes, the three error-body shapes, the fork's by-hash, search and batch
endpoints (absent on the "upstream" flavour), and injectable network faults."""

from .faults import Fault
from .samples import SampleBook, make_sample_library, partial_md5
from .server import BookLoreServer

__all__ = ["BookLoreServer", "Fault", "SampleBook", "make_sample_library", "partial_md5"]
