import ssh2 from "ssh2"
import { it } from "vitest"
import { privateKeyProblem } from "@machhub/adapters"
import { adminApi, seedDomainUser } from "../support/api.js"
import { startTestServer } from "../support/server.js"
import { startSshTarget } from "../support/ssh-target.mjs"
it("dbg", async () => {
  const server = await startTestServer()
  const admin = await adminApi(server.url)
  const alice = (await seedDomainUser(admin, { domain: "ops", username: "alice", group: "operators", permissions: [{ feature: "machines", action: "read-write", scope: "self" }] })).api
  for (let i = 0; i < 3; i++) {
    const pair = ssh2.utils.generateKeyPairSync("ed25519", { passphrase: "key-passphrase-1", cipher: "aes256-ctr", rounds: 16 })
    console.log("local", privateKeyProblem(pair.private, "key-passphrase-1"))
    const keyTarget = await startSshTarget({ username: "keyuser", publicKey: pair.public })
    console.log("local2", privateKeyProblem(pair.private, "key-passphrase-1"))
    const r = await alice.json("POST", "/api/v1/machine", { name: "x", hostname: "127.0.0.1", port: "22", username: "keyuser", password: "", private_key: pair.private, passphrase: "key-passphrase-1" }, { "x-master-password": "my master password 1" })
    console.log(r.status, r.body)
    await keyTarget.close()
  }
  await server.dispose()
})
