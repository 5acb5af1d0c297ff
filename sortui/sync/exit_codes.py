"""The exit codes of the commands that talk to the central service (a module of their own, so the
command line's parser can name them without loading the client and httpx)."""

EXIT_UNAVAILABLE, EXIT_CONFLICTS, EXIT_REFUSED = 3, 4, 5
