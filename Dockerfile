# The operator image. Build: docker build -t ghcr.io/palisade-dev/palisade:0.1.0 .
# This machine has no container engine: hack/image/rootfs.ts carries out these instructions
# without one (this file is its only list of what goes in), and test/e2e/image/image.test.ts runs
# the operator from the result as the Deployment does (README, "The image"). Keep to the
# instructions it reads (FROM node:24-bookworm-slim, WORKDIR, COPY [--from], RUN in build
# stages, ARG, ENV NAME=VALUE, numeric USER, exec-form ENTRYPOINT/CMD): it refuses any other.

# Build: compile src/ to dist/ with the project's own toolchain.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# The `node` dev dependency would fetch a second Node 24; the image has one already.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src/ src/
COPY hack/build-info.ts hack/
COPY hack/control-plane/versions.env hack/control-plane/
# The commit `palisade version` reports: docker build --build-arg PALISADE_COMMIT=$(git rev-parse HEAD)
ARG PALISADE_COMMIT=unknown
RUN npx tsc -p tsconfig.build.json && PALISADE_COMMIT=$PALISADE_COMMIT node hack/build-info.ts

# Production dependencies only.
FROM node:24-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=dependencies /app/node_modules node_modules/
COPY --from=build /src/dist dist/
COPY package.json ./
# Non-root, numeric so that runAsNonRoot can verify it.
USER 65532:65532
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["operator"]
