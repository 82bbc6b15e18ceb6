/**
 * uWebSockets.js reads its limit on the size of a request's headers (`UWS_HTTP_MAX_HEADERS_SIZE`,
 * 4 KiB when unset) once, when its native module loads: this module is imported before it, so the
 * edge's limit (`MACHHUB_MAX_HEADER_BYTES`, 16 KiB by default, like Node's own HTTP server) is in the
 * environment by then. Headers past it are answered 431 by uWS. The server's configuration checks the
 * variable's range and refuses to start on a bad value; here a bad value falls back to the default.
 */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024

const configured = Number(process.env["MACHHUB_MAX_HEADER_BYTES"])
if (process.env["UWS_HTTP_MAX_HEADERS_SIZE"] === undefined) {
  process.env["UWS_HTTP_MAX_HEADERS_SIZE"] = String(Number.isSafeInteger(configured) && configured > 0 ? configured : DEFAULT_MAX_HEADER_BYTES)
}
