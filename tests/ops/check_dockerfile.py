#!/usr/bin/env python3
"""Check the Dockerfile's structure without building the image.

    python3 tests/ops/check_dockerfile.py [--dockerfile PATH] [--dockerignore PATH]
                                          [--context DIR] [--cargo-toml PATH]
    python3 tests/ops/check_dockerfile.py --self-test [-v]

No machine of ours has a Docker daemon, so the image is never built here or in CI. Instead this
script parses the Dockerfile the way BuildKit does (continuation lines joined, comments inside
them dropped, one instruction per logical line) and checks:

- every instruction is a Dockerfile instruction, and the first one (after global ARGs) is FROM;
- every FROM names `[registry/]name[:tag][@sha256:<64 hex>]` with an explicit tag or digest
  (not `latest`), or an earlier stage, with an optional `--platform=...` and `AS name`;
- every `$VAR` / `${VAR}` is declared where it is used, with Docker's scoping: FROM lines see the
  global ARGs (before the first FROM) and the predefined platform ARGs (BUILDPLATFORM,
  TARGETPLATFORM, TARGETOS, TARGETARCH, TARGETVARIANT, BUILDOS, BUILDARCH, BUILDVARIANT); inside
  a stage only what the stage declared before the use (ARG, ENV, ENV of a parent stage, a few
  variables the base image sets), so a global or predefined ARG must be redeclared with `ARG`;
  in RUN also shell variables the same RUN assigns (`name=`, `for name in`);
- `COPY --from=` names an earlier stage; the final stage copies from a fixed path (no variables);
- the final stage runs as USER 65532, has ENTRYPOINT (and CMD, if any) in exec (JSON) form, and
  sets the OCI labels source (https URL), version (from ARG VERSION), revision (from ARG
  REVISION), licenses (equal to Cargo.toml's `license`), and created (from ARG CREATED) if set;
  the ARGs the labels use have defaults, and VERSION's default is Cargo.toml's package version;
- the last `cargo build` is `cargo auditable build --release --locked`, a stage that runs on
  $BUILDPLATFORM passes `--target` to every cargo build (or it would ship the builder's
  architecture), and `cargo install cargo-auditable` pins `--version X.Y.Z` and `--locked`;
- the dependency-caching step creates a placeholder `benches/NAME.rs` for every [[bench]] of
  Cargo.toml (without them the manifest does not load);
- every path COPY takes from the build context exists and is let in by .dockerignore (simulated
  like Docker: last matching pattern wins, `!` re-includes, a pattern matching a directory
  matches everything under it, `*` does not cross `/`, `**` does);
- if `hadolint` is on PATH, its warnings and errors (skipped silently when it is not).

Prints one `check_dockerfile: OK: ...` line, or every problem as `FILE:LINE: message` and exits 1.
--self-test writes broken copies of the Dockerfile (and .dockerignore) to a temporary directory
and fails unless the real files pass and each broken copy is rejected with a message naming the
right line, so this check cannot silently stop checking.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROG = "check_dockerfile"

INSTRUCTIONS = {
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
    "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
}
# BuildKit sets these; a stage sees them only after `ARG NAME` in that stage.
PLATFORM_ARGS = {
    "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT",
    "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT",
}
# Docker's own predefined proxy ARGs, usable in a stage without a declaration.
PROXY_ARGS = {
    "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
    "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
}
# What every container's environment has, and what the base images we use set (image name
# without registry or tag). Anything else a stage uses must be declared in the Dockerfile.
BASE_ENV = {"PATH", "HOME", "HOSTNAME"}
IMAGE_ENV = {"rust": {"CARGO_HOME", "RUSTUP_HOME", "RUST_VERSION"}}
# Instructions whose arguments Docker itself expands ($VAR) or the shell does (RUN).
EXPANDED = {"ADD", "ARG", "COPY", "ENV", "EXPOSE", "LABEL", "RUN", "STOPSIGNAL", "USER",
            "VOLUME", "WORKDIR"}
OCI = "org.opencontainers.image."
NON_ROOT_UID = "65532"

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
IMAGE_RE = re.compile(
    rf"^(?:(?P<registry>(?:[a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+(?::[0-9]+)?)/)?"
    rf"(?P<name>{_COMPONENT}(?:/{_COMPONENT})*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?"
    r"(?:@(?P<digest>[a-z0-9]+:[0-9a-fA-F]+))?$"
)
VAR_NAME = r"[A-Za-z_][A-Za-z0-9_]*"


@dataclass
class Instr:
    line: int
    cmd: str  # upper case
    args: str  # everything after the keyword, continuation lines joined
    flags: dict[str, str] = field(default_factory=dict)
    rest: str = ""  # args without the leading --flags


@dataclass
class Stage:
    index: int
    name: str | None
    base: str
    platform: str | None
    line: int
    instrs: list[Instr] = field(default_factory=list)
    env: set[str] = field(default_factory=set)  # ENV names, for child stages


class Checker:
    def __init__(self, dockerfile: Path, dockerignore: Path | None, context: Path,
                 cargo_toml: Path, run_hadolint: bool = True) -> None:
        self.dockerfile = dockerfile
        self.dockerignore = dockerignore
        self.context = context
        self.cargo_toml = cargo_toml
        self.run_hadolint = run_hadolint
        self.label = display(dockerfile)
        self.problems: list[str] = []
        self.notes: list[str] = []

    # --- reporting ---------------------------------------------------------------------------

    def fail(self, line: int | None, msg: str) -> None:
        where = f"{self.label}:{line}" if line else self.label
        self.problems.append(f"{where}: {msg}")

    # --- parsing -----------------------------------------------------------------------------

    def parse(self, text: str) -> list[Instr]:
        """Logical instructions, as BuildKit reads them (default escape character `\\`)."""
        instrs: list[Instr] = []
        buf: str | None = None
        start = 0
        for no, raw in enumerate(text.splitlines(), 1):
            stripped = raw.strip()
            if buf is None:
                if not stripped or stripped.startswith("#"):
                    continue
                buf, start = "", no
            elif not stripped or stripped.startswith("#"):
                continue  # comments and blank lines inside a continuation are dropped
            m = re.search(r"\\[ \t]*$", raw)
            if m:
                buf += raw[: m.start()]
                continue
            buf += raw
            instrs.append(self._instr(start, buf))
            buf = None
        if buf is not None:
            self.fail(start, "the file ends inside a continuation line (trailing `\\`)")
            instrs.append(self._instr(start, buf))
        return instrs

    def _instr(self, line: int, text: str) -> Instr:
        parts = text.strip().split(None, 1)
        cmd = parts[0].upper()
        args = parts[1] if len(parts) > 1 else ""
        ins = Instr(line, cmd, args)
        rest = args
        if cmd in {"FROM", "COPY", "ADD", "RUN"}:
            while True:
                m = re.match(r"--([a-z-]+)(?:=(\S*))?\s*", rest)
                if not m:
                    break
                ins.flags[m.group(1)] = m.group(2) or ""
                rest = rest[m.end():]
        ins.rest = rest.strip()
        if re.search(r"<<-?\s*['\"]?[A-Za-z_]", ins.rest) and cmd in {"RUN", "COPY", "ADD"}:
            self.fail(line, f"{cmd} with a heredoc: this checker does not parse heredocs")
        return ins

    # --- the checks --------------------------------------------------------------------------

    def check(self) -> str | None:
        try:
            text = self.dockerfile.read_text()
        except OSError as e:
            self.fail(None, f"cannot read: {e}")
            return None
        try:
            cargo = tomllib.loads(self.cargo_toml.read_text())
        except (OSError, tomllib.TOMLDecodeError) as e:
            self.fail(None, f"cannot read {self.cargo_toml}: {e}")
            return None
        package = cargo.get("package", {})
        instrs = self.parse(text)

        for ins in instrs:
            if ins.cmd not in INSTRUCTIONS:
                self.fail(ins.line, f"unknown instruction {ins.cmd!r}")

        global_args: dict[str, str | None] = {}
        stages: list[Stage] = []
        for ins in instrs:
            if ins.cmd == "FROM":
                stage = self.check_from(ins, global_args, stages)
                if stage:
                    stages.append(stage)
            elif not stages:
                if ins.cmd == "ARG":
                    for name, default in parse_arg(ins.rest):
                        if default is not None:
                            self.check_vars(ins, default, set(global_args), "global ARG")
                        global_args[name] = default
                elif ins.cmd in INSTRUCTIONS:
                    self.fail(ins.line, f"{ins.cmd} before the first FROM (only ARG may be)")
            else:
                stages[-1].instrs.append(ins)
        if not stages:
            self.fail(None, "no FROM instruction")
            return None

        for stage in stages:
            self.check_stage_vars(stage, stages, global_args)
            self.check_copies(stage, stages)
        final = stages[-1]
        labels = self.check_final(final, global_args, package)
        auditable = self.check_cargo(stages)
        self.check_placeholders(stages, cargo)
        copied = self.check_context_copies(stages)
        hadolint = self.hadolint() if self.run_hadolint else "hadolint not run"

        if self.problems:
            return None
        names = ", ".join(
            (s.name or f"#{s.index}") + (f" on {s.platform}" if s.platform else "")
            for s in stages)
        return (f"{self.label}: {len(instrs)} instructions; stages {names}; final {final.base} "
                f"as USER {NON_ROOT_UID}, exec ENTRYPOINT; labels {labels}; {auditable}; "
                f".dockerignore lets in {copied}; {hadolint}")

    def check_from(self, ins: Instr, global_args: dict[str, str | None],
                   stages: list[Stage]) -> Stage | None:
        visible = set(global_args) | PLATFORM_ARGS
        self.check_vars(ins, ins.args, visible, "FROM")
        for flag in ins.flags:
            if flag != "platform":
                self.fail(ins.line, f"FROM flag --{flag} is not one FROM takes")
        platform = ins.flags.get("platform")
        if "platform" in ins.flags and not re.fullmatch(
                r"\$\{?(BUILDPLATFORM|TARGETPLATFORM)\}?|[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?",
                platform or ""):
            self.fail(ins.line, f"FROM --platform={platform}: expected $BUILDPLATFORM, "
                                "$TARGETPLATFORM or os/arch")
        words = ins.rest.split()
        name = None
        if len(words) == 3 and words[1].lower() == "as":
            name = words[2]
            if not re.fullmatch(r"[a-zA-Z][a-zA-Z0-9_.-]*", name):
                self.fail(ins.line, f"stage name {name!r} is not a valid stage name")
            if any(s.name and s.name.lower() == name.lower() for s in stages):
                self.fail(ins.line, f"stage name {name!r} is used twice")
        elif len(words) != 1:
            self.fail(ins.line, "FROM takes `[--platform=...] image[:tag][@digest] [AS name]`")
            return None
        ref = words[0]
        if ref.lower() in {(s.name or "").lower() for s in stages} or ref == "scratch":
            return Stage(len(stages), name, ref, platform, ins.line)

        def subst(m: re.Match[str]) -> str:
            var = m.group(1) or m.group(2)
            value = global_args.get(var)
            return value if value is not None else m.group(0)

        resolved = re.sub(rf"\$(?:\{{({VAR_NAME})(?::?[-+][^}}]*)?\}}|({VAR_NAME}))", subst, ref)
        if "$" in resolved:
            self.fail(ins.line, f"FROM {ref}: uses a variable with no default, so the image "
                                "cannot be checked for a tag")
            return Stage(len(stages), name, ref, platform, ins.line)
        m = IMAGE_RE.match(resolved)
        if not m:
            self.fail(ins.line, f"FROM {resolved}: not an image reference "
                                "[registry/]name[:tag][@sha256:<64 hex>]")
        else:
            digest = m.group("digest")
            if digest and not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
                self.fail(ins.line, f"FROM {resolved}: digest must be sha256:<64 lowercase hex>")
            if not m.group("tag") and not digest:
                self.fail(ins.line, f"FROM {resolved}: no tag (or digest); name one explicitly")
            elif m.group("tag") == "latest" and not digest:
                self.fail(ins.line, f"FROM {resolved}: `latest` is not a version; name a tag")
        return Stage(len(stages), name, resolved, platform, ins.line)

    def check_stage_vars(self, stage: Stage, stages: list[Stage],
                         global_args: dict[str, str | None]) -> None:
        declared: set[str] = set(BASE_ENV) | PROXY_ARGS
        parent = next((s for s in stages[: stage.index]
                       if s.name and s.name.lower() == stage.base.lower()), None)
        if parent:
            declared |= parent.env
        else:
            image = IMAGE_RE.match(stage.base)
            if image:
                declared |= IMAGE_ENV.get(image.group("name").split("/")[-1], set())
        hint = {n: "global ARGs are visible to FROM lines only: redeclare it with "
                   f"`ARG {n}` in the stage" for n in global_args}
        hint.update({n: f"a predefined platform ARG is visible in a stage only after `ARG {n}` "
                        "there" for n in PLATFORM_ARGS})
        where = stage_label(stage)
        for ins in stage.instrs:
            if ins.cmd == "ARG":
                for name, default in parse_arg(ins.rest):
                    if default is not None:
                        self.check_vars(ins, default, declared, where, hint)
                    declared.add(name)
            elif ins.cmd == "ENV":
                pairs = parse_pairs(ins, ins.rest)
                for _, value in pairs:
                    self.check_vars(ins, value, declared, where, hint)
                for key, _ in pairs:
                    declared.add(key)
                    stage.env.add(key)
            elif ins.cmd == "RUN":
                local = shell_assigned(ins.rest)
                self.check_vars(ins, ins.rest, declared | local, where, hint)
            elif ins.cmd in EXPANDED:
                self.check_vars(ins, ins.rest, declared, where, hint)

    def check_vars(self, ins: Instr, text: str, declared: set[str], where: str,
                   hint: dict[str, str] | None = None) -> None:
        for name in sorted(used_vars(text)):
            if name not in declared:
                why = (hint or {}).get(name, "declare it with ARG or ENV")
                self.fail(ins.line, f"{ins.cmd} uses ${name}, which is not declared in {where} "
                                    f"at this point ({why})")

    def check_copies(self, stage: Stage, stages: list[Stage]) -> None:
        earlier = stages[: stage.index]
        for ins in stage.instrs:
            if ins.cmd not in {"COPY", "ADD"} or "from" not in ins.flags:
                continue
            src = ins.flags["from"]
            ok = any(s.name and s.name.lower() == src.lower() for s in earlier) or (
                src.isdigit() and int(src) < stage.index)
            if not ok:
                self.fail(ins.line, f"{ins.cmd} --from={src}: no earlier stage has that name")
            if stage is stages[-1] and any("$" in s for s in copy_sources(ins)):
                self.fail(ins.line, f"{ins.cmd} --from={src}: the final stage must copy from a "
                                    "fixed path, not one that depends on a variable")

    def check_final(self, final: Stage, global_args: dict[str, str | None],
                    package: dict) -> str:
        users = [i for i in final.instrs if i.cmd == "USER"]
        if not users:
            self.fail(final.line, f"the final stage has no USER: it would run as root; add "
                                  f"`USER {NON_ROOT_UID}:{NON_ROOT_UID}`")
        elif users[-1].rest.split(":")[0] != NON_ROOT_UID:
            self.fail(users[-1].line, f"the final stage runs as USER {users[-1].rest}, not "
                                      f"{NON_ROOT_UID} (non-root)")
        for cmd, required in (("ENTRYPOINT", True), ("CMD", False)):
            found = [i for i in final.instrs if i.cmd == cmd]
            if not found:
                if required:
                    self.fail(final.line, f"the final stage has no {cmd}")
                continue
            try:
                value = json.loads(found[-1].rest)
                ok = isinstance(value, list) and value and all(isinstance(v, str) for v in value)
            except json.JSONDecodeError:
                ok = False
            if not ok:
                self.fail(found[-1].line, f"{cmd} is not in exec form (a JSON array of strings): "
                                          "the image has no shell")

        # ARG defaults in the final stage (a bare redeclaration takes the global default).
        defaults: dict[str, tuple[str | None, Instr]] = {}
        for ins in final.instrs:
            if ins.cmd == "ARG":
                for name, default in parse_arg(ins.rest):
                    if default is None:
                        default = global_args.get(name)
                    defaults[name] = (default, ins)
        labels: dict[str, tuple[str, Instr]] = {}
        for ins in final.instrs:
            if ins.cmd == "LABEL":
                for key, value in parse_pairs(ins, ins.rest):
                    labels[key] = (value, ins)

        for key, arg in (("source", None), ("version", "VERSION"), ("revision", "REVISION"),
                         ("licenses", None), ("created", "CREATED")):
            if (OCI + key) not in labels:
                if key != "created":
                    self.fail(final.line, f"the final stage does not set the label {OCI}{key}")
                continue
            value, ins = labels[OCI + key]
            if arg:
                if value not in {f"${arg}", f"${{{arg}}}"}:
                    self.fail(ins.line, f"label {OCI}{key} is {value!r}: it should be ${{{arg}}} "
                                        f"(from `ARG {arg}`)")
                elif arg in defaults and not defaults[arg][0]:
                    self.fail(defaults[arg][1].line, f"ARG {arg} has no default: give it a safe "
                                                     "one, the build must work without --build-arg")
        if OCI + "source" in labels:
            value, ins = labels[OCI + "source"]
            if not re.fullmatch(r"https://\S+", value):
                self.fail(ins.line, f"label {OCI}source is {value!r}: expected an https URL")
        if OCI + "licenses" in labels:
            value, ins = labels[OCI + "licenses"]
            if value != package.get("license"):
                self.fail(ins.line, f"label {OCI}licenses is {value!r} but Cargo.toml's license "
                                    f"is {package.get('license')!r}")
        version = package.get("version")
        if "VERSION" in defaults:
            default, ins = defaults["VERSION"]
            if default != version:
                self.fail(ins.line, f"ARG VERSION defaults to {default!r} but Cargo.toml's "
                                    f"package version is {version!r}")
        elif OCI + "version" in labels:
            self.fail(labels[OCI + "version"][1].line, "no `ARG VERSION=...` in the final stage")
        return ", ".join(k[len(OCI):] for k in labels if k.startswith(OCI)) + (
            f" (licenses {package.get('license')}, version {version})")

    def check_cargo(self, stages: list[Stage]) -> str:
        builds: list[tuple[Instr, Stage, str]] = []
        installs: list[tuple[Instr, str]] = []
        for stage in stages:
            for ins in stage.instrs:
                if ins.cmd != "RUN":
                    continue
                for segment in shell_commands(ins.rest):
                    if re.match(r"cargo\s+(\+\S+\s+)?(auditable\s+)?build\b", segment):
                        builds.append((ins, stage, segment))
                    elif re.match(r"cargo\s+(\+\S+\s+)?install\b.*\bcargo-auditable\b", segment):
                        installs.append((ins, segment))
        if not builds:
            self.fail(None, "no RUN runs `cargo build`")
            return "no cargo build"
        ins, _, segment = builds[-1]
        if not re.match(r"cargo\s+(\+\S+\s+)?auditable\s+build\b", segment):
            self.fail(ins.line, "the final build is not `cargo auditable build`: the binary would "
                                "not carry its dependency list")
        for flag in ("--release", "--locked"):
            if flag not in segment.split():
                self.fail(ins.line, f"the final cargo build does not pass {flag}")
        for ins, stage, segment in builds:
            if stage.platform and "BUILDPLATFORM" in stage.platform and \
                    not re.search(r"(^|\s)--target(\s|=)", segment):
                self.fail(ins.line, "cargo build without --target in a stage that runs on "
                                    "$BUILDPLATFORM: it would build for the builder's "
                                    "architecture, not the image's")
        pinned = "cargo-auditable (not installed)"
        uses_auditable = any("auditable" in seg for _, _, seg in builds)
        if uses_auditable and not installs:
            self.fail(builds[-1][0].line, "`cargo auditable` is used but no RUN installs "
                                          "cargo-auditable (`cargo install cargo-auditable "
                                          "--locked --version X.Y.Z`)")
        for ins, segment in installs:
            m = re.search(r"--version(?:\s+|=)=?(\d+\.\d+\.\d+)\b", segment)
            if not m:
                self.fail(ins.line, "cargo install cargo-auditable without `--version X.Y.Z`: "
                                    "pin it")
            else:
                pinned = f"cargo-auditable {m.group(1)} pinned"
            if "--locked" not in segment.split():
                self.fail(ins.line, "cargo install cargo-auditable without --locked")
        return f"{len(builds)} cargo auditable builds, {pinned}" if uses_auditable else pinned

    def check_placeholders(self, stages: list[Stage], cargo: dict) -> None:
        """The dependency layer builds the manifest against placeholder sources: every bench
        target Cargo.toml declares must exist then, or the manifest does not load."""
        benches = [b.get("name") for b in cargo.get("bench", []) if "path" not in b]
        if not benches:
            return
        for stage in stages:
            copied_src = False
            for ins in stage.instrs:
                if ins.cmd in {"COPY", "ADD"} and "from" not in ins.flags and any(
                        posixpath.normpath(s).startswith(("src", "benches"))
                        for s in copy_sources(ins)):
                    copied_src = True
                if ins.cmd != "RUN" or copied_src or not re.search(r"\bcargo\b.*\bbuild\b",
                                                                   ins.rest):
                    continue
                made = set(re.findall(r"benches/([A-Za-z0-9_-]+)\.rs", ins.rest))
                for m in re.finditer(rf"\bfor\s+({VAR_NAME})\s+in\s+(.*?);\s*do\b(.*?)\bdone\b",
                                     ins.rest, re.S):
                    var, words, body = m.groups()
                    if not re.search(rf"benches/\$\{{?{var}\}}?\.rs", body):
                        continue
                    made |= set(self.expand_words(ins, words))
                missing = [b for b in benches if b not in made]
                if missing:
                    self.fail(ins.line, "the placeholder sources lack "
                              + ", ".join(f"benches/{b}.rs" for b in missing)
                              + " ([[bench]] in Cargo.toml): the manifest will not load")

    def expand_words(self, ins: Instr, words: str) -> list[str]:
        """The words of a `for` loop, with command substitutions run by sh in a directory that
        holds only Cargo.toml (they read the manifest, as in the image)."""
        if "$(" not in words and "`" not in words:
            return words.split()
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copy(self.cargo_toml, Path(tmp) / "Cargo.toml")
            try:
                out = subprocess.run(["sh", "-c", f"printf '%s\\n' {words}"], cwd=tmp,
                                     capture_output=True, text=True, timeout=20, check=True)
            except (subprocess.SubprocessError, OSError) as e:
                self.fail(ins.line, f"cannot evaluate the placeholder loop's words {words!r}: {e}")
                return []
        return out.stdout.split()

    def check_context_copies(self, stages: list[Stage]) -> str:
        patterns = load_dockerignore(self.dockerignore) if self.dockerignore else []
        let_in: list[str] = []
        for stage in stages:
            for ins in stage.instrs:
                if ins.cmd not in {"COPY", "ADD"} or "from" in ins.flags:
                    continue
                for src in copy_sources(ins):
                    if re.match(r"[a-z]+://", src):
                        continue
                    if "$" in src:
                        self.fail(ins.line, f"{ins.cmd} {src}: a context path with a variable "
                                            "cannot be checked against .dockerignore")
                        continue
                    rel = posixpath.normpath(src).lstrip("/")
                    if any(c in rel for c in "*?["):
                        matches = sorted(str(p.relative_to(self.context))
                                         for p in self.context.glob(rel))
                    else:
                        matches = [rel] if (self.context / rel).exists() else []
                    if not matches:
                        self.fail(ins.line, f"{ins.cmd} {src}: no such path in the build context "
                                            f"({self.context.resolve()})")
                        continue
                    files = [f for m in matches for f in context_files(self.context, m)]
                    allowed = [f for f in files if not ignored(f, patterns)]
                    if not allowed:
                        self.fail(ins.line, f"{ins.cmd} {src}: .dockerignore "
                                            f"({display(self.dockerignore)}) excludes it, so it "
                                            "is not in the build context")
                    else:
                        let_in.append(src)
        return ", ".join(let_in) or "nothing"

    def hadolint(self) -> str:
        exe = shutil.which("hadolint")
        if not exe:
            return "hadolint not on PATH (skipped)"
        proc = subprocess.run([exe, "--no-color", "--format", "json", str(self.dockerfile)],
                              capture_output=True, text=True)
        try:
            findings = json.loads(proc.stdout or "[]")
        except json.JSONDecodeError:
            self.fail(None, f"hadolint: unreadable output: {proc.stdout[:200]} {proc.stderr[:200]}")
            return "hadolint failed"
        infos = 0
        for f in findings:
            if f.get("level") in {"error", "warning"}:
                self.fail(f.get("line"), f"hadolint {f.get('code')} {f.get('level')}: "
                                         f"{f.get('message')}")
            else:
                infos += 1
                print(f"{PROG}: note: {self.label}:{f.get('line')}: hadolint {f.get('code')} "
                      f"{f.get('level')}: {f.get('message')}")
        return f"hadolint: {len(findings) - infos} warnings, {infos} notes"


# --- helpers ---------------------------------------------------------------------------------

def stage_label(stage: Stage) -> str:
    return f'stage "{stage.name}"' if stage.name else f"stage {stage.index} (unnamed)"


def display(path: Path | None) -> str:
    if path is None:
        return "-"
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def parse_arg(rest: str) -> list[tuple[str, str | None]]:
    """`ARG a b=1 c="x y"` -> [(a, None), (b, "1"), (c, "x y")]."""
    out = []
    for word in split_words(rest):
        name, eq, default = word.partition("=")
        out.append((name, default if eq else None))
    return out


def parse_pairs(ins: Instr, rest: str) -> list[tuple[str, str]]:
    """ENV/LABEL arguments: `k=v k2="v 2"`, or the legacy `k v w` (one pair)."""
    words = split_words(rest)
    if words and "=" not in words[0]:
        return [(words[0], " ".join(words[1:]))]
    return [(k, v) for k, _, v in (w.partition("=") for w in words)]


def split_words(text: str) -> list[str]:
    """Split on unquoted whitespace and remove the quotes (but keep `$` references)."""
    words, cur, quote, i, has = [], "", None, 0, False
    while i < len(text):
        c = text[i]
        if quote:
            if c == quote:
                quote = None
            elif c == "\\" and quote == '"' and i + 1 < len(text) and text[i + 1] in '"\\$':
                i += 1
                cur += text[i]
            else:
                cur += c
        elif c in "'\"":
            quote, has = c, True
        elif c == "\\" and i + 1 < len(text):
            i += 1
            cur += text[i]
            has = True
        elif c.isspace():
            if cur or has:
                words.append(cur)
            cur, has = "", False
        else:
            cur += c
            has = True
        i += 1
    if cur or has:
        words.append(cur)
    return words


def used_vars(text: str) -> set[str]:
    """Names referenced as $NAME or ${NAME...}, outside single quotes and not escaped."""
    names: set[str] = set()
    quote = None
    i = 0
    while i < len(text):
        c = text[i]
        if quote == "'":
            if c == "'":
                quote = None
        elif c == "\\":
            i += 1  # escaped character, in or out of double quotes
        elif c == "'" and quote is None:
            quote = "'"
        elif c == '"':
            quote = None if quote == '"' else '"'
        elif c == "$":
            m = re.match(rf"\$(?:\{{({VAR_NAME})|({VAR_NAME}))", text[i:])
            if m:
                names.add(m.group(1) or m.group(2))
        i += 1
    return names


def shell_assigned(text: str) -> set[str]:
    """Shell variables a RUN assigns: `name=...` (also after export/local) and `for name in`."""
    names = set(re.findall(rf"(?:^|[\s;&|(`])({VAR_NAME})=", text))
    names |= set(re.findall(rf"\bfor\s+({VAR_NAME})\s+in\b", text))
    names |= set(re.findall(rf"\bread\s+(?:-\w+\s+)*({VAR_NAME})", text))
    return names


# Leading `NAME=value` words of a simple command (quoted values may hold spaces).
ASSIGNMENTS = re.compile(rf"""^(?:{VAR_NAME}=(?:"(?:[^"\\]|\\.)*"|'[^']*'|[^\s'"])*\s+)+""")


def shell_commands(text: str) -> list[str]:
    """The simple commands of a RUN line, split at unquoted && || ; | and newlines, each stripped
    of leading `VAR=value` assignments."""
    out, cur, quote = [], "", None
    i = 0
    while i < len(text):
        c = text[i]
        if quote:
            if c == quote:
                quote = None
            cur += c
        elif c in "'\"":
            quote = c
            cur += c
        elif c in ";|&\n":
            out.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    out.append(cur)
    cleaned = []
    for seg in out:
        seg = seg.strip()
        seg = re.sub(ASSIGNMENTS, "", seg)
        seg = re.sub(r"^(?:(?:do|then|else|if|exec|command|!)\s+)+", "", seg)
        if seg:
            cleaned.append(seg)
    return cleaned


def copy_sources(ins: Instr) -> list[str]:
    rest = ins.rest
    if rest.startswith("["):
        try:
            words = json.loads(rest)
        except json.JSONDecodeError:
            words = split_words(rest)
    else:
        words = split_words(rest)
    return words[:-1]


def load_dockerignore(path: Path) -> list[tuple[bool, list[str]]]:
    """(is_exception, pattern split at `/`) per line, cleaned as Docker cleans them."""
    patterns = []
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        if negate:
            line = line[1:].strip()
        line = posixpath.normpath(line).lstrip("/")
        if line in {".", ""}:
            continue
        patterns.append((negate, line.split("/")))
    return patterns


def match_parts(pattern: list[str], parts: list[str]) -> bool:
    """Docker's pattern match, one path component at a time (`**` spans any number)."""
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(match_parts(pattern[1:], parts[k:]) for k in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], pattern[0]) and \
        match_parts(pattern[1:], parts[1:])


