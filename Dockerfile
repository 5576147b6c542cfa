# clusterbot: `docker build -t clusterbot .` then
# `docker run -e TELEGRAM_BOT_TOKEN=... -v clusterbot-data:/data clusterbot`
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/clusterbot.db

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY storage ./storage
COPY messages ./messages
COPY examples ./examples
RUN pip install . && useradd --create-home --uid 10001 clusterbot && mkdir /data && chown clusterbot /data

USER clusterbot
VOLUME ["/data"]
# `clusterbot run` applies the Alembic migrations before it starts polling.
CMD ["clusterbot", "run"]
