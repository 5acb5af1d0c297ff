"""The client of the central service: credentials, push, pull, conflicts (no Textual here)."""
