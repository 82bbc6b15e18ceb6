/** A credential as presented, before it is verified. */
export type Credential =
  | { readonly kind: "token"; readonly token: string }
  | { readonly kind: "key"; readonly key: string }
  | { readonly kind: "none" }
  | { readonly kind: "malformed"; readonly message: string }

export const API_KEY_PREFIX = "mchx_"
const MAX_CREDENTIAL_LENGTH = 8192

const cookieValue = (cookieHeader: string | undefined, name: string): string | undefined => {
  if (cookieHeader === undefined) return undefined
  for (const part of cookieHeader.split(";")) {
    const eq = part.indexOf("=")
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/**
 * Reads the one credential a request carries (SPEC §2): `Authorization: Bearer <jwt|access token|key>`,
 * `Authorization: apikey <key>`, `X-Machhub-Api-Key`, and, where a route allows it, cookie `jwt`.
 */
export const readCredential = (headers: Readonly<Record<string, string>>, options: { readonly allowCookie?: boolean } = {}): Credential => {
  const authorization = headers["authorization"]
  if (authorization !== undefined) {
    if (authorization.length > MAX_CREDENTIAL_LENGTH) return { kind: "malformed", message: "Authorization header is too long" }
    const space = authorization.indexOf(" ")
    const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase()
    const value = space < 0 ? "" : authorization.slice(space + 1).trim()
    if (value === "" || value.includes(" ") || value.includes(",")) {
      return { kind: "malformed", message: "Authorization must be 'Bearer <token>' or 'apikey <key>'" }
    }
    if (scheme === "bearer") return value.startsWith(API_KEY_PREFIX) ? { kind: "key", key: value } : { kind: "token", token: value }
    if (scheme === "apikey") return { kind: "key", key: value }
    return { kind: "malformed", message: `Authorization scheme ${scheme.slice(0, 20)} is not accepted here; use Bearer or apikey` }
  }
  const apiKey = headers["x-machhub-api-key"]
  if (apiKey !== undefined) {
    if (apiKey.length > MAX_CREDENTIAL_LENGTH) return { kind: "malformed", message: "X-Machhub-Api-Key is too long" }
    return apiKey.trim() === "" ? { kind: "malformed", message: "X-Machhub-Api-Key is empty" } : { kind: "key", key: apiKey.trim() }
  }
  if (options.allowCookie) {
    const jwt = cookieValue(headers["cookie"], "jwt")
    if (jwt !== undefined && jwt !== "") {
      return jwt.length > MAX_CREDENTIAL_LENGTH ? { kind: "malformed", message: "jwt cookie is too long" } : { kind: "token", token: jwt }
    }
  }
  return { kind: "none" }
}
