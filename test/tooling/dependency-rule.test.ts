import { execFileSync } from "node:child_process"
import { cpSync, mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { tempDir } from "../support/temp.js"

const script = fileURLToPath(new URL("../../scripts/check-dependency-rule.mjs", import.meta.url))
const repo = fileURLToPath(new URL("../..", import.meta.url))

const check = (root: string): { code: number; output: string } => {
  try {
    return { code: 0, output: execFileSync(process.execPath, [script, root], { encoding: "utf8", stdio: "pipe" }) }
  } catch (error) {
    const failed = error as { status: number; stderr: string }
    return { code: failed.status, output: failed.stderr }
  }
}

describe("dependency rule check", () => {
  const dir = tempDir()
  afterAll(dir.cleanup)

  it("holds for this repository", () => {
    expect(check(repo).code).toBe(0)
  })

  it("fails when core imports an I/O module, another package of ours, or leaves its folder", () => {
    for (const layer of ["core", "adapters", "projections"]) cpSync(join(repo, layer, "src"), join(dir.path, layer, "src"), { recursive: true })
    cpSync(join(repo, "core", "package.json"), join(dir.path, "core", "package.json"))
    mkdirSync(join(dir.path, "core", "src", "bad"), { recursive: true })
    writeFileSync(join(dir.path, "core", "src", "bad", "io.ts"), 'import { readFileSync } from "node:fs"\nexport const x = readFileSync\n')
    writeFileSync(join(dir.path, "core", "src", "bad", "ours.ts"), 'export * from "@machhub/adapters"\n')
    writeFileSync(join(dir.path, "core", "src", "bad", "escape.ts"), 'import "../../../adapters/src/index.js"\n')
    writeFileSync(join(dir.path, "projections", "src", "bad.ts"), 'const a = await import("@machhub/adapters")\n')
    const result = check(dir.path)
    expect(result.code).toBe(1)
    expect(result.output).toContain('core/src/bad/io.ts: imports "node:fs"')
    expect(result.output).toContain('core/src/bad/ours.ts: imports "@machhub/adapters"')
    expect(result.output).toContain("core/src/bad/escape.ts")
    expect(result.output).toContain('projections/src/bad.ts: imports "@machhub/adapters"')
  })
})
