import { useEffect, useRef, type ReactNode } from "react"

/**
 * A modal dialog on the native <dialog> element: focus moves into it, Escape closes it, and the page
 * behind is inert while it is open.
 */
export const Dialog = ({ title, open, onClose, children }: {
  readonly title: string
  readonly open: boolean
  readonly onClose: () => void
  readonly children: ReactNode
}) => {
  const ref = useRef<HTMLDialogElement>(null)
  useEffect(() => {
    const dialog = ref.current
    if (dialog === null) return
    if (open && !dialog.open) dialog.showModal()
    if (!open && dialog.open) dialog.close()
  }, [open])
  return (
    <dialog ref={ref} className="dialog" aria-label={title} onClose={onClose} onCancel={(event) => { event.preventDefault(); onClose() }}>
      {open && (
        <>
          <header className="dialog-header">
            <h2>{title}</h2>
            <button type="button" className="button button-plain" aria-label="Close" onClick={onClose}>×</button>
          </header>
          <div className="dialog-body">{children}</div>
        </>
      )}
    </dialog>
  )
}
