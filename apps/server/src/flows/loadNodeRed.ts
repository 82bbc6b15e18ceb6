import Module, { createRequire } from "node:module"
import { sep } from "node:path"

type Load = (request: string, parent: { readonly filename?: string } | null | undefined, isMain: boolean) => unknown

let unwrapping = false

/**
 * Where the process resolves with the `import` condition first (the test runner does, to run the
 * TypeScript sources), a dual package such as `mustache` resolves to its ES module, which `require`
 * returns as a namespace object (mustache's .mjs, i18next's dist/esm), while Node-RED expects the
 * CommonJS export. Node-RED requires
 * modules lazily (at init, at start, when an editor page is first asked for), so from the first load
 * on, such namespaces required by Node-RED's packages are unwrapped to their default export.
 */
const unwrapEsmNamespaces = (): void => {
  if (unwrapping) return
  unwrapping = true
  const loader = Module as unknown as { _load: Load }
  const original = loader._load
  // Only Node-RED's own packages: any other caller gets what it asked for.
  const nodeRed = [`${sep}node_modules${sep}@node-red${sep}`, `${sep}node_modules${sep}node-red${sep}`]
  loader._load = function (request, parent, isMain) {
    const loaded = original.call(this, request, parent, isMain)
    // An ES module namespace (not a CommonJS object marked __esModule) required by Node-RED.
    if (
      typeof loaded === "object" && loaded !== null && (loaded as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === "Module" &&
      "default" in loaded && nodeRed.some((dir) => parent?.filename?.includes(dir) === true)
    ) {
      return (loaded as { default: unknown }).default
    }
    return loaded
  }
}

/** Requires Node-RED (CommonJS), once per process. */
export const loadNodeRed = <T>(): T => {
  unwrapEsmNamespaces()
  return createRequire(import.meta.url)("node-red") as T
}
