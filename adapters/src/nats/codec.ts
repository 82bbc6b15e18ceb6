import { Packr } from "msgpackr"
import { stringifyWithBytes } from "../json/eventJson.js"

/**
 * Body encodings on NATS. `useRecords: false` keeps msgpackr to plain MessagePack: its record
 * extension is compact but only msgpackr can read it, and other services subscribe to these subjects.
 */
const packr = new Packr({ useRecords: false })

export type WireFormat = "msgpack" | "json"

/** Header naming the body encoding, so a subscriber can read events from publishers of either format. */
export const CONTENT_TYPE_HEADER = "Content-Type"
export const contentTypes: Record<WireFormat, string> = {
  msgpack: "application/msgpack",
  json: "application/json"
}

export const formatOfContentType = (contentType: string | undefined): WireFormat | undefined =>
  contentType === contentTypes.json ? "json" : contentType === contentTypes.msgpack ? "msgpack" : undefined

const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder()

export const encodeMsgpack = (value: unknown): Uint8Array => packr.pack(value)
/** Throws on bytes that are not MessagePack; callers validate the result with a Schema anyway. */
export const decodeMsgpack = (bytes: Uint8Array): unknown => packr.unpack(bytes)

/** Byte fields (terminal output) travel as base64 strings, not as one JSON number per byte. */
export const encodeJson = (value: unknown): Uint8Array => textEncoder.encode(stringifyWithBytes(value))
export const decodeJson = (bytes: Uint8Array): unknown => JSON.parse(textDecoder.decode(bytes))

export const encodeBody = (format: WireFormat, value: unknown): Uint8Array =>
  format === "json" ? encodeJson(value) : encodeMsgpack(value)
export const decodeBody = (format: WireFormat, bytes: Uint8Array): unknown =>
  format === "json" ? decodeJson(bytes) : decodeMsgpack(bytes)
