import { isDomainName } from "@machhub/core"
import { validateTopicName } from "../topicName.js"

/**
 * Tag values on NATS are on `mh.tag.<domain>.<topic with / as .>` (SPEC §7): each level of the MQTT
 * topic is one subject token, so NATS wildcards match like MQTT's (`mh.tag.acme.Plant1.>` is
 * `Plant1/#` of domain acme, `*` is `+`).
 *
 * A level may hold characters a NATS token cannot: `.` (the separator), whitespace, and `*` / `>`
 * (wildcards), and may be empty (`a//b`, `/a`), which a subject cannot. Such characters are written
 * as `%` and the two upper-case hex digits of each of their UTF-8 bytes, as in URLs: `%` itself
 * (`%25`), `.` (`%2E`), `*` (`%2A`), `>` (`%3E`), anything below `!` or above `~` in ASCII (spaces,
 * DEL, every non-ASCII character, so subscribers in any client can name them in plain ASCII). An
 * empty level is the token `%` alone, which no other level is written as. Every other printable
 * ASCII character is kept as it is: `Plant1/LineA/Temp.1` is `mh.tag.<domain>.Plant1.LineA.Temp%2E1`.
 *
 * One topic has one subject (the one this server publishes on); a subject read from NATS may also
 * escape characters it need not (`%41` for `A`), and is decoded to the same topic.
 */
export const TAG_SUBJECT_PREFIX = "mh.tag."

/** Every tag value of every domain. */
export const ALL_TAG_SUBJECTS = `${TAG_SUBJECT_PREFIX}>`

const EMPTY_LEVEL = "%"

/** Printable ASCII that a token keeps as it is. */
const keeps = (code: number): boolean =>
  code >= 0x21 && code <= 0x7e && code !== 0x2e /* . */ && code !== 0x2a /* * */ && code !== 0x3e /* > */ && code !== 0x25 /* % */

const hex = (byte: number): string => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`

const encodeLevel = (level: string): string => {
  if (level.length === 0) return EMPTY_LEVEL
  // The hot path: most levels are plain names and are returned as they are.
  let plain = true
  for (let i = 0; i < level.length; i++) {
    if (!keeps(level.charCodeAt(i))) {
      plain = false
      break
    }
  }
  if (plain) return level
  let token = ""
  for (const char of level) {
    const code = char.codePointAt(0)!
    if (code < 0x80 && keeps(code)) token += char
    else for (const byte of Buffer.from(char, "utf8")) token += hex(byte)
  }
  return token
}

/** The subject a tag's values are published on. */
export const tagSubject = (domain: string, topic: string): string => {
  let subject = TAG_SUBJECT_PREFIX + domain
  for (const level of topic.split("/")) subject += "." + encodeLevel(level)
  return subject
}

const utf8 = new TextDecoder("utf-8", { fatal: true })
// Kept characters (printable ASCII but . * > % and /, which no level holds) and %XX escapes.
const TOKEN = /^(?:[!-$&-)+-\-0-=?-~]|%[0-9A-Fa-f]{2})+$/

/** A level from its token, or undefined when the token is not one this encoding writes. */
const decodeLevel = (token: string): string | undefined => {
  if (token === EMPTY_LEVEL) return ""
  if (!TOKEN.test(token)) return undefined
  if (!token.includes("%")) return token
  const bytes: Array<number> = []
  for (let i = 0; i < token.length; ) {
    if (token[i] === "%") {
      bytes.push(parseInt(token.slice(i + 1, i + 3), 16))
      i += 3
    } else {
      bytes.push(token.charCodeAt(i))
      i += 1
    }
  }
  try {
    const level = utf8.decode(Uint8Array.from(bytes))
    // An escaped '/' would be a level separator in disguise: one subject, one topic.
    return level.includes("/") ? undefined : level
  } catch {
    return undefined
  }
}

export type ParsedTagSubject =
  | { readonly ok: true; readonly domain: string; readonly topic: string }
  | { readonly ok: false; readonly message: string }

/** The domain and topic a subject under `mh.tag.` names, or why it names none. */
export const parseTagSubject = (subject: string): ParsedTagSubject => {
  if (!subject.startsWith(TAG_SUBJECT_PREFIX)) return { ok: false, message: `the subject does not start with ${TAG_SUBJECT_PREFIX}` }
  const tokens = subject.slice(TAG_SUBJECT_PREFIX.length).split(".")
  const domain = tokens[0]!
  if (!isDomainName(domain)) return { ok: false, message: `'${domain}' is not a domain name` }
  if (tokens.length < 2) return { ok: false, message: `the subject names no topic after the domain: ${TAG_SUBJECT_PREFIX}<domain>.<topic levels>` }
  const levels: Array<string> = []
  for (let i = 1; i < tokens.length; i++) {
    const level = decodeLevel(tokens[i]!)
    if (level === undefined) {
      return { ok: false, message: `token ${i + 1} after the domain ('${tokens[i]}') is not an encoded topic level: escape with %XX (UTF-8 bytes in hex), % alone for an empty level` }
    }
    levels.push(level)
  }
  const topic = levels.join("/")
  const check = validateTopicName(topic)
  if (!check.ok) return { ok: false, message: `topic ${JSON.stringify(topic)}: ${check.message}` }
  return { ok: true, domain, topic }
}
