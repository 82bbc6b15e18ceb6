import { useId, useState } from "react"
import { api } from "./api"
import { switchDomain } from "./auth"
import { useLoad } from "./components"
import { useSession } from "./session"

interface DomainView {
  readonly name: string
}

/** Picks the active domain among those the caller belongs to (GET /api/domains); every request then carries it. */
export const DomainSwitcher = () => {
  const { domain } = useSession()
  const id = useId()
  const [error, setError] = useState<string>()
  const domains = useLoad((signal) => api<ReadonlyArray<DomainView>>("GET", "/api/domains", undefined, { signal }), [])
  const names = Array.from(new Set([domain, ...(domains.data ?? []).map((d) => d.name.replace(/^domains:/, ""))])).sort()
  return (
    <span className="domain-switcher">
      <label htmlFor={id}>Domain</label>
      <select
        id={id}
        value={domain}
        onChange={(event) => {
          setError(undefined)
          switchDomain(event.target.value).catch((failure: unknown) => setError(failure instanceof Error ? failure.message : String(failure)))
        }}
      >
        {names.map((name) => <option key={name} value={name}>{name}</option>)}
      </select>
      {error !== undefined && <span role="alert" className="field-error">{error}</span>}
    </span>
  )
}
