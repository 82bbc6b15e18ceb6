import type { BodyLimit } from "@machhub/adapters"
import type { ServerConfig } from "../../config.js"

export const isMultipart = (contentType: string | undefined): boolean =>
  contentType !== undefined && contentType.trimStart().slice(0, 19).toLowerCase() === "multipart/form-data"

/**
 * How large a request body the edge reads: a record written with files (`multipart/form-data` to
 * `POST /machhub/<table>` or `PUT /machhub/<id>`) up to MACHHUB_MAX_UPLOAD_BYTES, anything else up to
 * MACHHUB_MAX_BODY_BYTES; the 413 answer names the setting to raise.
 */
export const bodyLimitOf = (config: Pick<ServerConfig, "maxBodyBytes" | "maxUploadBytes">) => {
  const upload: BodyLimit = { bytes: config.maxUploadBytes, setting: "MACHHUB_MAX_UPLOAD_BYTES" }
  const body: BodyLimit = { bytes: config.maxBodyBytes, setting: "MACHHUB_MAX_BODY_BYTES" }
  return (method: string, path: string, headers: Readonly<Record<string, string>>): BodyLimit =>
    (method === "POST" || method === "PUT") && path.startsWith("/machhub/") && isMultipart(headers["content-type"]) ? upload : body
}
