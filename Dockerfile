# runner-medic: the release binary (glibc; TLS by rustls, no OpenSSL) on distroless.
#
#   docker build -t registry.gitlab.com/runner-medic/runner-medic:0.1.0 .
#   docker run --rm registry.gitlab.com/runner-medic/runner-medic:0.1.0 --version
#
# The base images are tags; pin them by digest (`image:tag@sha256:...`) for reproducible builds.

FROM rust:1.89-bookworm AS build
WORKDIR /src

# 1. Dependencies only, cached as a layer until Cargo.toml or Cargo.lock change: build the real
#    manifest against placeholder sources (the [[bench]] targets must exist for the manifest to
#    load; `cargo build` does not compile them), then forget the placeholder crate.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches \
 && echo 'fn main() {}' > src/main.rs \
 && echo '//! placeholder' > src/lib.rs \
 && for b in classify metrics_encode daemon_load; do echo 'fn main() {}' > "benches/$b.rs"; done \
 && cargo build --release --locked \
 && rm -rf src benches target/release/runner-medic* target/release/librunner_medic.* \
      target/release/deps/runner_medic-* target/release/deps/librunner_medic-* \
      target/release/.fingerprint/runner-medic-*

# 2. The crate itself (.dockerignore keeps everything else out of the context).
COPY src ./src
COPY benches ./benches
RUN cargo build --release --locked \
 && install -D -m 0755 target/release/runner-medic /out/runner-medic

# Runtime: glibc, CA certificates, no shell, no package manager; user nonroot (65532).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/runner-medic /usr/local/bin/runner-medic
USER 65532:65532
# /metrics, /livez, /readyz, /, and the Alertmanager webhook.
EXPOSE 9742
ENTRYPOINT ["/usr/local/bin/runner-medic"]
CMD ["watch"]
