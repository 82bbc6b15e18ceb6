import { useState, type FormEvent } from "react"
import { errorMessage } from "../api"

/** The JSON typed in a field, or the reason it does not parse; an empty field is `undefined`. */
export const parseJsonField = (text: string): { ok: true; value: unknown } | { ok: false; message: string } => {
  if (text.trim() === "") return { ok: true, value: undefined }
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch (failure) {
    return { ok: false, message: `not JSON: ${errorMessage(failure)}` }
  }
}

/**
 * A run form: a JSON input, a Run button, and the answer (the result as JSON, or the server's
 * reason). `run` receives the parsed input and answers the result to show.
 */
export const CodeRunner = ({ label, run, onRan }: { label: string; run: (input: unknown) => Promise<unknown>; onRan: () => void }) => {
  const [input, setInput] = useState("{}")
  const [inputError, setInputError] = useState<string | undefined>(undefined)
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | undefined>(undefined)
  const [running, setRunning] = useState(false)

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    const parsed = parseJsonField(input)
    if (!parsed.ok) return setInputError(parsed.message)
    setInputError(undefined)
    setRunning(true)
    setOutcome(undefined)
    try {
      const result = await run(parsed.value)
      setOutcome({ ok: true, text: JSON.stringify(result, null, 2) })
    } catch (failure) {
      setOutcome({ ok: false, text: errorMessage(failure) })
    } finally {
      setRunning(false)
      onRan()
    }
  }

  return (
    <form onSubmit={submit} className="runner" aria-label={label}>
      <label>
        {label} (JSON)
        <textarea name="run-input" rows={4} value={input} onChange={(e) => setInput(e.target.value)} aria-invalid={inputError !== undefined} aria-describedby="run-input-error" />
      </label>
      {inputError === undefined ? null : <p id="run-input-error" className="error">{inputError}</p>}
      <button type="submit" disabled={running}>{running ? "Running…" : "Run"}</button>
      {outcome === undefined ? null : (
        <div role="status">
          <h3>{outcome.ok ? "Result" : "Failed"}</h3>
          <pre className={outcome.ok ? "result" : "error"} data-testid="run-outcome">{outcome.text}</pre>
        </div>
      )}
    </form>
  )
}
