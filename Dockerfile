# syntax=docker/dockerfile:1
# One image for every Python deployable of Mina vårdkontakter; the command picks the service:
#   docker run ... mina-vardkontakter python -m services.messaging.patient
# (docker-compose.yml and deploy/k8s set the command per service). Settings come from the
# service's prefixed environment variables (IDENTITY_..., GATEWAY_..., see devstack/services.py).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- assets: the web UI's design system and htmx from npm (package-lock.json pins them); the
# gateway serves them itself (GATEWAY_ASSETS_DIR), never from a CDN ---------------------------
ARG NODE_IMAGE=node:20-bookworm-slim
FROM ${NODE_IMAGE} AS assets
WORKDIR /ui
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# --- build: a virtualenv with the runtime dependencies and the project, no dev/test extras ----
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first, read from pyproject.toml, so this layer is rebuilt only when they change
# and not on every source edit.
COPY pyproject.toml ./
RUN python -c "import tomllib; \
deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; \
print('\n'.join(deps))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt
# Only the importable code: devstack (local runtime), tests and scripts stay out of the image.
COPY shared ./shared
COPY services ./services
# Not editable: the code lands in site-packages (bytecode compiled now, as the root filesystem
# is read-only at run time) and /src is not copied to the runtime stage.
RUN pip install . && pip check

# --- runtime: the virtualenv, a non-root user, nothing else ----------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# A fixed numeric uid/gid so Kubernetes can verify runAsNonRoot and volumes can be chowned;
# /data, owned by it, is where routing keeps its faust state (ROUTING_DATA_DIR).
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin app \
    && mkdir /data && chown app:app /data
COPY --from=build /opt/venv /opt/venv
COPY --from=assets /ui/node_modules/govuk-frontend/dist /opt/ui-assets/govuk-frontend/dist
COPY --from=assets /ui/node_modules/htmx.org/dist /opt/ui-assets/htmx.org/dist
ENV GATEWAY_ASSETS_DIR=/opt/ui-assets
COPY --chmod=0755 deploy/docker/healthcheck.py /usr/local/bin/healthcheck
# An empty working directory: `python -m services...` must import the installed package,
# never a stray source tree in the current directory.
WORKDIR /app
USER 10001:10001
# Asks the service itself on its own *_HTTP_PORT; compose and Kubernetes set their own checks.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["healthcheck", "/readyz"]
# Every compose service and Deployment names its own module; without one, the gateway runs.
CMD ["python", "-m", "services.gateway"]
