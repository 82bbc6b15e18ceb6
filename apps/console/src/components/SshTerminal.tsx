import { useEffect, useRef, useState } from "react"
import { Terminal } from "@xterm/xterm"
import { FitAddon } from "@xterm/addon-fit"
import "@xterm/xterm/css/xterm.css"
import { errorMessage } from "../api"
import { getSession } from "../session"
import { setAuthCookie } from "./authCookie"

type Status = { kind: "connecting" } | { kind: "open" } | { kind: "closed"; reason: string }

/** Idle sessions are ended by the server; a heartbeat keeps an open, quiet terminal alive. */
const HEARTBEAT_MS = 30_000

const copyText = async (text: string): Promise<void> => {
  if (navigator.clipboard !== undefined && window.isSecureContext) return navigator.clipboard.writeText(text)
  const area = document.createElement("textarea")
  area.value = text
  area.style.position = "fixed"
  area.style.opacity = "0"
  document.body.append(area)
  area.select()
  const done = document.execCommand("copy")
  area.remove()
  if (!done) throw new Error("the browser refused to copy; select the text and press Ctrl+C")
}

const closeReason = (event: CloseEvent): string => {
  if (event.reason !== "") return event.reason
  // A refused upgrade reaches the page as 1006 with no words: the likely causes, said plainly.
  if (event.code === 1006) return "the connection was refused or lost (an expired or used ticket, or the network)"
  if (event.code === 1000) return "the session ended"
  return `closed (code ${event.code})`
}

/**
 * A full terminal on the `/ssh` socket: xterm.js fitted to its box, bytes both ways as binary
 * frames, a resize control message whenever the size changes, a heartbeat, copy and paste (buttons
 * and Ctrl+Shift+C / Ctrl+Shift+V), and Reconnect, which asks `newTicket` for a fresh ticket (a
 * ticket is single-use) and opens a new session in the same terminal.
 */
