# syntax=docker/dockerfile:1
#
# One image for every process; the container's arguments pick which one runs (k8s/base):
#   api      docker run IMAGE                                   (the default CMD)
#   matcher  docker run IMAGE src/processes/matcher-process.ts
#   migrate  docker run IMAGE scripts/migrate.ts                (what `npm run migrate` runs)
#   audit    docker run IMAGE scripts/audit.ts [--quiescent]
#
# The processes run from their TypeScript sources through tsx, exactly as `npm start` runs them:
# `npm run build` emits JavaScript but not the .lua and .sql files that src/ reads next to its
# modules, so a compiled tree would need those copied in a layout kept in sync by hand. tsx is
# therefore a production dependency in package.json (not a devDependency), and `npm ci --omit=dev`
# below installs it with the rest of what the processes need, from the lockfile.
#
# Tested statically by test/integration/k8s/dockerfile.test.ts.

# The Node major the project supports (package.json "engines"); pin a digest in CI for repeatable builds.
ARG NODE_VERSION=20

# Stage 1: production dependencies only, installed exactly as the lockfile says.
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund

# Stage 2: the runtime. No npm cache, no devDependencies, no tests; sources owned by root and
# read-only to the user that runs them.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY config ./config
COPY src ./src
COPY workers ./workers
COPY scripts/migrate.ts scripts/audit.ts ./scripts/

# The image's `node` user, by number, so that Kubernetes' runAsNonRoot can check it without a
# passwd lookup. tsx keeps its transform cache under /tmp: the pods mount an emptyDir there, which
# lets the root filesystem stay read-only.
USER 1000:1000
EXPOSE 8080 9464

# Exec form: node is PID 1 and receives SIGTERM itself (no shell in between), and the processes'
# SIGTERM handlers run the graceful stop (the API drains, the matcher flushes and releases leases).
ENTRYPOINT ["node", "--import", "tsx"]
CMD ["src/processes/api-process.ts"]
