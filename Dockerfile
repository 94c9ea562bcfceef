# StudyBot: one image for every platform; `studybot run` starts the adapters whose tokens are set.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so editing a deck or a handler does not reinstall them.
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY scheduler ./scheduler
RUN pip install .

COPY content ./content

# The bot never needs root; ./data holds the SQLite file when no PostgreSQL is configured.
RUN useradd --system --create-home --home-dir /home/studybot studybot \
    && mkdir -p /app/data && chown studybot /app/data
USER studybot
ENV STUDYBOT_CONTENT_DIR=/app/content
VOLUME ["/app/data"]

# Migrate explicitly before starting, so a failed migration stops the container with its error
# instead of half-starting adapters (the start-up migration would then find nothing to do).
CMD ["sh", "-c", "studybot db upgrade && exec studybot run"]
