import { request as httpRequest } from "node:http"
import type { HttpRequest, HttpResponse } from "@machhub/adapters"

/** Response headers passed back from Node-RED's editor (the rest are this server's own). */
const PASSED_HEADERS = ["content-type", "cache-control", "etag", "last-modified", "location", "node-red-api-version"]

/**
 * Forwards one editor or admin API request to Node-RED on its Unix socket, as `path` there. Only
 * this server reaches the socket (owner-only directory), so Node-RED's own authentication stays
 * off: this server's login and the route's permission are checked before anything is forwarded.
 */
export const forwardToEditor = (socketPath: string, request: HttpRequest, path: string): Promise<HttpResponse> =>
  new Promise((resolve) => {
    const headers: Record<string, string> = {}
    for (const name of ["accept", "accept-language", "content-type", "node-red-api-version", "node-red-deployment-type", "if-none-match"]) {
      const value = request.headers[name]
      if (value !== undefined) headers[name] = value
    }
    if (request.body.length > 0) headers["content-length"] = String(request.body.length)
    const outgoing = httpRequest({ socketPath, method: request.method, path: request.query === "" ? path : `${path}?${request.query}`, headers }, (answer) => {
      const chunks: Array<Buffer> = []
      answer.on("data", (chunk: Buffer) => chunks.push(chunk))
      answer.on("end", () => {
        const passed: Record<string, string> = {}
        for (const name of PASSED_HEADERS) {
          const value = answer.headers[name]
          if (typeof value === "string") passed[name] = name === "location" && value.startsWith("/") ? `/flows${value}` : value
        }
        const contentType = passed["content-type"]
        delete passed["content-type"]
        resolve({ status: answer.statusCode ?? 502, headers: passed, body: Buffer.concat(chunks), ...(contentType === undefined ? {} : { contentType }) })
      })
      answer.on("error", () => resolve({ status: 502, body: "The flows editor did not answer completely", contentType: "text/plain; charset=utf-8" }))
    })
    outgoing.on("error", (error) => resolve({ status: 502, body: `The flows editor is not reachable: ${error.message}`, contentType: "text/plain; charset=utf-8" }))
    outgoing.end(request.body)
  })
