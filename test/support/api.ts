import { loginAsAdmin } from "./server.js"

/** A small HTTP client for one base URL, one credential and one active domain. */
export interface Api {
  readonly baseUrl: string
  readonly token: string
  readonly domain: string | undefined
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>
  json<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T; headers: Headers }>
  inDomain(domain: string | undefined): Api
}

export const api = (baseUrl: string, token: string, domain?: string, header: "bearer" | "x-api-key" | "apikey" = "bearer"): Api => {
  const credential: Record<string, string> =
    header === "bearer" ? { authorization: `Bearer ${token}` } : header === "apikey" ? { authorization: `apikey ${token}` } : { "x-machhub-api-key": token }
  const request = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...credential,
        ...(domain === undefined ? {} : { domain: `domains:${domain}` }),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
  return {
    baseUrl,
    token,
    domain,
    request,
    json: async (method, path, body, headers) => {
      const response = await request(method, path, body, headers)
      const raw = await response.text()
      let parsed: unknown = raw
      try {
        parsed = JSON.parse(raw)
      } catch {
        // plain-text errors stay text
      }
      return { status: response.status, body: parsed as any, headers: response.headers }
    },
    inDomain: (other) => api(baseUrl, token, other, header)
  }
}

export const loginAs = async (baseUrl: string, username: string, password: string): Promise<string> => {
  const response = await fetch(`${baseUrl}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password })
  })
  if (response.status !== 200) throw new Error(`login as ${username} failed: ${response.status} ${await response.text()}`)
  return ((await response.json()) as { tkn: string }).tkn
}

export const adminApi = async (baseUrl: string, domain?: string): Promise<Api> => api(baseUrl, await loginAsAdmin(baseUrl), domain)

/** Creates a domain, a group in it and a user in that group; returns the user's API client. */
export const seedDomainUser = async (
  admin: Api,
  options: { domain: string; username: string; password?: string; group?: string; permissions?: Array<{ feature: string; action: string; scope: string }> }
): Promise<{ api: Api; userId: string; password: string }> => {
  const password = options.password ?? `${options.username}-password-123`
  const domains = await admin.json("POST", "/api/domains", { name: options.domain })
  if (domains.status !== 201 && domains.status !== 409) throw new Error(`create domain: ${domains.status} ${domains.body}`)
  const inDomain = admin.inDomain(options.domain)
  const groups: Array<string> = []
  if (options.group !== undefined) {
    const group = await inDomain.json("POST", "/api/groups", { name: options.group, permissions: options.permissions ?? [] })
    if (group.status !== 201 && group.status !== 409) throw new Error(`create group: ${group.status} ${group.body}`)
    groups.push(options.group)
  }
  const user = await inDomain.json("POST", "/api/users", { username: options.username, password, groups })
  if (user.status !== 201) throw new Error(`create user: ${user.status} ${user.body}`)
  return { api: api(admin.baseUrl, await loginAs(admin.baseUrl, options.username, password), options.domain), userId: user.body.id, password }
}
