# One image for every Python deployable of Mina vårdkontakter (and the development mail
# sink); the command picks the service:
#   podman run ... mina-vardkontakter python -m services.messaging.patient
# docker-compose.yml and deploy/k8s set the command per service. Settings come from the
# service's prefixed environment variables (IDENTITY_..., GATEWAY_..., see each settings.py).
#
# Why one image: the services share one dependency set (pyproject.toml) and one library
# (shared/), so one build and one layer cache serve all eight; and the whole source tree is
# installed, so moving a module inside services/ never breaks an image.
#
# Base: Debian's own bookworm-slim and Debian's Python 3.11, nothing from another registry.
FROM debian:bookworm-slim AS base
ENV DEBIAN_FRONTEND=noninteractive \
    LANG=C.UTF-8
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 ca-certificates \
    && rm -rf /var/lib/apt/lists/*

# --- requirements: the runtime dependency list, nothing else ---------------------------------
FROM base AS requirements
COPY pyproject.toml /tmp/pyproject.toml
RUN python3 -c "import tomllib; \
deps = tomllib.load(open('/tmp/pyproject.toml', 'rb'))['project']['dependencies']; \
print('\n'.join(deps))" > /requirements.txt

# --- build: a virtualenv with the runtime dependencies and the project, no test extras ------
FROM base AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3-venv \
    && rm -rf /var/lib/apt/lists/*
# Extra CA certificates the build machine trusts (e.g. a TLS-inspecting egress proxy in front
# of PyPI), staged by scripts/compose-images from /usr/local/share/ca-certificates; usually
# none. Build stage only: the runtime image trusts Debian's CA list and nothing else.
COPY deploy/images/build-ca/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# Dependencies first, as a list read from pyproject.toml by its own stage, so the slow install
# below is redone only when the runtime dependencies change (not on every source edit, nor
# when test extras or tool settings in pyproject.toml change).
COPY --from=requirements /requirements.txt /tmp/requirements.txt
RUN pip install -r /tmp/requirements.txt
COPY pyproject.toml ./
COPY shared ./shared
COPY services ./services
# devstack/mailsink.py is the development SMTP sink that docker-compose.yml runs; the rest of
# devstack (local processes) is never started in a container.
COPY devstack ./devstack
# The web UI's design system and htmx from npm (package-lock.json pins them), with Debian's
# npm; the gateway and identity serve them themselves (GATEWAY_/IDENTITY_ASSETS_DIR), never
# from a CDN.
COPY package.json package-lock.json ./
RUN apt-get update && apt-get install -y --no-install-recommends npm \
    && rm -rf /var/lib/apt/lists/* \
    && npm ci --omit=dev --no-audit --no-fund \
    && mkdir -p /opt/ui-assets/govuk-frontend /opt/ui-assets/htmx.org \
    && cp -r node_modules/govuk-frontend/dist /opt/ui-assets/govuk-frontend/ \
    && cp -r node_modules/htmx.org/dist /opt/ui-assets/htmx.org/ \
    && rm -rf node_modules
# Not editable: the code lands in site-packages (bytecode compiled now, as the root filesystem
# is read-only at run time) and /src is not copied to the runtime stage.
RUN pip install . && pip check

# --- runtime: Debian's Python, the virtualenv, a non-root user, nothing else ----------------
FROM base AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# A fixed numeric uid/gid so Kubernetes can verify runAsNonRoot and volumes can be chowned;
# /data, owned by it, is where routing keeps its faust state (ROUTING_DATA_DIR) and the mail
# sink its mail.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin app \
    && mkdir /data && chown app:app /data
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/ui-assets /opt/ui-assets
ENV GATEWAY_ASSETS_DIR=/opt/ui-assets IDENTITY_ASSETS_DIR=/opt/ui-assets
COPY --chmod=0755 deploy/docker/healthcheck.py /usr/local/bin/healthcheck
COPY --chmod=0755 deploy/docker/wait-for.py /usr/local/bin/wait-for
# An empty working directory: `python -m services...` must import the installed package,
# never a stray source tree in the current directory.
WORKDIR /app
USER 10001:10001
# Asks the service itself on its own *_HTTP_PORT; compose and Kubernetes set their own checks.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["healthcheck", "/readyz"]
# Every compose service and Deployment names its own module; without one, the gateway runs.
CMD ["python", "-m", "services.gateway"]
