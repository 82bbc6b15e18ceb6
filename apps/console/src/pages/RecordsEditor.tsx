import { useState, type FormEvent } from "react"
import { ApiError, api } from "../api"
import { Button, CheckboxField, ErrorMessage, SelectField, TextAreaField, TextField } from "../components"
import { fieldOfError, formFields, type FormField } from "./RecordsSchema"

export interface StoredRecord {
  readonly id: string
  readonly _meta: { readonly created: string; readonly updated: string; readonly creator: string; readonly version: number }
  readonly [field: string]: unknown
}

const META = new Set(["id", "_meta"])

const initialText = (field: FormField, value: unknown): string => {
  if (value === undefined || value === null) return ""
  if (field.kind === "json") return JSON.stringify(value, null, 2)
  return String(value)
}

/**
 * Create or edit one record: a control per schema property, the remaining fields as JSON, and file
 * inputs sent as multipart parts beside the `record` JSON (SPEC §6a). A 422 from the server is shown
 * at the field it names.
 */
export const RecordsEditor = ({ table, schema, record, onSaved, onCancel }: {
  readonly table: string
  readonly schema: unknown
  readonly record?: StoredRecord
  readonly onSaved: (saved: StoredRecord) => void
  readonly onCancel: () => void
}) => {
  const fields = formFields(schema)
  const known = new Set(fields.map((f) => f.name))
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(fields.map((f) => [f.name, initialText(f, record?.[f.name])])))
  const [flags, setFlags] = useState<Record<string, boolean>>(() =>
    Object.fromEntries(fields.filter((f) => f.kind === "boolean").map((f) => [f.name, record?.[f.name] === true])))
  const [files, setFiles] = useState<Record<string, File>>({})
  const [extra, setExtra] = useState(() => {
    const rest = Object.fromEntries(Object.entries(record ?? {}).filter(([k]) => !META.has(k) && !known.has(k)))
    return Object.keys(rest).length === 0 && fields.length > 0 ? "" : JSON.stringify(rest, null, 2)
  })
  const [extraFile, setExtraFile] = useState<{ field: string; file: File | undefined }>({ field: "", file: undefined })
  const [errors, setErrors] = useState<Record<string, string>>({})
  const [error, setError] = useState<unknown>()
  const [busy, setBusy] = useState(false)
  const EXTRA = "\u0000extra"

  const build = (): { data: Record<string, unknown>; parts: Array<[string, File]> } | undefined => {
    const problems: Record<string, string> = {}
    const data: Record<string, unknown> = {}
    const parts: Array<[string, File]> = []
    if (extra.trim() !== "") {
      try {
        const parsed = JSON.parse(extra) as unknown
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) problems[EXTRA] = "must be a JSON object"
        else Object.assign(data, parsed)
      } catch (failure) {
        problems[EXTRA] = `not valid JSON: ${(failure as Error).message}`
      }
    }
    for (const field of fields) {
      const text = values[field.name] ?? ""
      switch (field.kind) {
        case "boolean":
          data[field.name] = flags[field.name] === true
          break
        case "file": {
          const file = files[field.name]
          if (file !== undefined) {
            data[field.name] = file.name
            parts.push([field.name, file])
          } else if (text !== "") data[field.name] = text
          break
        }
        case "number":
        case "integer":
          if (text.trim() === "") break
          if (!Number.isFinite(Number(text))) problems[field.name] = "must be a number"
          else data[field.name] = Number(text)
          break
        case "json":
          if (text.trim() === "") break
          try {
            data[field.name] = JSON.parse(text)
          } catch {
            problems[field.name] = "must be JSON (a quoted string, a number, an object, a list…)"
          }
          break
        default:
          if (text !== "" || record?.[field.name] !== undefined) data[field.name] = text
      }
    }
    if (extraFile.file !== undefined && extraFile.field.trim() !== "") {
      data[extraFile.field.trim()] = extraFile.file.name
      parts.push([extraFile.field.trim(), extraFile.file])
    }
    setErrors(problems)
    return Object.keys(problems).length > 0 ? undefined : { data, parts }
  }

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setError(undefined)
    const built = build()
    if (built === undefined) return
    let body: unknown = built.data
    if (built.parts.length > 0) {
      const form = new FormData()
      form.append("record", JSON.stringify(built.data))
      for (const [field, file] of built.parts) form.append(field, file, file.name)
      body = form
    }
    setBusy(true)
    try {
      const saved = record === undefined
        ? await api<{ record: StoredRecord }>("POST", `/machhub/${encodeURIComponent(table)}`, body)
        : await api<{ record: StoredRecord }>("PUT", `/machhub/${encodeURIComponent(record.id)}`, body, { headers: { "If-Match": `"${record._meta.version}"` } })
      onSaved(saved.record)
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 422) {
        const { field, message } = fieldOfError(failure.message)
        if (field !== undefined && known.has(field)) setErrors({ [field]: message })
        else setErrors({ [EXTRA]: field === undefined ? message : `${field}: ${message}` })
      } else if (failure instanceof ApiError && failure.status === 412) {
        setError(new Error("Someone changed this record since you opened it: close the editor and open it again."))
      } else setError(failure)
    } finally {
      setBusy(false)
    }
  }

  const set = (name: string, value: string) => setValues((v) => ({ ...v, [name]: value }))

  return (
    <form className="stack record-editor" onSubmit={submit} aria-label={record === undefined ? "New record" : "Edit record"} noValidate>
      {fields.map((field) => {
        const label = `${field.name}${field.required ? " (required)" : ""}`
        const common = { label, error: errors[field.name], hint: field.description }
        switch (field.kind) {
          case "boolean":
            return <CheckboxField key={field.name} label={field.name} checked={flags[field.name] === true} onChange={(e) => setFlags((f) => ({ ...f, [field.name]: e.target.checked }))} />
          case "enum":
            return (
              <SelectField key={field.name} {...common} value={values[field.name] ?? ""} onChange={(e) => set(field.name, e.target.value)}>
                <option value="">(none)</option>
                {field.options?.map((o) => <option key={o} value={o}>{o}</option>)}
              </SelectField>
            )
          case "file":
            return (
              <TextField
                key={field.name}
                {...common}
                type="file"
                hint={values[field.name] ? `Now: ${values[field.name]}. Choose a file to replace it.` : field.description}
                onChange={(e) => { const file = e.target.files?.[0]; setFiles((f) => { const next = { ...f }; if (file === undefined) delete next[field.name]; else next[field.name] = file; return next }) }}
              />
            )
          case "number":
          case "integer":
            return <TextField key={field.name} {...common} type="number" step={field.kind === "integer" ? 1 : "any"} value={values[field.name] ?? ""} onChange={(e) => set(field.name, e.target.value)} />
          case "json":
            return <TextAreaField key={field.name} {...common} className="mono" value={values[field.name] ?? ""} onChange={(e) => set(field.name, e.target.value)} />
          default:
            return <TextField key={field.name} {...common} value={values[field.name] ?? ""} onChange={(e) => set(field.name, e.target.value)} />
        }
      })}
      <TextAreaField
        label={fields.length === 0 ? "Record (JSON object)" : "Other fields (JSON object)"}
        className="mono"
        value={extra}
        onChange={(e) => setExtra(e.target.value)}
        error={errors[EXTRA]}
        hint={fields.length === 0 ? "This collection has no schema: any JSON object is accepted." : "Fields the schema does not list, if it allows them."}
      />
      <fieldset>
        <legend>Attach a file to another field</legend>
        <div className="toolbar">
          <TextField label="File field" value={extraFile.field} onChange={(e) => setExtraFile((x) => ({ ...x, field: e.target.value }))} />
          <TextField label="File" type="file" onChange={(e) => { const file = e.target.files?.[0]; setExtraFile((x) => ({ ...x, file })) }} />
        </div>
      </fieldset>
      <ErrorMessage error={error} />
      <div className="row">
        <Button type="submit" variant="primary" disabled={busy}>{record === undefined ? "Create record" : "Save record"}</Button>
        <Button onClick={onCancel}>Cancel</Button>
      </div>
    </form>
  )
}
