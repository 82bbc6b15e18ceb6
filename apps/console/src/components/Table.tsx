import type { ReactNode } from "react"

export interface Column<T> {
  readonly header: ReactNode
  readonly cell: (row: T) => ReactNode
  readonly className?: string
}

/** A plain data table with a caption (read by screen readers) and an empty-state row. */
export const Table = <T,>({ caption, columns, rows, rowKey, empty = "Nothing here yet." }: {
  readonly caption: ReactNode
  readonly columns: ReadonlyArray<Column<T>>
  readonly rows: ReadonlyArray<T>
  readonly rowKey: (row: T, index: number) => string
  readonly empty?: ReactNode
}) => (
  <div className="table-wrap">
    <table>
      <caption>{caption}</caption>
      <thead>
        <tr>{columns.map((column, i) => <th key={i} scope="col" className={column.className}>{column.header}</th>)}</tr>
      </thead>
      <tbody>
        {rows.length === 0
          ? <tr><td colSpan={columns.length} className="empty">{empty}</td></tr>
          : rows.map((row, index) => (
            <tr key={rowKey(row, index)}>
              {columns.map((column, i) => <td key={i} className={column.className}>{column.cell(row)}</td>)}
            </tr>
          ))}
      </tbody>
    </table>
  </div>
)
