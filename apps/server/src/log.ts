import { Cause, Logger, type LogLevel as EffectLogLevel, References } from "effect"

/**
 * One JSON object per line on stdout/stderr: `{"at","level","message",...fields}`. Callers pass only
 * ids and facts, never credentials: the logger does not try to scrub secrets, so none may be handed to it.
 *
 * There is one line format and one writer: `log(...)` for code that is not an Effect, and
 * `jsonLinesLogger`, the Effect logger every server runtime installs, so that `Effect.log*` calls
 * (adapters, actors, projections) print the same lines with their log annotations as fields.
 */
export type LogLevel = "debug" | "info" | "warn" | "error"

const writeLine = (level: LogLevel, message: string, fields: Record<string, unknown>, at: Date): void => {
  const line = JSON.stringify({ at: at.toISOString(), level, message, ...fields })
  if (level === "error" || level === "warn") process.stderr.write(line + "\n")
  else process.stdout.write(line + "\n")
}

export const log = (level: LogLevel, message: string, fields: Record<string, unknown> = {}): void =>
  writeLine(level, message, fields, new Date())

const levels: Record<EffectLogLevel.LogLevel, LogLevel> = {
  All: "debug",
  Trace: "debug",
  Debug: "debug",
  Info: "info",
  Warn: "warn",
  Error: "error",
  Fatal: "error",
  None: "error"
}

const asText = (part: unknown): string => {
  if (typeof part === "string") return part
  try {
    return JSON.stringify(part) ?? String(part)
  } catch {
    return String(part)
  }
}

/**
 * Effect's logger writing today's lines: the first message part is the message, further parts go to
 * `detail`, a failure's cause to `error`, and the fiber's log annotations (`correlationId`, ...) are
 * the fields.
 */
export const jsonLinesLogger = Logger.make<unknown, void>((options) => {
  const parts = Array.isArray(options.message) ? options.message : [options.message]
  const fields: Record<string, unknown> = { ...options.fiber.getRef(References.CurrentLogAnnotations) }
  if (parts.length > 1) fields["detail"] = parts.slice(1).map(asText).join("\n")
  if (options.cause.reasons.length > 0) fields["error"] = Cause.pretty(options.cause)
  writeLine(levels[options.logLevel], parts.length === 0 ? "" : asText(parts[0]), fields, options.date)
})

/** Installs `jsonLinesLogger` in place of Effect's default one (whose format differs). */
export const JsonLinesLoggerLayer = Logger.layer([jsonLinesLogger])
