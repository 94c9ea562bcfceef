"""Fault tests: the database, signals, the HTTP edge and deck edits under an open round."""
