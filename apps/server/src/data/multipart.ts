/**
 * The one thing the data plane needs from `multipart/form-data` (SPEC §6): the text of one named
 * field. Parts are separated by `--<boundary>`; each has headers, a blank line, then its content.
 */
export const multipartField = (body: Buffer, contentType: string, field: string): { ok: true; value: Buffer } | { ok: false; message: string } => {
  const match = /boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType)
  const boundary = match?.[1] ?? match?.[2]
  if (boundary === undefined) return { ok: false, message: "multipart/form-data needs a boundary parameter" }
  const delimiter = Buffer.from(`--${boundary}`)
  let at = body.indexOf(delimiter)
  if (at < 0) return { ok: false, message: "multipart body does not contain its boundary" }
  while (at >= 0) {
    const start = at + delimiter.length
    if (body.subarray(start, start + 2).toString() === "--") break // closing delimiter
    const next = body.indexOf(delimiter, start)
    if (next < 0) return { ok: false, message: "multipart body is truncated (no closing boundary)" }
    const part = body.subarray(start, next)
    const headerEnd = part.indexOf("\r\n\r\n")
    if (headerEnd < 0) return { ok: false, message: "a multipart part has no header/content separator" }
    const headers = part.subarray(0, headerEnd).toString("latin1")
    const name = /content-disposition:[^\r\n]*\bname="([^"]*)"/i.exec(headers)?.[1]
    if (name === field) {
      let content = part.subarray(headerEnd + 4)
      if (content.subarray(-2).toString() === "\r\n") content = content.subarray(0, -2)
      return { ok: true, value: content }
    }
    at = next
  }
  return { ok: false, message: `multipart body has no "${field}" field` }
}
