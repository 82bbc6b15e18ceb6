import type { ReactNode } from "react"
import { ApiError, errorMessage } from "../api"

/** An error in words (a 403 says the permission is missing), announced to screen readers. */
export const ErrorMessage = ({ error }: { readonly error: unknown }) =>
  error === undefined || error === null ? null : (
    <div className={`message message-error${error instanceof ApiError && error.status === 403 ? " message-forbidden" : ""}`} role="alert">
      {errorMessage(error)}
    </div>
  )

export const Notice = ({ children }: { readonly children: ReactNode }) => <div className="message message-notice" role="status">{children}</div>

export const Loading = ({ what = "Loading" }: { readonly what?: string }) => <p className="loading" role="status">{what}…</p>

/** Shown instead of a page the user may not read. */
export const NoPermission = ({ feature }: { readonly feature: string }) => (
  <div className="message message-forbidden" role="alert">You do not have permission to see {feature} in this domain.</div>
)
