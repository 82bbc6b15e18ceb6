import type { RecordedEvent } from "@machhub/core"

/**
 * JSON cannot carry everything msgpack can: bigints become decimal strings and binary values base64
 * strings, so one odd event never stops an export.
 */
function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString()
  // A Buffer's toJSON has already run when the replacer sees it: look at the original value.
  const original = this[key]
  if (original instanceof Uint8Array) return Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString("base64")
  return value
}

/**
 * One NDJSON line per event: the envelope of ARCHITECTURE.md with `position` first, so a reader can
 * resume an interrupted export with `--from <last position + 1>`.
 */
export const eventJsonLine = (event: RecordedEvent): string =>
  `${JSON.stringify({
    position: event.position,
    id: event.id,
    stream: event.stream,
    version: event.version,
    type: event.type,
    data: event.data,
    meta: event.meta
  }, replacer)}\n`

/** A compact human line: `#1042 2025-03-01T12:00:00.000Z acme RecordCreated record-acme-products:7f3a v1 by user:42`. */
export const eventCompactLine = (event: RecordedEvent): string =>
  `#${event.position} ${event.meta.at} ${event.meta.domain} ${event.type} ${event.stream} v${event.version} by ${event.meta.actor.kind}:${event.meta.actor.id}\n`
