"""Bringing past reading in: KOReader's own statistics and book sidecars, and the previous BookLore plugin's database."""
