import type { DomainEvent } from "../decider/Decider.js"
import type { TerminalClosed, TerminalEvent, TerminalOpened } from "./TerminalEvents.js"

export type ReplayFrame =
  | { readonly t: number; readonly kind: "output" | "input"; readonly data: Uint8Array }
  | { readonly t: number; readonly kind: "resize"; readonly cols: number; readonly rows: number }

export interface TerminalReplay {
  readonly opened: TerminalOpened["data"] | undefined
  readonly closed: TerminalClosed["data"] | undefined
  /** Every frame in recorded order, with its time offset: what an auditor's player steps through. */
  readonly frames: ReadonlyArray<ReplayFrame>
  /** Everything the machine sent, byte for byte. */
  readonly output: Uint8Array
  /** Everything the user typed, byte for byte. */
  readonly input: Uint8Array
}

const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  let size = 0
  for (const part of parts) size += part.byteLength
  const out = new Uint8Array(size)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.byteLength
  }
  return out
}

/** Folds a session stream (in version order) back into what was shown and typed. */
export const replayTerminal = (events: Iterable<DomainEvent>): TerminalReplay => {
  let opened: TerminalOpened["data"] | undefined
  let closed: TerminalClosed["data"] | undefined
  const frames: Array<ReplayFrame> = []
  const output: Array<Uint8Array> = []
  const input: Array<Uint8Array> = []
  for (const raw of events) {
    const event = raw as TerminalEvent
    switch (event.type) {
      case "TerminalOpened":
        opened = event.data
        break
      case "TerminalOutput":
        output.push(event.data.data)
        frames.push({ t: event.data.t, kind: "output", data: event.data.data })
        break
      case "TerminalInput":
        input.push(event.data.data)
        frames.push({ t: event.data.t, kind: "input", data: event.data.data })
        break
      case "TerminalResized":
        frames.push({ t: event.data.t, kind: "resize", cols: event.data.cols, rows: event.data.rows })
        break
      case "TerminalClosed":
        closed = event.data
        break
    }
  }
  return { opened, closed, frames, output: concat(output), input: concat(input) }
}
