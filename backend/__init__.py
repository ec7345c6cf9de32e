"""HTTP adapter: the FastAPI app that serves the task operations, auth and operations endpoints."""
