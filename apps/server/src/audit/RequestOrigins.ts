import type { HttpHandler, HttpRequest } from "@machhub/adapters"

interface Live {
  /** undefined once two different requests in flight share the correlation id: then nobody is named. */
  request: HttpRequest | undefined
  count: number
}

/**
 * The requests in flight that may dispatch commands (every method but GET and HEAD), by correlation
 * id, so the refusal recorder can name the caller's address. Commands carry the correlation id but no
 * address; threading one through every route and command would touch them all, while this is one
 * wrapper at the router. The address is read only when a refusal asks for it, while the request is
 * still being handled, so an accepted request costs one Map insert and delete.
 */
export class RequestOrigins {
  private readonly live = new Map<string, Live>()

  readonly track = (handler: HttpHandler): HttpHandler => (request) => {
    if (request.method === "GET" || request.method === "HEAD") return handler(request)
    const id = request.correlationId
    const entry = this.live.get(id)
    if (entry === undefined) this.live.set(id, { request, count: 1 })
    else {
      // A client may send one correlation id on concurrent requests (from other addresses, even).
      entry.count++
      entry.request = undefined
    }
    const done = () => {
      const current = this.live.get(id)
      if (current !== undefined && --current.count === 0) this.live.delete(id)
    }
    try {
      const result = handler(request)
      if (result instanceof Promise) return result.finally(done)
      done()
      return result
    } catch (error) {
      done()
      throw error
    }
  }

  /** The address of the request in flight under this correlation id, when there is exactly one. */
  addressOf(correlationId: string): string | null {
    const address = this.live.get(correlationId)?.request?.remoteAddress
    return address === undefined || address === "" ? null : address
  }
}
