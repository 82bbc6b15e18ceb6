import { useRef, useState, type FormEvent } from "react"
import { api, errorMessage } from "../api"
import { useCan, useSession } from "../session"
import { masterPasswordCall } from "../components/masterPasswordCall"
import { ErrorMessage } from "../components/Messages"
import { SshTerminal } from "../components/SshTerminal"
import { useLoad } from "../components/useLoad"
import "../components/dataPages.css"

interface Machine {
  readonly id: number
  readonly name: string
  readonly username: string
  readonly hostname: string
  readonly port: string
  readonly organization?: string
}
interface Envelope<T> {
  readonly status: string
  readonly message: string
  readonly data: T
}

/**
 * SSH machines (the caller's own): register one with the master password (its SSH secrets are sealed
 * with it on the server), connect (the master password opens the sealed secrets; the answer is a
 * single-use ticket) and use the machine's shell in a full terminal. The master password stays in this
 * page's memory while its terminal is open, so Reconnect can ask for a new ticket; it is never stored.
 */
export default function MachinesPage() {
  const session = useSession()
  const can = useCan()
  const mayRead = can("machines", "read")
  const mayWrite = can("machines", "read-write")
  const list = useLoad(async () => (mayRead ? (await api<Envelope<Array<Machine>>>("GET", "/api/v1/machines")).data : undefined), [session.domain])
  const [connecting, setConnecting] = useState<Machine | undefined>(undefined)
  const [open, setOpen] = useState<{ machine: Machine; key: number } | undefined>(undefined)
  const master = useRef<string | undefined>(undefined)
  /** The open terminal's tickets: the one Connect answered first, then a new one per reconnect. */
  const tickets = useRef<() => Promise<string>>(() => Promise.reject(new Error("not connected")))
  const [message, setMessage] = useState<string | undefined>(undefined)

  if (!mayRead) return <p className="notice data-page">You may not use SSH machines in this domain (permission machines:read).</p>

  const remove = async (machine: Machine) => {
    if (!confirm(`Delete machine ${machine.name}? Its open terminals are closed.`)) return
    try {
      await api("DELETE", `/api/v1/machine/${machine.id}`)
      if (open?.machine.id === machine.id) setOpen(undefined)
      list.reload()
    } catch (failure) {
      setMessage(errorMessage(failure))
    }
  }
  const newTicket = async (machine: Machine): Promise<string> => {
    if (master.current === undefined) throw new Error("Connect again: the master password is needed")
    return (await masterPasswordCall<Envelope<string>>("POST", `/api/v1/machine/${machine.id}/connect`, { password: master.current })).data
  }

  return (
    <section className="data-page" aria-labelledby="machines-title">
      <h1 id="machines-title">SSH machines</h1>
      <ErrorMessage error={list.error} />
      {message === undefined ? null : <p className="error" role="alert">{message}</p>}
      <table>
        <caption>Your machines in this domain</caption>
        <thead>
          <tr><th scope="col">Name</th><th scope="col">Host</th><th scope="col">User</th><th scope="col">Organization</th><th scope="col"><span className="sr-only">Actions</span></th></tr>
        </thead>
        <tbody>
          {(list.data ?? []).length === 0 ? <tr><td colSpan={5}>{list.loading ? "Loading…" : "No machines yet."}</td></tr> : null}
          {(list.data ?? []).map((machine) => (
            <tr key={machine.id} data-machine={machine.name}>
              <td>{machine.name}</td>
              <td>{machine.hostname}:{machine.port}</td>
              <td>{machine.username}</td>
              <td>{machine.organization ?? ""}</td>
              <td>
                {mayWrite ? (
                  <>
                    <button type="button" onClick={() => setConnecting(machine)}>Connect</button>{" "}
                    <button type="button" className="danger" onClick={() => void remove(machine)}>Delete</button>
                  </>
                ) : <span className="muted">read only</span>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {connecting === undefined ? null : (
        <ConnectForm machine={connecting} onCancel={() => setConnecting(undefined)}
          onConnect={async (password) => {
            master.current = password
            const machine = connecting
            // Asked here so a wrong master password is said at the form, before a terminal opens.
            let first: string | undefined = await newTicket(machine)
            tickets.current = () => {
              if (first === undefined) return newTicket(machine)
              const ticket = first
              first = undefined
              return Promise.resolve(ticket)
            }
            setConnecting(undefined)
            setOpen({ machine, key: Date.now() })
          }} />
      )}
      {open === undefined ? null : (
        <>
          <SshTerminal key={open.key} title={`${open.machine.username}@${open.machine.hostname}`} newTicket={() => tickets.current()} />
          <button type="button" onClick={() => { setOpen(undefined); master.current = undefined }}>Close terminal</button>
        </>
      )}
      {mayWrite ? <RegisterForm onRegistered={list.reload} /> : <p className="muted">Registering and connecting need permission machines:read-write.</p>}
    </section>
  )
}

const ConnectForm = ({ machine, onConnect, onCancel }: { machine: Machine; onConnect: (master: string) => Promise<void>; onCancel: () => void }) => {
  const [password, setPassword] = useState("")
  const [error, setError] = useState<string | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      await onConnect(password)
    } catch (failure) {
      setError(errorMessage(failure))
    } finally {
      setBusy(false)
    }
  }
  return (
    <form onSubmit={submit} className="inline-form" aria-label={`Connect to ${machine.name}`}>
      <h2>Connect to {machine.name}</h2>
      <label>
        Master password <input type="password" name="connect-master" autoComplete="off" required value={password} onChange={(e) => setPassword(e.target.value)}
          aria-invalid={error !== undefined} aria-describedby="connect-error" />
      </label>
      <button type="submit" disabled={busy}>{busy ? "Connecting…" : "Open terminal"}</button>
      <button type="button" onClick={onCancel}>Cancel</button>
      {error === undefined ? null : <p id="connect-error" className="error" role="alert">{error}</p>}
    </form>
  )
}

const RegisterForm = ({ onRegistered }: { onRegistered: () => void }) => {
  const [fields, setFields] = useState({ name: "", hostname: "", port: "22", username: "", organization: "", password: "", private_key: "", passphrase: "", master: "" })
  const [method, setMethod] = useState<"password" | "key">("password")
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>(undefined)
  const set = (name: keyof typeof fields) => (e: { target: { value: string } }) => setFields((f) => ({ ...f, [name]: e.target.value }))

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setMessage(undefined)
    const body: Record<string, string> = { name: fields.name, hostname: fields.hostname, port: fields.port, username: fields.username }
    if (fields.organization !== "") body["organization"] = fields.organization
    if (method === "password") body["password"] = fields.password
    else {
      body["private_key"] = fields.private_key
      if (fields.passphrase !== "") body["passphrase"] = fields.passphrase
    }
    try {
      await masterPasswordCall("POST", "/api/v1/machine", body, { "X-Master-Password": fields.master })
      setMessage({ ok: true, text: `Registered ${fields.name}` })
      setFields((f) => ({ ...f, name: "", password: "", private_key: "", passphrase: "", master: "" }))
      onRegistered()
    } catch (failure) {
      setMessage({ ok: false, text: errorMessage(failure) })
    }
  }

  return (
    <form onSubmit={submit} aria-labelledby="register-title" className="stacked-form">
      <h2 id="register-title">Register a machine</h2>
      <label>Name <input name="machine-name" required value={fields.name} onChange={set("name")} /></label>
      <label>Host name <input name="machine-hostname" required value={fields.hostname} onChange={set("hostname")} /></label>
      <label>Port <input name="machine-port" required inputMode="numeric" value={fields.port} onChange={set("port")} /></label>
      <label>SSH user <input name="machine-username" required value={fields.username} onChange={set("username")} /></label>
      <label>Organization <input value={fields.organization} onChange={set("organization")} /></label>
      <fieldset>
        <legend>Sign in to the machine with</legend>
        <label className="check"><input type="radio" name="method" checked={method === "password"} onChange={() => setMethod("password")} /> a password</label>
        <label className="check"><input type="radio" name="method" checked={method === "key"} onChange={() => setMethod("key")} /> a private key</label>
      </fieldset>
      {method === "password" ? (
        <label>SSH password <input type="password" name="machine-password" autoComplete="off" required value={fields.password} onChange={set("password")} /></label>
      ) : (
        <>
          <label>Private key (OpenSSH) <textarea className="code" rows={5} required value={fields.private_key} onChange={set("private_key")} /></label>
          <label>Passphrase <input type="password" autoComplete="off" value={fields.passphrase} onChange={set("passphrase")} /></label>
        </>
      )}
      <label>
        Master password <input type="password" name="machine-master" autoComplete="off" required value={fields.master} onChange={set("master")} />
        <span className="muted"> seals the SSH secrets; never stored, needed again to connect</span>
      </label>
      <button type="submit">Register</button>
      {message === undefined ? null : <p className={message.ok ? "ok" : "error"} role="status">{message.text}</p>}
    </form>
  )
}
