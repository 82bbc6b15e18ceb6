import { describe, expect, it } from "vitest"
import {
  deriveMasterKey,
  newKeyDerivation,
  openMachineSecrets,
  openSecret,
  opensVaultCheck,
  sealMachineSecrets,
  sealSecret,
  sealVaultCheck
} from "@machhub/adapters"
import { isSealedSecret } from "@machhub/core"

describe("machine secret sealing (AES-256-GCM, scrypt-derived key)", () => {
  it("seals to the gcm1 format and opens only with the same key and associated data", async () => {
    const kdf = newKeyDerivation(10)
    const key = await deriveMasterKey("master password one", kdf)
    const sealed = sealSecret(key, "hunter2", "context-a")
    expect(isSealedSecret(sealed)).toBe(true)
    expect(sealed).not.toContain("hunter2")
    expect(openSecret(key, sealed, "context-a")).toBe("hunter2")
    expect(openSecret(key, sealed, "context-b")).toBeUndefined()
    expect(openSecret(await deriveMasterKey("master password two", kdf), sealed, "context-a")).toBeUndefined()
    // A fresh IV each time: the same secret never seals to the same text.
    expect(sealSecret(key, "hunter2", "context-a")).not.toBe(sealed)
    // One flipped ciphertext character is detected, not decrypted into garbage.
    const [prefix, iv, body, tag] = sealed.split(".")
    const flipped = `${prefix}.${iv}.${body!.startsWith("A") ? "B" : "A"}${body!.slice(1)}.${tag}`
    expect(openSecret(key, flipped, "context-a")).toBeUndefined()
  })

  it("binds machine secrets to the machine, the owner and the field", async () => {
    const key = await deriveMasterKey("master password one", newKeyDerivation(10))
    const binding = { domain: "acme", machineId: 3, ownerId: "u1" }
    const sealed = sealMachineSecrets(key, binding, { password: "pw", privateKey: "KEY", passphrase: "pp" })
    expect(openMachineSecrets(key, binding, sealed)).toEqual({ password: "pw", privateKey: "KEY", passphrase: "pp" })
    expect(openMachineSecrets(key, { ...binding, machineId: 4 }, sealed)).toBeUndefined()
    expect(openMachineSecrets(key, { ...binding, ownerId: "u2" }, sealed)).toBeUndefined()
    expect(openMachineSecrets(key, { ...binding, domain: "globex" }, sealed)).toBeUndefined()
    // A ciphertext moved into another field does not open there.
    expect(openMachineSecrets(key, binding, { password: sealed.passphrase! })).toBeUndefined()
  })

  it("tells a wrong master password apart with the vault's check value", async () => {
    const kdf = newKeyDerivation(10)
    const check = sealVaultCheck(await deriveMasterKey("right master password", kdf), "u1")
    expect(opensVaultCheck(await deriveMasterKey("right master password", kdf), check, "u1")).toBe(true)
    expect(opensVaultCheck(await deriveMasterKey("wrong master password", kdf), check, "u1")).toBe(false)
    expect(opensVaultCheck(await deriveMasterKey("right master password", kdf), check, "u2")).toBe(false)
  })
})
