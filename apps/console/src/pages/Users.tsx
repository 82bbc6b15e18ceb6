import { useState, type FormEvent } from "react"
import { api } from "../api"
import { Button, CheckboxField, Dialog, ErrorMessage, Loading, Notice, PageHeader, Table, TextField, useLoad } from "../components"
import { useCan, useSession } from "../session"

interface User {
  readonly id: string
  readonly username: string
  readonly groups: ReadonlyArray<string>
  readonly domains: ReadonlyArray<string>
  readonly disabled: boolean
  readonly role?: "admin" | "user"
  readonly access?: ReadonlyArray<"read" | "write">
  readonly createdAt: string
}

interface Group {
  readonly name: string
}

/** Group membership as checkboxes over the domain's groups (plus any the user has that are not listed). */
const GroupChoice = ({ groups, chosen, onChange }: { groups: ReadonlyArray<string>; chosen: ReadonlyArray<string>; onChange: (next: Array<string>) => void }) => {
  const all = Array.from(new Set([...groups, ...chosen])).sort()
  return (
    <fieldset>
      <legend>Groups</legend>
      {all.length === 0 ? <p className="muted">This domain has no groups yet (create them on the Groups page).</p> : all.map((name) => (
        <CheckboxField
          key={name}
          label={name}
          checked={chosen.includes(name)}
          onChange={(e) => onChange(e.target.checked ? [...chosen, name] : chosen.filter((g) => g !== name))}
        />
      ))}
    </fieldset>
  )
}

const CreateUser = ({ groups, onCreated }: { groups: ReadonlyArray<string>; onCreated: () => void }) => {
  const [username, setUsername] = useState("")
  const [password, setPassword] = useState("")
  const [chosen, setChosen] = useState<Array<string>>([])
  const [error, setError] = useState<unknown>()
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setError(undefined)
    try {
      await api("POST", "/api/users", { username: username.trim(), password, groups: chosen })
      setUsername("")
      setPassword("")
      setChosen([])
      onCreated()
    } catch (failure) {
      setError(failure)
    }
  }
  return (
    <form className="stack" onSubmit={submit} aria-label="New user">
      <TextField label="Username" required value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="off" />
      <TextField label="Password" type="password" required value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" />
      <GroupChoice groups={groups} chosen={chosen} onChange={setChosen} />
      <ErrorMessage error={error} />
      <div><Button type="submit" variant="primary">Create user</Button></div>
    </form>
  )
}

const EditUser = ({ user, groups, domain, onDone }: { user: User; groups: ReadonlyArray<string>; domain: string; onDone: (message?: string) => void }) => {
  const [chosen, setChosen] = useState<Array<string>>([...user.groups])
  const [password, setPassword] = useState("")
  const [confirmRemoval, setConfirmRemoval] = useState(false)
  const [error, setError] = useState<unknown>()
  const id = encodeURIComponent(user.id)
  const run = async (work: () => Promise<unknown>, message: string) => {
    setError(undefined)
    try {
      await work()
      onDone(message)
    } catch (failure) {
      setError(failure)
    }
  }
  return (
    <div className="stack">
      <GroupChoice groups={groups} chosen={chosen} onChange={setChosen} />
      <div><Button variant="primary" onClick={() => run(() => api("PATCH", `/api/users/${id}`, { groups: chosen }), `${user.username}'s groups saved`)}>Save groups</Button></div>
      <TextField label="New password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" />
      <div><Button disabled={password === ""} onClick={() => run(() => api("POST", `/api/users/${id}/password`, { password }), `${user.username}'s password changed`)}>Set password</Button></div>
      <div className="row">
        {confirmRemoval
          ? <Button variant="danger" onClick={() => run(() => api("DELETE", `/api/users/${id}/domains/${encodeURIComponent(domain)}`), `${user.username} removed from ${domain}`)}>Confirm: remove and revoke the keys {user.username} issued here</Button>
          : <Button variant="danger" onClick={() => setConfirmRemoval(true)}>Remove from {domain}</Button>}
        {user.disabled
          ? <Button onClick={() => run(() => api("POST", `/api/users/${id}/enable`), `${user.username} enabled`)}>Enable user</Button>
          : <Button variant="danger" onClick={() => run(() => api("POST", `/api/users/${id}/disable`), `${user.username} disabled`)}>Disable user</Button>}
      </div>
      <ErrorMessage error={error} />
    </div>
  )
}

/** Users of the active domain (SPEC §5): create, change groups, password, disable/enable. */
export default function Users() {
  const can = useCan()
  const { me } = useSession()
  const writable = can("users", "read-write")
  const users = useLoad((signal) => api<ReadonlyArray<User>>("GET", "/api/users", undefined, { signal }), [])
  const groups = useLoad((signal) => can("groups") ? api<ReadonlyArray<Group>>("GET", "/api/groups", undefined, { signal }) : Promise.resolve([]), [])
  const groupNames = (groups.data ?? []).map((g) => g.name)
  const [editing, setEditing] = useState<User>()
  const [creating, setCreating] = useState(false)
  const [notice, setNotice] = useState<string>()

  return (
    <>
      <PageHeader title="Users" actions={writable ? <Button variant="primary" onClick={() => setCreating(true)}>New user</Button> : undefined} />
      {notice !== undefined && <Notice>{notice}</Notice>}
      <ErrorMessage error={users.error} />
      {users.loading && users.data === undefined ? <Loading /> : (
        <Table
          caption={`Users of ${me?.domain ?? "this domain"}`}
          rows={users.data ?? []}
          rowKey={(u) => u.id}
          columns={[
            { header: "Username", cell: (u) => u.username },
            { header: "Groups", cell: (u) => u.groups.join(", ") || <span className="muted">none</span> },
            { header: "Role", cell: (u) => u.role === undefined ? "" : `${u.role}${u.access === undefined ? "" : ` (${u.access.join(", ")})`}` },
            { header: "Domains", cell: (u) => u.domains.join(", ") },
            { header: "Status", cell: (u) => u.disabled ? <span className="badge badge-bad">disabled</span> : <span className="badge badge-ok">active</span> },
            ...(writable ? [{ header: "Actions", cell: (u: User) => <Button onClick={() => setEditing(u)} aria-label={`Edit ${u.username}`}>Edit</Button> }] : [])
          ]}
        />
      )}
      <Dialog title="New user" open={creating} onClose={() => setCreating(false)}>
        <CreateUser groups={groupNames} onCreated={() => { setCreating(false); setNotice("User created"); users.reload() }} />
      </Dialog>
      <Dialog title={editing === undefined ? "" : `Edit ${editing.username}`} open={editing !== undefined} onClose={() => setEditing(undefined)}>
        {editing !== undefined && (
          <EditUser user={editing} groups={groupNames} domain={me?.domain ?? ""} onDone={(message) => { setEditing(undefined); setNotice(message); users.reload() }} />
        )}
      </Dialog>
    </>
  )
}
