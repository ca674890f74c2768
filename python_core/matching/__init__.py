"""Match Unmatched Books: the automatic pass by fingerprint and the manual walk by search."""
