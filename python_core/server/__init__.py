"""Talking to a BookLore server: the transport (the only code that imports requests, and
where every network failure is translated), the table of endpoints and the client over
it, both auth schemes and their tokens, and what Test Connection finds out."""
