import { Packr } from "msgpackr"

/**
 * One shared Packr for `data` and `meta`. `useRecords: false` keeps the encoding self-describing
 * (plain msgpack maps), so plain objects decode as plain objects and a blob never depends on record
 * structures remembered by a particular Packr instance (the database outlives the process).
 *
 * Round-trips: objects, arrays, strings, booleans, null, undefined, numbers (incl. NaN, ±Infinity),
 * bigint, Date. Not preserved: -0 (stored as 0), class prototypes, functions.
 */
const packr = new Packr({ useRecords: false })

export const encode = (value: unknown): Buffer => packr.pack(value)

export const decode = (blob: Buffer | null): unknown => (blob === null ? null : packr.unpack(blob))
