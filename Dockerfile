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
# --compile (pip's default, stated): the bytecode of the bot and its libraries is written at
# build time, since PYTHONDONTWRITEBYTECODE (and a non-root user) means none is written at run
# time; each `clusterbot` command then starts without compiling its modules (README, "A quick
# command line").
RUN pip install --compile . && useradd --create-home --uid 10001 clusterbot && mkdir /data && chown clusterbot /data

USER clusterbot
VOLUME ["/data"]
# `clusterbot run` applies the Alembic migrations (when the schema is not current) before it starts.
CMD ["clusterbot", "run"]
