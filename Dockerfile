# chatload in a container. Build: docker build -t chatload .
# Run:   docker run --rm chatload run /app/scenarios/smoke.yaml
# `chatload k8s --image …` runs this image in each pod of a sharded run.

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 (the bundled server's storage) is a native module: when no prebuilt
# binary fits, node-gyp compiles it, which needs Python, make and a C++ compiler.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: npm ci would run the project's prepare script (the build) before the
# sources are here. The one dependency that needs its install script gets it next.
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY scenarios ./scenarios
# TypeScript is a dev dependency: compile first, then drop the dev dependencies.
RUN npm run build && npm prune --omit=dev

FROM ${NODE_IMAGE}
WORKDIR /app
# package.json makes the compiled files ES modules and gives `chatload --version`.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/bin ./bin
COPY --from=build /app/scenarios ./scenarios
# The image's node user, by number: Kubernetes can only check a numeric user is not root.
# /work is where results/ goes by default, so it must be that user's.
RUN mkdir /work && chown 1000:1000 /work
USER 1000:1000
WORKDIR /work
ENTRYPOINT ["node", "/app/bin/chatload"]
