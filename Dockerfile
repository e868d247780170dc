# runner-medic: the release binary (glibc; TLS by rustls, no OpenSSL) on distroless, for
# linux/amd64 and linux/arm64.
#
# One architecture, into the local image store (this machine's platform unless --platform says):
#
#   docker buildx build --load -t registry.gitlab.com/runner-medic/runner-medic:0.1.0 .
#   docker run --rm registry.gitlab.com/runner-medic/runner-medic:0.1.0 --version
#
# Both architectures, as one multi-arch tag (the local store cannot hold that: push it, or use
# --output type=oci,dest=runner-medic.tar):
#
#   docker buildx build --platform linux/amd64,linux/arm64 \
#     --build-arg REVISION=$(git rev-parse HEAD) \
#     --build-arg CREATED=$(date -u +%Y-%m-%dT%H:%M:%SZ) \
#     -t registry.gitlab.com/runner-medic/runner-medic:0.1.0 --push .
#
# Build arguments, all optional (the defaults build a working image):
#   VERSION   org.opencontainers.image.version; defaults to Cargo.toml's version (and
#             tests/ops/check_dockerfile.py fails when they differ). Pass it for a pre-release.
#   REVISION  org.opencontainers.image.revision, the git commit; "unknown" when not passed.
#   CREATED   org.opencontainers.image.created, RFC 3339; 1970-01-01T00:00:00Z (not given) when
#             not passed.
#
# The binary carries its dependency list (cargo auditable: a `.dep-v0` section, the crates and
# versions of Cargo.lock that went into it). Scanners read it from the image, `trivy image IMAGE`
# and `syft IMAGE`; `cargo audit bin FILE` reads it from a copy of the binary:
#   c=$(docker create registry.gitlab.com/runner-medic/runner-medic:0.1.0) \
#     && docker cp "$c":/usr/local/bin/runner-medic . && docker rm "$c" \
#     && cargo audit bin runner-medic
#
# The base images are tags; pin them by digest (`image:tag@sha256:...`) for reproducible builds.
# tests/ops/check_dockerfile.py checks this file's structure (no image is built in CI).

# The build stage runs on the builder's own platform and cross-compiles: no QEMU, and an arm64
# image builds on an amd64 machine at native speed.
FROM --platform=$BUILDPLATFORM rust:1.89-bookworm AS build

# Pinned, so that a new release cannot change the image without a change here. Before the
# sources and before ARG TARGETARCH, so that it is built once and shared by both platforms.
RUN cargo install cargo-auditable --locked --version 0.7.7

# The target's Rust standard library and, when it is not the builder's, Debian's cross C
# toolchain: ring (rustls) and psm (pest, via kube's jsonpath) compile C and assembly for the
# target. The triple is kept in a file for the RUN steps below.
ARG BUILDARCH
ARG TARGETARCH
# Debian's current cross packages (a pinned version vanishes with the next point release);
# $cross is split into package names on purpose.
# hadolint ignore=DL3008,SC2086
RUN case "$TARGETARCH" in \
      amd64) triple=x86_64-unknown-linux-gnu \
             cross="gcc-x86-64-linux-gnu libc6-dev-amd64-cross" ;; \
      arm64) triple=aarch64-unknown-linux-gnu \
             cross="gcc-aarch64-linux-gnu libc6-dev-arm64-cross" ;; \
      *) echo "TARGETARCH '$TARGETARCH': only linux/amd64 and linux/arm64 are built" >&2 \
         && exit 1 ;; \
    esac \
 && if [ "$TARGETARCH" != "$BUILDARCH" ]; then \
      apt-get update \
      && apt-get install -y --no-install-recommends $cross \
      && rm -rf /var/lib/apt/lists/*; \
    fi \
 && rustup target add "$triple" \
 && echo "$triple" > /target-triple
# Debian's native gcc has the same triplet-prefixed names, so these hold for a native build too.
ENV CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER=x86_64-linux-gnu-gcc \
    CC_x86_64_unknown_linux_gnu=x86_64-linux-gnu-gcc \
    AR_x86_64_unknown_linux_gnu=x86_64-linux-gnu-ar \
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
    CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc \
    AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar

WORKDIR /src

# 1. Dependencies only, cached as a layer until Cargo.toml or Cargo.lock change: build the real
#    manifest against placeholder sources (every [[bench]] target must exist for the manifest to
#    load, so their names are read from Cargo.toml; `cargo build` does not compile them), then
#    forget the placeholder crate. Auditable here too, so the second build reuses every crate.
COPY Cargo.toml Cargo.lock ./
# hadolint ignore=SC2013
RUN triple="$(cat /target-triple)" \
 && mkdir -p src benches \
 && echo 'fn main() {}' > src/main.rs \
 && echo '//! placeholder' > src/lib.rs \
 && for b in $(sed -n '/^\[\[bench\]\]/,/^name/s/^name = "\(.*\)"/\1/p' Cargo.toml); do \
      echo 'fn main() {}' > "benches/$b.rs"; \
    done \
 && cargo auditable build --release --locked --target "$triple" \
 && rm -rf src benches "target/$triple/release/runner-medic" \
      "target/$triple/release/runner-medic.d" "target/$triple/release/librunner_medic".* \
      "target/$triple/release/deps/runner_medic-"* "target/$triple/release/deps/librunner_medic-"* \
      "target/$triple/release/.fingerprint/runner-medic-"*

# 2. The crate itself (.dockerignore keeps everything else out of the context), copied out to a
#    path that does not depend on the target.
COPY src ./src
COPY benches ./benches
RUN triple="$(cat /target-triple)" \
 && cargo auditable build --release --locked --target "$triple" \
 && install -D -m 0755 "target/$triple/release/runner-medic" /out/runner-medic

# Runtime: glibc, CA certificates, no shell, no package manager; user nonroot (65532). Multi-arch:
# buildx picks the target's variant. No RUN here, so no emulation is needed for either platform.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/runner-medic /usr/local/bin/runner-medic
USER 65532:65532
# /metrics, /livez, /readyz, /, and the Alertmanager webhook.
EXPOSE 9742
ENTRYPOINT ["/usr/local/bin/runner-medic"]
CMD ["watch"]

# Declared here, not in the build stage, so that a new revision or date changes the labels only
# and does not rebuild the binary.
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=1970-01-01T00:00:00Z
LABEL org.opencontainers.image.title="runner-medic" \
      org.opencontainers.image.description="Watches GitLab Runner pods in Kubernetes, explains what is wrong with them, exports it to Prometheus and can fix stale runner tokens" \
      org.opencontainers.image.source="https://github.com/runner-medic/runner-medic" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="MIT OR Apache-2.0"
