import { ADMIN_DOMAIN, isDomainName } from "@machhub/core"

/** `Domain: domains:<name>` selects the tenant; absent means the admin domain (SPEC §1). */
export const parseDomainHeader = (value: string | undefined): { ok: true; domain: string } | { ok: false; message: string } => {
  if (value === undefined || value.trim() === "") return { ok: true, domain: ADMIN_DOMAIN }
  const trimmed = value.trim()
  const name = trimmed.startsWith("domains:") ? trimmed.slice("domains:".length) : trimmed
  if (!isDomainName(name)) {
    return { ok: false, message: "Domain header must look like domains:<name> (lower-case letters, digits and _)" }
  }
  return { ok: true, domain: name }
}
