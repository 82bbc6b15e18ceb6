import { Schema } from "effect"
import { privateKeyProblem, type HttpRequest, type HttpResponse, type PlainMachineSecrets } from "@machhub/adapters"
import { decodeBody } from "../routes/decodeBody.js"
import { failure } from "./envelope.js"

const Optional = (max: number) => Schema.optional(Schema.NullOr(Schema.String.check(Schema.isMaxLength(max))))

/** `POST /api/v1/machine`'s body (also documents the route). */
export const CreateMachineBody = Schema.Struct({
  name: Schema.String.check(Schema.isMaxLength(200)),
  hostname: Schema.String.check(Schema.isMaxLength(255)),
  // The seed sends the port as a string ("22"); a number is accepted as well.
  port: Schema.Union([Schema.String.check(Schema.isMaxLength(10)), Schema.Number]),
  username: Schema.String.check(Schema.isMaxLength(128)),
  password: Optional(4096),
  private_key: Optional(64 * 1024),
  passphrase: Optional(4096),
  organization: Optional(200),
  master_password: Optional(1024)
})
const readCreateBody = decodeBody(CreateMachineBody)

/** `POST /api/v1/machine/<id>/connect`'s body: the master password, unless sent as X-Master-Password. */
export const ConnectBody = Schema.Struct({ password: Optional(1024) })
const readConnectBody = decodeBody(ConnectBody)

export interface MachineInput {
  readonly name: string
  readonly hostname: string
  readonly port: string
  readonly username: string
  readonly organization: string | null
  readonly secrets: PlainMachineSecrets
  readonly masterPassword: string
}

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly response: HttpResponse }

const invalid = (message: string): Outcome<never> => ({ ok: false, response: failure(422, message) })

/** A DNS name or an IP address (IPv6 optionally in brackets); no spaces, no schemes, no paths. */
const hostnamePattern = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$|^\[?[0-9A-Fa-f:.]{2,45}\]?$/
const hasControl = (value: string) => /[\u0000-\u001f\u007f]/.test(value)

/** "" counts as absent: seed clients send empty strings for the credential they do not use. */
const present = (value: string | null | undefined): string | undefined => (value === undefined || value === null || value === "" ? undefined : value)

/**
 * The master password, from the `X-Master-Password` header or a body field (SPEC §9). Both may be
 * sent only if they agree, so a client cannot be confused about which one sealed its secrets.
 */
export const masterPasswordOf = (request: HttpRequest, field: string | null | undefined, fieldName: string): Outcome<string> => {
  const header = present(request.headers["x-master-password"])
  const body = present(field)
  if (header !== undefined && body !== undefined && header !== body) {
    return { ok: false, response: failure(400, `X-Master-Password and ${fieldName} differ; send the master password once`) }
  }
  const value = header ?? body
  if (value === undefined) {
    return { ok: false, response: failure(400, `The master password is required: send header X-Master-Password or field ${fieldName}`) }
  }
  return { ok: true, value }
}

/** A new vault's master password protects every secret of the user: the login password's rule applies. */
export const MASTER_PASSWORD_RULE = "a master password needs 10 to 1024 characters, not all whitespace"
export const masterPasswordProblem = (value: string): string | undefined =>
  value.length < 10 || value.length > 1024 || value.trim() === "" ? MASTER_PASSWORD_RULE : undefined

/**
 * `organization` is the seed's free label of a machine (its example sends "my-org"): stored, answered
 * and filterable, and nothing more. The machine lives in the active domain (Domain header) whatever
 * the label says. "" or absent → no label.
 */
export const readOrganization = (raw: string | null | undefined): Outcome<string | null> => {
  const organization = present(raw)?.trim()
  if (organization === undefined || organization === "") return { ok: true, value: null }
  if (hasControl(organization)) return invalid("organization must not contain control characters")
  return { ok: true, value: organization }
}

/**
 * Reads and checks `POST /api/v1/machine`. Malformed JSON or wrong types → 400; values breaking a
 * rule (empty name, port out of range, no credential, a private key that does not open) → 422.
 */
export const readMachineInput = (request: HttpRequest): Outcome<MachineInput> => {
  const decoded = readCreateBody(request)
  if (!decoded.ok) return { ok: false, response: decoded.response }
  const body = decoded.value
  const name = body.name.trim()
  if (name === "" || hasControl(name)) return invalid("name must not be empty or contain control characters")
  const hostname = body.hostname.trim()
  if (!hostnamePattern.test(hostname)) return invalid("hostname must be a host name or an IP address, e.g. 192.168.1.100")
  const port = typeof body.port === "number" ? String(body.port) : body.port.trim()
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return invalid("port must be a number from 1 to 65535, e.g. \"22\"")
  const username = body.username.trim()
  if (username === "" || hasControl(username)) return invalid("username must not be empty or contain control characters")
  const password = present(body.password)
  const privateKey = present(body.private_key)
  const passphrase = present(body.passphrase)
  if (password === undefined && privateKey === undefined) return invalid("password or private_key is required")
  if (passphrase !== undefined && privateKey === undefined) return invalid("passphrase belongs to a private_key; send the key too")
  if (privateKey !== undefined) {
    const problem = privateKeyProblem(privateKey, passphrase)
    if (problem !== undefined) return invalid(problem)
  }
  const organization = readOrganization(body.organization)
  if (!organization.ok) return organization
  const master = masterPasswordOf(request, body.master_password, "master_password")
  if (!master.ok) return master
  return {
    ok: true,
    value: {
      name,
      hostname: hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname,
      port: String(Number(port)),
      username,
      organization: organization.value,
      secrets: {
        ...(password === undefined ? {} : { password }),
        ...(privateKey === undefined ? {} : { privateKey }),
        ...(passphrase === undefined ? {} : { passphrase })
      },
      masterPassword: master.value
    }
  }
}

/** Reads `POST /api/v1/machine/<id>/connect`: `{ "password": "<master password>" }` (or the header). */
export const readConnectInput = (request: HttpRequest): Outcome<string> => {
  let field: string | null | undefined
  if (request.body.length > 0 || request.headers["x-master-password"] === undefined) {
    const decoded = readConnectBody(request)
    if (!decoded.ok) return { ok: false, response: decoded.response }
    field = decoded.value.password
  }
  return masterPasswordOf(request, field, "password")
}

/** Path ids are the seed's positive integers. */
export const machineIdOf = (raw: string): Outcome<number> =>
  /^[1-9]\d{0,14}$/.test(raw) ? { ok: true, value: Number(raw) } : { ok: false, response: failure(400, "machine id must be a positive integer, e.g. /api/v1/machine/1") }
