import { count, duration } from "./format.js"

/** Where progress goes: stderr, so that stdout stays for results. */
export interface ProgressStream {
  readonly isTTY?: boolean | undefined
  readonly columns?: number | undefined
  write(text: string): unknown
}

/**
 * Progress of a pass over the log: position / head, percent, events per second (average since the
 * start) and the time left. On a terminal it is one bar redrawn in place at most 10 times a second;
 * elsewhere (a pipe, a CI log) it is a plain line every 2 seconds.
 */
export class Progress {
  private readonly started = performance.now()
  private lastDraw = 0
  private drawn = false

  constructor(
    private readonly label: string,
    private readonly head: number,
    private readonly stream: ProgressStream = process.stderr
  ) {}

  update(position: number, events: number): void {
    const now = performance.now()
    const interval = this.stream.isTTY === true ? 100 : 2_000
    if (now - this.lastDraw < interval) return
    this.lastDraw = now
    const line = this.describe(position, events, now)
    if (this.stream.isTTY === true) {
      this.stream.write(`\r${this.bar(position)} ${line}\x1b[K`)
      this.drawn = true
    } else {
      this.stream.write(`${this.label}: ${line}\n`)
    }
  }

  /** Ends the bar with a final line; returns the elapsed seconds. */
  finish(position: number, events: number): number {
    const now = performance.now()
    const seconds = (now - this.started) / 1000
    if (this.drawn) this.stream.write("\r\x1b[K")
    const rate = seconds > 0 ? events / seconds : events
    this.stream.write(`${this.label}: ${count(events)} events up to position ${count(position)} in ${duration(seconds)} (${count(rate)} events/s)\n`)
    return seconds
  }

  private describe(position: number, events: number, now: number): string {
    const seconds = (now - this.started) / 1000
    const rate = seconds > 0 ? events / seconds : 0
    const left = this.head - position
    const percent = this.head === 0 ? 100 : (100 * position) / this.head
    const eta = rate > 0 ? duration(left / (position / seconds)) : "?"
    return `${count(position)}/${count(this.head)} (${percent.toFixed(1)}%) · ${count(rate)} events/s · ETA ${eta}`
  }

  private bar(position: number): string {
    const width = Math.max(10, Math.min(30, (this.stream.columns ?? 80) - 70))
    const filled = this.head === 0 ? width : Math.min(width, Math.round((width * position) / this.head))
    return `${this.label} [${"#".repeat(filled)}${"-".repeat(width - filled)}]`
  }
}
