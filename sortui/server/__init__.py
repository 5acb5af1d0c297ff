"""The central service: HTTP API, users and rights, change feed and audit log.

Importing this package is cheap; FastAPI and uvicorn are imported by ``api`` and ``run`` only.
"""
