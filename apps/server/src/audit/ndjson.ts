import { eventJson } from "@machhub/adapters"
import type { RecordedEvent } from "@machhub/core"

/** Roughly how much NDJSON is handed to the socket per write. */
const CHUNK_CHARS = 64 * 1024

/**
 * Events as NDJSON (one event object per line), grouped into chunks of some 64 KiB so each socket
 * write carries many lines. Pulls the next batch only when asked: with the edge's streamed responses
 * the whole export runs at the client's pace, one batch in memory.
 */
export async function* ndjsonChunks(batches: AsyncIterable<ReadonlyArray<RecordedEvent>>): AsyncGenerator<string> {
  let lines: Array<string> = []
  let size = 0
  for await (const batch of batches) {
    for (const event of batch) {
      const line = eventJson(event) + "\n"
      lines.push(line)
      size += line.length
      if (size >= CHUNK_CHARS) {
        yield lines.join("")
        lines = []
        size = 0
      }
    }
  }
  if (lines.length > 0) yield lines.join("")
}
