# syntax=docker/dockerfile:1
# The chat moderator (apps/moderator). Build from the repository root:
#   docker build -f infra/docker/moderator.Dockerfile -t scenecast/moderator .
# tests/infra runs the same `pnpm deploy --prod` bundle from its own folder and asks it /healthz.

ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /repo
RUN corepack enable
COPY . .
RUN pnpm install --frozen-lockfile --filter @scenecast/moderator...
RUN pnpm --filter @scenecast/moderator build
# Production dependencies only (@livekit/rtc-node brings its prebuilt linux binary), with the built dist/.
# --legacy: no workspace packages among its production dependencies. tests/infra runs this very line.
RUN pnpm --filter @scenecast/moderator deploy --legacy --prod /out

FROM ${NODE_IMAGE}
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8090
WORKDIR /app
COPY --from=build --chown=node:node /out ./
USER 1000:1000
EXPOSE 8090
# Healthy while the engine answers which shows there are.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8090/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/main.js"]
