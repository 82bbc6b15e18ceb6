import type { ButtonHTMLAttributes } from "react"

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  readonly variant?: "primary" | "danger" | "plain"
}

/** A real <button> (keyboard and screen readers work); type="button" unless said, so forms submit only on purpose. */
export const Button = ({ variant = "plain", type = "button", className, ...props }: ButtonProps) => (
  <button type={type} className={`button button-${variant}${className === undefined ? "" : ` ${className}`}`} {...props} />
)
