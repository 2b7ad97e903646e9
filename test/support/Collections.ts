/**
 * One fixture per collection, shared by the repository contract suite
 * (`test/Repo/ResourceContract.ts`) and the HTTP suite
 * (`test/Resources.test.ts`). Adding a collection to both suites is one
 * block here plus its entry in `collections` at the bottom.
 *
 * Tests share one database per file, so every test works inside a scope of
 * its own: a random `tag` that every body it makes carries, and a filter
 * (`scope(tag)`) that selects exactly those rows. Counts, orders and pages
 * are then exact whatever other tests stored.
 */
import { Effect } from "effect"
import type { Context } from "effect"
import { AnimalsRepository } from "../../src/Animals/AnimalsRepository.ts"
import { HabitatsRepository } from "../../src/Habitats/HabitatsRepository.ts"
import type { ExpectedVersions, ListRequest, Page, Stored } from "../../src/Repo/Repository.ts"
import { AnimalCare, ZookeepersRepository } from "../../src/Zookeepers/ZookeepersRepository.ts"

/** What the suites use of a `ResourceRepository`, whatever its error types. */
export interface RepositoryLike<R extends Stored = any, C = any, P = any> {
  readonly list: (request: ListRequest) => Effect.Effect<Page<R>, unknown>
  readonly findById: (id: string) => Effect.Effect<R, unknown>
  readonly create: (input: C) => Effect.Effect<R, unknown>
  readonly replace: (id: string, input: C, expected?: ExpectedVersions) => Effect.Effect<R, unknown>
  readonly patch: (id: string, patch: P, expected?: ExpectedVersions) => Effect.Effect<R, unknown>
  readonly remove: (id: string, expected?: ExpectedVersions) => Effect.Effect<void, unknown>
}

type Row = Stored & Record<string, any>

/**
 * A filter as README.md states it, written out here rather than read from
 * `src` (an oracle taken from the code under test agrees with any mistake):
 * how it compares (`in` one of the repeated values, `eq`, `after`/`before`
 * exclusive bounds, `prefix` case-insensitive start of the text, `linked`
 * through another table, see the collection's `matches`) and which field.
 */
export interface ReferenceFilter {
  readonly kind: "in" | "eq" | "after" | "before" | "prefix" | "linked"
  readonly column: string
}

/**
 * How a fixture makes the rows its filter cases refer to (a habitat to live
 * in, a zookeeper's care): through the repositories in the contract suite,
 * through HTTP in the HTTP suite.
 */
export interface Seeder {
  readonly create: (collection: string, body: Record<string, unknown>) => Effect.Effect<Row, unknown, any>
  /** Links `ownerId` of `owners` to `memberId` of `members`, e.g. a zookeeper to an animal in their care. */
  readonly link: (owners: string, ownerId: string, members: string, memberId: string) => Effect.Effect<void, unknown, any>
}

export interface Collection<Refs = any> {
  /** Path segment, e.g. `animals`. */
  readonly name: string
  /** As in problem types: `/problems/<singular>-not-found`. */
  readonly singular: string
  readonly Repository: Context.Key<any, RepositoryLike>
  /** Error tags of the repository. */
  readonly notFoundTag: string
  readonly idTakenTag: string
  /**
   * The `i`-th of a family of valid bodies inside scope `tag`. Unique fields
   * differ for every `i`; sort fields repeat where they may (so the id
   * tie-breaker is exercised) and filter values vary (so each filter case
   * keeps some rows and drops others). `make(0, tag)` sets `optional`.
   * With `refs` (see `prepare`), bodies also refer to other rows.
   */
  readonly make: (i: number, tag: string, refs?: Refs) => Record<string, unknown>
  /** Filters selecting exactly the rows made with `tag`. */
  readonly scope: (tag: string) => Readonly<Record<string, unknown>>
  /** A full body without optional fields, differing from `make(0, tag)` in required fields; inside the scope. */
  readonly replacement: (tag: string) => Record<string, unknown>
  /** A merge patch setting a required field to a new value, inside the scope. */
  readonly patch: Readonly<Record<string, unknown>>
  /** An optional field, set by `make(0, …)`: cleared by PUT without it and by PATCH with `null`. */
  readonly optional?: string
  /** A required field: `null` for it in a PATCH is a 400. */
  readonly required: string
  /** A unique field besides the id: its taken-problem tag, and a spelling of a value that counts as the same. */
  readonly unique?: { readonly field: string; readonly takenTag: string; readonly same: (value: string) => string }
  /** The filters the list takes, by hand: the suites' reference semantics read their kind and column. */
  readonly filters: Readonly<Record<string, ReferenceFilter>>
  /** Rows of other collections the filter cases refer to, made before the rows. */
  readonly prepare?: (tag: string, seeder: Seeder) => Effect.Effect<Refs, unknown, any>
  /** Relations the filter cases refer to, made after the rows (which were made by `make(i, tag, refs)`). */
  readonly relate?: (rows: ReadonlyArray<Row>, refs: Refs, seeder: Seeder) => Effect.Effect<void, unknown, any>
  /** Reference semantics of filters a row alone cannot decide (`linked`). */
  readonly matches?: Readonly<Record<string, (value: unknown, row: Row, refs: Refs) => boolean>>
  /** Filter values, each tested inside the scope; together they use every filter and every kind. */
  readonly filterCases: (tag: string, refs: Refs) => ReadonlyArray<Readonly<Record<string, unknown>>>
  /** Query parameters with a value the list refuses (a 400 naming the parameter), each alone; and a valid value of each. */
  readonly badQueries: ReadonlyArray<readonly [name: string, bad: string, good: string]>
  /** What OPTIONS must announce, written out by hand. */
  readonly capabilities: {
    readonly filters: ReadonlyArray<{ readonly name: string; readonly type: string; readonly repeatable: boolean }>
    readonly sort: ReadonlyArray<string>
  }
}

