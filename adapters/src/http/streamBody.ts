import type * as uWS from "uWebSockets.js"

/** The part of the server's bookkeeping of one exchange that a streamed body needs. */
export interface StreamingExchange {
  /** True once the client went away, or the response was ended. */
  aborted: boolean
  /** Run by the server's onAborted handler, so a writer waiting for the socket wakes up. */
  onAbort: (() => void) | undefined
  /** Drops the exchange from the in-flight count; idempotent. */
  settle: (() => void) | undefined
}

/**
 * Sends a body pulled from `chunks`, respecting backpressure: a chunk is pulled only once uWS has taken
 * the previous one without buffering, or once it drained what it buffered (`onWritable`). So the
 * process holds at most one chunk plus the socket's buffers per response, whatever the body's size.
 * The caller must have registered `onAborted` already (the body outlives the request callback).
 *
 * The client going away ends the iterator early (its `finally` runs). An iterator that throws after
 * the status went out cuts the connection: the only way left to tell the client the body is incomplete.
 */
export const sendStream = async (
  res: uWS.HttpResponse,
  exchange: StreamingExchange,
  writeHead: () => void,
  chunks: AsyncIterable<string | Uint8Array>,
  onError: (error: unknown) => void
): Promise<void> => {
  const iterator = chunks[Symbol.asyncIterator]()
  let wake: (() => void) | undefined
  exchange.onAbort = () => wake?.()
  let finished = false
  try {
    res.cork(writeHead)
    while (!exchange.aborted) {
      const next = await iterator.next()
      if (exchange.aborted) break
      if (next.done === true) {
        finished = true
        res.cork(() => res.end())
        break
      }
      const chunk = next.value
      if (chunk.length === 0) continue
      let accepted = true
      res.cork(() => {
        accepted = res.write(chunk)
      })
      if (accepted) continue
      // uWS buffered (part of) the chunk: pull nothing more until the socket drained it.
      await new Promise<void>((resolve) => {
        wake = resolve
        res.onWritable(() => {
          resolve()
          return true
        })
      })
      wake = undefined
    }
  } catch (error) {
    finished = true
    onError(error)
    if (!exchange.aborted) {
      exchange.aborted = true
      res.close()
    }
  } finally {
    exchange.onAbort = undefined
    if (!finished) await iterator.return?.()
    exchange.aborted = true
    exchange.settle?.()
  }
}
