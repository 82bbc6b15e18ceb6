import { json, statusLine, type HttpResponse } from "@machhub/adapters"

/**
 * SSH-machine routes answer in the seed's envelope `{ status, message, data }`, errors included
 * (`{ status: "<status text>", message, data: null }`, SPEC §1), unlike the plain-text errors elsewhere.
 */
export const statusText = (status: number): string => statusLine(status).slice(String(status).length + 1)

export const ok = (message: string, data: unknown, headers?: Record<string, string>): HttpResponse =>
  json(200, { status: "OK", message, data }, headers)

export const failure = (status: number, message: string, headers?: Readonly<Record<string, string>>): HttpResponse =>
  json(status, { status: statusText(status), message, data: null }, headers === undefined ? undefined : { ...headers })

/** Wraps a plain-text error from a shared helper (body parsing, command errors) in the envelope. */
export const enveloped = (response: HttpResponse): HttpResponse =>
  response.status >= 400 && typeof response.body === "string" && (response.contentType ?? "").startsWith("text/plain")
    ? failure(response.status, response.body, response.headers)
    : response
