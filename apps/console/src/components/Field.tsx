import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from "react"

/**
 * A labelled form control with its error next to it: the error is tied to the control with
 * aria-describedby and aria-invalid, so it is read out with the field (schema errors, SPEC §6).
 */
interface FieldFrame {
  readonly label: ReactNode
  readonly error?: string | undefined
  readonly hint?: ReactNode
}

const Frame = ({ id, label, error, hint, children }: FieldFrame & { id: string; children: ReactNode }) => (
  <div className={`field${error ? " field-invalid" : ""}`}>
    <label htmlFor={id}>{label}</label>
    {children}
    {hint !== undefined && <div className="field-hint" id={`${id}-hint`}>{hint}</div>}
    {error ? <div className="field-error" id={`${id}-error`} role="alert">{error}</div> : null}
  </div>
)

const described = (id: string, frame: FieldFrame) =>
  [frame.error ? `${id}-error` : "", frame.hint !== undefined ? `${id}-hint` : ""].filter(Boolean).join(" ") || undefined

export const TextField = ({ label, error, hint, id: given, ...input }: FieldFrame & InputHTMLAttributes<HTMLInputElement>) => {
  const generated = useId()
  const id = given ?? generated
  return (
    <Frame id={id} label={label} error={error} hint={hint}>
      <input id={id} aria-invalid={error ? true : undefined} aria-describedby={described(id, { label, error, hint })} {...input} />
    </Frame>
  )
}

export const TextAreaField = ({ label, error, hint, id: given, ...input }: FieldFrame & TextareaHTMLAttributes<HTMLTextAreaElement>) => {
  const generated = useId()
  const id = given ?? generated
  return (
    <Frame id={id} label={label} error={error} hint={hint}>
      <textarea id={id} aria-invalid={error ? true : undefined} aria-describedby={described(id, { label, error, hint })} {...input} />
    </Frame>
  )
}

export const SelectField = ({ label, error, hint, id: given, children, ...select }: FieldFrame & SelectHTMLAttributes<HTMLSelectElement>) => {
  const generated = useId()
  const id = given ?? generated
  return (
    <Frame id={id} label={label} error={error} hint={hint}>
      <select id={id} aria-invalid={error ? true : undefined} aria-describedby={described(id, { label, error, hint })} {...select}>
        {children}
      </select>
    </Frame>
  )
}

export const CheckboxField = ({ label, id: given, ...input }: { label: ReactNode } & InputHTMLAttributes<HTMLInputElement>) => {
  const generated = useId()
  const id = given ?? generated
  return (
    <div className="field field-checkbox">
      <input id={id} type="checkbox" {...input} />
      <label htmlFor={id}>{label}</label>
    </div>
  )
}
