# Slim image running the gateway; migrations are applied at start.
#   docker build -t iwmo-gateway .
#   docker run -p 8080:8080 -e IWMO_DATABASE_URL=postgresql+psycopg://... iwmo-gateway
FROM python:3.11-slim

# IWMO_HOST=0.0.0.0 listens on every interface of the container. That is safe only because every inbound
# transport endpoint (POST /ggk) is closed unless authenticated: with none of IWMO_GGK_INBOUND_TOKEN,
# IWMO_INBOUND_PARTNERS, IWMO_INBOUND_TLS_* or IWMO_INBOUND_PROXY_VERTROUWD set it refuses every delivery and
# stores nothing, and the start-up log says so. The API and console need their own keys / sign-in.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    IWMO_HOST=0.0.0.0 \
    IWMO_PORT=8080 \
    IWMO_DATABASE_URL=sqlite:////data/iwmo-gateway.db

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY gateway ./gateway
COPY schemas ./schemas
COPY migrations ./migrations
COPY config ./config
RUN pip install -e . && useradd --system --uid 10001 --home /data iwmo && mkdir -p /data && chown iwmo /data

USER iwmo
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"IWMO_PORT\"]}/health')"
CMD ["sh", "-c", "iwmo-gateway db upgrade && exec iwmo-gateway serve"]
