"""Builds deploy/k8s's kustomizations in Python, so the tests read what `kubectl apply -k` would
apply without a kustomize binary: the subset of Kustomize that those files use.

- ``resources``: files (each a YAML stream) and folders holding a ``kustomization.yaml``;
- ``namespace``: set on every object (all of Hubbub's are namespaced);
- ``images``: ``name`` -> ``newName``/``newTag`` in pod templates' containers;
- ``replicas``: ``spec.replicas`` of the named workload;
- ``patches`` given by ``path``: strategic-merge patches naming their target by kind and name.
  Maps merge; the lists Kubernetes merges by name (containers, initContainers, env, volumes)
  merge item by item; other lists are replaced whole, as Kubernetes' own merge keys say.

Anything else in a kustomization is refused rather than ignored, so a new feature used there
fails here until this builder learns it. tests/test_deploy.py compares the result with
`kubectl kustomize` wherever that binary is installed.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

KNOWN = {"apiVersion", "kind", "resources", "namespace", "images", "replicas", "patches"}
MERGED_BY_NAME = {"containers", "initContainers", "env", "volumes"}


def build(folder: Path) -> list[dict[str, Any]]:
    """The objects ``folder``'s kustomization.yaml makes, in the order they were declared."""
    spec = yaml.safe_load((folder / "kustomization.yaml").read_text())
    unknown = set(spec) - KNOWN
    if unknown:
        raise ValueError(f"{folder}: this builder does not know {sorted(unknown)}")
    objects: list[dict[str, Any]] = []
    for entry in spec.get("resources", []):
        path = folder / entry
        if path.is_dir():
            objects.extend(build(path))
        else:
            objects.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    for patch_entry in spec.get("patches", []):
        if set(patch_entry) != {"path"}:
            raise ValueError(f"{folder}: only patches by path are known here: {patch_entry}")
        for patch in yaml.safe_load_all((folder / patch_entry["path"]).read_text()):
            if patch:
                target = find(objects, patch["kind"], patch["metadata"]["name"])
                merged = merge(target, patch)
                target.clear()
                target.update(merged)
    for entry in spec.get("replicas", []):
        workload = next(o for o in objects if o["metadata"]["name"] == entry["name"]
                        and "replicas" in o.get("spec", {}))
        workload["spec"]["replicas"] = entry["count"]
    for image in spec.get("images", []):
        for obj in objects:
            for container in containers(obj):
                name, tag = split_image(container["image"])
                if name == image["name"]:
                    tag = image.get("newTag", tag)
                    new_name = image.get("newName", name)
                    container["image"] = f"{new_name}:{tag}" if tag else new_name
    if "namespace" in spec:
        for obj in objects:
            obj["metadata"]["namespace"] = spec["namespace"]
    return objects


def find(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def merge(base: Any, patch: Any, key: str = "") -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        out = copy.deepcopy(base)
        for k, v in patch.items():
            out[k] = merge(base[k], v, k) if k in base else copy.deepcopy(v)
        return out
    if key in MERGED_BY_NAME and isinstance(base, list) and isinstance(patch, list):
        out_list = copy.deepcopy(base)
        for item in patch:
            names = [i["name"] for i in out_list]
            if item["name"] in names:
                at = names.index(item["name"])
                out_list[at] = merge(out_list[at], item)
            else:
                out_list.append(copy.deepcopy(item))
        return out_list
    return copy.deepcopy(patch)


def pod_spec(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The pod template's spec of a workload (Deployment, StatefulSet, Job), else None."""
    template = obj.get("spec", {}).get("template")
    return template["spec"] if isinstance(template, dict) and "spec" in template else None


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(obj)
    if spec is None:
        return []
    return [*spec.get("initContainers", []), *spec.get("containers", [])]


def split_image(image: str) -> tuple[str, str | None]:
    """``repo/name:tag`` -> (``repo/name``, ``tag``); a registry's port is not a tag."""
    head, _, last = image.rpartition("/")
    if ":" in last:
        name, tag = last.split(":", 1)
        return (f"{head}/{name}" if head else name), tag
    return image, None
