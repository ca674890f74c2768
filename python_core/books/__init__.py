"""Which book a local file is: the KOReader fingerprint, what is stored about a book, and
how a match with a BookLore book is found at open and recorded."""