def ignored(relpath: str, patterns: list[tuple[bool, list[str]]]) -> bool:
    """Whether .dockerignore keeps relpath out: the last pattern that matches it, or one of its
    parent directories, decides."""
    parts = relpath.split("/")
    out = False
    for negate, pattern in patterns:
        if any(match_parts(pattern, parts[:k]) for k in range(len(parts), 0, -1)):
            out = not negate
    return out


def context_files(context: Path, rel: str) -> list[str]:
    path = context / rel
    if path.is_dir():
        return [str(p.relative_to(context)) for p in sorted(path.rglob("*")) if p.is_file()]
    return [rel]


# --- self-test -------------------------------------------------------------------------------

def mutate(text: str, old: str, new: str, last: bool = False) -> str:
    if old not in text:
        raise LookupError(f"the self-test expects {old!r} in the Dockerfile: update the self-test")
    if last:
        head, _, tail = text.rpartition(old)
        return head + new + tail
    return text.replace(old, new, 1)


def line_of(text: str, marker: str, last: bool = False) -> int:
    lines = text.splitlines()
    hits = [n for n, text_line in enumerate(lines, 1) if marker in text_line]
    if not hits:
        raise LookupError(f"marker {marker!r} not in the broken copy")
    return hits[-1] if last else hits[0]


