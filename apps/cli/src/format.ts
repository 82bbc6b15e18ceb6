/** 1234567 → "1,234,567" (the same everywhere, whatever the locale of the machine). */
export const count = (n: number): string => Math.round(n).toLocaleString("en")

/** Seconds as "850 ms", "4.2 s", "3 min 05 s". */
export const duration = (seconds: number): string => {
  if (!Number.isFinite(seconds)) return "?"
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`
  if (seconds < 60) return `${seconds.toFixed(1)} s`
  const minutes = Math.floor(seconds / 60)
  return `${minutes} min ${String(Math.round(seconds % 60)).padStart(2, "0")} s`
}
