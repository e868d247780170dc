#!/usr/bin/env python3
"""Render a kustomization directory and print its objects as a JSON list.

    python3 tests/ops/render.py DIR [--python]

Uses `kubectl kustomize DIR` when kubectl is on PATH, unless --python is given. Otherwise a
small renderer in this file builds it. That renderer supports exactly what deploy/ uses, and
refuses everything else with an error rather than render it differently from kustomize:

- `resources`: local files (one or more YAML documents) and directories (kustomizations, built
  on their own, then added);
- `components`: local directories holding a `kind: Component` (apiVersion
  kustomize.config.k8s.io/v1alpha1), applied in order after `resources` and before the
  kustomization's own transformers, as kustomize does: a component's resources join the
  objects accumulated so far, and its patches, namespace, labels and transformers apply to all of
  them (the parent's included); a Component in `resources`, or a Kustomization in `components`,
  is refused as kustomize refuses it;
- `configMapGenerator` with `name`, `namespace`, `files` (`path` or `key=path`, UTF-8 text, in
  or below the kustomization's directory, as kustomize's load restrictor requires) and `options`
  (`labels`, `annotations`, `disableNameSuffixHash`), and `generatorOptions` with the same
  options; the name hash is refused (disable it), as are `literals`, `envs` and `behavior`;
- `namespace`, and an inline builtin NamespaceTransformer in `transformers` (`unsetOnly`,
  `setRoleBindingSubjects`): metadata.namespace of namespaced objects, and (the field only) the
  name of a Namespace object; RoleBinding subjects that setRoleBindingSubjects `defaultOnly` (the default) may
  rewrite are refused;
- `labels`: `pairs` with includeSelectors and includeTemplates false (metadata.labels only);
- `patches` (by `path` or inline `patch`): strategic merge of one object without `target`
  (matched by group, kind, name and namespace; `$patch: delete` of the whole object; lists merged
  by key: containers, initContainers, ephemeralContainers and volumes by name, env by name,
  volumeMounts by mountPath; other lists replaced), and JSON 6902 ops add, remove, replace, test
  with a `target` of group/version/kind/name/namespace;
- output in kustomize's default (legacy) order.

tests/ops/validate_deploy.py renders every kustomization both ways when kubectl is present and
fails if the two differ, so this fallback stays honest. Requires PyYAML (installed with pip when
missing).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import subprocess
import sys
from typing import Any


class RenderError(Exception):
    """The kustomization cannot be rendered (or uses what the Python renderer does not support)."""


def pip_install(package: str) -> None:
    """`pip install --quiet PACKAGE` into this interpreter; into the user's site-packages when the
    interpreter is a system one that refuses (PEP 668, "externally managed")."""
    print(f"{os.path.basename(sys.argv[0]) or 'python'}: installing {package} with pip", file=sys.stderr)
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", package]
    if subprocess.run(cmd, check=False).returncode != 0:
        subprocess.check_call(cmd + ["--user", "--break-system-packages"])
    import importlib
    import site

    importlib.invalidate_caches()
    user_site = site.getusersitepackages()
    if os.path.isdir(user_site) and user_site not in sys.path:
        sys.path.append(user_site)


def ensure_yaml():
    """PyYAML, installed with pip if it is missing."""
    import importlib

    try:
        return importlib.import_module("yaml")
    except ImportError:
        pip_install("pyyaml")
        return importlib.import_module("yaml")


yaml = ensure_yaml()


# ---------------------------------------------------------------------------------------------
# kubectl


def kubectl_path() -> str | None:
    """kubectl on PATH, or None."""
    return shutil.which("kubectl")


def render_kubectl(directory: str, kubectl: str | None = None) -> list[dict[str, Any]]:
    """`kubectl kustomize DIR`, parsed."""
    kubectl = kubectl or kubectl_path()
    if not kubectl:
        raise RenderError("kubectl is not on PATH")
    proc = subprocess.run(
        [kubectl, "kustomize", directory], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RenderError(f"kubectl kustomize {directory} failed:\n{proc.stderr.strip()}")
    return [d for d in yaml.safe_load_all(proc.stdout) if d is not None]


# ---------------------------------------------------------------------------------------------
# The Python renderer

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
SUPPORTED_FIELDS = {
    "apiVersion",
    "kind",
    "resources",
    "components",
    "configMapGenerator",
    "generatorOptions",
    "namespace",
    "labels",
    "patches",
    "transformers",
}
# The kinds of kustomization file, and the apiVersion each must have.
KUSTOMIZATION_KINDS = {
    "Kustomization": "kustomize.config.k8s.io/v1beta1",
    "Component": "kustomize.config.k8s.io/v1alpha1",
}

# Kinds kustomize knows to be cluster-scoped (it treats every other kind as namespaced).
CLUSTER_SCOPED = {
    "APIService",
    "CertificateSigningRequest",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CSIDriver",
    "CSINode",
    "CustomResourceDefinition",
    "FlowSchema",
    "IngressClass",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
}
# Kinds whose spec names other namespaces (kustomize's namespace field rewrites those too).
NAMESPACE_REFERENCES = {
    "APIService",
    "CustomResourceDefinition",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
}

# kustomize's legacy output order (api/resid/gvk.go).
ORDER_FIRST = [
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
]
ORDER_LAST = ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]

# Strategic merge: lists merged element by element on a key. Every other list is replaced, as
# strategic merge does for lists without a merge strategy (args, command, rules, ...).
LIST_MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "volumes": "name",
    "env": "name",
    "volumeMounts": "mountPath",
}
# Lists that strategic merge merges by a key this renderer does not implement.
LIST_MERGE_UNSUPPORTED = {
    "ports",
    "hostAliases",
    "topologySpreadConstraints",
    "imagePullSecrets",
    "finalizers",
    "ownerReferences",
    "volumeDevices",
    "resourceClaims",
    "conditions",
}


def _group_version(obj: dict[str, Any]) -> tuple[str, str]:
    api = obj.get("apiVersion", "")
    if "/" in api:
        group, version = api.split("/", 1)
        return group, version
    return "", api


def _ident(obj: dict[str, Any]) -> str:
    md = obj.get("metadata") or {}
    ns = md.get("namespace")
    return f"{obj.get('apiVersion')} {obj.get('kind')} {ns + '/' if ns else ''}{md.get('name')}"


def _load_docs(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as f:
        try:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
        except yaml.YAMLError as e:
            raise RenderError(f"{path}: not YAML: {e}") from e
    for d in docs:
        if not isinstance(d, dict):
            raise RenderError(f"{path}: a document is not a mapping")
        if not d.get("apiVersion") or not d.get("kind") or not (d.get("metadata") or {}).get("name"):
            raise RenderError(f"{path}: every object needs apiVersion, kind and metadata.name")
        if d["kind"].endswith("List"):
            raise RenderError(f"{path}: List objects are not supported")
    return docs


def _kustomization_file(directory: str) -> str:
    for name in KUSTOMIZATION_FILES:
        p = os.path.join(directory, name)
        if os.path.isfile(p):
            return p
    raise RenderError(f"{directory}: no kustomization.yaml")


def _check_unique(objs: list[dict[str, Any]], where: str) -> None:
    seen: set[tuple] = set()
    for o in objs:
        group, _ = _group_version(o)
        md = o.get("metadata") or {}
        key = (group, o.get("kind"), md.get("namespace") or "", md.get("name"))
        if key in seen:
            raise RenderError(f"{where}: {_ident(o)} is defined twice")
        seen.add(key)


def build(directory: str) -> list[dict[str, Any]]:
    """The objects of one kustomization, transformed, in accumulation order."""
    return _accumulate(directory, [], component=False)


def _accumulate(directory: str, objs: list[dict[str, Any]], component: bool) -> list[dict[str, Any]]:
    """kustomize's accumulateTarget: `resources`, then `components`, then the transformers, on
    `objs`. A Kustomization starts from an empty list (build); a Component works on its parent's
    list: its resources join it and its transformers see everything accumulated so far."""
    kfile = _kustomization_file(directory)
    with open(kfile, encoding="utf-8") as f:
        k = yaml.safe_load(f) or {}
    if not isinstance(k, dict):
        raise RenderError(f"{kfile}: not a mapping")
    kind = k.get("kind", "Kustomization")
    if kind not in KUSTOMIZATION_KINDS:
        raise RenderError(f"{kfile}: kind {kind!r} is not supported ({', '.join(KUSTOMIZATION_KINDS)})")
    if "apiVersion" in k and k["apiVersion"] != KUSTOMIZATION_KINDS[kind]:
        raise RenderError(f"{kfile}: a {kind} needs apiVersion {KUSTOMIZATION_KINDS[kind]}, not {k['apiVersion']!r}")
    if component and kind != "Component":
        raise RenderError(f"{kfile}: listed in `components` but its kind is {kind!r}, not 'Component'")
    if not component and kind == "Component":
        # kustomize refuses a Component in `resources`; it builds one on its own, which this
        # renderer does not (its patches would target objects of no parent).
        raise RenderError(f"{kfile}: a Component is supported only in `components`, not in `resources` or on its own")
    unsupported = sorted(set(k) - SUPPORTED_FIELDS)
    if unsupported:
        raise RenderError(
            f"{kfile}: field(s) {', '.join(unsupported)} not supported by render.py --python "
            f"(it supports {', '.join(sorted(SUPPORTED_FIELDS))}); keep deploy/ within them or "
            "extend tests/ops/render.py"
        )

    for res in k.get("resources") or []:
        if not isinstance(res, str) or "://" in res or res.startswith(("github.com", "git@")):
            raise RenderError(f"{kfile}: resource {res!r}: only local files and directories are supported")
        path = os.path.normpath(os.path.join(directory, res))
        if os.path.isdir(path):
            objs.extend(build(path))
        elif os.path.isfile(path):
            objs.extend(_load_docs(path))
        else:
            raise RenderError(f"{kfile}: resource {res!r} does not exist")
    _check_unique(objs, kfile)

    for comp in k.get("components") or []:
        if not isinstance(comp, str) or "://" in comp or comp.startswith(("github.com", "git@")):
            raise RenderError(f"{kfile}: component {comp!r}: only local directories are supported")
        path = os.path.normpath(os.path.join(directory, comp))
        if not os.path.isdir(path):
            raise RenderError(f"{kfile}: component {comp!r} is not a directory")
        _accumulate(path, objs, component=True)
        _check_unique(objs, kfile)

    # Generators run after resources and components, before the transformers.
    objs.extend(_generate_configmaps(k, directory, kfile))
    _check_unique(objs, kfile)

    # kustomize's order of the builtin transformers: patches, namespace, labels; then the
    # `transformers` field.
    for i, entry in enumerate(k.get("patches") or []):
        _apply_patch_entry(objs, entry, directory, f"{kfile}: patches[{i}]")
    if "namespace" in k:
        _set_namespace(objs, k["namespace"], unset_only=False, subjects="defaultOnly", rename_namespaces=True, where=f"{kfile}: namespace")
    for i, entry in enumerate(k.get("labels") or []):
        _apply_labels(objs, entry, f"{kfile}: labels[{i}]")
    for i, entry in enumerate(k.get("transformers") or []):
        _apply_transformer(objs, entry, f"{kfile}: transformers[{i}]")
    _check_unique(objs, kfile)
    return objs


def _generate_configmaps(k: dict[str, Any], directory: str, kfile: str) -> list[dict[str, Any]]:
    """The ConfigMaps of `configMapGenerator`, as kustomize generates them."""
    shared = k.get("generatorOptions") or {}
    known_options = {"labels", "annotations", "disableNameSuffixHash"}
    if set(shared) - known_options:
        raise RenderError(f"{kfile}: generatorOptions {sorted(set(shared) - known_options)} not supported by render.py --python")
    out = []
    for i, gen in enumerate(k.get("configMapGenerator") or []):
        where = f"{kfile}: configMapGenerator[{i}]"
        if set(gen) - {"name", "namespace", "files", "options"}:
            raise RenderError(f"{where}: {sorted(set(gen) - {'name', 'namespace', 'files', 'options'})} not supported by render.py --python")
        opts = gen.get("options") or {}
        if set(opts) - known_options:
            raise RenderError(f"{where}: options {sorted(set(opts) - known_options)} not supported by render.py --python")
        if not (opts.get("disableNameSuffixHash", shared.get("disableNameSuffixHash", False))):
            raise RenderError(f"{where}: the name hash suffix is not supported by render.py --python (set disableNameSuffixHash)")
        data = {}
        root = os.path.realpath(directory)
        for entry in gen.get("files") or []:
            key, _, rel = entry.rpartition("=") if "=" in entry else ("", "", entry)
            path = os.path.realpath(os.path.join(directory, rel))
            if os.path.commonpath([root, path]) != root:
                raise RenderError(f"{where}: {rel!r} is outside {directory} (kustomize's load restrictor refuses it)")
            with open(path, encoding="utf-8") as f:
                data[key or os.path.basename(rel)] = f.read()
        meta: dict[str, Any] = {"name": gen["name"]}
        if "namespace" in gen:
            meta["namespace"] = gen["namespace"]
        for field in ("labels", "annotations"):
            merged = {**(shared.get(field) or {}), **(opts.get(field) or {})}
            if merged:
                meta[field] = {str(a): str(b) for a, b in merged.items()}
        out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data})
    return out


def render_python(directory: str) -> list[dict[str, Any]]:
    """The kustomization rendered by this file, in kustomize's output order."""
    return sort_legacy(build(directory))


