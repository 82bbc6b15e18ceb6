/** A published payload as a tag value: parsed JSON, or the text itself when it is not JSON (SPEC §7). */
export const payloadValue = (payload: Buffer): unknown => {
  const text = payload.toString("utf8")
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}
