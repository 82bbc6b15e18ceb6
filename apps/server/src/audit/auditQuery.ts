import { isDomainName } from "@machhub/core"
import { INSTANT_HINT, parseInstant } from "./timeParam.js"

/** An audit request's parameters, validated. Positions are inclusive; times are ms since the epoch. */
export interface AuditQuery {
  readonly from: number
  readonly limit: number
  readonly domain?: string | undefined
  readonly stream?: string | undefined
  readonly type?: string | undefined
  readonly actor?: string | undefined
  readonly since?: number | undefined
  readonly until?: number | undefined
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string }

const FILTERS = ["from", "limit", "domain", "stream", "type", "actor", "since", "until"] as const
const POSITION = /^\d{1,15}$/
const TYPE = /^[A-Za-z][A-Za-z0-9_]{0,127}$/
const ACTOR = /^[A-Za-z0-9_:.@-]{1,128}$/

export const DEFAULT_PAGE = 100
export const MAX_PAGE = 1000

/**
 * Parses `from, limit, domain, stream, type, actor, since, until` (SPEC §10). Unknown or repeated
 * parameters are refused (400) rather than ignored: a misspelt filter must not silently widen an audit.
 * `allowed` narrows the accepted names (the stream route takes only from and limit); `maxLimit`
 * undefined means no cap and no default (an export reads to the end).
 */
export const parseAuditQuery = (
  query: string,
  options: { readonly allowed?: ReadonlyArray<string>; readonly defaultLimit?: number; readonly maxLimit?: number } = {}
): Parsed<AuditQuery> => {
  const allowed: ReadonlyArray<string> = options.allowed ?? FILTERS
  const params = new URLSearchParams(query)
  const seen = new Set<string>()
  for (const name of params.keys()) {
    if (!allowed.includes(name)) return { ok: false, message: `Unknown parameter ${name.slice(0, 64)}; use ${allowed.join(", ")}` }
    if (seen.has(name)) return { ok: false, message: `Parameter ${name} is given twice` }
    seen.add(name)
  }
  const get = (name: string) => params.get(name) ?? undefined

  const fromRaw = get("from")
  if (fromRaw !== undefined && !POSITION.test(fromRaw)) return { ok: false, message: "from must be a log position (an integer >= 0)" }
  const maxLimit = options.maxLimit ?? Number.MAX_SAFE_INTEGER
  const limitRaw = get("limit")
  const limit = limitRaw === undefined ? (options.defaultLimit ?? maxLimit) : Number(limitRaw)
  if (limitRaw !== undefined && (!POSITION.test(limitRaw) || limit < 1 || limit > maxLimit)) {
    return { ok: false, message: maxLimit === Number.MAX_SAFE_INTEGER ? "limit must be a positive integer" : `limit must be an integer from 1 to ${maxLimit}` }
  }
  const domain = get("domain")
  if (domain !== undefined && !isDomainName(domain)) return { ok: false, message: "domain must be a domain name (lower-case letters, digits and _)" }
  const stream = get("stream")
  if (stream !== undefined && (stream.length === 0 || stream.length > 512)) return { ok: false, message: "stream must be a stream name, e.g. user-acme-<id>" }
  const type = get("type")
  if (type !== undefined && !TYPE.test(type)) return { ok: false, message: "type must be an event type, e.g. LoginFailed" }
  const actorRaw = get("actor")
  // `user:<id>` (the form record metadata shows) is accepted as well as the bare id.
  const actor = actorRaw?.replace(/^(user|key|anonymous|system):(?=.)/, "")
  if (actor !== undefined && !ACTOR.test(actor)) return { ok: false, message: "actor must be an actor id (a user or key id, anonymous or system)" }
  const times: Record<"since" | "until", number | undefined> = { since: undefined, until: undefined }
  for (const name of ["since", "until"] as const) {
    const raw = get(name)
    if (raw === undefined) continue
    const ms = parseInstant(raw)
    if (ms === undefined) return { ok: false, message: `${name} must be ${INSTANT_HINT}` }
    times[name] = ms
  }
  return {
    ok: true,
    value: { from: fromRaw === undefined ? 1 : Math.max(1, Number(fromRaw)), limit, domain, stream, type, actor, since: times.since, until: times.until }
  }
}
