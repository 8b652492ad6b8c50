# anesqc image: the same code runs as web (gunicorn), worker and beat (docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint's Pango and HarfBuzz and the CJK font of the PDF reports (as scripts/apt-deps run installs).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /app anesqc

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY --chown=anesqc:anesqc . .

# Static files are collected into the image; whitenoise serves them from there.
RUN DEBUG=false SECRET_KEY=collectstatic-only-never-used-to-sign-anything-at-all-0123456789 DATABASE_URL=sqlite:////tmp/build.sqlite3 STATIC_ROOT=/app/staticfiles \
    python manage.py collectstatic --noinput && rm -f /tmp/build.sqlite3

# The media volume starts out owned by the app's user (a new named volume copies this directory).
RUN mkdir -p /data/media && chown anesqc:anesqc /data/media

USER anesqc
ENV STATIC_ROOT=/app/staticfiles MEDIA_ROOT=/data/media PORT=8000
EXPOSE 8000
CMD ["gunicorn", "anesqc.wsgi", "--config", "deploy/gunicorn.conf.py", "--bind", "0.0.0.0:8000"]
