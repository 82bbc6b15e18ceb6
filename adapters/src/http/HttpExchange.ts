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
