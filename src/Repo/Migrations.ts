/**
 * The schema, as numbered forward-only migrations (effect's `Migrator`).
 * Never edit a migration that has shipped: add the next number.
 *
 * The database maintains `created_at`, `updated_at` and `version` itself (a
 * trigger), so no code path can forget to bump the version an ETag is made of.
 */
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import * as Migrator from "effect/sql/Migrator"

export const migrations = Migrator.fromRecord({
  "0001_create_animals": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`
      CREATE FUNCTION zoo_touch_row() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.id := OLD.id;
        NEW.created_at := OLD.created_at;
        NEW.updated_at := clock_timestamp();
        NEW.version := OLD.version + 1;
        RETURN NEW;
      END
      $$`
    yield* sql`
      CREATE TABLE animals (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        date_of_birth date NOT NULL,
        species text NOT NULL,
        nickname text,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        version integer NOT NULL DEFAULT 1
      )`
    // Lists are ordered by creation, the id breaking ties.
    yield* sql`CREATE INDEX animals_created_at_id_idx ON animals (created_at, id)`
    yield* sql`
      CREATE TRIGGER animals_touch BEFORE UPDATE ON animals
      FOR EACH ROW EXECUTE FUNCTION zoo_touch_row()`
  }),
  "0002_listing": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // Millisecond timestamps: exactly what the API shows, so a cursor made
    // from a shown created_at resumes at exactly that row.
    yield* sql`ALTER TABLE animals ALTER COLUMN created_at TYPE timestamptz(3), ALTER COLUMN updated_at TYPE timestamptz(3)`
    // The Last-Modified of a collection covers deletes too, so it cannot be
    // max(updated_at): every write records itself here.
    yield* sql`
      CREATE TABLE collection_changes (
        collection text PRIMARY KEY,
        changed_at timestamptz(3) NOT NULL
      )`
    yield* sql`
      CREATE FUNCTION zoo_collection_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO collection_changes (collection, changed_at) VALUES (TG_TABLE_NAME, clock_timestamp())
        ON CONFLICT (collection) DO UPDATE SET changed_at = excluded.changed_at;
        RETURN NULL;
      END
      $$`
    yield* sql`
      CREATE TRIGGER animals_changed AFTER INSERT OR UPDATE OR DELETE ON animals
      FOR EACH ROW EXECUTE FUNCTION zoo_collection_changed()`
    // One index per sort order, the id breaking ties (keyset pages walk them).
    yield* sql`CREATE INDEX animals_name_id_idx ON animals (name COLLATE "C", id)`
    yield* sql`CREATE INDEX animals_date_of_birth_id_idx ON animals (date_of_birth, id)`
  })
})

/** Applies the pending migrations; concurrent runs serialise on the migrator's table lock. */
export const migrate = Migrator.make({})({ loader: migrations })
