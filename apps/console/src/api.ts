import { clearSession, getSession, updateSession, type Credential } from "./session"

/**
 * The one way pages call the server: same origin, `Authorization: Bearer <token>` and
 * `Domain: domains:<name>` added, a session's access token renewed once on 401, errors thrown as
 * ApiError with the server's plain-text message (SPEC §1).
 */

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly body: string) {
    super(message)
    this.name = "ApiError"
  }
}

export interface ApiOptions {
  readonly headers?: Record<string, string>
  readonly signal?: AbortSignal
  /** Skip the credential (sign-in calls). */
  readonly anonymous?: boolean
}

export const domainHeader = (domain: string): string => `domains:${domain}`

const READABLE: Readonly<Record<number, string>> = {
  401: "Your sign-in has ended; sign in again.",
  403: "You do not have permission to do this here.",
  404: "Not found.",
  429: "Too many requests; wait a moment and try again.",
  503: "The server is starting up; try again in a moment."
}

const requestInit = (method: string, body: unknown, options: ApiOptions, credential: Credential | undefined): RequestInit => {
  const headers: Record<string, string> = { Domain: domainHeader(getSession().domain), ...options.headers }
  if (credential !== undefined && !options.anonymous) headers.Authorization ??= `Bearer ${credential.token}`
  let payload: BodyInit | undefined
  if (body instanceof FormData || typeof body === "string" || body instanceof Blob) payload = body
  else if (body !== undefined) {
    headers["Content-Type"] ??= "application/json"
    payload = JSON.stringify(body)
  }
  return {
    method,
    headers,
    body: payload,
    // Sign-in calls send no cookie: a refused Basic login answers with a Basic challenge, and a
    // request that carries credentials would have the browser open its own password prompt.
    credentials: options.anonymous ? "omit" : "same-origin",
    ...(options.signal === undefined ? {} : { signal: options.signal })
  }
}

// One refresh at a time: concurrent 401s all wait for the same renewal.
let refreshing: Promise<boolean> | undefined

const refreshAccessToken = (credential: Extract<Credential, { kind: "session" }>): Promise<boolean> =>
  (refreshing ??= (async () => {
    try {
      const response = await fetch("/sessions/refresh", { method: "POST", headers: { Authorization: `Bearer ${credential.refreshToken}` } })
      if (!response.ok) return false
      const { access_token } = (await response.json()) as { access_token: string }
      updateSession({ credential: { ...credential, token: access_token } })
      return true
    } catch {
      return false
    } finally {
      refreshing = undefined
    }
  })())

const credentialStillTaken = async (): Promise<boolean> => {
  const current = getSession().credential
  if (current === undefined) return false
  try {
    const me = await fetch("/api/me", { headers: { Authorization: `Bearer ${current.token}`, Domain: domainHeader(getSession().domain) } })
    return me.status !== 401
  } catch {
    // The server cannot be reached: keep the sign-in, the next request will tell.
    return true
  }
}

/** The raw Response (files, CSV, streams); throws ApiError on a non-2xx answer. */
export const apiRaw = async (method: string, path: string, body?: unknown, options: ApiOptions = {}): Promise<Response> => {
  const credential = getSession().credential
  let response = await fetch(path, requestInit(method, body, options, credential))
  if (response.status === 401 && credential?.kind === "session" && !options.anonymous && options.headers?.Authorization === undefined) {
    if (await refreshAccessToken(credential)) response = await fetch(path, requestInit(method, body, options, getSession().credential))
  }
  if (!response.ok) {
    const text = await response.text()
    // A credential the server no longer takes ends the sign-in (the gate shows the sign-in page). A
    // 401 can also be about something else the request carried (an SSH machine's master password),
    // so the credential itself is asked about before the user is signed out.
    if (response.status === 401 && credential !== undefined && !options.anonymous && options.headers?.Authorization === undefined) {
      if (!(await credentialStillTaken())) clearSession()
    }
    throw new ApiError(response.status, readableMessage(response.status, text), text)
  }
  return response
}

/** A JSON answer (undefined for an empty body). */
export const api = async <T>(method: string, path: string, body?: unknown, options: ApiOptions = {}): Promise<T> => {
  const response = await apiRaw(method, path, body, options)
  const text = await response.text()
  return (text === "" ? undefined : JSON.parse(text)) as T
}

/** The server's own words when it sent some (plain text, or the SSH routes' envelope), else a readable default. */
const readableMessage = (status: number, text: string): string => {
  const trimmed = text.trim()
  if (trimmed.startsWith("{")) {
    try {
      const envelope = JSON.parse(trimmed) as { message?: unknown }
      if (typeof envelope.message === "string" && envelope.message !== "") return envelope.message
    } catch {
      // not JSON after all: shown as text below
    }
  }
  if (trimmed !== "" && trimmed.length < 500) return trimmed
  return READABLE[status] ?? `The server answered ${status}.`
}

/** What to show for any thrown value. */
export const errorMessage = (error: unknown): string => {
  if (error instanceof ApiError) return error.status === 403 ? `${READABLE[403]} (${error.message})` : error.message
  if (error instanceof Error) return error.message
  return String(error)
}