export const SshTerminal = ({ title, newTicket }: { title: string; newTicket: () => Promise<string> }) => {
  const box = useRef<HTMLDivElement>(null)
  const terminal = useRef<Terminal | undefined>(undefined)
  const socket = useRef<WebSocket | undefined>(undefined)
  const ticketSource = useRef(newTicket)
  ticketSource.current = newTicket
  const [status, setStatus] = useState<Status>({ kind: "connecting" })
  const [size, setSize] = useState({ cols: 80, rows: 24 })
  const [note, setNote] = useState<string | undefined>(undefined)
  const [generation, setGeneration] = useState(0)

  // The terminal itself lives as long as the component; sessions come and go inside it.
  useEffect(() => {
    const element = box.current
    if (element === null) return
    const term = new Terminal({ cursorBlink: true, scrollback: 5000, fontFamily: "ui-monospace, 'DejaVu Sans Mono', monospace", fontSize: 14 })
    const fit = new FitAddon()
    term.loadAddon(fit)
    term.open(element)
    fit.fit()
    terminal.current = term
    setSize({ cols: term.cols, rows: term.rows })
    const encoder = new TextEncoder()
    const send = (data: string | Uint8Array) => {
      const ws = socket.current
      if (ws !== undefined && ws.readyState === WebSocket.OPEN) ws.send(data)
    }
    const typed = term.onData((data) => send(encoder.encode(data)))
    // Mouse reports in some modes are raw bytes, not UTF-8 text.
    const binary = term.onBinary((data) => send(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)))
    const resized = term.onResize(({ cols, rows }) => {
      setSize({ cols, rows })
      send(JSON.stringify({ type: "resize", cols, rows }))
    })
    term.attachCustomKeyEventHandler((event) => {
      if (event.type !== "keydown" || !event.ctrlKey || !event.shiftKey) return true
      if (event.code === "KeyC") {
        if (term.hasSelection()) void copyText(term.getSelection()).then(() => setNote("Copied"), (e: unknown) => setNote(errorMessage(e)))
        return false
      }
      if (event.code === "KeyV") {
        // The browser's own paste event (Ctrl+Shift+V) reaches xterm's textarea; let it through.
        return true
      }
      return true
    })
    const observer = new ResizeObserver(() => fit.fit())
    observer.observe(element)
    return () => {
      observer.disconnect()
      typed.dispose()
      binary.dispose()
      resized.dispose()
      socket.current?.close(1000, "closed by the user")
      socket.current = undefined
      term.dispose()
      terminal.current = undefined
    }
  }, [])

  // One session per generation: the first on mount, another at each Reconnect.
  useEffect(() => {
    const term = terminal.current
    if (term === undefined) return
    let cancelled = false
    let heartbeat: ReturnType<typeof setInterval> | undefined
    setStatus({ kind: "connecting" })
    const open = async () => {
      let ticket: string
      try {
        ticket = await ticketSource.current()
      } catch (failure) {
        if (!cancelled) setStatus({ kind: "closed", reason: errorMessage(failure) })
        return
      }
      if (cancelled) return
      const token = getSession().credential?.token
      if (token !== undefined) setAuthCookie(token, "/ssh")
      const scheme = location.protocol === "https:" ? "wss" : "ws"
      const params = new URLSearchParams({ uuid: ticket, cols: String(term.cols), rows: String(term.rows) })
      const ws = new WebSocket(`${scheme}://${location.host}/ssh?${params}`)
      ws.binaryType = "arraybuffer"
      socket.current = ws
      ws.onopen = () => {
        if (cancelled) return
        setStatus({ kind: "open" })
        term.focus()
        heartbeat = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send(JSON.stringify({ type: "heartbeat" })), HEARTBEAT_MS)
      }
      ws.onmessage = (event) => {
        if (event.data instanceof ArrayBuffer) term.write(new Uint8Array(event.data))
      }
      ws.onclose = (event) => {
        if (heartbeat !== undefined) clearInterval(heartbeat)
        if (socket.current === ws) socket.current = undefined
        if (cancelled) return
        const reason = closeReason(event)
        term.write(`\r\n\x1b[2m[disconnected: ${reason}]\x1b[0m\r\n`)
        setStatus({ kind: "closed", reason })
      }
    }
    void open()
    return () => {
      cancelled = true
      if (heartbeat !== undefined) clearInterval(heartbeat)
      // A reconnect ends the session it replaces: one ticket, one shell.
      socket.current?.close(1000, "reconnecting")
      socket.current = undefined
    }
  }, [generation])

  const copy = async () => {
    const term = terminal.current
    if (term === undefined || !term.hasSelection()) return setNote("Select text in the terminal first")
    try {
      await copyText(term.getSelection())
      setNote("Copied")
    } catch (failure) {
      setNote(errorMessage(failure))
    }
  }
  const paste = async () => {
    try {
      const text = await navigator.clipboard.readText()
      terminal.current?.paste(text)
      terminal.current?.focus()
    } catch {
      setNote("The browser does not let the page read the clipboard: press Ctrl+Shift+V in the terminal")
    }
  }

  return (
    <section className="ssh-terminal" aria-label={`Terminal: ${title}`} data-status={status.kind} data-cols={size.cols} data-rows={size.rows}>
      <div className="terminal-bar">
        <strong>{title}</strong>{" "}
        <span role="status" data-testid="terminal-status">
          {status.kind === "connecting" ? "connecting…" : status.kind === "open" ? `connected, ${size.cols}×${size.rows}` : `disconnected: ${status.reason}`}
        </span>
        <button type="button" onClick={() => { terminal.current?.selectAll(); terminal.current?.focus() }}>Select all</button>
        <button type="button" onClick={copy}>Copy selection</button>
        <button type="button" onClick={paste} disabled={status.kind !== "open"}>Paste</button>
        <button type="button" onClick={() => setGeneration((g) => g + 1)} disabled={status.kind === "connecting"}>
          {status.kind === "open" ? "Reconnect" : "Reconnect with a new ticket"}
        </button>
        {note === undefined ? null : <span className="muted" role="status"> {note}</span>}
      </div>
      <div className="terminal-screen" ref={box} />
    </section>
  )
}
