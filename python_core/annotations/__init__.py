"""Ratings, highlights and notes: what a closing book leaves to upload, as queue items, and
where in the EPUB each highlight sits (CFI)."""