/** A scope name: letters of both cases (for the case-insensitive prefix), unique per test. */
export const newTag = () => `Tg${globalThis.crypto.randomUUID().replace(/-/g, "").slice(0, 10)}`

/** Swaps the case of every letter: a prefix filter must still match. */
export const swapCase = (text: string) =>
  [...text].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join("")

/** Numbers numerically, text by code point (the SQL side sorts text `COLLATE "C"`). */
export const compareValues = (a: unknown, b: unknown): number =>
  typeof a === "number" && typeof b === "number" ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0

/** The reference semantics of a filter on a row's own fields, independent of both implementations. */
export const matchesFilter = (filter: ReferenceFilter, value: unknown, row: Record<string, unknown>): boolean => {
  const field = row[filter.column]
  switch (filter.kind) {
    case "in":
      return (value as ReadonlyArray<unknown>).includes(field)
    case "eq":
      return field === value
    case "after":
      return field !== undefined && compareValues(field, value) > 0
    case "before":
      return field !== undefined && compareValues(field, value) < 0
    case "prefix":
      return typeof field === "string" && field.toLowerCase().startsWith(String(value).toLowerCase())
    default:
      throw new Error(`no reference semantics for a "${filter.kind}" filter: give the collection a \`matches\``)
  }
}

/** Whether a row passes every filter in `values`. */
export const matchesAll = (collection: Collection, values: Readonly<Record<string, unknown>>, refs?: unknown) => (row: Row) =>
  Object.entries(values).every(([name, value]) => {
    const own = collection.matches?.[name]
    return own !== undefined ? own(value, row, refs) : matchesFilter(collection.filters[name]!, value, row)
  })

/** The reference order of a list: the field, then the id, both in the field's direction. */
export const sortRows = <R extends Stored>(rows: ReadonlyArray<R>, field: string, descending: boolean): Array<R> =>
  [...rows].sort((a, b) =>
    (descending ? -1 : 1) *
    (compareValues((a as any)[field], (b as any)[field]) || compareValues(a.id, b.id))
  )

/** Filter values as a query string: arrays repeat the parameter. */
export const filterParams = (values: Readonly<Record<string, unknown>>): URLSearchParams => {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(values)) {
    for (const item of Array.isArray(value) ? value : [value]) params.append(name, String(item))
  }
  return params
}

/** Rows made for the filter cases: `make(i, tag, refs)`, then `relate`. */
export const seedForFilters = (collection: Collection, count: number, tag: string, seeder: Seeder) =>
  Effect.gen(function*() {
    const refs = collection.prepare === undefined ? undefined : yield* collection.prepare(tag, seeder)
    const rows: Array<Row> = []
    for (let i = 0; i < count; i++) rows.push(yield* seeder.create(collection.name, collection.make(i, tag, refs)))
    if (collection.relate !== undefined) yield* collection.relate(rows, refs, seeder)
    return { refs, rows }
  })

const threeNames = ["Alpha", "Bravo", "Charlie"] as const

// ---------------------------------------------------------------------------
// animals
// ---------------------------------------------------------------------------

