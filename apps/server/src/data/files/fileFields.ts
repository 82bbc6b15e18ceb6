import type { UploadedFile } from "../multipart.js"

const MAX_FILE_NAME_BYTES = 255
const MAX_FIELD_NAME_LENGTH = 200
const CONTROL = /[\u0000-\u001f\u007f]/

export type FileFields =
  | { readonly ok: true; readonly data: Record<string, unknown>; readonly files: ReadonlyArray<UploadedFile> }
  | { readonly ok: false; readonly message: string }

const fail = (message: string): FileFields => ({ ok: false, message })
const quoted = (text: string): string => JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}…` : text)

const fileNameProblem = (name: string): string | undefined => {
  if (name === "") return "has no file name"
  if (Buffer.byteLength(name) > MAX_FILE_NAME_BYTES) return `has a file name longer than ${MAX_FILE_NAME_BYTES} bytes`
  if (CONTROL.test(name)) return "has a file name with control characters"
  if (name === "." || name === ".." || name.includes("/") || name.includes("\\")) return "has a file name that is a path; send the name alone"
  return undefined
}

/**
 * Joins the file parts of a multipart body to the record's fields, as the MACHHUB SDK sends them:
 * the part is named after the field and carries the file's name, and the record's JSON holds that
 * name in the field (a list of names for several files). A field the JSON leaves out gets the name;
 * a field naming something else than its file is refused, since which one was meant is unknown.
 * Files repeated under one name in one field are kept once; two different ones are refused.
 */
export const attachFiles = (record: Record<string, unknown>, uploaded: ReadonlyArray<UploadedFile>): FileFields => {
  const byField = new Map<string, Map<string, UploadedFile>>()
  for (const file of uploaded) {
    if (file.field === "id" || file.field === "_meta") return fail(`A file was sent for field ${quoted(file.field)}, which the server fills in; name the part after another field`)
    if (file.field.length > MAX_FIELD_NAME_LENGTH || CONTROL.test(file.field)) return fail(`A file part's name ${quoted(file.field)} is not a usable field name`)
    const problem = fileNameProblem(file.fileName)
    if (problem !== undefined) return fail(`The file for field ${quoted(file.field)} ${problem}`)
    let names = byField.get(file.field)
    if (names === undefined) byField.set(file.field, (names = new Map()))
    const earlier = names.get(file.fileName)
    if (earlier !== undefined && !earlier.bytes.equals(file.bytes)) {
      return fail(`Two different files named ${quoted(file.fileName)} were sent for field ${quoted(file.field)}; give them different names`)
    }
    names.set(file.fileName, file)
  }

  const data: Record<string, unknown> = { ...record }
  const files: Array<UploadedFile> = []
  for (const [field, named] of byField) {
    const names = [...named.keys()]
    const value = Object.hasOwn(data, field) ? data[field] : undefined
    if (value === undefined) {
      data[field] = names.length === 1 ? names[0] : names
    } else if (typeof value === "string") {
      if (names.length > 1 || names[0] !== value) {
        return fail(`Field ${quoted(field)} holds ${quoted(value)} but the file sent for it is named ${names.map(quoted).join(", ")}; the field must hold the file's name`)
      }
    } else if (Array.isArray(value)) {
      const missing = names.find((name) => !value.includes(name))
      if (missing !== undefined) return fail(`Field ${quoted(field)} does not list the file ${quoted(missing)} sent for it; list the names of its files`)
    } else {
      return fail(`Field ${quoted(field)} has a file sent for it, so it must hold the file's name (or a list of names), not ${value === null ? "null" : typeof value}`)
    }
    files.push(...named.values())
  }
  return { ok: true, data, files }
}

/** The record's field with one file name replaced (the name the index filed the file under). */
export const renameFile = (data: Record<string, unknown>, field: string, from: string, to: string): void => {
  const value = data[field]
  if (value === from) data[field] = to
  else if (Array.isArray(value)) data[field] = value.map((item) => (item === from ? to : item))
}

/** Whether a record field's value names the file: the name itself, or a list holding it. */
export const namesFile = (value: unknown, name: string): boolean =>
  value === name || (Array.isArray(value) && value.includes(name))
