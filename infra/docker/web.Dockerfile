# syntax=docker/dockerfile:1
# A static web app of the workspace (APP=viewer today; APP=console once apps/console exists), served by
# Caddy on 8080 with the client-side routes falling back to index.html. Build from the repository root:
#   docker build -f infra/docker/web.Dockerfile --build-arg APP=viewer -t scenecast/viewer .

ARG NODE_IMAGE=node:20.20.2-bookworm-slim
ARG CADDY_IMAGE=caddy:2.11.9-alpine

FROM ${NODE_IMAGE} AS build
ARG APP=viewer
# The LiveKit URL the app connects to (wss://…): its Content-Security-Policy names it, so it is set when the
# image is built (compose passes wss://$LIVEKIT_DOMAIN). Without it the build stops.
ARG LIVEKIT_URL
WORKDIR /repo
RUN corepack enable
COPY . .
RUN pnpm install --frozen-lockfile --filter "@scenecast/${APP}..."
# The app and the workspace packages it imports (@scenecast/contract), in dependency order.
RUN pnpm --filter "@scenecast/${APP}..." build
# Only the built files go on: `pnpm deploy --prod` would bring the app's runtime dependencies, and a static
# app has none at run time (they are bundled into dist/).
RUN cp -r "apps/${APP}/dist" /out
# The policy from its one source (apps/viewer/csp.mjs), for this LiveKit URL.
RUN node apps/viewer/csp.mjs "$LIVEKIT_URL" > /csp.txt

FROM ${CADDY_IMAGE}
COPY infra/docker/web.Caddyfile /etc/caddy/Caddyfile
COPY --from=build /csp.txt /etc/caddy/csp.txt
COPY --from=build /out /srv/app
# Caddy's unprivileged user; 8080 needs no capability.
RUN addgroup -S -g 10001 web && adduser -S -u 10001 -G web web
# Caddy keeps no state here (no TLS, no admin API); give it writable homes anyway.
ENV XDG_CONFIG_HOME=/tmp/caddy XDG_DATA_HOME=/tmp/caddy
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/healthz"]
CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
