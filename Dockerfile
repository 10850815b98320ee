# syntax=docker/dockerfile:1
# Ollaix as one self-contained binary (`bun build --compile`) on a minimal glibc base.
#   docker build -t ollaix .
#   docker run --rm -p 8000:8000 ollaix
# Extra plugins: mount a folder and set PLUGINS_DIR, e.g. -v "$PWD/plugins-dir:/plugins:ro" -e PLUGINS_DIR=/plugins

# ---- build: the official Bun image, same version as package.json's packageManager/engines ----
FROM oven/bun:1.4.4 AS build
WORKDIR /src
# Dependencies first: this layer is reused until the manifest or the lockfile changes.
COPY package.json bun.lock bunfig.toml ./
RUN bun install --frozen-lockfile
COPY . .
RUN bun run build
# Smoke test: the binary runs here; nothing listens yet, so the health check must answer 1.
RUN ./dist/ollaix --healthcheck; test "$?" -eq 1

# ---- runtime: glibc + libgcc/libstdc++, no shell, no package manager ----
# `ldd dist/ollaix` needs only libc, libpthread, libdl, libm (glibc >= 2.17).
FROM gcr.io/distroless/cc-debian12:nonroot
WORKDIR /app
COPY --from=build /src/dist/ollaix /app/ollaix
# The binary stays root-owned (read-only to the app); it runs as distroless's "nonroot" user,
# given by number so runAsNonRoot checks can verify it.
USER 65532:65532
# Bun's fetch sends 256 requests at once unless told more, read at start: every stream and background
# response holds one upstream request.
# SHUTDOWN_GRACE_MS below `docker stop`'s 10 s: requests still running then end with their 503 and
# their log line before Docker's SIGKILL (compose.yaml gives 15 s).
ENV HOST=0.0.0.0 \
    PORT=8000 \
    SHUTDOWN_GRACE_MS=8000 \
    BUN_CONFIG_MAX_HTTP_REQUESTS=4096
EXPOSE 8000
# The check reads HOST and PORT from the environment: set them there (not as --host/--port) to move the listener.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/app/ollaix", "--healthcheck"]
ENTRYPOINT ["/app/ollaix"]
