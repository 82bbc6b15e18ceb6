const reasons: Record<number, string> = {
  200: "OK", 201: "Created", 202: "Accepted", 204: "No Content",
  301: "Moved Permanently", 304: "Not Modified",
  400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
  409: "Conflict", 411: "Length Required", 412: "Precondition Failed", 413: "Payload Too Large",
  415: "Unsupported Media Type", 422: "Unprocessable Entity", 429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"
}

const cache = new Map<number, string>()

/** "404 Not Found": uWebSockets.js writes the status line verbatim. */
export const statusLine = (status: number): string => {
  let line = cache.get(status)
  if (line === undefined) {
    line = `${status} ${reasons[status] ?? "Status"}`
    cache.set(status, line)
  }
  return line
}
