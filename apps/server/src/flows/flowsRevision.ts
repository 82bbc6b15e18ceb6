import { createHash } from "node:crypto"
import type { FlowNode } from "@machhub/core"

/** The revision of a flows file: a hash of its content, so the same file deployed again is the same revision. */
export const flowsRevision = (flows: ReadonlyArray<FlowNode>): string => createHash("sha256").update(JSON.stringify(flows)).digest("hex").slice(0, 32)
