"""Talking to a BookLore server: the HTTP client (the only code that imports requests), both
auth schemes and their tokens, error translation, and what Test Connection finds out."""
