/** A username and password from `Authorization: Basic base64(username:password)` (RFC 7617). */
export type BasicCredentials =
  | { readonly ok: true; readonly username: string; readonly password: string }
  | { readonly ok: false; readonly status: 400 | 401; readonly message: string }

// The same bounds as the JSON body of POST /auth/login.
const MAX_USERNAME = 256
const MAX_PASSWORD = 1024
/** Room for the longest acceptable pair in base64 (4 chars per 3 bytes, up to 4 bytes a character). */
const MAX_HEADER = 6 + Math.ceil(((MAX_USERNAME + 1 + MAX_PASSWORD) * 4) / 3) * 4
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
const utf8 = new TextDecoder("utf-8", { fatal: true })

const missing = (message: string): BasicCredentials => ({ ok: false, status: 401, message })
const malformed = (message: string): BasicCredentials => ({ ok: false, status: 400, message })

/**
 * Reads Basic credentials strictly: Node's base64 decoder silently skips garbage, so the alphabet,
 * padding and UTF-8 are checked here, and every way of being wrong gets its own plain reason.
 * No credential or another scheme is 401 (the caller should authenticate); a broken one is 400.
 */
export const readBasicCredentials = (authorization: string | undefined): BasicCredentials => {
  if (authorization === undefined || authorization.trim() === "") {
    return missing("Authentication required: send Authorization: Basic base64(username:password)")
  }
  if (authorization.length > MAX_HEADER) return malformed("Authorization header is too long")
  const trimmed = authorization.trim()
  const space = trimmed.indexOf(" ")
  const scheme = space < 0 ? trimmed : trimmed.slice(0, space)
  if (scheme.toLowerCase() !== "basic") {
    return missing(`Authorization scheme ${scheme.slice(0, 20)} is not accepted here; send Authorization: Basic base64(username:password)`)
  }
  const encoded = space < 0 ? "" : trimmed.slice(space + 1).trim()
  if (encoded === "") return malformed("Authorization: Basic carries no credentials; send base64(username:password)")
  if (!BASE64.test(encoded) || encoded.length % 4 === 1) return malformed("Authorization: Basic credentials are not valid base64")
  let decoded: string
  try {
    decoded = utf8.decode(Buffer.from(encoded, "base64"))
  } catch {
    return malformed("Authorization: Basic credentials are not valid UTF-8 once decoded")
  }
  const colon = decoded.indexOf(":")
  if (colon < 0) return malformed("Authorization: Basic credentials must be base64(username:password); the colon is missing")
  const username = decoded.slice(0, colon)
  const password = decoded.slice(colon + 1)
  if (username === "") return malformed("Authorization: Basic credentials have an empty username")
  if (password === "") return malformed("Authorization: Basic credentials have an empty password")
  if (username.length > MAX_USERNAME) return malformed(`The username is longer than ${MAX_USERNAME} characters`)
  if (password.length > MAX_PASSWORD) return malformed(`The password is longer than ${MAX_PASSWORD} characters`)
  return { ok: true, username, password }
}
