# Mirrors the README's "run" command: install the package, serve the bundled data.
# (No Docker engine runs on the development machines; these steps are the README's,
# which are tested there.)
FROM python:3.11-slim-bookworm

WORKDIR /app
COPY . /app

RUN python3 -m venv /app/.venv && /app/.venv/bin/pip install --no-cache-dir .

EXPOSE 8000
# The service reads only the bundled geodata: no database, no network.
CMD ["/app/.venv/bin/corridor", "serve", "--host", "0.0.0.0", "--port", "8000"]