// 2015-06-01 repeats on purpose: the exclusive bounds sit exactly on it.
const animalBirthdays = ["2012-03-04", "2015-06-01", "2018-09-10", "2015-06-01"] as const
const animalSpecies = ["lion", "tiger", "zebra", "panda", "monkey"] as const

interface AnimalRefs {
  readonly savanna: Row
  readonly jungle: Row
  readonly keeper: Row
  /** The animals in the keeper's care. */
  readonly cared: Set<string>
}

export const animals: Collection<AnimalRefs> = {
  name: "animals",
  singular: "animal",
  Repository: AnimalsRepository,
  notFoundTag: "AnimalNotFound",
  idTakenTag: "AnimalAlreadyExists",
  make: (i, tag, refs) => ({
    name: `${tag} ${threeNames[i % 3]}`,
    date_of_birth: animalBirthdays[i % 4],
    species: animalSpecies[i % 5],
    ...(i % 2 === 0 && { nickname: `Nick ${i}` }),
    ...(refs !== undefined && i % 3 !== 2 && { habitat_id: i % 3 === 0 ? refs.savanna.id : refs.jungle.id })
  }),
  scope: (tag) => ({ name: tag }),
  replacement: (tag) => ({ name: `${tag} Replaced`, date_of_birth: "2011-11-11", species: "elephant" }),
  patch: { date_of_birth: "2013-01-02" },
  optional: "nickname",
  required: "name",
  filters: {
    species: { kind: "in", column: "species" },
    habitat_id: { kind: "eq", column: "habitat_id" },
    zookeeper_id: { kind: "linked", column: "id" },
    born_after: { kind: "after", column: "date_of_birth" },
    born_before: { kind: "before", column: "date_of_birth" },
    name: { kind: "prefix", column: "name" }
  },
  prepare: (tag, seeder) =>
    Effect.all({
      savanna: seeder.create("habitats", { name: `${tag} Savanna`, climate: "arid", capacity: 50 }),
      jungle: seeder.create("habitats", { name: `${tag} Jungle`, climate: "tropical", capacity: 50 }),
      keeper: seeder.create("zookeepers", { name: `${tag} Keeper`, email: `${tag}@zoo.example`, hired_on: "2020-02-02" }),
      cared: Effect.succeed(new Set<string>())
    }),
  relate: (rows, refs, seeder) =>
    Effect.forEach(rows.filter((_, i) => i % 4 === 1 || i % 4 === 2), (row) =>
      Effect.map(seeder.link("zookeepers", refs.keeper.id, "animals", row.id), () => void refs.cared.add(row.id)), { discard: true }),
  matches: {
    zookeeper_id: (value, row, refs) => value === refs.keeper.id && refs.cared.has(row.id)
  },
  filterCases: (tag, refs) => [
    { name: tag, species: ["lion", "zebra"] },
    { name: tag, species: ["panda"] },
    { name: tag, habitat_id: refs.savanna.id },
    { name: tag, habitat_id: refs.jungle.id, species: ["tiger", "lion"] },
    { name: tag, zookeeper_id: refs.keeper.id },
    { name: tag, zookeeper_id: refs.keeper.id, born_after: "2015-06-01" },
    { name: tag, born_after: "2015-06-01" },
    { name: tag, born_before: "2015-06-01" },
    { name: tag, born_after: "2012-03-04", born_before: "2018-09-10" },
    { name: swapCase(`${tag} b`) },
    { name: tag.toUpperCase() },
    { name: tag, species: ["tiger", "monkey"], born_before: "2016-01-01" }
  ],
  badQueries: [
    ["species", "dragon", "lion"],
    ["species", "Lion", "lion"],
    ["born_after", "2021-02-30", "2021-02-28"],
    ["born_before", "2021-13-01", "2021-12-01"],
    ["born_before", "yesterday", "2020-01-01"],
    ["habitat_id", "nope", "0b9d2c4e-7f1a-4e0b-9c1d-2a3b4c5d6e7f"],
    ["zookeeper_id", "0B9D2C4E-7F1A-4E0B-9C1D-2A3B4C5D6E7F", "0b9d2c4e-7f1a-4e0b-9c1d-2a3b4c5d6e7f"],
    ["name", "x".repeat(101), "x".repeat(100)],
    ["sort", "id", "-date_of_birth"],
    ["sort", "species", "name"]
  ],
  capabilities: {
    filters: [
      { name: "species", type: "species", repeatable: true },
      { name: "habitat_id", type: "uuid", repeatable: false },
      { name: "zookeeper_id", type: "uuid", repeatable: false },
      { name: "born_after", type: "date", repeatable: false },
      { name: "born_before", type: "date", repeatable: false },
      { name: "name", type: "string", repeatable: false }
    ],
    sort: ["name", "-name", "date_of_birth", "-date_of_birth", "created_at", "-created_at"]
  }
}

