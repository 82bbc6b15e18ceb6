import { transformSync, type Message } from "esbuild"
import type { CompileResult, Language } from "./SandboxApi.js"

/**
 * The code a process or function stores is the body of `async function execute(context)`. It is
 * wrapped in that function on a line of its own, so a line in the body is that line plus one in the
 * wrapped text; every position reported back is made relative to the body again.
 */
const wrapperLines = 1
const wrap = (body: string, language: Language): string =>
  `async function execute(context${language === "typescript" ? ": any" : ""}) {\n${body}\n}\n`

/** QuickJS implements ES2023; asking esbuild for ES2022 keeps every construct it emits supported. */
const target = "es2022"

/**
 * Turns stored code into the JavaScript the sandbox runs, or the first error with its line and
 * column in the body (both 1-based) and esbuild's message. TypeScript loses its types (esbuild
 * transpiles, it does not typecheck: a type error is not a compile error, as in MACHHUB). JavaScript
 * is parsed by the same compiler so both languages refuse bad syntax the same way at deploy time,
 * and runs exactly as written (so a runtime error's line is the body's line plus one); TypeScript's
 * JavaScript carries an inline source map back to the body.
 */
export const compileCode = (code: string, language: Language): CompileResult => {
  const wrapped = wrap(code, language)
  try {
    const output = transformSync(wrapped, {
      loader: language === "typescript" ? "ts" : "js",
      target,
      format: "esm",
      sourcefile: "code",
      sourcemap: language === "typescript" ? "external" : false,
      logLevel: "silent"
    })
    if (language === "javascript") return { ok: true, js: wrapped }
    // esbuild prints TypeScript out anew, so its lines are not the body's: the source map travels
    // with the code, and the sandbox reads it to name the body's line in a runtime error.
    return { ok: true, js: `${output.code}//# sourceMappingURL=data:application/json;base64,${Buffer.from(output.map).toString("base64")}\n` }
  } catch (cause) {
    return toCompileError(cause, code)
  }
}

const toCompileError = (cause: unknown, body: string): CompileResult => {
  const errors = (cause as { errors?: ReadonlyArray<Message> }).errors
  const first = errors?.[0]
  if (first === undefined) {
    return { ok: false, line: 1, column: 1, message: cause instanceof Error ? cause.message : String(cause) }
  }
  const location = first.location
  if (location === null) return { ok: false, line: 1, column: 1, message: first.text }
  const bodyLines = body.split("\n")
  const line = location.line - wrapperLines
  // An error found on the wrapper's closing lines (an unclosed brace or an expression cut short is
  // only noticed there) belongs to the end of the body.
  if (line > bodyLines.length) {
    return { ok: false, line: bodyLines.length, column: (bodyLines.at(-1) ?? "").length + 1, message: first.text }
  }
  return { ok: false, line: Math.max(1, line), column: location.column + 1, message: first.text }
}
