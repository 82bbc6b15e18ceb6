/** MachineMetrics' rate: 1,000 GraphQL requests per minute per company; here per domain. */
export const GRAPHQL_REQUESTS_PER_MINUTE = 1000

/**
 * Counts requests per domain in fixed one-minute windows (in memory, per node). `take` answers
 * whether one more request fits, and if not, how many seconds until the window ends.
 */
export const makeRateLimit = (perMinute: number = GRAPHQL_REQUESTS_PER_MINUTE, now: () => number = Date.now) => {
  const windows = new Map<string, { start: number; count: number }>()
  return {
    take: (domain: string): { ok: true } | { ok: false; retryAfterSeconds: number } => {
      const t = now()
      const start = t - (t % 60_000)
      let window = windows.get(domain)
      if (window === undefined || window.start !== start) {
        // A new minute: old windows are dropped so the map holds only active domains.
        if (window === undefined && windows.size > 10_000) windows.clear()
        windows.set(domain, (window = { start, count: 0 }))
      }
      if (window.count >= perMinute) return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((start + 60_000 - t) / 1000)) }
      window.count++
      return { ok: true }
    }
  }
}
