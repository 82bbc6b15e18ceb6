import { describe, expect, it } from "vitest"
import { compileCode } from "../../apps/server/src/sandbox/index.js"

describe("compiling process and function code (the body of async function execute(context))", () => {
  it("strips TypeScript's types and keeps the body inside execute", () => {
    const compiled = compileCode("const x: number = context.inputs.a\ninterface P { a: number }\nreturn x * 2", "typescript")
    expect(compiled.ok).toBe(true)
    if (!compiled.ok) return
    expect(compiled.js).toMatch(/^async function execute\(context\) \{/)
    expect(compiled.js).not.toContain(": number")
    expect(compiled.js).not.toContain("interface")
    // The source map back to the body, which names the body's line in runtime errors.
    expect(compiled.js).toMatch(/\n\/\/# sourceMappingURL=data:application\/json;base64,[A-Za-z0-9+/=]+\n$/)
  })

  it("runs JavaScript exactly as written, inside execute", () => {
    expect(compileCode("return context.inputs.a + 1", "javascript")).toEqual({
      ok: true,
      js: "async function execute(context) {\nreturn context.inputs.a + 1\n}\n"
    })
  })

  it("answers the first syntax error with its line and column in the body, and the compiler's message", () => {
    expect(compileCode("const a = 1\nconst b = ;\nreturn a", "javascript")).toEqual({ ok: false, line: 2, column: 11, message: 'Unexpected ";"' })
    expect(compileCode("let total: number = 0\n  total +=* 2", "typescript")).toEqual({ ok: false, line: 2, column: 11, message: 'Unexpected "*"' })
  })

  it("places an error only noticed after the body (an unclosed brace) at the body's end", () => {
    expect(compileCode("if (context.inputs.a) {\n  return 1", "javascript")).toEqual({
      ok: false,
      line: 2,
      column: 11,
      message: "Unexpected end of file"
    })
  })

  it("refuses import statements, which a function body cannot hold", () => {
    const compiled = compileCode("import fs from 'node:fs'\nreturn fs", "typescript")
    expect(compiled).toMatchObject({ ok: false, line: 1 })
  })

  it("keeps a JavaScript-only construct out of TypeScript and the reverse", () => {
    expect(compileCode("const x: number = 1\nreturn x", "javascript")).toMatchObject({ ok: false, line: 1, column: 8 })
    expect(compileCode("const x = <div/>\nreturn x", "typescript")).toMatchObject({ ok: false, line: 1 })
  })
})
