import { useSyncExternalStore } from "react"

/**
 * Hash routes (`#/users`, `#/collections/products?offset=100`): the server serves one page at
 * /console, so the location after `#` is the console's own.
 */

export interface Route {
  /** The path after `#`, e.g. `/collections/products`. */
  readonly path: string
  readonly segments: ReadonlyArray<string>
  readonly query: URLSearchParams
}

const current = (): string => window.location.hash.replace(/^#/, "") || "/"

const subscribe = (listener: () => void): (() => void) => {
  window.addEventListener("hashchange", listener)
  return () => window.removeEventListener("hashchange", listener)
}

export const parseRoute = (hash: string): Route => {
  const [path = "/", search = ""] = hash.split("?", 2)
  return { path, segments: path.split("/").filter((s) => s !== "").map(decodeURIComponent), query: new URLSearchParams(search) }
}

export const useRoute = (): Route => parseRoute(useSyncExternalStore(subscribe, current))

/** `#/a/b?x=1` from segments and query. */
export const href = (segments: ReadonlyArray<string>, query?: URLSearchParams | Record<string, string>): string => {
  const search = query === undefined ? "" : new URLSearchParams(query).toString()
  return `#/${segments.map(encodeURIComponent).join("/")}${search === "" ? "" : `?${search}`}`
}

export const navigate = (to: string): void => {
  window.location.hash = to.startsWith("#") ? to.slice(1) : to
}
