import { parseStreamName } from "@machhub/core"

/** Default subject prefix: event streams live on `mh.es.<domain>.<category>.<id>`. */
export const DEFAULT_SUBJECT_PREFIX = "mh.es"

/** Bytes kept as they are in a subject token; everything else (".", "*", ">", spaces, "%", non-ASCII) is %XX. */
const plainByte = (byte: number): boolean =>
  (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) ||
  byte === 0x2d /* - */ || byte === 0x5f /* _ */ || byte === 0x3a /* : */ || byte === 0x40 /* @ */ ||
  byte === 0x7e /* ~ */ || byte === 0x2b /* + */ || byte === 0x3d /* = */

const plainToken = /^[A-Za-z0-9\-_:@~+=]+$/

/** Percent-encodes a string into one valid, non-empty NATS subject token; injective. */
export const escapeToken = (text: string): string => {
  if (plainToken.test(text)) return text
  let out = ""
  for (const byte of Buffer.from(text, "utf8")) {
    out += plainByte(byte) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`
  }
  return out
}

/**
 * The subject of an event stream. Stream names of the system's form `<category>-<domain>-<id>` map to
 * `<prefix>.<domain>.<category>.<id>` (the layout the architecture fixes, so that a consumer can filter a
 * tenant with `mh.es.acme.>`). Any other name (the port accepts any non-empty string) maps to
 * `<prefix>._.<name>`: two tokens instead of three, so it can never collide with the first form.
 * Each token is escaped, so the mapping is injective: distinct streams never share a subject, which
 * `Nats-Expected-Last-Subject-Sequence` relies on.
 */
export const streamSubject = (prefix: string, stream: string): string => {
  const parts = parseStreamName(stream)
  return parts === undefined
    ? `${prefix}._.${escapeToken(stream)}`
    : `${prefix}.${escapeToken(parts.domain)}.${escapeToken(parts.category)}.${escapeToken(parts.id)}`
}

/** Every subject of the store, for stream configuration and log-wide reads. */
export const allSubjects = (prefix: string): string => `${prefix}.>`
