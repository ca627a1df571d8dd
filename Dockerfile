FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 1000 practika

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# collectstatic needs settings, not secrets: a throwaway key is fine at build time.
RUN DEBUG=0 SECRET_KEY=build-only-key-build-only-key-build-only-key-build-only \
    ALLOWED_HOSTS=localhost PRACTIKA_VAR_DIR=/tmp/var STATIC_ROOT=/app/staticfiles \
    python manage.py collectstatic --no-input \
 && chown -R practika /app
USER practika
EXPOSE 8000
CMD ["uvicorn", "practika_site.asgi:application", "--host", "0.0.0.0", "--port", "8000", \
     "--workers", "2", "--proxy-headers", "--forwarded-allow-ips", "*", "--lifespan", "off", \
     "--ws-per-message-deflate", "false"]
