/**
 * The password rule, stated once so every refusal can quote it (422 names the rule): at least 10
 * characters, at most 1024, not only whitespace, and not the username.
 */
export const PASSWORD_RULE = "a password needs 10 to 1024 characters, not all whitespace, and must differ from the username"

export const passwordProblem = (password: string, username: string): string | undefined => {
  if (password.length < 10 || password.length > 1024 || password.trim() === "") return PASSWORD_RULE
  if (password.normalize("NFC").toLowerCase() === username.normalize("NFC").toLowerCase()) return PASSWORD_RULE
  return undefined
}
