import busboy from "busboy"

/** One file part of a `multipart/form-data` body: the record field it is for, the name it was sent with, its bytes. */
export interface UploadedFile {
  readonly field: string
  readonly fileName: string
  /** The part's own Content-Type (what the sender claims); the stored type is sniffed (see sniffType.ts). */
  readonly declaredType: string
  readonly bytes: Buffer
}

export interface MultipartLimits {
  /** Largest file part, and the setting that raises it (named in the 413 answer). */
  readonly maxFileBytes: number
  readonly maxFileSetting: string
  /** Largest `record` part (the same limit as a JSON body), and its setting. */
  readonly maxRecordBytes: number
  readonly maxRecordSetting: string
}

export type MultipartForm =
  | { readonly ok: true; readonly record: string; readonly files: ReadonlyArray<UploadedFile> }
  | { readonly ok: false; readonly status: 400 | 413; readonly message: string }

/** More file parts than this in one request is refused: each becomes a stored file and an index row. */
export const MAX_FILES_PER_REQUEST = 100

const strictUtf8 = new TextDecoder("utf-8", { fatal: true })
const refuse = (status: 400 | 413, message: string): MultipartForm => ({ ok: false, status, message })
const malformed = (problem: string): MultipartForm => refuse(400, `The multipart/form-data body is malformed: ${problem}`)
const quoted = (name: string): string => JSON.stringify(name.slice(0, 200))

/**
 * Parses a `multipart/form-data` body (SPEC §6, §6a) with busboy: the `record` part holds the record's
 * JSON, each part with a file name is a file for the record field it is named after, and other plain
 * parts are ignored (HTML forms send their other inputs too). The body is already in memory (the edge
 * read it within its limit), so it is handed over whole.
 *
 * The record part is text in its declared charset, UTF-8 when it declares none (JSON's only encoding;
 * browsers send none): bytes that are not UTF-8 read as U+FFFD there, as browsers read them. Sent as
 * a file, its bytes must be exact UTF-8.
 */
export const readMultipartForm = (body: Buffer, contentType: string, limits: MultipartLimits): Promise<MultipartForm> =>
  new Promise((resolve) => {
    let parser: busboy.Busboy
    try {
      parser = busboy({
        headers: { "content-type": contentType },
        defCharset: "utf8",
        // Browsers send file names as raw UTF-8 between the quotes.
        defParamCharset: "utf8",
        // busboy reports a part as over its limit once it reaches the limit: one more byte is allowed.
        limits: { fileSize: limits.maxFileBytes + 1, fieldSize: limits.maxRecordBytes + 1, files: MAX_FILES_PER_REQUEST }
      })
    } catch (error) {
      // "Multipart: Boundary not found", "Malformed content type", ...
      resolve(malformed(error instanceof Error ? error.message : String(error)))
      return
    }

    let settled = false
    const finish = (outcome: MultipartForm): void => {
      if (settled) return
      settled = true
      resolve(outcome)
      // Stop parsing once the answer is known (a refused part makes the rest irrelevant).
      if (!outcome.ok) parser.destroy()
    }
    let record: string | undefined
    let recordParts = 0
    const files: Array<UploadedFile> = []
    let pendingFiles = 0
    let parsed = false
    const done = (): void => {
      if (!parsed || pendingFiles > 0) return
      if (recordParts === 0 || record === undefined) return finish(refuse(400, 'The multipart/form-data body has no "record" part; send the record\'s JSON in a part named record'))
      finish({ ok: true, record, files })
    }
    const takeRecord = (json: string): void => {
      recordParts++
      if (recordParts > 1) return finish(refuse(400, 'The multipart/form-data body has more than one "record" part; send one'))
      record = json
    }
    const tooLargeRecord = (): MultipartForm =>
      refuse(413, `The record part exceeds the limit of ${limits.maxRecordBytes} bytes; raise ${limits.maxRecordSetting} to allow larger records`)

    parser.on("field", (name, value, info) => {
      if (name !== "record") return
      if (info.valueTruncated) return finish(tooLargeRecord())
      takeRecord(value)
    })

    parser.on("file", (name, stream, info) => {
      const chunks: Array<Buffer> = []
      let size = 0
      pendingFiles++
      stream.on("data", (chunk: Buffer) => {
        chunks.push(chunk)
        size += chunk.length
      })
      stream.on("limit", () => {
        finish(refuse(413, `The file ${quoted(info.filename ?? "")} for field ${quoted(name ?? "")} exceeds the limit of ${limits.maxFileBytes} bytes per file; raise ${limits.maxFileSetting} to allow larger files`))
      })
      stream.on("error", () => undefined) // reported by the parser's own error
      stream.on("end", () => {
        pendingFiles--
        const bytes = Buffer.concat(chunks, size)
        if (name === "record") {
          // The record sent as a file, e.g. `curl -F record=@record.json`.
          if (size > limits.maxRecordBytes) return finish(tooLargeRecord())
          let json: string
          try {
            json = strictUtf8.decode(bytes)
          } catch {
            return finish(refuse(400, "The record part is not valid UTF-8"))
          }
          takeRecord(json)
        } else if (name === undefined || name === "") {
          return finish(malformed(`a file part (${quoted(info.filename ?? "")}) has no name; name it after the record field it is for`))
        } else if (info.filename !== undefined && !(info.filename === "" && size === 0)) {
          // Skipped otherwise: a part typed application/octet-stream without a file name is a plain
          // part, and a file input left empty is sent with an empty name and no bytes.
          files.push({ field: name, fileName: info.filename, declaredType: info.mimeType, bytes })
        }
        done()
      })
    })

    parser.on("filesLimit", () => finish(refuse(413, `The multipart/form-data body has more than ${MAX_FILES_PER_REQUEST} files; send at most ${MAX_FILES_PER_REQUEST} per request`)))
    parser.on("error", (error: unknown) => finish(malformed(error instanceof Error ? error.message : String(error))))
    parser.on("close", () => {
      parsed = true
      done()
    })
    parser.end(body)
  })
