import type { ComponentType } from "react"

/**
 * Every page of the console, in the order of the navigation bar. `path` is the first segment of the
 * hash route (`/users` answers `#/users` and `#/users/...`); `feature` hides the page from users
 * without read permission on it (SPEC §3). Pages load on demand, so the terminal or chart libraries
 * are fetched only by those who open them.
 */
export interface PageEntry {
  readonly path: string
  readonly title: string
  readonly feature?: string
  readonly load: () => Promise<{ default: ComponentType }>
}

export const pages: Array<PageEntry> = [
  { path: "/users", title: "Users", feature: "users", load: () => import("./Users") },
  { path: "/groups", title: "Groups", feature: "groups", load: () => import("./Groups") },
  { path: "/keys", title: "Developer keys", feature: "api_keys", load: () => import("./Keys") },
  { path: "/collections", title: "Collections", feature: "collections", load: () => import("./Collections") },
  { path: "/tags", title: "Tags", feature: "tags", load: () => import("./Tags") },
  { path: "/historian", title: "Historian", feature: "historian", load: () => import("./Historian") },
  { path: "/processes", title: "Processes", feature: "processes", load: () => import("./Processes") },
  { path: "/functions", title: "Functions", feature: "functions", load: () => import("./Functions") },
  { path: "/flows", title: "Flows", feature: "flows", load: () => import("./Flows") },
  { path: "/reports", title: "Reports", feature: "reports", load: () => import("./Reports") },
  { path: "/machines", title: "SSH machines", feature: "machines", load: () => import("./Machines") },
  { path: "/audit", title: "Audit log", feature: "audit", load: () => import("./Audit") },
  { path: "/ssh-sessions", title: "SSH sessions", feature: "audit", load: () => import("./SessionPlayer") }
]
