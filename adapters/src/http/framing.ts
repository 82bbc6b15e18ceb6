/**
 * What the edge checks of a request's framing before any route sees it. uWebSockets.js parses the
 * request line and headers itself; these are the ambiguities it lets through, on which a proxy in
 * front and this server could disagree about where a request ends (request smuggling).
 */
export interface FramingTally {
  contentLengths: number
  transferEncoding: boolean
  host: boolean
  controlCharacter: boolean
}

export const newFramingTally = (): FramingTally => ({ contentLengths: 0, transferEncoding: false, host: false, controlCharacter: false })

/** NUL, CR or LF inside a header value: a header line that was split or smuggled, never a value. */
const CONTROL = /[\0\r\n]/

/** Counts one header (names arrive lower-cased). Kept branch-light: it runs for every header of every request. */
export const tallyHeader = (tally: FramingTally, name: string, value: string): void => {
  if (name === "content-length") tally.contentLengths++
  else if (name === "transfer-encoding") tally.transferEncoding = true
  else if (name === "host") tally.host = true
  if (CONTROL.test(value)) tally.controlCharacter = true
}

/** Why the request's framing is refused (400, connection closed), or undefined when it is unambiguous. */
export const framingProblem = (tally: FramingTally): string | undefined => {
  if (tally.contentLengths > 1) return "The request has more than one Content-Length header; send exactly one"
  if (tally.contentLengths === 1 && tally.transferEncoding) {
    return "The request has both Content-Length and Transfer-Encoding; send one of them"
  }
  if (!tally.host) return "The request has no Host header; HTTP/1.1 requires one"
  if (tally.controlCharacter) return "A header value holds a NUL, CR or LF character; send each header on one line"
  return undefined
}
