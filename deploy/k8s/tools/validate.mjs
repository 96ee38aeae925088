// Checks Kubernetes manifests against the API's schemas without a cluster,
// two ways, and fails naming every problem:
//   1. the type maps of @kubernetes/client-node's generated models (the
//      OpenAPI of the Kubernetes release it names): every field must exist
//      in its kind's schema (unknown fields are rejected, as
//      `kubectl apply --validate=strict` does) and have the right JSON type;
//   2. the precompiled JSON-schema validators of kubernetes-models: required
//      fields, enums and formats.
// Usage: node validate.mjs FILE.yaml...   (multi-document YAML; "-" = stdin)
import fs from "node:fs";
import YAML from "yaml";
import * as models from "@kubernetes/client-node/dist/gen/models/all.js";

// "apps/v1" + "Deployment" -> V1Deployment, as client-node names its models.
function modelName(apiVersion, kind) {
  const version = apiVersion.split("/").pop();
  return version[0].toUpperCase() + version.slice(1) + kind;
}

// Walks `value` against the client-node type `type`, adding problems.
function checkType(value, type, where, problems) {
  const wrong = (expected) =>
    problems.push(`${where}: expected ${expected}, got ${JSON.stringify(value)}`);
  if (type === "any" || type === "object") return;
  if (type === "string" || type === "Date") {
    if (typeof value !== "string") wrong("a string");
  } else if (type === "number") {
    if (typeof value !== "number") wrong("a number");
  } else if (type === "boolean") {
    if (typeof value !== "boolean") wrong("true or false");
  } else if (type === "IntOrString") {
    if (typeof value !== "string" && !Number.isInteger(value)) wrong("an integer or a string");
  } else if (type.startsWith("Array<")) {
    if (!Array.isArray(value)) return wrong("a list");
    value.forEach((item, i) => checkType(item, type.slice(6, -1), `${where}[${i}]`, problems));
  } else if (type.startsWith("{ [key: string]: ")) {
    if (!isMap(value)) return wrong("a map");
    const inner = type.slice("{ [key: string]: ".length, -"; }".length);
    for (const [key, item] of Object.entries(value)) {
      checkType(item, inner, `${where}.${key}`, problems);
    }
  } else if (models[type]?.getAttributeTypeMap) {
    if (!isMap(value)) return wrong(`an object (${type})`);
    const fields = new Map(models[type].getAttributeTypeMap()
      .map((field) => [field.baseName, field.type]));
    for (const [key, item] of Object.entries(value)) {
      if (!fields.has(key)) {
        problems.push(`${where}.${key}: unknown field (${type} has ${[...fields.keys()].join(", ")})`);
      } else if (item !== null) {
        checkType(item, fields.get(key), `${where}.${key}`, problems);
      }
    }
  } else {
    problems.push(`${where}: the type ${type} is unknown to this checker`);
  }
}

function isMap(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

// kubernetes-models' class for the kind: kubernetes-models/<group>/<version>/<Kind>.
async function schemaValidator(apiVersion, kind) {
  const module = `kubernetes-models/${apiVersion}/${kind}`;
  try {
    return (await import(module))[kind];
  } catch {
    return undefined;
  }
}

async function validate(object, where) {
  const problems = [];
  if (!isMap(object) || typeof object.apiVersion !== "string" || typeof object.kind !== "string") {
    return [`${where}: not a Kubernetes object (no apiVersion and kind)`];
  }
  const name = `${where} ${object.kind}/${object.metadata?.name}`;
  const type = modelName(object.apiVersion, object.kind);
  if (!models[type]) return [`${name}: ${object.apiVersion} ${object.kind} is not a known API kind`];
  checkType(object, type, name, problems);
  const Model = await schemaValidator(object.apiVersion, object.kind);
  if (!Model) {
    problems.push(`${name}: kubernetes-models has no schema for ${object.apiVersion} ${object.kind}`);
  } else {
    try {
      new Model(object).validate();
    } catch (error) {
      const details = (error.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
      problems.push(`${name}: ${details.length ? details.join("; ") : error.message}`);
    }
  }
  return problems;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node validate.mjs FILE.yaml... (- for stdin)");
  process.exit(2);
}
let count = 0;
const problems = [];
for (const file of files) {
  const text = fs.readFileSync(file === "-" ? 0 : file, "utf8");
  const documents = YAML.parseAllDocuments(text, { version: "1.1" });
  for (const [index, document] of documents.entries()) {
    const where = `${file}#${index + 1}`;
    if (document.errors.length > 0) {
      problems.push(`${where}: ${document.errors[0].message}`);
      continue;
    }
    const object = document.toJS();
    if (object === null) continue;
    count += 1;
    problems.push(...await validate(object, where));
  }
}
for (const problem of problems) console.error(problem);
console.log(`${count} objects checked, ${problems.length} problems`);
process.exit(problems.length === 0 && count > 0 ? 0 : 1);
