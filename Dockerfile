# syntax=docker/dockerfile:1
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 10001 app

# Dependencies first, pinned by the same lock file CI uses, so code changes reuse this layer.
COPY pyproject.toml constraints.txt README.md ./
COPY backend ./backend
COPY agent ./agent
COPY tools ./tools
COPY db ./db
# backend.main plugs in record/replay (replay/), which speaks the wire formats (wire/).
COPY wire ./wire
COPY replay ./replay
COPY alembic.ini ./
RUN pip install -c constraints.txt .

USER app
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status != 200)"

# Migrations are applied on start; they are idempotent, so restarts and extra replicas are safe.
# backend.serve: uvicorn with the edge's limits (SERVER_*), FORWARDED_ALLOW_IPS applied by the app,
# and the graceful shutdown hook.
CMD ["sh", "-c", "python -m backend.migrate && exec python -m backend.serve --host 0.0.0.0 --port 8000"]
