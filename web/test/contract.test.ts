import { readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, resolve } from "node:path";
import { describe, expect, it } from "vitest";

// The API module is written by hand; this checks every call it makes against the wire contract
// (docs/contract/allauth-headless-openapi.yaml, a copy of the shared contract kept in the repository):
// the path exists and allows the method.
const here = dirname(fileURLToPath(import.meta.url));
const specPath = resolve(here, "../../docs/contract/allauth-headless-openapi.yaml");
const apiSource = readFileSync(resolve(here, "../src/lib/api.ts"), "utf8");

/** Methods per path from the OpenAPI YAML, read by indentation (paths at 2 spaces, methods at 4). */
function operations(yaml: string): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  let inPaths = false;
  let current: string | null = null;
  for (const line of yaml.split("\n")) {
    if (/^paths:\s*$/.test(line)) {
      inPaths = true;
      continue;
    }
    if (inPaths && /^\S/.test(line)) break;
    const path = /^ {2}(\/\S+):\s*$/.exec(line)?.[1];
    if (path !== undefined) {
      current = path;
      result.set(path, new Set());
      continue;
    }
    const method = /^ {4}(get|post|put|patch|delete):\s*$/.exec(line)?.[1];
    if (method !== undefined && current !== null) result.get(current)?.add(method.toUpperCase());
  }
  return result;
}

describe("the API module against the OpenAPI contract", () => {
  it("finds the contract beside the repository", () => {
    expect(existsSync(specPath)).toBe(true);
  });

  it("calls only paths and methods the contract defines for the browser client", () => {
    const spec = operations(readFileSync(specPath, "utf8"));
    const calls = [...apiSource.matchAll(/request(?:<[^>]*>)?\("([A-Z]+)", "([^"]+)"/g)].map((m) => [m[1] ?? "", m[2] ?? ""] as const);
    expect(calls.length).toBeGreaterThan(15);
    const missing = calls.filter(([method, path]) => {
      const methods = spec.get(`/_allauth/{client}/v1/${path}`) ?? spec.get(`/_allauth/browser/v1/${path}`);
      return !methods?.has(method);
    });
    expect(missing).toEqual([]);
  });
});