def drop_line(text: str, startswith: str) -> str:
    lines = text.splitlines(keepends=True)
    hits = [n for n, text_line in enumerate(lines) if text_line.strip().startswith(startswith)]
    if not hits:
        raise LookupError(f"the self-test expects a line starting {startswith!r}: update it")
    del lines[hits[0]]
    return "".join(lines)


LAST = "last"


def self_test(args: argparse.Namespace) -> int:
    dockerfile = Path(args.dockerfile)
    ignore = Path(args.dockerignore) if args.dockerignore else default_ignore(
        dockerfile, Path(args.context))
    base = dockerfile.read_text()
    base_ignore = ignore.read_text()
    version = tomllib.loads(Path(args.cargo_toml).read_text())["package"]["version"]
    final_from = [line for line in base.splitlines() if line.startswith("FROM ")][-1]

    # name: (how to break it, marker of the line the message must name, word it must contain
    # [, LAST: the marker's last line rather than its first]). Each break returns (Dockerfile,
    # .dockerignore); the marker is looked up in the broken copy.
    F = "Dockerfile"
    variants = {
        "undeclared ARG (label uses ${REVISION}, ARG REVISION removed)": (
            lambda d, i: (drop_line(d, "ARG REVISION"), i), "LABEL ", "$REVISION"),
        "predefined platform ARG used in a stage without `ARG TARGETARCH`": (
            lambda d, i: (drop_line(d, "ARG TARGETARCH"), i), 'RUN case "$TARGETARCH"',
            "$TARGETARCH"),
        "global ARG used in a stage without redeclaring it": (
            lambda d, i: (("ARG RUST_TAG=1.89-bookworm\n" + mutate(
                d, "WORKDIR /src\n", 'WORKDIR /src\nRUN echo "rust ${RUST_TAG}"\n')), i),
            'RUN echo "rust ${RUST_TAG}"', "$RUST_TAG"),
        "ARG used before it is declared": (
            lambda d, i: (mutate(d, "WORKDIR /src\n", "WORKDIR /src/$TARGETOS\n"), i),
            "WORKDIR /src/$TARGETOS", "$TARGETOS"),
        "FROM without a tag": (
            lambda d, i: (mutate(d, "rust:1.89-bookworm", "rust"), i), "AS build", "no tag"),
        "FROM with :latest": (
            lambda d, i: (mutate(d, final_from, final_from.split(":")[0] + ":latest"), i),
            final_from.split(":")[0] + ":latest", "latest"),
        "FROM with a short digest": (
            lambda d, i: (mutate(d, final_from, final_from + "@sha256:abc123"), i),
            "@sha256:abc123", "digest"),
        "unknown instruction": (
            lambda d, i: (mutate(d, "EXPOSE ", "EXPOSES "), i), "EXPOSES ", "unknown"),
        "missing USER": (lambda d, i: (drop_line(d, "USER "), i), final_from, "USER"),
        "USER root": (lambda d, i: (mutate(d, "USER 65532:65532", "USER root"), i),
                      "USER root", "non-root"),
        "ENTRYPOINT in shell form": (
            lambda d, i: (mutate(d, 'ENTRYPOINT ["/usr/local/bin/runner-medic"]',
                                 "ENTRYPOINT /usr/local/bin/runner-medic"), i),
            "ENTRYPOINT /usr", "exec form"),
        "VERSION default not Cargo.toml's version": (
            lambda d, i: (mutate(d, f"ARG VERSION={version}", "ARG VERSION=9.9.9"), i),
            "ARG VERSION=9.9.9", "Cargo.toml"),
        "licenses label not Cargo.toml's license": (
            lambda d, i: (re.sub(r'(image\.licenses=)"[^"]*"', r'\1"MIT"', d, count=1), i),
            "LABEL ", "license"),
        "revision label missing": (
            lambda d, i: (drop_line(d, "org.opencontainers.image.revision="), i),
            final_from, "revision"),
        "COPY of a path .dockerignore excludes": (
            lambda d, i: (mutate(d, "COPY Cargo.toml Cargo.lock ./\n",
                                 "COPY Cargo.toml Cargo.lock ./\nCOPY README.md ./\n"), i),
            "COPY README.md", ".dockerignore"),
        ".dockerignore no longer lets src/ in": (
            lambda d, i: (d, mutate(i, "!src/\n", "")), "COPY src ", ".dockerignore"),
        "COPY of a path that does not exist": (
            lambda d, i: (mutate(d, "COPY benches ./benches", "COPY benchez ./benches"), i),
            "COPY benchez", "no such path"),
        "COPY --from= a stage that does not exist": (
            lambda d, i: (mutate(d, "--from=build", "--from=builder"), i), "--from=builder",
            "no earlier stage"),
        "final build not auditable": (
            lambda d, i: (mutate(d, "cargo auditable build", "cargo build", last=True), i),
            "RUN triple=", "cargo auditable build", LAST),
        "cargo-auditable not pinned": (
            lambda d, i: (re.sub(r" --version \S+", "", d, count=1), i),
            "cargo install cargo-auditable", "--version"),
        "cargo-auditable installed without --locked": (
            lambda d, i: (mutate(d, "cargo install cargo-auditable --locked",
                                 "cargo install cargo-auditable"), i),
            "cargo install cargo-auditable", "--locked"),
        "cross build without --target": (
            lambda d, i: (mutate(d, ' --target "$triple"', "", last=True), i),
            "RUN triple=", "--target", LAST),
        "placeholder benches miss a [[bench]] (a fixed list)": (
            lambda d, i: (re.sub(r"for b in \$\(.*?\); do", "for b in classify; do", d, count=1),
                          i),
            "RUN triple=", "benches/"),
    }
    # Correct variations that must still pass (no false alarms).
    accepted = {
        "FROM tag from a global ARG": lambda d: "ARG RUST_TAG=1.89-bookworm\n" + mutate(
            d, "rust:1.89-bookworm", "rust:${RUST_TAG}"),
        "FROM pinned by digest": lambda d: mutate(
            d, final_from, final_from + "@sha256:" + "0" * 64),
        "global ARG redeclared in the stage": lambda d: "ARG GREETING=hi\n" + mutate(
            d, "WORKDIR /src\n", 'WORKDIR /src\nARG GREETING\nRUN echo "${GREETING:-x}"\n'),
        "single-quoted and escaped $ in RUN": lambda d: mutate(
            d, "WORKDIR /src\n",
            "WORKDIR /src\nRUN echo '$NOPE' \"\\$NOPE\" && x=1 && echo \"$x\"\n"),
    }
    problems = []
    with tempfile.TemporaryDirectory(prefix="check_dockerfile.") as tmp:
        for n, (name, change) in enumerate(accepted.items(), 1):
            try:
                text = change(base)
            except LookupError as e:
                problems.append(f"correct variant {name!r}: {e}")
                continue
            path = Path(tmp) / f"ok{n:02d}" / F
            path.parent.mkdir()
            path.write_text(text)
            checker = Checker(path, ignore, Path(args.context), Path(args.cargo_toml),
                              run_hadolint=False)
            if checker.check() is None:
                problems.append(f"correct variant {name!r} rejected:\n  "
                                + "\n  ".join(checker.problems))
        ok = Checker(dockerfile, ignore, Path(args.context), Path(args.cargo_toml),
                     run_hadolint=False)
        if ok.check() is None:
            problems.append("the real Dockerfile does not pass, so the broken copies prove "
                            "nothing:\n  " + "\n  ".join(ok.problems))
        for n, (name, (breakit, marker, word, *where)) in enumerate(variants.items(), 1):
            try:
                text, ign = breakit(base, base_ignore)
                if (text, ign) == (base, base_ignore):
                    raise LookupError("the change did not apply")
                line = line_of(text, marker, last=LAST in where)
            except (LookupError, IndexError) as e:
                problems.append(f"variant {name!r}: {e}")
                continue
            path = Path(tmp) / f"{n:02d}" / F
            path.parent.mkdir()
            path.write_text(text)
            (path.parent / ".dockerignore").write_text(ign)
            checker = Checker(path, path.parent / ".dockerignore", Path(args.context),
                              Path(args.cargo_toml), run_hadolint=False)
            checker.label = f"{F}[{n:02d}]"
            if checker.check() is not None or not checker.problems:
                problems.append(f"variant {name!r}: accepted, should have been rejected")
                continue
            named = [p for p in checker.problems if p.startswith(f"{checker.label}:{line}:")
                     and word.lower() in p.lower()]
            if args.verbose:
                print(f"{PROG}: self-test: {name}: rejected:")
                for p in checker.problems:
                    print(f"    {p}")
            if not named:
                problems.append(f"variant {name!r}: rejected, but no message names line {line} "
                                f"and {word!r}:\n  " + "\n  ".join(checker.problems))
    if problems:
        for p in problems:
            print(f"{PROG}: FAIL: self-test: {p}")
        return 1
    print(f"{PROG}: OK: self-test: {display(dockerfile)} and {len(accepted)} correct variations "
          f"pass; all {len(variants)} broken copies are rejected, each naming the broken line")
    return 0


