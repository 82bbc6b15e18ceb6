import { useState, type FormEvent } from "react"
import { api } from "../api"
import { Button, Dialog, ErrorMessage, Loading, Notice, PageHeader, PermissionList, PermissionPicker, permissionText, Table, TextField, useLoad } from "../components"
import { useCan, type Permission } from "../session"

interface Group {
  readonly name: string
  readonly permissions: ReadonlyArray<Permission>
  readonly version: number
}

const CreateGroup = ({ onCreated }: { onCreated: () => void }) => {
  const [name, setName] = useState("")
  const [permissions, setPermissions] = useState<Array<Permission>>([])
  const [error, setError] = useState<unknown>()
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setError(undefined)
    try {
      await api("POST", "/api/groups", { name: name.trim(), permissions })
      onCreated()
    } catch (failure) {
      setError(failure)
    }
  }
  return (
    <form className="stack" onSubmit={submit} aria-label="New group">
      <TextField label="Group name" required value={name} onChange={(e) => setName(e.target.value)} />
      <PermissionPicker onAdd={(p) => setPermissions((list) => list.some((q) => permissionText(q) === permissionText(p)) ? list : [...list, p])} />
      <PermissionList permissions={permissions} onRemove={(p) => setPermissions((list) => list.filter((q) => permissionText(q) !== permissionText(p)))} />
      <ErrorMessage error={error} />
      <div><Button type="submit" variant="primary">Create group</Button></div>
    </form>
  )
}

/** Groups of the active domain and the permissions they grant (SPEC §3, §5). */
export default function Groups() {
  const can = useCan()
  const writable = can("groups", "read-write")
  const groups = useLoad((signal) => api<ReadonlyArray<Group>>("GET", "/api/groups", undefined, { signal }), [])
  const [creating, setCreating] = useState(false)
  const [editing, setEditing] = useState<string>()
  const [notice, setNotice] = useState<string>()
  const [error, setError] = useState<unknown>()
  const current = groups.data?.find((g) => g.name === editing)

  const change = async (method: "POST" | "DELETE", group: string, permission: Permission) => {
    setError(undefined)
    try {
      await api(method, `/api/groups/${encodeURIComponent(group)}/permissions`, permission)
      setNotice(`${method === "POST" ? "Granted" : "Revoked"} ${permissionText(permission)} ${method === "POST" ? "to" : "from"} ${group}`)
      groups.reload()
    } catch (failure) {
      setError(failure)
    }
  }

  return (
    <>
      <PageHeader title="Groups and permissions" actions={writable ? <Button variant="primary" onClick={() => setCreating(true)}>New group</Button> : undefined} />
      {notice !== undefined && <Notice>{notice}</Notice>}
      <ErrorMessage error={groups.error ?? error} />
      {groups.loading && groups.data === undefined ? <Loading /> : (
        <Table
          caption="Groups of this domain (the superuser group is built in and may do everything)"
          rows={groups.data ?? []}
          rowKey={(g) => g.name}
          columns={[
            { header: "Group", cell: (g) => g.name },
            { header: "Permissions", cell: (g) => <PermissionList permissions={g.permissions} /> },
            ...(writable ? [{ header: "Actions", cell: (g: Group) => <Button onClick={() => setEditing(g.name)} aria-label={`Edit permissions of ${g.name}`}>Edit permissions</Button> }] : [])
          ]}
        />
      )}
      <Dialog title="New group" open={creating} onClose={() => setCreating(false)}>
        <CreateGroup onCreated={() => { setCreating(false); setNotice("Group created"); groups.reload() }} />
      </Dialog>
      <Dialog title={`Permissions of ${editing ?? ""}`} open={editing !== undefined} onClose={() => setEditing(undefined)}>
        {current !== undefined && (
          <>
            <PermissionList permissions={current.permissions} onRemove={(p) => void change("DELETE", current.name, p)} />
            <PermissionPicker addLabel="Grant" onAdd={(p) => void change("POST", current.name, p)} />
            <ErrorMessage error={error} />
          </>
        )}
      </Dialog>
    </>
  )
}
