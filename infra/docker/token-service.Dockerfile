# syntax=docker/dockerfile:1
# The token service (apps/token-service). Build from the repository root:
#   docker build -f infra/docker/token-service.Dockerfile -t scenecast/token-service .
# tests/infra runs the same `pnpm deploy --prod` bundle from its own folder and asks it /healthz.

# Node as the one the tests run on (Node 20, >= 20.19).
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 compiles against Node's headers when no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /repo
# pnpm as pinned in package.json's packageManager.
RUN corepack enable
COPY . .
RUN pnpm install --frozen-lockfile --filter @scenecast/token-service...
# The service and the workspace package it depends on (@scenecast/contract), in dependency order.
RUN pnpm --filter @scenecast/token-service... build
# Production dependencies only, with the built dist/, in a folder of its own.
# --legacy: its one workspace dependency, @scenecast/contract, is copied into the bundle (its built dist/) as
# pnpm 9 did, without turning on pnpm 10's inject-workspace-packages for the whole workspace. tests/infra runs
# this very line.
RUN pnpm --filter @scenecast/token-service deploy --legacy --prod /out

FROM ${NODE_IMAGE}
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080
WORKDIR /app
COPY --from=build --chown=node:node /out ./
# The image's own user "node", by number so Kubernetes can check runAsNonRoot. SQLite (when DATABASE_URL
# is a file:) writes under /app/.scenecast; the deployments use PostgreSQL.
USER 1000:1000
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
