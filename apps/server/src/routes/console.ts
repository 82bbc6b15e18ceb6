import { readFile, stat } from "node:fs/promises"
import { dirname, extname, join, resolve, sep } from "node:path"
import { fileURLToPath } from "node:url"
import type { HttpResponse } from "@machhub/adapters"
import { content, publicRoute, route, type AnyRoute } from "../api/RouteDeclaration.js"

/**
 * The web console (SPEC §12): static files built by Vite into apps/console/dist at `npm run build`
 * and served here, on the API's own origin, so the console needs no CORS and no CDN. Routes are the
 * same from src/routes and dist/routes, both three levels below apps/.
 */
export const CONSOLE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../../console/dist")

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".wasm": "application/wasm",
  ".txt": "text/plain; charset=utf-8"
}

// Vite names everything under assets/ by its content hash: a changed file is a new URL, so browsers
// may keep these for good. Everything else (index.html) is revalidated, so a new build is picked up.
const IMMUTABLE = "public, max-age=31536000, immutable"
const REVALIDATE = "no-cache"

/**
 * The console loads only its own files and talks only to this origin (HTTP, and WebSockets for MQTT
 * and terminals). Inline styles are allowed because the chart and terminal libraries set them;
 * wasm-unsafe-eval lets the session player compile its WebAssembly and blob: workers run off the
 * main thread (MQTT); no page may frame the console.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "worker-src 'self' blob:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'"
].join("; ")

const notFound = (what: string): HttpResponse => ({ status: 404, contentType: "text/plain; charset=utf-8", body: `${what} is not a file of the console` })

const notBuilt: HttpResponse = {
  status: 404,
  contentType: "text/plain; charset=utf-8",
  body: "The console is not built: run `npm run build` (it builds apps/console into apps/console/dist)"
}

/** A file below `root` named by a request path, or undefined when the path would leave it. */
export const consoleFilePath = (root: string, relative: string): string | undefined => {
  // The router has URI-decoded the path already; a NUL or a backslash is never part of a built file's name.
  if (relative.includes("\0") || relative.includes("\\")) return undefined
  const segments = relative.split("/").filter((segment) => segment !== "")
  // Dot segments (`..`, `.`) and hidden files are refused outright rather than resolved.
  if (segments.length === 0 || segments.some((segment) => segment.startsWith("."))) return undefined
  const file = resolve(root, ...segments)
  return file.startsWith(root + sep) ? file : undefined
}

const serveFile = async (root: string, relative: string): Promise<HttpResponse> => {
  const file = consoleFilePath(root, relative)
  if (file === undefined) return notFound(relative)
  const info = await stat(file).catch(() => undefined)
  if (info === undefined || !info.isFile()) return notFound(relative)
  const extension = extname(file).toLowerCase()
  return {
    status: 200,
    contentType: TYPES[extension] ?? "application/octet-stream",
    body: await readFile(file),
    headers: {
      "Cache-Control": relative.startsWith("assets/") ? IMMUTABLE : REVALIDATE,
      "X-Content-Type-Options": "nosniff",
      ...(extension === ".html" ? { "Content-Security-Policy": CONTENT_SECURITY_POLICY } : {})
    }
  }
}

const serveIndex = async (root: string): Promise<HttpResponse> => {
  const response = await serveFile(root, "index.html")
  return response.status === 404 ? notBuilt : response
}

export const consoleRoutes = (root: string = CONSOLE_DIR): ReadonlyArray<AnyRoute> => {
  const area = { tag: "console", access: publicRoute } as const
  const page = { 200: content("text/html", "The console's page"), 404: content("text/plain", "The console is not built") }
  return [
    // The router takes `/console/` (where the console's relative links start) as `/console` too.
    route({ ...area, method: "GET", path: "/console", summary: "The web console", responses: page, handler: () => serveIndex(root) }),
    route({
      ...area,
      method: "GET",
      path: "/console/:file+",
      summary: "A file of the web console: scripts and stylesheets named by their content hash",
      params: { file: "The file's path below the console's build directory" },
      responses: { 200: content("application/octet-stream", "The file"), 404: content("text/plain", "No such file") },
      handler: ({ params }) => serveFile(root, params.file)
    })
  ]
}

/** The console's page is answered outside the read-model gate: it does not depend on this node's data. */
export const CONSOLE_PATHS: ReadonlyArray<string> = ["/console"]
