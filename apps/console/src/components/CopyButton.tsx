import { useState } from "react"
import { Button } from "./Button"

/** Copies a value to the clipboard and says so; falls back to selecting a hidden field where the Clipboard API is missing (plain HTTP). */
export const CopyButton = ({ value, label = "Copy" }: { readonly value: string; readonly label?: string }) => {
  const [copied, setCopied] = useState<"yes" | "no" | undefined>()
  const copy = async () => {
    try {
      if (navigator.clipboard !== undefined && window.isSecureContext) await navigator.clipboard.writeText(value)
      else {
        const area = document.createElement("textarea")
        area.value = value
        area.setAttribute("readonly", "")
        area.style.position = "fixed"
        area.style.opacity = "0"
        document.body.append(area)
        area.select()
        const done = document.execCommand("copy")
        area.remove()
        if (!done) throw new Error("copy refused")
      }
      setCopied("yes")
    } catch {
      setCopied("no")
    }
  }
  return (
    <span className="copy">
      <Button onClick={copy}>{label}</Button>
      <span role="status" className="copy-status">{copied === "yes" ? "Copied" : copied === "no" ? "Copy failed: select the text and copy it" : ""}</span>
    </span>
  )
}
