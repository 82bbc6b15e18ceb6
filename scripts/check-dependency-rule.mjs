#!/usr/bin/env node
// The dependency rule (ARCHITECTURE.md): `core` imports nothing of ours and no I/O package — only
// `effect` and its own files; `adapters` and `projections` import `core` but not each other or the
// apps; only `apps` wire everything. Exits 1 naming every offending import.
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative, resolve, sep } from "node:path"

const root = resolve(process.argv[2] ?? ".")

/** For each layer: the packages it may import (besides its own relative files). */
const rules = {
  core: { allow: (spec) => spec === "effect" || spec.startsWith("effect/"), why: "core may import only effect (no I/O, nothing of ours)" },
  adapters: { allow: (spec) => !spec.startsWith("@machhub/") || spec === "@machhub/core", why: "adapters may import @machhub/core only" },
  projections: { allow: (spec) => !spec.startsWith("@machhub/") || spec === "@machhub/core", why: "projections may import @machhub/core only" }
}

const importPattern = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|(?:^|[\s;(])import\s*\(\s*["']([^"']+)["']\s*\)|(?:^|[\s;])import\s*["']([^"']+)["']|require\(\s*["']([^"']+)["']\s*\)/gm

const sourceFiles = (dir) => {
  let out = []
  let entries
  try {
    entries = readdirSync(dir)
  } catch {
    return out
  }
  for (const entry of entries) {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) out = out.concat(sourceFiles(path))
    else if (/\.(m|c)?[tj]sx?$/.test(entry) && !entry.endsWith(".d.ts")) out.push(path)
  }
  return out
}

const violations = []
for (const [layer, rule] of Object.entries(rules)) {
  const src = join(root, layer, "src")
  for (const file of sourceFiles(src)) {
    const text = readFileSync(file, "utf8")
    for (const match of text.matchAll(importPattern)) {
      const spec = match[1] ?? match[2] ?? match[3] ?? match[4]
      if (spec.startsWith(".")) {
        // A relative import must stay inside its own layer.
        const target = resolve(join(file, ".."), spec)
        if (!target.startsWith(src + sep) && target !== src) violations.push(`${relative(root, file)}: "${spec}" leaves ${layer}/src`)
        continue
      }
      if (!rule.allow(spec)) violations.push(`${relative(root, file)}: imports "${spec}" (${rule.why})`)
    }
  }
}

const corePackage = JSON.parse(readFileSync(join(root, "core", "package.json"), "utf8"))
for (const dep of Object.keys({ ...corePackage.dependencies, ...corePackage.peerDependencies })) {
  if (dep !== "effect") violations.push(`core/package.json: depends on "${dep}" (core may depend on effect only)`)
}

if (violations.length > 0) {
  console.error(`Dependency rule broken (${violations.length}):\n  ${violations.join("\n  ")}`)
  process.exit(1)
}
console.log("dependency rule holds: core imports only effect; adapters and projections import only core")
