import { useEffect, useRef } from "react"
import uPlot from "uplot"
import "uplot/dist/uPlot.min.css"

export interface ChartSeries {
  readonly label: string
}

export interface UPlotChartProps {
  /** Accessible name of the chart (canvas content is not read by screen readers). */
  readonly title: string
  /** x values first, then one array per series; null where a series has no value at that x. */
  readonly data: uPlot.AlignedData
  readonly series: ReadonlyArray<ChartSeries>
  /** x is seconds since 1970 (time axis) unless categories name each x index. */
  readonly categories?: ReadonlyArray<string>
  /** Bars rather than lines (categories read better as bars). */
  readonly bars?: boolean
  readonly height?: number
}

const PALETTE = ["#1f5fbf", "#c0392b", "#16803c", "#8e44ad", "#b9770e", "#0e7c86", "#6d4c41", "#444"]

/**
 * A uPlot chart sized to its container. The chart is rebuilt when its series or data change (uPlot
 * keeps its own DOM; React only owns the container), and resized with the container.
 */
export const UPlotChart = ({ title, data, series, categories, bars = false, height = 320 }: UPlotChartProps) => {
  const container = useRef<HTMLDivElement>(null)

  useEffect(() => {
    const element = container.current
    if (element === null) return
    const width = Math.max(320, element.clientWidth)
    const barsPath = bars ? uPlot.paths.bars?.({ size: [0.6, 64] }) : undefined
    const options: uPlot.Options = {
      title,
      width,
      height,
      // Categories sit at 0..n-1, each centred in its own slot with a tick of its own.
      scales: { x: categories === undefined ? { time: true } : { time: false, range: () => [-0.5, categories.length - 0.5] } },
      axes: [
        categories === undefined
          ? {}
          : { splits: () => categories.map((_, i) => i), values: (_u, splits) => splits.map((i) => categories[i] ?? "") },
        {}
      ],
      series: [
        categories === undefined ? {} : { label: "group", value: (_u, i) => (i === null ? "" : (categories[i] ?? "")) },
        ...series.map((s, i) => ({
          label: s.label,
          stroke: PALETTE[i % PALETTE.length],
          width: 2,
          spanGaps: true,
          ...(barsPath === undefined ? {} : { paths: barsPath, fill: `${PALETTE[i % PALETTE.length]}99`, points: { show: false } })
        }))
      ]
    }
    const plot = new uPlot(options, data, element)
    const observer = new ResizeObserver(() => plot.setSize({ width: Math.max(320, element.clientWidth), height }))
    observer.observe(element)
    return () => {
      observer.disconnect()
      plot.destroy()
    }
  }, [title, data, series, categories, bars, height])

  let points = 0
  for (const values of data.slice(1)) for (const v of Array.from(values as ArrayLike<number | null | undefined>)) if (v !== null && v !== undefined) points++
  return <div className="chart" ref={container} role="img" aria-label={title} data-points={points} />
}
