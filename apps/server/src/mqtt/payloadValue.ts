/** A published payload as a tag value: parsed JSON, or the text itself when it is not JSON (SPEC §7). */
export const payloadValue = (payload: Buffer): unknown => {
  const text = payload.toString("utf8")
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

/**
 * A tag value as an MQTT payload: text as it is (a payload that was not JSON comes back as it was
 * sent), anything else as JSON.
 */
export const valuePayload = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value))
