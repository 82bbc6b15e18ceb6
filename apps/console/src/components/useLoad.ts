import { useCallback, useEffect, useState } from "react"

export interface Loaded<T> {
  readonly data: T | undefined
  readonly error: unknown
  readonly loading: boolean
  readonly reload: () => void
}

/**
 * Runs `load` on mount and whenever `deps` change (only while `enabled`); `reload()` runs it again.
 * A late answer for old deps is dropped.
 */
export const useLoad = <T,>(load: (signal: AbortSignal) => Promise<T>, deps: ReadonlyArray<unknown>, enabled = true): Loaded<T> => {
  const [data, setData] = useState<T | undefined>()
  const [error, setError] = useState<unknown>()
  const [loading, setLoading] = useState(true)
  const [round, setRound] = useState(0)
  useEffect(() => {
    if (!enabled) {
      setLoading(false)
      return
    }
    const controller = new AbortController()
    setLoading(true)
    load(controller.signal).then(
      (value) => { if (!controller.signal.aborted) { setData(value); setError(undefined); setLoading(false) } },
      (failure: unknown) => { if (!controller.signal.aborted) { setError(failure); setLoading(false) } }
    )
    return () => controller.abort()
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, enabled, round])
  const reload = useCallback(() => setRound((n) => n + 1), [])
  return { data, error, loading, reload }
}
