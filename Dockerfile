# One image for web, workers and beat.
FROM python:3.11-slim
ARG PIP_EXTRA_INDEX_URL=""
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 \
    PIP_EXTRA_INDEX_URL=${PIP_EXTRA_INDEX_URL}
WORKDIR /app
# libpango + DejaVu: WeasyPrint renders the post-crisis review's PDF (crisis/export.py).
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# Static files are served by whitenoise from STATIC_ROOT: collect them into the image.
RUN python manage.py collectstatic --noinput -v 0
# /app/media: uploaded logos (a named volume in docker-compose.yml, shared by web and workers)
RUN useradd --create-home carewatch && mkdir -p /app/media && chown -R carewatch /app
USER carewatch
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "-c", "config/gunicorn.py"]
