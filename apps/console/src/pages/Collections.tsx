import { useState, type FormEvent } from "react"
import { ApiError, api } from "../api"
import { Button, CheckboxField, Dialog, ErrorMessage, Loading, Notice, PageHeader, SelectField, Table, TextAreaField, TextField, useLoad } from "../components"
import { href, navigate, useRoute } from "../router"
import { useCan } from "../session"
import { Records } from "./Records"
import { RecordsDetail } from "./RecordsDetail"

interface Collection {
  readonly name: string
  readonly defined: boolean
  readonly schema: unknown
  readonly access: { readonly owner: "self" | "domain"; readonly publicRead: boolean; readonly publicWrite: boolean }
}

const DefineCollection = ({ initial, onDefined }: { initial?: Collection; onDefined: (name: string) => void }) => {
  const [name, setName] = useState(initial?.name ?? "")
  const [schema, setSchema] = useState(initial?.schema === undefined || initial.schema === null ? "" : JSON.stringify(initial.schema, null, 2))
  const [owner, setOwner] = useState<"self" | "domain">(initial?.access.owner ?? "self")
  const [publicRead, setPublicRead] = useState(initial?.access.publicRead ?? false)
  const [publicWrite, setPublicWrite] = useState(initial?.access.publicWrite ?? false)
  const [schemaError, setSchemaError] = useState<string>()
  const [error, setError] = useState<unknown>()
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setSchemaError(undefined)
    setError(undefined)
    let parsed: unknown
    if (schema.trim() !== "") {
      try {
        parsed = JSON.parse(schema)
      } catch (failure) {
        setSchemaError(`not valid JSON: ${(failure as Error).message}`)
        return
      }
    }
    try {
      await api("POST", "/api/collections", { name: name.trim(), ...(parsed === undefined ? {} : { schema: parsed }), access: { owner, public: { read: publicRead, write: publicWrite } } })
      onDefined(name.trim())
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 422 && !/^name/.test(failure.message)) setSchemaError(failure.message)
      else setError(failure)
    }
  }
  return (
    <form className="stack" onSubmit={submit} aria-label="Define a collection">
      <TextField label="Collection name" required value={name} readOnly={initial !== undefined} onChange={(e) => setName(e.target.value)} hint="Letters, digits and _, starting with a letter." />
      <TextAreaField label="JSON Schema" className="mono" rows={10} value={schema} onChange={(e) => setSchema(e.target.value)} error={schemaError} hint='Optional. Every write must match it, e.g. {"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}' />
      <SelectField label="Callers with only self scope read" value={owner} onChange={(e) => setOwner(e.target.value as "self" | "domain")}>
        <option value="self">their own records</option>
        <option value="domain">every record of the domain</option>
      </SelectField>
      <CheckboxField label="Anyone may read, without signing in" checked={publicRead} onChange={(e) => setPublicRead(e.target.checked)} />
      <CheckboxField label="Anyone may write, without signing in" checked={publicWrite} onChange={(e) => setPublicWrite(e.target.checked)} />
      <ErrorMessage error={error} />
      <div><Button type="submit" variant="primary">{initial === undefined ? "Define collection" : "Save definition"}</Button></div>
    </form>
  )
}

/** The collections browser: the domain's collections, then one collection's records, then one record. */
export default function Collections() {
  const route = useRoute()
  const can = useCan()
  const writable = can("collections", "read-write")
  const collections = useLoad((signal) => api<ReadonlyArray<Collection>>("GET", "/api/collections", undefined, { signal }), [])
  const [defining, setDefining] = useState<Collection | "new">()
  const [notice, setNotice] = useState<string>()
  const [openName, setOpenName] = useState("")
  const [table, recordId] = [route.segments[1], route.segments[2]]

  if (table !== undefined) {
    if (collections.loading && collections.data === undefined) return <Loading />
    const schema = collections.data?.find((c) => c.name === table)?.schema ?? null
    return recordId === undefined ? <Records key={table} table={table} schema={schema} /> : <RecordsDetail key={`${table}:${recordId}`} table={table} id={recordId} schema={schema} />
  }

  return (
    <>
      <PageHeader title="Collections" actions={writable ? <Button variant="primary" onClick={() => setDefining("new")}>Define collection</Button> : undefined} />
      {notice !== undefined && <Notice>{notice}</Notice>}
      <ErrorMessage error={collections.error} />
      <form className="toolbar" onSubmit={(e) => { e.preventDefault(); if (openName.trim() !== "") navigate(href(["collections", openName.trim()])) }}>
        <TextField label="Open a collection by name" value={openName} onChange={(e) => setOpenName(e.target.value)} />
        <Button type="submit">Open</Button>
      </form>
      {collections.loading && collections.data === undefined ? <Loading /> : (
        <Table
          caption="Collections of this domain (defined, or holding records)"
          rows={collections.data ?? []}
          rowKey={(c) => c.name}
          empty="No collections yet."
          columns={[
            { header: "Name", cell: (c) => <a href={href(["collections", c.name])}>{c.name}</a> },
            { header: "Schema", cell: (c) => (c.schema === null ? <span className="muted">none</span> : "JSON Schema") },
            { header: "Self-scope readers see", cell: (c) => (c.access.owner === "self" ? "their own records" : "every record") },
            { header: "Public", cell: (c) => [c.access.publicRead ? "read" : "", c.access.publicWrite ? "write" : ""].filter(Boolean).join(", ") || "no" },
            ...(writable ? [{ header: "Actions", cell: (c: Collection) => <Button onClick={() => setDefining(c)} aria-label={`Edit definition of ${c.name}`}>Edit definition</Button> }] : [])
          ]}
        />
      )}
      <Dialog title={defining === "new" || defining === undefined ? "Define a collection" : `Definition of ${defining.name}`} open={defining !== undefined} onClose={() => setDefining(undefined)}>
        {defining !== undefined && (
          <DefineCollection
            {...(defining === "new" ? {} : { initial: defining })}
            onDefined={(name) => { setDefining(undefined); setNotice(`Collection ${name} defined`); collections.reload() }}
          />
        )}
      </Dialog>
    </>
  )
}
