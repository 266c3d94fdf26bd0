import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// Every API value is rendered as text: React escapes it, as long as no component opts out.
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : /\.(tsx?|mjs)$/.test(name) ? [path] : [];
  });
}

describe("rendering", () => {
  it("never injects HTML", () => {
    const offenders = files(join(__dirname, "..", "src")).filter((f) => /dangerouslySetInnerHTML|innerHTML\s*=/.test(readFileSync(f, "utf8")));
    expect(offenders).toEqual([]);
  });
});