// ---------------------------------------------------------------------------
// zookeepers
// ---------------------------------------------------------------------------

const hiringDates = ["2019-05-06", "2021-07-08", "2019-05-06", "2023-01-31"] as const

export const zookeepers: Collection = {
  name: "zookeepers",
  singular: "zookeeper",
  Repository: ZookeepersRepository,
  notFoundTag: "ZookeeperNotFound",
  idTakenTag: "ZookeeperAlreadyExists",
  make: (i, tag) => ({
    name: `${tag} ${threeNames[i % 3]}`,
    email: `${tag}.${i}@zoo.example`,
    hired_on: hiringDates[i % 4]
  }),
  scope: (tag) => ({ name: tag }),
  replacement: (tag) => ({ name: `${tag} Replaced`, email: `${tag}.replaced@zoo.example`, hired_on: "2018-08-18" }),
  patch: { hired_on: "2020-12-24" },
  required: "email",
  // Emails are unique whatever the letter case.
  unique: { field: "email", takenTag: "ZookeeperEmailTaken", same: (email) => email.toUpperCase() },
  filters: { name: { kind: "prefix", column: "name" } },
  filterCases: (tag) => [
    { name: tag },
    { name: swapCase(`${tag} b`) },
    { name: `${tag} Charlie` }
  ],
  badQueries: [
    ["name", "x".repeat(101), "x".repeat(100)],
    ["sort", "id", "-hired_on"],
    ["sort", "email", "name"],
    ["limit", "0", "1"]
  ],
  capabilities: {
    filters: [{ name: "name", type: "string", repeatable: false }],
    sort: ["name", "-name", "hired_on", "-hired_on", "created_at", "-created_at"]
  }
}

// ---------------------------------------------------------------------------
// habitats
// ---------------------------------------------------------------------------

const climates = ["tropical", "arid", "temperate", "polar", "aquatic"] as const
const capacities = [10, 25, 10, 400] as const

export const habitats: Collection = {
  name: "habitats",
  singular: "habitat",
  Repository: HabitatsRepository,
  notFoundTag: "HabitatNotFound",
  idTakenTag: "HabitatAlreadyExists",
  // Names are unique; capacities repeat (and 400 > 25 numerically, not as text).
  make: (i, tag) => ({
    name: `${tag} ${threeNames[i % 3]} ${i}`,
    climate: climates[i % 5],
    capacity: capacities[i % 4]
  }),
  scope: (tag) => ({ name: tag }),
  replacement: (tag) => ({ name: `${tag} Replaced`, climate: "polar", capacity: 999 }),
  patch: { capacity: 77 },
  required: "capacity",
  // Names are unique exactly as written.
  unique: { field: "name", takenTag: "HabitatNameTaken", same: (name) => name },
  filters: { climate: { kind: "in", column: "climate" }, name: { kind: "prefix", column: "name" } },
  filterCases: (tag) => [
    { name: tag, climate: ["arid", "polar"] },
    { name: tag, climate: ["aquatic"] },
    { name: swapCase(`${tag} c`) },
    { name: `${tag} Alpha 1` }
  ],
  badQueries: [
    ["climate", "desert", "arid"],
    ["climate", "", "polar"],
    ["name", "x".repeat(101), "x".repeat(100)],
    ["sort", "id", "-capacity"],
    ["sort", "climate", "capacity"]
  ],
  capabilities: {
    filters: [
      { name: "climate", type: "climate", repeatable: true },
      { name: "name", type: "string", repeatable: false }
    ],
    sort: ["name", "-name", "capacity", "-capacity", "created_at", "-created_at"]
  }
}

/** Every collection both suites run on. */
export const collections: ReadonlyArray<Collection> = [animals, zookeepers, habitats]

/** Rows and links made through the repositories (the contract suite's `Seeder`). */
export const repositorySeeder: Seeder = {
  create: (name, body) => {
    const collection = collections.find((candidate) => candidate.name === name)
    if (collection === undefined) return Effect.die(new Error(`no fixture for ${name}`))
    return Effect.flatMap(collection.Repository, (repository) => repository.create(body))
  },
  link: (owners, ownerId, members, memberId) =>
    owners === "zookeepers" && members === "animals"
      ? Effect.flatMap(AnimalCare, (care) => care.link(ownerId, memberId))
      : Effect.die(new Error(`no link from ${owners} to ${members}`))
}
