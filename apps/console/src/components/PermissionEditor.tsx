import { useState } from "react"
import type { Permission } from "../session"
import { Button } from "./Button"
import { SelectField, TextField } from "./Field"

/** The features of SPEC §3; custom features are typed in. */
export const FEATURES = ["applications", "users", "groups", "api_keys", "collections", "flows", "historian", "processes", "functions", "tags", "machines", "reports", "audit", "domains", "logs"] as const
export const ACTIONS = ["read", "read-write"] as const
export const SCOPES = ["self", "domain", "all"] as const

export const permissionText = (p: Permission): string => `${p.feature}:${p.action}:${p.scope}`

/** One permission chosen from three lists (feature, action, scope), added with a button. */
export const PermissionPicker = ({ onAdd, addLabel = "Add permission", disabled }: {
  readonly onAdd: (permission: Permission) => void
  readonly addLabel?: string
  readonly disabled?: boolean
}) => {
  const [feature, setFeature] = useState<string>("collections")
  const [custom, setCustom] = useState("")
  const [action, setAction] = useState<string>("read")
  const [scope, setScope] = useState<string>("domain")
  const chosen = feature === "custom" ? custom.trim() : feature
  return (
    <div className="toolbar permission-picker">
      <SelectField label="Feature" value={feature} onChange={(e) => setFeature(e.target.value)}>
        {FEATURES.map((f) => <option key={f} value={f}>{f}</option>)}
        <option value="custom">other…</option>
      </SelectField>
      {feature === "custom" && <TextField label="Feature name" value={custom} onChange={(e) => setCustom(e.target.value)} />}
      <SelectField label="Action" value={action} onChange={(e) => setAction(e.target.value)}>
        {ACTIONS.map((a) => <option key={a} value={a}>{a}</option>)}
      </SelectField>
      <SelectField label="Scope" value={scope} onChange={(e) => setScope(e.target.value)}>
        {SCOPES.map((s) => <option key={s} value={s}>{s}</option>)}
      </SelectField>
      <Button disabled={disabled === true || chosen === ""} onClick={() => onAdd({ feature: chosen, action, scope })}>{addLabel}</Button>
    </div>
  )
}

/** A list of permissions being edited (a new group's, a new key's), each removable. */
export const PermissionList = ({ permissions, onRemove }: {
  readonly permissions: ReadonlyArray<Permission>
  readonly onRemove?: (permission: Permission) => void
}) =>
  permissions.length === 0 ? <span className="muted">none</span> : (
    <ul className="permission-list">
      {permissions.map((p) => (
        <li key={permissionText(p)}>
          <code>{permissionText(p)}</code>
          {onRemove !== undefined && <Button variant="danger" aria-label={`Remove ${permissionText(p)}`} onClick={() => onRemove(p)}>Remove</Button>}
        </li>
      ))}
    </ul>
  )
