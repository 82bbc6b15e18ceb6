import type { RecordedEvent } from "@machhub/core"

/**
 * JSON for outside readers of the log (the audit API, NDJSON exports, NATS with the JSON format).
 * Byte fields (a terminal's output chunks) become base64 strings; left to JSON.stringify a Buffer
 * would become `{"type":"Buffer","data":[...]}`, one number per byte.
 */

const isBytes = (value: unknown): value is Uint8Array => value instanceof Uint8Array

/** Cheap pre-check, so the common event (no bytes anywhere) skips the slower replacer path. */
const containsBytes = (value: unknown, depth = 0): boolean => {
  if (value === null || typeof value !== "object" || depth > 32) return false
  if (isBytes(value)) return true
  if (Array.isArray(value)) return value.some((item) => containsBytes(item, depth + 1))
  for (const key in value) if (containsBytes((value as Record<string, unknown>)[key], depth + 1)) return true
  return false
}

/** `toJSON` runs before a replacer sees the value, so the original is read from the holder. */
function bytesAsBase64(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const original = this[key]
  return isBytes(original) ? Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString("base64") : value
}

/** JSON.stringify with byte arrays as base64 strings. */
export const stringifyWithBytes = (value: unknown): string =>
  containsBytes(value) ? JSON.stringify(value, bytesAsBase64) : JSON.stringify(value)

/** One event as a JSON object, envelope fields first: `{ id, stream, version, position, type, data, meta }`. */
export const eventJson = (event: RecordedEvent): string =>
  `{"id":${JSON.stringify(event.id)},"stream":${JSON.stringify(event.stream)},"version":${event.version},"position":${event.position},` +
  `"type":${JSON.stringify(event.type)},"data":${stringifyWithBytes(event.data) ?? "null"},"meta":${JSON.stringify(event.meta)}}`
