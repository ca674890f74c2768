"""Reading sessions: the one in progress (tracker), what counts as a session and the exact
shape the server is sent."""
