# Slim image running the gateway as a non-root user; `serve` applies the migrations at start.
#   docker build -t iwmo-gateway .
#   docker run --rm -p 8080:8080 iwmo-gateway iwmo-gateway serve --demo      # try it: demo keys and data
#   docker run -p 8080:8080 -v iwmo-data:/data iwmo-gateway                   # keep the SQLite store in a volume
#   docker run -p 8080:8080 -e IWMO_DATABASE_URL=postgresql+psycopg://... iwmo-gateway
FROM python:3.11-slim

# IWMO_HOST=0.0.0.0 listens on every interface of the container. That is safe only because every inbound
# transport endpoint (POST /ggk) is closed unless authenticated: with none of IWMO_GGK_INBOUND_TOKEN,
# IWMO_INBOUND_PARTNERS, IWMO_INBOUND_TLS_* or IWMO_INBOUND_PROXY_VERTROUWD set it refuses every delivery and
# stores nothing, and the start-up log says so. The API and console need their own keys / sign-in.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    IWMO_HOST=0.0.0.0 \
    IWMO_PORT=8080 \
    IWMO_DATABASE_URL=sqlite:////data/iwmo-gateway.db

WORKDIR /app
# The same versions the test suite passed with (constraints.txt), so the image runs what was tested.
COPY pyproject.toml constraints.txt README.md alembic.ini ./
COPY gateway ./gateway
COPY schemas ./schemas
COPY migrations ./migrations
COPY config ./config
RUN pip install -c constraints.txt -e . \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin iwmo \
    && mkdir -p /data && chown iwmo /data

USER 10001
VOLUME ["/data"]
EXPOSE 8080
# No curl in a slim image: Python's own urllib asks /health (exit 1 on any failure or non-2xx answer).
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('IWMO_PORT', '8080') + '/health', timeout=2)"]
CMD ["iwmo-gateway", "serve"]
