# Steady: the API by default; the worker with `docker run <image> worker`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STEADY_ENV=production \
    PORT=8000

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY api ./api
COPY schemas ./schemas
COPY migrations ./migrations
COPY alembic.ini gunicorn.conf.py wsgi.py docker-entrypoint.sh ./

RUN useradd --system --uid 10001 --home-dir /app steady \
    && chmod +x docker-entrypoint.sh \
    && mkdir -p /app/instance && chown steady /app/instance
USER steady

EXPOSE 8000
ENTRYPOINT ["./docker-entrypoint.sh"]
CMD ["web"]
