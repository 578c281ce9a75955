# go-profiler: one image for the service (the default command) and for the node Job collector
# (`node dist/collect.js ...`, see src/acquire/job/job-spec.ts).
#
# Node.js 22 (LTS) throughout: the major version the tests run on (package.json pins node@22 as a dev dependency).
# test/runtime-image.test.ts rebuilds the runtime stage from this file without a container engine and runs it.

# Build: every dependency (TypeScript, esbuild for the viewer), then compile into dist/.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# Production dependencies only, from the same lock file: nothing the build needed reaches the runtime.
FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# Runtime: distroless Node.js 22 on the same Debian release; no shell, no package manager, no npm.
FROM gcr.io/distroless/nodejs22-debian12:nonroot
WORKDIR /app
# /nodejs/bin on PATH so that the collector Job's `node dist/collect.js` finds node.
# DATA_ROOT under /tmp: the one place the non-root user may write (manifests mount an emptyDir there).
ENV NODE_ENV=production \
    PATH=/nodejs/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    DATA_ROOT=/tmp/go-profiler
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The image's user "nonroot", by number, so that Kubernetes' runAsNonRoot can verify it.
USER 65532:65532
EXPOSE 8090
# The entry point is node itself (/nodejs/bin/node): SIGTERM reaches the service, no npm or shell in between.
CMD ["dist/main.js"]
