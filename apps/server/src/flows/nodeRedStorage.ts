import type { DeployedFlows } from "./DeployedFlows.js"

/**
 * Node-RED's storage module, backed by the log: the flows are every domain's last FlowsDeployed
 * (DeployedFlows). Nothing is written to files: a deploy is a command, sent by the routes before the
 * runtime reloads, so `saveFlows` has nothing left to do. Credentials, user settings, sessions and
 * library entries live in memory only (this server's login replaces Node-RED's users, and flows that
 * need secrets read them from records or tags).
 */
export const nodeRedStorage = (deployed: DeployedFlows) => {
  let credentials: Record<string, unknown> = {}
  let settings: Record<string, unknown> = {}
  let sessions: Record<string, unknown> = {}
  return {
    init: async () => {},
    getFlows: async () => deployed.runtimeFlows(),
    saveFlows: async () => {},
    getCredentials: async () => credentials,
    saveCredentials: async (value: Record<string, unknown>) => {
      credentials = value
    },
    getSettings: async () => settings,
    saveSettings: async (value: Record<string, unknown>) => {
      settings = value
    },
    getSessions: async () => sessions,
    saveSessions: async (value: Record<string, unknown>) => {
      sessions = value
    },
    getLibraryEntry: async () => [],
    saveLibraryEntry: async () => {}
  }
}

type Callback = (error: Error | null, ...values: Array<unknown>) => void

/**
 * Node-RED's context store with no `global` scope: global context is shared by every flow of the
 * runtime, so of every domain. Flow and node context are keyed by runtime ids, which carry the domain
 * (domainIds.ts), and stay apart.
 */
export const domainContextStore = () => {
  const scopes = new Map<string, Map<string, unknown>>()
  const refuse = (scope: string): Error | undefined =>
    scope === "global" ? new Error("global context is not available: flows of different domains share one runtime; use flow context") : undefined
  const of = (scope: string) => {
    let map = scopes.get(scope)
    if (map === undefined) scopes.set(scope, (map = new Map()))
    return map
  }
  const store = {
    open: async () => {},
    close: async () => {},
    get: (scope: string, key: string | Array<string>, callback?: Callback) => {
      const refused = refuse(scope)
      const keys = Array.isArray(key) ? key : [key]
      const values = refused === undefined ? keys.map((k) => of(scope).get(k)) : keys.map(() => undefined)
      if (callback === undefined) {
        if (refused !== undefined) throw refused
        return Array.isArray(key) ? values : values[0]
      }
      callback(refused ?? null, ...values)
    },
    set: (scope: string, key: string | Array<string>, value: unknown, callback?: Callback) => {
      const refused = refuse(scope)
      if (refused === undefined) {
        const keys = Array.isArray(key) ? key : [key]
        const values = Array.isArray(key) ? (value as Array<unknown>) : [value]
        keys.forEach((k, i) => (values[i] === undefined ? of(scope).delete(k) : of(scope).set(k, values[i])))
      }
      if (callback === undefined) {
        if (refused !== undefined) throw refused
        return
      }
      callback(refused ?? null)
    },
    keys: (scope: string, callback?: Callback) => {
      const keys = refuse(scope) === undefined ? [...of(scope).keys()] : []
      if (callback === undefined) return keys
      callback(null, keys)
    },
    delete: async (scope: string) => {
      scopes.delete(scope)
    },
    clean: async (activeNodes: Array<string>) => {
      const active = new Set(activeNodes)
      for (const scope of [...scopes.keys()]) {
        if (scope === "global") continue
        const parts = scope.split(":")
        if (!parts.some((part) => active.has(part))) scopes.delete(scope)
      }
    }
  }
  return { module: () => store }
}
