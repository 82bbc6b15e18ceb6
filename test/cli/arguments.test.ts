import { describe, expect, it } from "vitest"
import { tempDir } from "../support/temp.js"
import { runCli } from "./cliProcess.js"

describe("machhub arguments", () => {
  it.each([
    [["export", "--from", "abc"], /--from/],
    [["export", "--from", "0"], /--from must be a log position \(an integer >= 1\), got 0/],
    [["export", "--from", "9", "--to", "3"], /--from 9 is after --to 3/],
    [["export", "--since", "yesterday"], /--since must be an ISO-8601 date or time/],
    [["export", "--bogus"], /Unrecognized flag: --bogus/],
    [["tail", "--format", "xml"], /--format/],
    [["tail", "--interval", "1"], /--interval must be between 10 and 60000 ms/],
    [["replay", "--batch-size", "0"], /--batch-size must be between 1 and 1000000/],
    [["verify", "--max-differences", "-1"], /--max-differences must be >= 0/],
    [["frobnicate"], /Unknown subcommand "frobnicate"/]
  ])("%j is refused with exit code 2 and says why", async (args, message) => {
    const result = await runCli(args)
    expect(result.stderr).toMatch(message)
    expect(result.code).toBe(2)
    // A bad invocation never writes to stdout, where export writes its data.
    expect(result.stdout).toBe("")
  })

  it("prints help for the CLI and for each command (exit 0)", async () => {
    const root = await runCli(["--help"])
    expect(root.code).toBe(0)
    for (const command of ["replay", "verify", "export", "tail"]) expect(root.stdout).toContain(command)
    for (const command of ["replay", "verify", "export", "tail"]) {
      const help = await runCli([command, "--help"])
      expect(help.code).toBe(0)
      expect(help.stdout).toContain(`machhub ${command} [flags]`)
      expect(help.stdout).toContain("--data-dir")
    }
  })

  it("names a data directory without an event log (exit 4)", async () => {
    const dir = tempDir("machhub-cli-empty-")
    try {
      const result = await runCli(["verify", "--data-dir", dir.path])
      expect(result.code).toBe(4)
      expect(result.stderr).toContain(`no event log at ${dir.path}/events.db`)
    } finally {
      dir.cleanup()
    }
  })
})
