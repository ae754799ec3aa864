# syntax=docker/dockerfile:1
# The function's container image: a static binary on distroless, non-root.
# Build: docker build -t ghcr.io/inject-otel-python/inject-otel-python:v0.1.0 .
ARG RUST_VERSION=1.95.0

FROM docker.io/library/rust:${RUST_VERSION}-alpine3.22 AS build
# Alpine's Rust targets x86_64/aarch64-unknown-linux-musl: the binary is static.
RUN apk add --no-cache musl-dev=~1.2
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY benches ./benches
COPY tests ./tests
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --locked --release --bin inject-otel-python \
    && install -D -m 0755 target/release/inject-otel-python /out/inject-otel-python

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="inject-otel-python" \
      org.opencontainers.image.description="KRM function: OpenTelemetry Python auto-instrumentation injected into workload manifests at build time" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/inject-otel-python/inject-otel-python"
COPY --from=build /out/inject-otel-python /usr/local/bin/inject-otel-python
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/inject-otel-python"]
