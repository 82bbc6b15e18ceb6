/**
 * One JSON object per line on stdout/stderr. Callers pass only ids and facts, never credentials: the
 * logger does not try to scrub secrets, so none may be handed to it.
 */
export type LogLevel = "debug" | "info" | "warn" | "error"

export const log = (level: LogLevel, message: string, fields: Record<string, unknown> = {}): void => {
  const line = JSON.stringify({ at: new Date().toISOString(), level, message, ...fields })
  if (level === "error" || level === "warn") process.stderr.write(line + "\n")
  else process.stdout.write(line + "\n")
}
