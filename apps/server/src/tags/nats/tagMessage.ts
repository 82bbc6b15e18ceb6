import { INSTANT_FORMAT, parseInstant } from "../values/instants.js"
import type { TagValue } from "../values/TagValue.js"

/**
 * The body of a tag value on NATS: JSON `{ topic, value, timestamp }`, the same shape as
 * `GET /machhub/tag/value/<topic>` answers (timestamp ISO 8601 in UTC).
 */
export const encodeTagMessage = (value: TagValue): Uint8Array =>
  Buffer.from(JSON.stringify({ topic: value.topic, value: value.value ?? null, timestamp: new Date(value.timestamp).toISOString() }), "utf8")

export type DecodedTagMessage = { readonly ok: true; readonly value: TagValue } | { readonly ok: false; readonly message: string }

const utf8 = new TextDecoder("utf-8", { fatal: true })

/**
 * A value a service published on the subject of `domain` and `topic`: a JSON object with `value`
 * (any JSON), `timestamp` when given (ISO 8601 or milliseconds since 1970, else the time it arrived)
 * and `topic` when given, which must be the subject's (the subject decides where a value goes; a body
 * naming another topic is a mistake, not a second address).
 */
export const decodeTagMessage = (domain: string, topic: string, data: Uint8Array, now: number): DecodedTagMessage => {
  let body: unknown
  try {
    body = JSON.parse(utf8.decode(data))
  } catch {
    return { ok: false, message: "the body is not JSON: send { \"value\": <any JSON>, \"timestamp\"?: <ISO 8601 or ms> }" }
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, message: "the body must be a JSON object { value, timestamp? }" }
  }
  const fields = body as Record<string, unknown>
  if (!("value" in fields)) return { ok: false, message: "the body has no value: send { \"value\": <any JSON> }" }
  if (fields["topic"] !== undefined && fields["topic"] !== topic) {
    return { ok: false, message: `the body names topic ${JSON.stringify(fields["topic"])} but the subject is topic ${JSON.stringify(topic)}` }
  }
  let timestamp = now
  if (fields["timestamp"] !== undefined && fields["timestamp"] !== null) {
    const parsed = parseInstant(fields["timestamp"])
    if (parsed === undefined) return { ok: false, message: `timestamp must be ${INSTANT_FORMAT}` }
    timestamp = parsed
  }
  return { ok: true, value: { domain, topic, value: fields["value"], timestamp } }
}
