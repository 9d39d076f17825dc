# Pijat Oksitosin bot: slim image, non-root, data on a volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_URL=sqlite:////app/data/pijat.db

WORKDIR /app

# Dependencies first (cached while only the code changes).
COPY pyproject.toml README.md ./
COPY bot/__init__.py bot/__init__.py
COPY content/__init__.py content/__init__.py
COPY storage/__init__.py storage/__init__.py
COPY analysis/__init__.py analysis/__init__.py
RUN pip install .

COPY bot bot
COPY content content
COPY storage storage
COPY analysis analysis
RUN pip install --no-deps . \
    && useradd --create-home --uid 10001 bot \
    && mkdir -p /app/data && chown bot:bot /app/data

USER bot
VOLUME ["/app/data"]

HEALTHCHECK --interval=60s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "-m", "bot", "health"]

CMD ["python", "-m", "bot", "run"]
