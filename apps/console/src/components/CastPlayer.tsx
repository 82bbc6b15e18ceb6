import { useEffect, useRef, useState } from "react"
import * as AsciinemaPlayer from "asciinema-player"
import "asciinema-player/dist/bundle/asciinema-player.css"

/** asciinema-player on a recording already fetched (the asciicast route needs the user's credential). */
export const CastPlayer = ({ cast, title }: { cast: string; title: string }) => {
  const box = useRef<HTMLDivElement>(null)
  const [state, setState] = useState<"ready" | "playing" | "paused" | "ended">("ready")

  useEffect(() => {
    const element = box.current
    if (element === null) return
    const player = AsciinemaPlayer.create({ data: cast }, element, { fit: "width", idleTimeLimit: 2, controls: true, preload: true })
    player.addEventListener("playing", () => setState("playing"))
    player.addEventListener("pause", () => setState("paused"))
    player.addEventListener("ended", () => setState("ended"))
    return () => player.dispose()
  }, [cast])

  return (
    <figure className="cast-player" data-state={state}>
      <div ref={box} />
      <figcaption>{title} <span className="muted" role="status">({state})</span></figcaption>
    </figure>
  )
}
