/** A request as handlers see it: everything copied out of uWebSockets.js before any await. */
export interface HttpRequest {
  readonly method: string
  readonly path: string
  readonly query: string
  /** Lower-cased header names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>
  readonly body: Buffer
  readonly remoteAddress: string
  /** The request's `App-CorrelationID` when it sent a valid UUID, else a fresh one. */
  readonly correlationId: string
  readonly params: Readonly<Record<string, string>>
}

export interface HttpResponse {
  readonly status: number
  readonly headers?: Readonly<Record<string, string>>
  readonly body: string | Buffer
  readonly contentType?: string
  /**
   * A body produced piece by piece (see `streamed`): the edge pulls the next chunk only once the
   * client has taken the previous ones, so a body of any size is sent in bounded memory. `body` is
   * ignored when this is set.
   */
  readonly stream?: AsyncIterable<string | Uint8Array>
}

export type HttpHandler = (request: HttpRequest) => HttpResponse | Promise<HttpResponse>

const JSON_TYPE = "application/json; charset=utf-8"
const TEXT_TYPE = "text/plain; charset=utf-8"

export const json = (status: number, value: unknown, headers?: Record<string, string>): HttpResponse => ({
  status,
  body: JSON.stringify(value),
  contentType: JSON_TYPE,
  ...(headers === undefined ? {} : { headers })
})

/** Errors are plain text that says what is wrong (SPEC §1): never a stack trace, never a secret. */
export const text = (status: number, message: string, headers?: Record<string, string>): HttpResponse => ({
  status,
  body: message,
  contentType: TEXT_TYPE,
  ...(headers === undefined ? {} : { headers })
})

/**
 * A response whose body is pulled from `chunks` as the client reads it (chunked transfer encoding).
 * Yield chunks of some kilobytes rather than one per line: each is one write. The iterator is ended
 * early (its `finally` runs) when the client goes away; if it throws after the status was sent, the
 * connection is cut, so the client sees a truncated body rather than a complete-looking one.
 */
export const streamed = (
  status: number,
  contentType: string,
  chunks: AsyncIterable<string | Uint8Array>,
  headers?: Record<string, string>
): HttpResponse => ({
  status,
  body: "",
  contentType,
  stream: chunks,
  ...(headers === undefined ? {} : { headers })
})
