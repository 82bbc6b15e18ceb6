import { ADMIN_DOMAIN, widestScope } from "@machhub/core"
import type { Principal } from "../auth/Principal.js"

/** Which part of the log an auditor may read: every domain, or only events of one domain. */
export type AuditReach = { readonly kind: "all" } | { readonly kind: "domain"; readonly domain: string }

/**
 * `audit:read` at scope `domain` reads the active domain's events (`meta.domain`). Reading every domain
 * takes a global superuser, or `audit:read:all` granted in the admin domain (machhub_admin). Scope `all`
 * granted in any other domain reads only that domain: a domain's own administrators can grant
 * themselves anything there (a domain superuser passes every check), and must never reach other
 * tenants' events that way. A domain superuser is therefore a domain-wide auditor, no more.
 */
export const auditReach = (principal: Principal): AuditReach => {
  if (principal.globalSuperuser) return { kind: "all" }
  if (principal.domain === ADMIN_DOMAIN && widestScope(principal.permissions, "audit", "read") === "all") return { kind: "all" }
  return { kind: "domain", domain: principal.domain }
}

/** The domain an all-reaching auditor asked for (or none: every domain); a domain auditor's own domain. */
export const domainFor = (reach: AuditReach, requested: string | undefined): { ok: true; domain: string | undefined } | { ok: false; message: string } => {
  if (reach.kind === "all") return { ok: true, domain: requested }
  if (requested !== undefined && requested !== reach.domain) {
    return { ok: false, message: `Reading the events of domain ${requested} needs audit:read:all in ${ADMIN_DOMAIN}; this caller may read domain ${reach.domain} only` }
  }
  return { ok: true, domain: reach.domain }
}
