import type { FlowNode } from "@machhub/core"

/**
 * One Node-RED runtime runs the flows of every domain, so ids must not meet across domains (two
 * plants importing the same flow JSON have the same ids). Each domain's flows are stored as its
 * editor wrote them; the runtime gets them with every id prefixed by `<domain>.`, and every string
 * naming one of those ids (wires, `z`, `g`, config node references, link targets, `subflow:<id>`
 * types) rewritten alike. A node's domain is then the part of its id before the first dot: a domain
 * name has no dot, and a node cannot choose a prefix, since whatever id it has is prefixed again.
 */
export const runtimeId = (domain: string, id: string): string => `${domain}.${id}`

/** The domain a runtime id belongs to, or undefined for an id the runtime made itself. */
export const domainOfRuntimeId = (id: unknown): string | undefined => {
  if (typeof id !== "string") return undefined
  const dot = id.indexOf(".")
  return dot > 0 ? id.slice(0, dot) : undefined
}

/** The id as the domain's editor knows it. */
export const editorId = (id: string): string => {
  const dot = id.indexOf(".")
  return dot > 0 ? id.slice(dot + 1) : id
}

/** Names of env entries the runtime sets itself: a flow may not define them. */
const RESERVED_ENV = new Set(["MACHHUB_DOMAIN"])

const rewrite = (value: unknown, ids: ReadonlySet<string>, domain: string): unknown => {
  if (typeof value === "string") {
    if (ids.has(value)) return runtimeId(domain, value)
    if (value.startsWith("subflow:") && ids.has(value.slice(8))) return `subflow:${runtimeId(domain, value.slice(8))}`
    return value
  }
  if (Array.isArray(value)) return value.map((item) => rewrite(item, ids, domain))
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) out[key] = rewrite(item, ids, domain)
    return out
  }
  return value
}

/** A domain's flows as the runtime runs them: ids prefixed, and the domain set as env on each tab. */
export const toRuntimeFlows = (domain: string, flows: ReadonlyArray<FlowNode>): Array<Record<string, unknown>> => {
  const ids = new Set<string>()
  for (const node of flows) if (typeof node["id"] === "string") ids.add(node["id"])
  return flows.map((node) => {
    const out = rewrite(node, ids, domain) as Record<string, unknown>
    const env = Array.isArray(out["env"]) ? (out["env"] as Array<unknown>) : undefined
    const ownEnv = env?.filter((entry) => !(typeof entry === "object" && entry !== null && RESERVED_ENV.has(String((entry as { name?: unknown }).name))))
    if (out["type"] === "tab") return { ...out, env: [...(ownEnv ?? []), { name: "MACHHUB_DOMAIN", value: domain, type: "str" }] }
    return ownEnv === undefined ? out : { ...out, env: ownEnv }
  })
}

/** Fields by which Node-RED connects nodes (wires, link targets, the tab and group, catch/status scopes). */
const WIRING = ["wires", "links", "z", "g", "scope"] as const

/**
 * A domain's runtime nodes with every reference to another domain's node taken out. Node-RED wires
 * nodes by id across the whole runtime (wires, link targets, config node references, `z`), so a file
 * naming `<other domain>.<id>` would reach that domain's node: any value naming an existing node of
 * another domain is dropped (an array element) or emptied, a subflow instance of another domain's
 * subflow is left out, and `link call` nodes only call their static target (a dynamic one is looked
 * up by name among every domain's link-in nodes).
 */
export const withoutForeignReferences = (
  domain: string,
  nodes: ReadonlyArray<Record<string, unknown>>,
  owners: ReadonlyMap<string, string>
): Array<Record<string, unknown>> => {
  const foreign = (value: string) => {
    const owner = owners.get(value)
    return owner !== undefined && owner !== domain
  }
  const clean = (value: unknown): unknown => {
    if (typeof value === "string") return foreign(value) ? "" : value
    if (Array.isArray(value)) return value.filter((item) => !(typeof item === "string" && foreign(item))).map(clean)
    if (typeof value === "object" && value !== null) {
      const out: Record<string, unknown> = {}
      for (const [key, item] of Object.entries(value)) out[key] = clean(item)
      return out
    }
    return value
  }
  // Wiring fields name nodes only: there, anything but this domain's own ids goes (also an id of
  // another domain not deployed yet, which a later deploy would otherwise connect).
  const own = `${domain}.`
  const ownOnly = (value: unknown): unknown =>
    typeof value === "string" ? (value.startsWith(own) ? value : "") : Array.isArray(value) ? value.filter((item) => typeof item !== "string" || item.startsWith(own)).map(ownOnly) : value
  return nodes.flatMap((node) => {
    const type = node["type"]
    if (typeof type === "string" && type.startsWith("subflow:") && !type.slice(8).startsWith(own)) return []
    const out = clean(node) as Record<string, unknown>
    // A catch or status node's scope may be a word ("group"): only its list of ids is wiring.
    for (const key of WIRING) if (key in out && (key !== "scope" || Array.isArray(out[key]))) out[key] = ownOnly(out[key])
    if (type === "link call") out["linkType"] = "static"
    return [out]
  })
}
