import type { ReactNode } from "react"

export const PageHeader = ({ title, actions }: { readonly title: string; readonly actions?: ReactNode }) => (
  <div className="page-header">
    <h1>{title}</h1>
    {actions !== undefined && <div className="page-actions">{actions}</div>}
  </div>
)
