import { useState, type FormEvent } from "react"
import { api } from "../api"
import { Button, CheckboxField, CopyButton, Dialog, ErrorMessage, Loading, Notice, PageHeader, PermissionList, PermissionPicker, permissionText, Table, TextField, useLoad } from "../components"
import { useCan, type Permission } from "../session"

interface ApiKey {
  readonly id: string
  readonly name: string
  readonly description: string
  readonly status: "active" | "suspended" | "revoked" | string
  readonly suspendReason?: string
  readonly expiration: number
  readonly expired: boolean
  readonly features: ReadonlyArray<{ name: string; action: string; scope: string }>
  readonly scopes: ReadonlyArray<string>
  readonly issuedBy: string
  readonly createdAt: string
  readonly lastUsedAt: string | null
}

/** Named bundles of permissions a key may carry (SPEC §3, MachineMetrics-style). */
const KEY_SCOPES = ["reporting", "machines:write", "collections:read", "collections:write", "audit"] as const

const when = (iso: string | null) => (iso === null ? "never" : new Date(iso).toLocaleString())

const CreateKey = ({ onIssued }: { onIssued: (issued: { name: string; token: string }) => void }) => {
  const [name, setName] = useState("")
  const [description, setDescription] = useState("")
  const [expires, setExpires] = useState("")
  const [features, setFeatures] = useState<Array<Permission>>([])
  const [scopes, setScopes] = useState<Array<string>>([])
  const [error, setError] = useState<unknown>()
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setError(undefined)
    try {
      const expiration = expires === "" ? 0 : Math.floor(new Date(expires).getTime() / 1000)
      const issued = await api<{ id: string; token: string }>("POST", "/api/api-key/generate", {
        name: name.trim(),
        description,
        expiration,
        features: features.map((p) => ({ name: p.feature, action: p.action, scope: p.scope })),
        scopes
      })
      onIssued({ name: name.trim(), token: issued.token })
    } catch (failure) {
      setError(failure)
    }
  }
  return (
    <form className="stack" onSubmit={submit} aria-label="New developer key">
      <TextField label="Key name" required value={name} onChange={(e) => setName(e.target.value)} />
      <TextField label="Description" value={description} onChange={(e) => setDescription(e.target.value)} />
      <TextField label="Expires" type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} hint="Leave empty for a key that does not expire." />
      <fieldset>
        <legend>Scopes (named bundles of permissions)</legend>
        {KEY_SCOPES.map((scope) => (
          <CheckboxField key={scope} label={scope} checked={scopes.includes(scope)} onChange={(e) => setScopes((list) => e.target.checked ? [...list, scope] : list.filter((s) => s !== scope))} />
        ))}
      </fieldset>
      <fieldset>
        <legend>Permissions</legend>
        <PermissionPicker onAdd={(p) => setFeatures((list) => list.some((q) => permissionText(q) === permissionText(p)) ? list : [...list, p])} />
        <PermissionList permissions={features} onRemove={(p) => setFeatures((list) => list.filter((q) => permissionText(q) !== permissionText(p)))} />
      </fieldset>
      <p className="muted">A key can hold at most your own permissions.</p>
      <ErrorMessage error={error} />
      <div><Button type="submit" variant="primary">Create key</Button></div>
    </form>
  )
}

const toPermission = (f: { name: string; action: string; scope: string }): Permission => ({ feature: f.name, action: f.action, scope: f.scope })

/** Changes a key's scopes and permissions after it was issued (PATCH /api/api-key/<id>); the secret stays the same. */
const EditKey = ({ apiKey, onSaved }: { apiKey: ApiKey; onSaved: () => void }) => {
  const [features, setFeatures] = useState<Array<Permission>>(apiKey.features.map(toPermission))
  const [scopes, setScopes] = useState<Array<string>>([...apiKey.scopes])
  const [error, setError] = useState<unknown>()
  const save = async () => {
    setError(undefined)
    try {
      await api("PATCH", `/api/api-key/${encodeURIComponent(apiKey.id)}`, {
        features: features.map((p) => ({ name: p.feature, action: p.action, scope: p.scope })),
        scopes
      })
      onSaved()
    } catch (failure) {
      setError(failure)
    }
  }
  return (
    <div className="stack">
      <fieldset>
        <legend>Scopes</legend>
        {KEY_SCOPES.map((scope) => (
          <CheckboxField key={scope} label={scope} checked={scopes.includes(scope)} onChange={(e) => setScopes((list) => e.target.checked ? [...list, scope] : list.filter((s) => s !== scope))} />
        ))}
      </fieldset>
      <fieldset>
        <legend>Permissions</legend>
        <PermissionPicker onAdd={(p) => setFeatures((list) => list.some((q) => permissionText(q) === permissionText(p)) ? list : [...list, p])} />
        <PermissionList permissions={features} onRemove={(p) => setFeatures((list) => list.filter((q) => permissionText(q) !== permissionText(p)))} />
      </fieldset>
      <ErrorMessage error={error} />
      <div><Button variant="primary" onClick={save}>Save key</Button></div>
    </div>
  )
}

