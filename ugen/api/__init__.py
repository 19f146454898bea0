"""The HTTP API (FastAPI): ``create_app`` builds it; everything lives under ``/api/v1``."""
