// Renders a kustomize directory (an overlay, the base, a job) to one
// multi-document YAML stream on stdout, for checking without kustomize, which
// Debian does not ship. Implements only what deploy/k8s uses, and rejects any
// other kustomization field so that an overlay cannot silently rely on one:
//   resources (files, and directories holding a kustomization.yaml),
//   namespace, images (newName, newTag, digest), replicas,
//   patches (a strategic merge patch, or a JSON 6902 list of add, remove and
//     replace operations; from path or inline; target by group, version,
//     kind, name, namespace and an equality labelSelector),
//   configMapGenerator (files and literals, with
//     generatorOptions.disableNameSuffixHash: true).
// Usage: node render.mjs DIR
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import YAML from "yaml";

const SUPPORTED = new Set([
  "apiVersion", "kind", "resources", "namespace", "images", "replicas",
  "patches", "configMapGenerator", "generatorOptions",
]);
// Kinds that live outside any namespace (those deploy/k8s could use).
const CLUSTER_SCOPED = new Set([
  "Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume",
  "StorageClass", "CustomResourceDefinition", "PriorityClass",
]);
// The merge key of each list a strategic merge patch merges by element;
// every other list is replaced whole, as in Kubernetes.
const MERGE_KEYS = {
  containers: "name", initContainers: "name", volumes: "name", env: "name",
  volumeMounts: "mountPath", imagePullSecrets: "name",
};

function fail(message) {
  throw new Error(message);
}

// YAML 1.1, as Kubernetes reads it (0440 is octal, yes is true).
const YAML_OPTIONS = { version: "1.1" };

function readYamlDocuments(file) {
  return YAML.parseAllDocuments(fs.readFileSync(file, "utf8"), YAML_OPTIONS)
    .map((document) => {
      if (document.errors.length > 0) {
        fail(`${file}: ${document.errors[0].message}`);
      }
      return document.toJS();
    })
    .filter((object) => object !== null);
}

// Strategic merge: maps merge key by key (null deletes), lists with a merge
// key merge element by element ("$patch: delete" removes one), others replace.
function strategicMerge(target, patch, field) {
  if (patch === null) return undefined;
  if (Array.isArray(patch) && Array.isArray(target)) {
    let key = MERGE_KEYS[field];
    if (field === "ports") key = "containerPort" in (patch[0] ?? {}) ? "containerPort" : "port";
    if (!key) return structuredClone(patch);
    // As kustomize orders it: the patch's elements (merged with the ones they
    // name), then the target's others.
    const merged = [];
    for (const element of patch) {
      const match = target.find((item) => item[key] === element[key]);
      if (element.$patch === "delete") continue;
      merged.push(match ? strategicMerge(match, element, undefined) : structuredClone(element));
    }
    const named = new Set(patch.map((element) => element[key]));
    merged.push(...target.filter((item) => !named.has(item[key])).map((item) => structuredClone(item)));
    return merged;
  }
  if (isMap(patch) && isMap(target)) {
    const merged = structuredClone(target);
    for (const [key, value] of Object.entries(patch)) {
      const result = strategicMerge(merged[key], value, key);
      if (result === undefined) delete merged[key];
      else merged[key] = result;
    }
    return merged;
  }
  return structuredClone(patch);
}

