"""One sync: resolving book IDs, the ratings, annotations and sessions phases with their
batching and fallbacks, the report, and the single-flight lease."""
