# The README's two steps, in a container: install the package into a virtualenv, then
# `corridor serve` (gunicorn, the data loaded once before the workers fork). The image has
# the postgis extra (compose.yaml runs it on a PostGIS database) and the osm extra (.osm.pbf
# uploads).
# No Docker engine runs on the development machines: tests/test_readme.py checks that these
# steps stay the README's, and those are tested there.

# --- build: install the package and its runtime dependencies into /opt/venv -------------
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY corridor ./corridor
COPY geodata ./geodata
COPY web ./web
RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir '.[postgis,osm]'

# --- runtime: the virtualenv only, run by an unprivileged user ---------------------------
FROM python:3.11-slim-bookworm
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin corridor \
    && mkdir -p /data/layers && chown -R corridor /data
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    CORRIDOR_HOST=0.0.0.0 \
    CORRIDOR_PORT=8000 \
    CORRIDOR_WORKERS=2 \
    CORRIDOR_LAYERS_DIR=/data/layers
# User layers (GeoPackage files) outlive the container on this volume.
VOLUME /data
USER corridor
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python3", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"]
# The bundled geodata plus the user layers in /data/layers: no database, no network; with
# CORRIDOR_DATABASE_URL (compose.yaml) the PostGIS database holds both instead.
CMD ["/opt/venv/bin/corridor", "serve"]