/**
 * Developer keys (SPEC §4): issue with scopes and permissions, the secret shown once (it lives only in
 * this component's state and is dropped when its dialog closes), suspend/resume, revoke.
 */
export default function Keys() {
  const can = useCan()
  const mayIssue = can("api_keys", "read-write")
  const keys = useLoad((signal) => api<ReadonlyArray<ApiKey>>("GET", "/api/api-key/get-all", undefined, { signal }), [])
  const [creating, setCreating] = useState(false)
  const [issued, setIssued] = useState<{ name: string; token: string }>()
  const [notice, setNotice] = useState<string>()
  const [error, setError] = useState<unknown>()
  const [revoking, setRevoking] = useState<ApiKey>()
  const [editing, setEditing] = useState<ApiKey>()

  const act = async (work: () => Promise<unknown>, message: string) => {
    setError(undefined)
    setNotice(undefined)
    try {
      await work()
      setNotice(message)
      keys.reload()
    } catch (failure) {
      setError(failure)
    }
  }

  return (
    <>
      <PageHeader title="Developer keys" actions={mayIssue ? <Button variant="primary" onClick={() => setCreating(true)}>New key</Button> : undefined} />
      {notice !== undefined && <Notice>{notice}</Notice>}
      <ErrorMessage error={keys.error ?? error} />
      {keys.loading && keys.data === undefined ? <Loading /> : (
        <Table
          caption="Keys of this domain (the secret of a key is never shown again after it is created)"
          rows={keys.data ?? []}
          rowKey={(k) => k.id}
          empty="No keys yet."
          columns={[
            { header: "Name", cell: (k) => <>{k.name}{k.description !== "" && <div className="muted">{k.description}</div>}</> },
            { header: "Status", cell: (k) => <span className={`badge ${k.status === "active" && !k.expired ? "badge-ok" : "badge-bad"}`} title={k.suspendReason}>{k.expired ? "expired" : k.status}</span> },
            { header: "Scopes", cell: (k) => k.scopes.join(", ") },
            { header: "Permissions", cell: (k) => <PermissionList permissions={k.features.map(toPermission)} /> },
            { header: "Expires", cell: (k) => (k.expiration === 0 ? "never" : new Date(k.expiration * 1000).toLocaleString()) },
            { header: "Last used", cell: (k) => when(k.lastUsedAt) },
            ...(mayIssue ? [{
              header: "Actions",
              cell: (k: ApiKey) => k.status === "revoked" ? null : (
                <div className="actions">
                  {k.status === "suspended"
                    ? <Button onClick={() => act(() => api("POST", `/api/api-key/${encodeURIComponent(k.id)}/resume`), `${k.name} resumed`)}>Resume</Button>
                    : <Button onClick={() => act(() => api("POST", `/api/api-key/${encodeURIComponent(k.id)}/suspend`, { reason: "suspended from the console" }), `${k.name} suspended`)}>Suspend</Button>}
                  <Button onClick={() => setEditing(k)} aria-label={`Edit ${k.name}`}>Edit</Button>
                  <Button variant="danger" onClick={() => setRevoking(k)}>Revoke</Button>
                </div>
              )
            }] : [])
          ]}
        />
      )}
      <Dialog title="New developer key" open={creating} onClose={() => setCreating(false)}>
        <CreateKey onIssued={(key) => { setCreating(false); setIssued(key); keys.reload() }} />
      </Dialog>
      <Dialog title={`Key ${issued?.name ?? ""} created`} open={issued !== undefined} onClose={() => setIssued(undefined)}>
        {issued !== undefined && (
          <>
            <p><strong>Copy the key now: it is shown this once.</strong> Only a hash of it is kept, so it cannot be shown again.</p>
            <code className="secret" data-testid="key-secret">{issued.token}</code>
            <div className="row">
              <CopyButton value={issued.token} label="Copy key" />
              <Button variant="primary" onClick={() => setIssued(undefined)}>Done</Button>
            </div>
          </>
        )}
      </Dialog>
      <Dialog title={`Edit key ${editing?.name ?? ""}`} open={editing !== undefined} onClose={() => setEditing(undefined)}>
        {editing !== undefined && <EditKey apiKey={editing} onSaved={() => { setNotice(`${editing.name} saved`); setEditing(undefined); keys.reload() }} />}
      </Dialog>
      <Dialog title={`Revoke ${revoking?.name ?? ""}?`} open={revoking !== undefined} onClose={() => setRevoking(undefined)}>
        {revoking !== undefined && (
          <>
            <p>Requests with this key will be refused from now on. This cannot be undone.</p>
            <div className="row">
              <Button variant="danger" onClick={() => { const key = revoking; setRevoking(undefined); void act(() => api("DELETE", `/api/api-key/${encodeURIComponent(key.id)}`), `${key.name} revoked`) }}>Revoke key</Button>
              <Button onClick={() => setRevoking(undefined)}>Cancel</Button>
            </div>
          </>
        )}
      </Dialog>
    </>
  )
}
