/** Saves a blob as a file through a temporary link (no server round trip, the bytes are here already). */
export const downloadBlob = (blob: Blob, filename: string): void => {
  const url = URL.createObjectURL(blob)
  const link = document.createElement("a")
  link.href = url
  link.download = filename
  document.body.append(link)
  link.click()
  link.remove()
  // The click has started the download; the URL is not needed afterwards.
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