def default_ignore(dockerfile: Path, context: Path) -> Path:
    """Docker reads <Dockerfile>.dockerignore next to the Dockerfile first, then the context's."""
    own = dockerfile.with_name(dockerfile.name + ".dockerignore")
    return own if own.exists() else context / ".dockerignore"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dockerfile", default=str(ROOT / "Dockerfile"))
    ap.add_argument("--dockerignore", help="default: <Dockerfile>.dockerignore if it exists, "
                                           "else the context's .dockerignore")
    ap.add_argument("--context", default=str(ROOT), help="the build context (default: the repo)")
    ap.add_argument("--cargo-toml", default=str(ROOT / "Cargo.toml"))
    ap.add_argument("--self-test", action="store_true",
                    help="check that broken copies of the Dockerfile are rejected")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="with --self-test: print what each broken copy was rejected for")
    args = ap.parse_args()
    if args.self_test:
        return self_test(args)
    dockerfile = Path(args.dockerfile)
    ignore = Path(args.dockerignore) if args.dockerignore else default_ignore(
        dockerfile, Path(args.context))
    checker = Checker(dockerfile, ignore if ignore.exists() else None, Path(args.context),
                      Path(args.cargo_toml))
    if not ignore.exists():
        checker.fail(None, f"no .dockerignore ({display(ignore)}): the whole context, target/ "
                           "included, would be sent to the builder")
    summary = checker.check()
    if summary is None or checker.problems:
        for p in checker.problems:
            print(f"{PROG}: FAIL: {p}")
        print(f"{PROG}: {len(checker.problems)} problem(s)")
        return 1
    print(f"{PROG}: OK: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
