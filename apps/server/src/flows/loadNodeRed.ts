import Module, { createRequire } from "node:module"
import { sep } from "node:path"

type Load = (request: string, parent: { readonly filename?: string } | null | undefined, isMain: boolean) => unknown

let unwrapping = false

/**
 * Where the process resolves with the `import` condition first (the test runner does, to run the
 * TypeScript sources), a dual package such as `mustache` resolves to its ES module, which `require`
 * returns as a namespace object, while Node-RED expects the CommonJS export. Node-RED requires
 * modules lazily (at init, at start, when an editor page is first asked for), so from the first load
 * on, such namespaces required from installed packages are unwrapped to their default export.
 */
const unwrapEsmNamespaces = (): void => {
  if (unwrapping) return
  unwrapping = true
  const loader = Module as unknown as { _load: Load; _resolveFilename: (request: string, parent: unknown, isMain: boolean) => string }
  const original = loader._load
  const installed = `${sep}node_modules${sep}`
  loader._load = function (request, parent, isMain) {
    const loaded = original.call(this, request, parent, isMain)
    if (
      typeof loaded === "object" && loaded !== null && (loaded as { __esModule?: unknown }).__esModule === true && "default" in loaded &&
      parent?.filename?.includes(installed) === true
    ) {
      let file = ""
      try {
        file = loader._resolveFilename(request, parent, isMain)
      } catch {
        file = ""
      }
      if (file.endsWith(".mjs")) return (loaded as { default: unknown }).default
    }
    return loaded
  }
}

/** Requires Node-RED (CommonJS), once per process. */
export const loadNodeRed = <T>(): T => {
  unwrapEsmNamespaces()
  return createRequire(import.meta.url)("node-red") as T
}
