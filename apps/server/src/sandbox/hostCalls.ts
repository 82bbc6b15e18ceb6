import type { CollectionQuery, HostApi } from "./SandboxApi.js"

/**
 * One `sdk` call from the sandbox, answered on the main thread. The call's name is matched against a
 * fixed list (never looked up as a property of the host object, so no name reaches `constructor`,
 * `__proto__` or anything else the host has), the arguments arrive as JSON text and are checked
 * here, and the answer leaves as JSON text (`undefined` for no value).
 */
export const answerHostCall = async (host: HostApi, name: string, argsJson: string): Promise<string | undefined> => {
  const args = parseArgs(name, argsJson)
  const result = await dispatch(host, name, args)
  if (result === undefined) return undefined
  const text = JSON.stringify(result)
  // A host answer that is not JSON (a function, a symbol) is no value to the code.
  return text
}

const dispatch = (host: HostApi, name: string, args: ReadonlyArray<unknown>): Promise<unknown> => {
  switch (name) {
    case "tags.read":
      return host.tags.read(text(name, "topic", args[0]))
    case "tags.publish":
      return host.tags.publish(text(name, "topic", args[0]), args[1])
    case "collections.get":
      return host.collections.get(text(name, "id", args[0]))
    case "collections.list":
      return host.collections.list(text(name, "collection", args[0]), query(name, args[1]))
    case "collections.create":
      return host.collections.create(text(name, "collection", args[0]), args[1])
    case "collections.update":
      return host.collections.update(text(name, "id", args[0]), args[1])
    case "collections.delete":
      return host.collections.delete(text(name, "id", args[0]))
    default:
      throw new Error(`sdk has no function ${JSON.stringify(name)}`)
  }
}

const parseArgs = (name: string, argsJson: string): ReadonlyArray<unknown> => {
  let args: unknown
  try {
    args = JSON.parse(argsJson)
  } catch {
    throw new Error(`sdk.${name}: the arguments are not JSON`)
  }
  if (!Array.isArray(args)) throw new Error(`sdk.${name}: the arguments are not a list`)
  return args
}

const text = (call: string, what: string, value: unknown): string => {
  if (typeof value !== "string" || value.length === 0) throw new Error(`sdk.${call}: ${what} must be a non-empty string`)
  return value
}

const query = (call: string, value: unknown): CollectionQuery | undefined => {
  if (value === undefined || value === null) return undefined
  if (typeof value !== "object" || Array.isArray(value)) throw new Error(`sdk.${call}: the query must be an object`)
  return value as CollectionQuery
}