def sort_legacy(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def key(o: dict[str, Any]):
        kind = o.get("kind", "")
        if kind in ORDER_FIRST:
            order = -len(ORDER_FIRST) + ORDER_FIRST.index(kind)
        elif kind in ORDER_LAST:
            order = ORDER_LAST.index(kind) + 1
        else:
            order = 0
        group, version = _group_version(o)
        gvk = "_".join([group or "~G", version or "~V", kind or "~K"])
        md = o.get("metadata") or {}
        ns = md.get("namespace") or ("" if kind in CLUSTER_SCOPED else "default")
        return (order, gvk, ns, md.get("name") or "")

    return sorted(objs, key=key)


# --- namespace ---------------------------------------------------------------------------------


def _set_namespace(
    objs: list[dict[str, Any]], ns: Any, unset_only: bool, subjects: str, rename_namespaces: bool, where: str
) -> None:
    """kustomize's namespace transformer. `subjects` is its setRoleBindingSubjects: "none", or
    "defaultOnly" (the default), which rewrites ServiceAccount subjects named `default`: refused
    here wherever it would change something (or might: subjects naming no namespace).
    `rename_namespaces`: the `namespace:` field also renames Namespace objects (its fieldSpecs
    include metadata/name of Namespace); a NamespaceTransformer configuration does not (checked)."""
    if not isinstance(ns, str) or not ns:
        raise RenderError(f"{where}: the namespace must be a non-empty string")
    if subjects not in ("none", "defaultOnly"):
        raise RenderError(f"{where}: setRoleBindingSubjects {subjects!r} is not supported (none, defaultOnly)")
    namespaces = [o for o in objs if o.get("kind") == "Namespace"]
    for o in objs:
        kind = o.get("kind")
        if kind in NAMESPACE_REFERENCES:
            raise RenderError(f"{where}: {_ident(o)}: kustomize also rewrites namespaces inside a {kind}; not supported")
        if subjects == "defaultOnly" and kind in ("RoleBinding", "ClusterRoleBinding"):
            for s in o.get("subjects") or []:
                if s.get("kind") == "ServiceAccount" and (s.get("name") == "default" or not s.get("namespace")):
                    raise RenderError(
                        f"{where}: {_ident(o)}: subject {s.get('name')!r}: kustomize's setRoleBindingSubjects "
                        "(defaultOnly) may rewrite its namespace; not supported"
                    )
    for o in objs:
        md = o.setdefault("metadata", {})
        if o.get("kind") == "Namespace":
            if rename_namespaces and not unset_only:
                if len(namespaces) > 1:
                    raise RenderError(f"{where}: several Namespace objects are not supported")
                md["name"] = ns
            continue
        if o.get("kind") in CLUSTER_SCOPED:
            continue
        if unset_only and md.get("namespace"):
            continue
        md["namespace"] = ns


def _apply_transformer(objs: list[dict[str, Any]], entry: Any, where: str) -> None:
    if not isinstance(entry, str) or "\n" not in entry:
        raise RenderError(f"{where}: only inline transformer configurations are supported")
    cfg = yaml.safe_load(entry)
    if not isinstance(cfg, dict) or cfg.get("apiVersion") != "builtin" or cfg.get("kind") != "NamespaceTransformer":
        raise RenderError(f"{where}: only the builtin NamespaceTransformer is supported")
    extra = sorted(set(cfg) - {"apiVersion", "kind", "metadata", "unsetOnly", "setRoleBindingSubjects"})
    if extra:
        raise RenderError(f"{where}: NamespaceTransformer field(s) {', '.join(extra)} not supported")
    _set_namespace(
        objs,
        (cfg.get("metadata") or {}).get("namespace"),
        unset_only=bool(cfg.get("unsetOnly", False)),
        subjects=cfg.get("setRoleBindingSubjects", "defaultOnly"),
        rename_namespaces=False,
        where=where,
    )


# --- labels ------------------------------------------------------------------------------------


def _apply_labels(objs: list[dict[str, Any]], entry: Any, where: str) -> None:
    if not isinstance(entry, dict):
        raise RenderError(f"{where}: must be a mapping")
    extra = sorted(set(entry) - {"pairs", "includeSelectors", "includeTemplates"})
    if extra:
        raise RenderError(f"{where}: field(s) {', '.join(extra)} not supported")
    if entry.get("includeSelectors") or entry.get("includeTemplates"):
        raise RenderError(f"{where}: includeSelectors/includeTemplates are not supported (metadata.labels only)")
    pairs = entry.get("pairs") or {}
    for k, v in pairs.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise RenderError(f"{where}: label {k!r}: keys and values must be strings")
    for o in objs:
        md = o.setdefault("metadata", {})
        labels = md.get("labels")
        if labels is None:
            labels = md["labels"] = {}
        labels.update(pairs)


# --- patches -----------------------------------------------------------------------------------


def _apply_patch_entry(objs: list[dict[str, Any]], entry: Any, directory: str, where: str) -> None:
    if not isinstance(entry, dict):
        raise RenderError(f"{where}: must be a mapping")
    extra = sorted(set(entry) - {"path", "patch", "target"})
    if extra:
        raise RenderError(f"{where}: field(s) {', '.join(extra)} not supported")
    if ("path" in entry) == ("patch" in entry):
        raise RenderError(f"{where}: exactly one of path and patch")
    if "path" in entry:
        ppath = os.path.normpath(os.path.join(directory, entry["path"]))
        where = f"{where} ({entry['path']})"
        try:
            with open(ppath, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise RenderError(f"{where}: {e}") from e
    else:
        text = entry["patch"]
    docs = [d for d in yaml.safe_load_all(text) if d is not None]
    if len(docs) != 1:
        raise RenderError(f"{where}: exactly one patch document per entry is supported")
    doc = docs[0]
    target = entry.get("target")
    if isinstance(doc, list):
        if not target:
            raise RenderError(f"{where}: a JSON 6902 patch needs a target")
        matched = _match_target(objs, target, where)
        for o in matched:
            _json6902(o, doc, f"{where} on {_ident(o)}")
    elif isinstance(doc, dict):
        if target:
            raise RenderError(f"{where}: strategic merge patches with a target are not supported")
        _strategic_merge(objs, doc, where)
    else:
        raise RenderError(f"{where}: a patch is a mapping (strategic merge) or a list (JSON 6902)")


def _match_target(objs: list[dict[str, Any]], target: dict[str, Any], where: str) -> list[dict[str, Any]]:
    extra = sorted(set(target) - {"group", "version", "kind", "name", "namespace"})
    if extra:
        raise RenderError(f"{where}: target field(s) {', '.join(extra)} not supported")
    out = []
    for o in objs:
        group, version = _group_version(o)
        md = o.get("metadata") or {}
        if "group" in target and target["group"] != group:
            continue
        if "version" in target and target["version"] != version:
            continue
        if "kind" in target and target["kind"] != o.get("kind"):
            continue
        if "name" in target and target["name"] != md.get("name"):
            continue
        if "namespace" in target and target["namespace"] != md.get("namespace"):
            continue
        out.append(o)
    if not out:
        raise RenderError(f"{where}: target {target} matches no object")
    return out


def _strategic_merge(objs: list[dict[str, Any]], patch: dict[str, Any], where: str) -> None:
    group, _ = _group_version(patch)
    md = patch.get("metadata") or {}
    name, ns = md.get("name"), md.get("namespace")
    if not patch.get("kind") or not name:
        raise RenderError(f"{where}: a strategic merge patch needs kind and metadata.name")
    matches = [
        o
        for o in objs
        if o.get("kind") == patch["kind"]
        and _group_version(o)[0] == group
        and (o.get("metadata") or {}).get("name") == name
        and (ns is None or (o.get("metadata") or {}).get("namespace") == ns)
    ]
    if len(matches) != 1:
        raise RenderError(f"{where}: {_ident(patch)} matches {len(matches)} objects, not 1")
    target = matches[0]
    directive = patch.get("$patch")
    if directive is not None:
        if directive != "delete":
            raise RenderError(f"{where}: `$patch: {directive}` is not supported (only delete of a whole object)")
        objs.remove(target)
        return
    body = {k: v for k, v in patch.items() if k not in ("apiVersion", "kind")}
    _merge_map(target, body, where)


def _clean(value: Any, where: str) -> Any:
    """A patch value with no base counterpart: nulls dropped, directives refused."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if isinstance(k, str) and k.startswith("$"):
                raise RenderError(f"{where}: directive {k} is not supported")
            if v is not None:
                out[k] = _clean(v, where)
        return out
    if isinstance(value, list):
        return [_clean(v, where) for v in value]
    return copy.deepcopy(value)


def _merge_map(base: dict[str, Any], patch: dict[str, Any], where: str) -> None:
    for k, v in patch.items():
        if isinstance(k, str) and k.startswith("$"):
            raise RenderError(f"{where}: directive {k} is not supported")
        if v is None:
            base.pop(k, None)
        elif isinstance(v, dict) and isinstance(base.get(k), dict):
            _merge_map(base[k], v, f"{where}.{k}")
        elif isinstance(v, list) and k in LIST_MERGE_KEYS:
            if not isinstance(base.get(k), list):
                base[k] = []
            _merge_list(base[k], v, LIST_MERGE_KEYS[k], f"{where}.{k}")
        elif isinstance(v, list) and k in LIST_MERGE_UNSUPPORTED:
            raise RenderError(f"{where}.{k}: strategic merge of this list is not supported by render.py")
        else:
            base[k] = _clean(v, f"{where}.{k}")


def _merge_list(base: list[Any], patch: list[Any], key: str, where: str) -> None:
    # kustomize's order (checked against kubectl): the patch's elements in the patch's order,
    # then the base's other elements in their order.
    merged = []
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            raise RenderError(f"{where}: every element needs its merge key {key!r}")
        if "$patch" in item:
            raise RenderError(f"{where}: `$patch` in a list element is not supported")
        if any(isinstance(m, dict) and m.get(key) == item[key] for m in merged):
            raise RenderError(f"{where}: {key}={item[key]!r} appears twice in the patch")
        existing = next((b for b in base if isinstance(b, dict) and b.get(key) == item[key]), None)
        if existing is None:
            merged.append(_clean(item, where))
        else:
            _merge_map(existing, item, f"{where}[{key}={item[key]}]")
            merged.append(existing)
    merged.extend(b for b in base if not any(b is m for m in merged))
    base[:] = merged


def _pointer(path: str, where: str) -> list[str]:
    if not isinstance(path, str) or not path.startswith("/"):
        raise RenderError(f"{where}: bad JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc: Any, parts: list[str], where: str) -> Any:
    cur = doc
    for p in parts:
        if isinstance(cur, dict) and p in cur:
            cur = cur[p]
        elif isinstance(cur, list) and p.isdigit() and int(p) < len(cur):
            cur = cur[int(p)]
        else:
            raise RenderError(f"{where}: path element {p!r} does not exist")
    return cur


def _json6902(obj: dict[str, Any], ops: list[Any], where: str) -> None:
    # Applied to a copy: a failing op leaves the object unchanged (and the render fails).
    doc = copy.deepcopy(obj)
    for i, op in enumerate(ops):
        w = f"{where}: op {i}"
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise RenderError(f"{w}: needs op and path")
        kind = op["op"]
        parts = _pointer(op["path"], w)
        parent = _walk(doc, parts[:-1], w)
        last = parts[-1]
        if kind == "test":
            if _walk(doc, parts, w) != op.get("value"):
                raise RenderError(f"{w}: test of {op['path']} failed: {_walk(doc, parts, w)!r} != {op.get('value')!r}")
        elif kind == "add":
            value = copy.deepcopy(op["value"])
            if isinstance(parent, dict):
                parent[last] = value
            elif isinstance(parent, list):
                if last == "-":
                    parent.append(value)
                elif last.isdigit() and int(last) <= len(parent):
                    parent.insert(int(last), value)
                else:
                    raise RenderError(f"{w}: bad index {last!r}")
            else:
                raise RenderError(f"{w}: cannot add below a scalar")
        elif kind in ("remove", "replace"):
            if isinstance(parent, dict) and last in parent:
                if kind == "remove":
                    del parent[last]
                else:
                    parent[last] = copy.deepcopy(op["value"])
            elif isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
                if kind == "remove":
                    del parent[int(last)]
                else:
                    parent[int(last)] = copy.deepcopy(op["value"])
            else:
                raise RenderError(f"{w}: {op['path']} does not exist")
        else:
            raise RenderError(f"{w}: op {kind!r} is not supported (add, remove, replace, test)")
    obj.clear()
    obj.update(doc)


# ---------------------------------------------------------------------------------------------


def render(directory: str, python: bool = False) -> tuple[list[dict[str, Any]], str]:
    """The objects and the name of the renderer used ("kubectl" or "python")."""
    if not os.path.isdir(directory):
        raise RenderError(f"{directory}: not a directory")
    if not python and kubectl_path():
        return render_kubectl(directory), "kubectl"
    return render_python(directory), "python"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Render a kustomization as a JSON list of objects.")
    ap.add_argument("dir", help="kustomization directory, e.g. deploy/overlays/remediation")
    ap.add_argument("--python", action="store_true", help="use the Python renderer even when kubectl is on PATH")
    args = ap.parse_args(argv)
    try:
        objs, used = render(args.dir, python=args.python)
    except RenderError as e:
        print(f"render.py: {e}", file=sys.stderr)
        return 1
    print(f"render.py: rendered {args.dir} with {used}: {len(objs)} objects", file=sys.stderr)
    json.dump(objs, sys.stdout, indent=2, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
