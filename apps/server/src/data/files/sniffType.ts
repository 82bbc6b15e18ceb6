import { fileTypeFromBuffer, supportedMimeTypes } from "file-type"

const OCTET_STREAM = "application/octet-stream"
/** `type/subtype` as RFC 9110 spells tokens; parameters are dropped. */
const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]{1,127}\/[a-z0-9!#$&^_.+-]{1,127}$/

/**
 * The content type a stored file is served with, decided from its bytes: what file-type recognises by
 * signature (images, PDF, archives, audio, video, ...) wins over what the sender declared. Bytes with
 * no signature (text, JSON, CSV) keep the declared type, unless it names a binary format whose
 * signature the bytes lack (a "image/png" that is not a PNG): then they are application/octet-stream.
 */
export const sniffType = async (bytes: Uint8Array, declared: string): Promise<string> => {
  const sniffed = await fileTypeFromBuffer(bytes)
  if (sniffed !== undefined) return sniffed.mime
  const claimed = declared.split(";", 1)[0]!.trim().toLowerCase()
  if (!MEDIA_TYPE.test(claimed)) return OCTET_STREAM
  // Text formats (XML without its declaration, a calendar) may lack the signature file-type looks for.
  const textual = claimed.startsWith("text/") || claimed.includes("xml")
  return !textual && supportedMimeTypes.has(claimed as never) ? OCTET_STREAM : claimed
}
