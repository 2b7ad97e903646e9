/**
 * The in-memory stand-in for the database: tables of rows by key, the time
 * each last changed, and the foreign keys between them. The in-memory
 * repositories of one app share one, as the SQL ones share a database, so
 * references across collections hold the same way: a write naming a missing
 * row is refused, a delete is restricted or cascades.
 *
 * Every operation is synchronous: a repository checks and writes in one step,
 * as the single SQL statement it stands for, and no other fiber runs between.
 */
import { Context, Layer } from "effect"

export interface MemoryTable<Row = Readonly<Record<string, unknown>>> {
  readonly rows: Map<string, Row>
  /** The last insert, update or delete (RFC 3339), if any. */
  lastModified: string | undefined
}

export interface ForeignKey {
  /** The referencing table and its column. */
  readonly table: string
  readonly column: string
  /** The referenced table, by `id`. */
  readonly references: string
  readonly onDelete: "restrict" | "cascade"
}

export interface MemoryDatabaseShape {
  readonly table: <Row = Readonly<Record<string, unknown>>>(name: string) => MemoryTable<Row>
  /** Declares a foreign key, as a migration would. */
  readonly addForeignKey: (foreignKey: ForeignKey) => void
  /** The foreign key of `table` whose value in `row` names no row, if any. */
  readonly missingReference: (table: string, row: Readonly<Record<string, unknown>>) => ForeignKey | undefined
  /**
   * Deletes a row and, through `cascade` foreign keys, the rows referencing it.
   * Returns the `restrict` foreign key that forbids it, deleting nothing, if any.
   */
  readonly delete: (table: string, key: string, at: string) => ForeignKey | undefined
}

export const makeMemoryDatabase = (): MemoryDatabaseShape => {
  const tables = new Map<string, MemoryTable<any>>()
  const foreignKeys: Array<ForeignKey> = []

  const table = <Row>(name: string): MemoryTable<Row> => {
    let found = tables.get(name)
    if (found === undefined) {
      found = { rows: new Map(), lastModified: undefined }
      tables.set(name, found)
    }
    return found
  }

  /** The rows a delete takes with it, or the foreign key that forbids it. */
  const plan = (name: string, key: string, doomed: Array<readonly [string, string]>): ForeignKey | undefined => {
    doomed.push([name, key])
    for (const foreignKey of foreignKeys) {
      if (foreignKey.references !== name) continue
      for (const [referencing, row] of table<Record<string, unknown>>(foreignKey.table).rows) {
        if (row[foreignKey.column] !== key) continue
        const forbidden = foreignKey.onDelete === "restrict" ? foreignKey : plan(foreignKey.table, referencing, doomed)
        if (forbidden) return forbidden
      }
    }
    return undefined
  }

  return {
    table,
    addForeignKey: (foreignKey) => {
      foreignKeys.push(foreignKey)
    },
    missingReference: (name, row) =>
      foreignKeys.find((foreignKey) => {
        const value = row[foreignKey.column]
        return foreignKey.table === name && value !== undefined && value !== null &&
          !table(foreignKey.references).rows.has(value as string)
      }),
    delete: (name, key, at) => {
      const doomed: Array<readonly [string, string]> = []
      const forbidden = plan(name, key, doomed)
      if (forbidden) return forbidden
      for (const [doomedTable, doomedKey] of doomed) {
        const target = table(doomedTable)
        target.rows.delete(doomedKey)
        target.lastModified = at
      }
      return undefined
    }
  }
}

export class MemoryDatabase extends Context.Service<MemoryDatabase, MemoryDatabaseShape>()("zoo-api/Repo/MemoryDatabase") {
  /**
   * An empty database. Layers are shared within one build, so the in-memory
   * repositories built together (e.g. the app's) all see this one.
   */
  static readonly layer = Layer.sync(MemoryDatabase, makeMemoryDatabase)
}