function isMap(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

// JSON 6902 (add, remove, replace) on one object; "-" appends to a list.
function applyJsonPatch(object, operations, where) {
  for (const operation of operations) {
    const keys = operation.path.split("/").slice(1)
      .map((key) => key.replaceAll("~1", "/").replaceAll("~0", "~"));
    const last = keys.pop();
    let parent = object;
    for (const key of keys) {
      parent = parent?.[Array.isArray(parent) ? Number(key) : key];
      if (parent === undefined) fail(`${where}: ${operation.path}: no such path`);
    }
    if (!["add", "remove", "replace"].includes(operation.op)) {
      fail(`${where}: operation "${operation.op}" is not supported`);
    }
    if (Array.isArray(parent)) {
      const index = last === "-" ? parent.length : Number(last);
      if (!(index >= 0 && index <= parent.length) || (operation.op !== "add" && index === parent.length)) {
        fail(`${where}: ${operation.path}: no such list index`);
      }
      const removed = operation.op === "add" ? 0 : 1;
      const inserted = operation.op === "remove" ? [] : [structuredClone(operation.value)];
      parent.splice(index, removed, ...inserted);
    } else if (operation.op === "remove") {
      if (!(last in parent)) fail(`${where}: ${operation.path}: no such field`);
      delete parent[last];
    } else {
      if (operation.op === "replace" && !(last in parent)) {
        fail(`${where}: ${operation.path}: no such field to replace`);
      }
      parent[last] = structuredClone(operation.value);
    }
  }
}

function matches(resource, target) {
  const [group, version] = resource.apiVersion.includes("/")
    ? resource.apiVersion.split("/") : ["", resource.apiVersion];
  const labels = resource.metadata.labels ?? {};
  const selector = (target.labelSelector ?? "").split(",").filter(Boolean)
    .map((term) => term.split("="));
  return (target.group === undefined || target.group === group) &&
    (target.version === undefined || target.version === version) &&
    (target.kind === undefined || target.kind === resource.kind) &&
    (target.name === undefined || target.name === resource.metadata.name) &&
    (target.namespace === undefined || target.namespace === resource.metadata.namespace) &&
    selector.every(([key, value]) => labels[key] === value);
}

function applyPatch(resources, entry, dir) {
  const where = `${dir}: patch ${entry.path ?? "(inline)"}`;
  const text = entry.path
    ? fs.readFileSync(path.join(dir, entry.path), "utf8") : entry.patch;
  const patch = YAML.parse(text, YAML_OPTIONS);
  let target = entry.target;
  if (!Array.isArray(patch) && !target) {
    target = { kind: patch.kind, name: patch.metadata?.name };
  }
  if (!target) fail(`${where}: a JSON 6902 patch needs a target`);
  const hits = resources.filter((resource) => matches(resource, target));
  if (hits.length === 0) fail(`${where}: no resource matches ${JSON.stringify(target)}`);
  for (const resource of hits) {
    const name = `${where} on ${resource.kind}/${resource.metadata.name}`;
    if (Array.isArray(patch)) {
      applyJsonPatch(resource, patch, name);
    } else {
      // The patch's name picks its target; it never renames one.
      const body = structuredClone(patch);
      delete body.metadata?.name;
      const merged = strategicMerge(resource, body, undefined);
      for (const key of Object.keys(resource)) delete resource[key];
      Object.assign(resource, merged);
    }
  }
}

function generateConfigMaps(kustomization, dir) {
  const generators = kustomization.configMapGenerator ?? [];
  if (generators.length > 0 && kustomization.generatorOptions?.disableNameSuffixHash !== true) {
    fail(`${dir}: configMapGenerator needs generatorOptions.disableNameSuffixHash: true ` +
      "(the name hash of kustomize is not implemented)");
  }
  return generators.map((generator) => {
    const data = {};
    for (const literal of generator.literals ?? []) {
      const split = literal.indexOf("=");
      data[literal.slice(0, split)] = literal.slice(split + 1);
    }
    for (const file of generator.files ?? []) {
      const [key, source] = file.includes("=") ? file.split("=") : [path.basename(file), file];
      data[key] = fs.readFileSync(path.join(dir, source), "utf8");
    }
    return { apiVersion: "v1", kind: "ConfigMap", metadata: { name: generator.name }, data };
  });
}

function setImages(resource, images) {
  const spec = resource.spec?.template?.spec;
  for (const container of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) {
    const [name] = container.image.split(/[:@]/);
    const image = images.find((candidate) => candidate.name === name);
    if (!image) continue;
    const reference = image.newName ?? name;
    container.image = image.digest ? `${reference}@${image.digest}`
      : `${reference}:${image.newTag ?? (container.image.split(":")[1] ?? "latest")}`;
  }
}

export function render(dir) {
  const file = path.join(dir, "kustomization.yaml");
  if (!fs.existsSync(file)) fail(`${dir}: no kustomization.yaml`);
  const [kustomization] = readYamlDocuments(file);
  for (const key of Object.keys(kustomization)) {
    if (!SUPPORTED.has(key)) {
      fail(`${file}: "${key}" is not supported by render.mjs (supported: ${[...SUPPORTED].join(", ")})`);
    }
  }
  const resources = [];
  for (const entry of kustomization.resources ?? []) {
    const source = path.join(dir, entry);
    resources.push(...(fs.statSync(source).isDirectory() ? render(source) : readYamlDocuments(source)));
  }
  resources.push(...generateConfigMaps(kustomization, dir));
  for (const entry of kustomization.patches ?? []) applyPatch(resources, entry, dir);
  for (const { name, count } of kustomization.replicas ?? []) {
    const hits = resources.filter((r) => r.metadata.name === name && r.spec?.replicas !== undefined);
    if (hits.length === 0) fail(`${file}: replicas: no workload named ${name}`);
    for (const resource of hits) resource.spec.replicas = count;
  }
  for (const resource of resources) {
    if (kustomization.namespace && !CLUSTER_SCOPED.has(resource.kind)) {
      resource.metadata.namespace = kustomization.namespace;
    }
    setImages(resource, kustomization.images ?? []);
  }
  return resources;
}

if (import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  if (process.argv.length !== 3) {
    console.error("usage: node render.mjs KUSTOMIZATION_DIR");
    process.exit(2);
  }
  try {
    process.stdout.write(render(process.argv[2])
      .map((resource) => YAML.stringify(resource, { lineWidth: 0 })).join("---\n"));
  } catch (error) {
    console.error(`render.mjs: ${error.message}`);
    process.exit(1);
  }
}
