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
  }),
  "0003_habitats_zookeepers": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // Constraint names are part of the contract with the code: a unique or
    // foreign key violation is told apart by its name (409 vs 422, ...).
    yield* sql`
      CREATE TABLE habitats (
        id uuid PRIMARY KEY,
        name text NOT NULL CONSTRAINT habitats_name_key UNIQUE,
        climate text NOT NULL,
        capacity integer NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT clock_timestamp(),
        updated_at timestamptz(3) NOT NULL DEFAULT clock_timestamp(),
        version integer NOT NULL DEFAULT 1
      )`
    yield* sql`
      CREATE TABLE zookeepers (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        email text NOT NULL,
        hired_on date NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT clock_timestamp(),
        updated_at timestamptz(3) NOT NULL DEFAULT clock_timestamp(),
        version integer NOT NULL DEFAULT 1
      )`
    // Emails are kept as written and unique whatever their letter case.
    yield* sql`CREATE UNIQUE INDEX zookeepers_email_key ON zookeepers (lower(email))`
    for (const table of ["habitats", "zookeepers"]) {
      yield* sql`
        CREATE TRIGGER ${sql(`${table}_touch`)} BEFORE UPDATE ON ${sql(table)}
        FOR EACH ROW EXECUTE FUNCTION zoo_touch_row()`
      yield* sql`
        CREATE TRIGGER ${sql(`${table}_changed`)} AFTER INSERT OR UPDATE OR DELETE ON ${sql(table)}
        FOR EACH ROW EXECUTE FUNCTION zoo_collection_changed()`
      // One index per sort order, the id breaking ties (keyset pages walk them).
      yield* sql`CREATE INDEX ${sql(`${table}_created_at_id_idx`)} ON ${sql(table)} (created_at, id)`
      yield* sql`CREATE INDEX ${sql(`${table}_name_id_idx`)} ON ${sql(table)} (name COLLATE "C", id)`
    }
    yield* sql`CREATE INDEX habitats_capacity_id_idx ON habitats (capacity, id)`
    yield* sql`CREATE INDEX zookeepers_hired_on_id_idx ON zookeepers (hired_on, id)`

    // A habitat with animals cannot be deleted (409): RESTRICT, not CASCADE.
    yield* sql`
      ALTER TABLE animals ADD COLUMN habitat_id uuid
      CONSTRAINT animals_habitat_id_fkey REFERENCES habitats (id) ON DELETE RESTRICT`
    // Serves a habitat's animals in the default order, and the check behind a habitat's delete.
    yield* sql`CREATE INDEX animals_habitat_id_created_at_id_idx ON animals (habitat_id, created_at, id)`

    // Which zookeeper cares for which animal; a link goes when either end does.
    yield* sql`
      CREATE TABLE zookeeper_animals (
        zookeeper_id uuid NOT NULL CONSTRAINT zookeeper_animals_zookeeper_id_fkey REFERENCES zookeepers (id) ON DELETE CASCADE,
        animal_id uuid NOT NULL CONSTRAINT zookeeper_animals_animal_id_fkey REFERENCES animals (id) ON DELETE CASCADE,
        PRIMARY KEY (zookeeper_id, animal_id)
      )`
    yield* sql`CREATE INDEX zookeeper_animals_animal_id_idx ON zookeeper_animals (animal_id)`
    // A zookeeper's animals list has a Last-Modified that moves with the links too.
    yield* sql`
      CREATE TRIGGER zookeeper_animals_changed AFTER INSERT OR UPDATE OR DELETE ON zookeeper_animals
      FOR EACH ROW EXECUTE FUNCTION zoo_collection_changed()`
  }),
  "0004_one_creation_time": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // Each column's clock_timestamp() default is read separately, so a new row
    // could show an updated_at a millisecond after its created_at: the second
    // is now copied from the first.
    yield* sql`
      CREATE FUNCTION zoo_stamp_new_row() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.updated_at := NEW.created_at;
        NEW.version := 1;
        RETURN NEW;
      END
      $$`
    for (const table of ["animals", "habitats", "zookeepers"]) {
      yield* sql`
        CREATE TRIGGER ${sql(`${table}_stamp`)} BEFORE INSERT ON ${sql(table)}
        FOR EACH ROW EXECUTE FUNCTION zoo_stamp_new_row()`
    }
  }),
  "0005_habitat_capacity": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // A habitat never houses more animals than its capacity. Each
    // check locks the habitat's row first (FOR UPDATE; an UPDATE of the
    // habitat does), so two writes into one habitat, or a
    // write and a capacity change, run one after the other; the count that
    // follows is a new statement and sees what the other committed. The
    // violation is a check_violation named like a constraint, with a JSON
    // DETAIL the code turns into the problem (409).
    yield* sql`
      CREATE FUNCTION zoo_habitat_has_room() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        room integer;
        housed integer;
      BEGIN
        IF NEW.habitat_id IS NULL OR (TG_OP = 'UPDATE' AND OLD.habitat_id IS NOT DISTINCT FROM NEW.habitat_id) THEN
          RETURN NEW;
        END IF;
        SELECT capacity INTO room FROM habitats WHERE id = NEW.habitat_id FOR NO KEY UPDATE;
        -- No such habitat: the foreign key refuses the write (422).
        IF NOT FOUND THEN
          RETURN NEW;
        END IF;
        SELECT count(*) INTO housed FROM animals WHERE habitat_id = NEW.habitat_id AND id <> NEW.id;
        IF housed >= room THEN
          RAISE EXCEPTION 'habitat % is full', NEW.habitat_id USING
            ERRCODE = 'check_violation',
            CONSTRAINT = 'animals_habitat_capacity',
            DETAIL = json_build_object('habitat_id', NEW.habitat_id, 'capacity', room)::text;
        END IF;
        RETURN NEW;
      END
      $$`
    yield* sql`
      CREATE TRIGGER animals_habitat_capacity BEFORE INSERT OR UPDATE OF habitat_id ON animals
      FOR EACH ROW EXECUTE FUNCTION zoo_habitat_has_room()`
    yield* sql`
      CREATE FUNCTION zoo_habitat_capacity_holds() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        housed integer;
      BEGIN
        IF NEW.capacity >= OLD.capacity THEN
          RETURN NEW;
        END IF;
        SELECT count(*) INTO housed FROM animals WHERE habitat_id = NEW.id;
        IF housed > NEW.capacity THEN
          RAISE EXCEPTION 'habitat % houses more than %', NEW.id, NEW.capacity USING
            ERRCODE = 'check_violation',
            CONSTRAINT = 'habitats_capacity_occupancy',
            DETAIL = json_build_object('habitat_id', NEW.id, 'capacity', NEW.capacity, 'animals', housed)::text;
        END IF;
        RETURN NEW;
      END
      $$`
    // The row lock of this UPDATE is the one the animals' trigger takes: they wait for each other.
    yield* sql`
      CREATE TRIGGER habitats_capacity_occupancy BEFORE UPDATE OF capacity ON habitats
      FOR EACH ROW EXECUTE FUNCTION zoo_habitat_capacity_holds()`
  }),
  "0006_idempotency": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // One row per (credential, key): the request it stands for and, once it
    // ran, its outcome. A row is written in the transaction of its write, so
    // a committed row is complete; `in-flight` is only ever seen by that
    // transaction itself (see docs/idempotency.md).
    yield* sql`
      CREATE TABLE idempotency_keys (
        owner text NOT NULL,
        key text NOT NULL CONSTRAINT idempotency_keys_key_check CHECK (key ~ '^[!-~]{1,255}$'),
        fingerprint text NOT NULL,
        state text NOT NULL CONSTRAINT idempotency_keys_state_check CHECK (state IN ('in-flight', 'complete')),
        status smallint,
        headers jsonb,
        body text,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        expires_at timestamptz NOT NULL,
        CONSTRAINT idempotency_keys_pkey PRIMARY KEY (owner, key),
        CONSTRAINT idempotency_keys_outcome_check CHECK (state = 'in-flight' OR (status IS NOT NULL AND headers IS NOT NULL AND body IS NOT NULL))
      )`
    // The sweep deletes expired rows by this.
    yield* sql`CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at)`
  }),
  "0007_collection_counts": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    // A list's exact total without counting the table: each collection's row
    // count, and its count per value of each column an `in` / `eq` filter
    // compares (the repository reads these for a list with no filter or one
    // such filter), kept by the writes' own transactions. filter = '' is the
    // whole collection. Values are the column's text, as the filters send them
    // (lower-case UUIDs, literals).
    yield* sql`
      CREATE TABLE collection_counts (
        collection text NOT NULL,
        filter text NOT NULL,
        value text NOT NULL,
        rows bigint NOT NULL,
        CONSTRAINT collection_counts_pkey PRIMARY KEY (collection, filter, value)
      )`
    // Statement-level, from the transition tables: a bulk write is one upsert
    // per count, not one per row. The keys are upserted in one order, so two
    // writers never wait for each other's rows crosswise (no deadlock); a
    // collection's writers already queue on its collection_changes row.
    yield* sql`
      CREATE FUNCTION zoo_count_rows() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO collection_counts (collection, filter, value, rows)
          SELECT TG_TABLE_NAME, d.filter, d.value, sum(d.delta) FROM (
            SELECT '' AS filter, '' AS value, 1 AS delta FROM added
            UNION ALL
            SELECT c, to_jsonb(a) ->> c, 1 FROM added a, unnest(TG_ARGV) c
          ) d WHERE d.value IS NOT NULL GROUP BY d.filter, d.value ORDER BY d.filter, d.value
          ON CONFLICT (collection, filter, value) DO UPDATE SET rows = collection_counts.rows + excluded.rows;
        ELSIF TG_OP = 'DELETE' THEN
          INSERT INTO collection_counts (collection, filter, value, rows)
          SELECT TG_TABLE_NAME, d.filter, d.value, sum(d.delta) FROM (
            SELECT '' AS filter, '' AS value, -1 AS delta FROM removed
            UNION ALL
            SELECT c, to_jsonb(r) ->> c, -1 FROM removed r, unnest(TG_ARGV) c
          ) d WHERE d.value IS NOT NULL GROUP BY d.filter, d.value ORDER BY d.filter, d.value
          ON CONFLICT (collection, filter, value) DO UPDATE SET rows = collection_counts.rows + excluded.rows;
        ELSE
          -- An update moves rows between values; the total does not change.
          INSERT INTO collection_counts (collection, filter, value, rows)
          SELECT TG_TABLE_NAME, d.filter, d.value, sum(d.delta) FROM (
            SELECT c AS filter, to_jsonb(a) ->> c AS value, 1 AS delta FROM added a, unnest(TG_ARGV) c
            UNION ALL
            SELECT c, to_jsonb(r) ->> c, -1 FROM removed r, unnest(TG_ARGV) c
          ) d WHERE d.value IS NOT NULL GROUP BY d.filter, d.value HAVING sum(d.delta) <> 0 ORDER BY d.filter, d.value
          ON CONFLICT (collection, filter, value) DO UPDATE SET rows = collection_counts.rows + excluded.rows;
        END IF;
        RETURN NULL;
      END
      $$`
    const counted: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
      ["animals", ["species", "habitat_id"]],
      ["habitats", ["climate"]],
      ["zookeepers", []]
    ]
    for (const [table, columns] of counted) {
      const args = sql.literal(columns.map((column) => `'${column}'`).join(", "))
      yield* sql`
        CREATE TRIGGER ${sql(`${table}_counted_insert`)} AFTER INSERT ON ${sql(table)}
        REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION zoo_count_rows(${args})`
      yield* sql`
        CREATE TRIGGER ${sql(`${table}_counted_update`)} AFTER UPDATE ON ${sql(table)}
        REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION zoo_count_rows(${args})`
      yield* sql`
        CREATE TRIGGER ${sql(`${table}_counted_delete`)} AFTER DELETE ON ${sql(table)}
        REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION zoo_count_rows(${args})`
      // The rows already there (the total even when there are none).
      yield* sql`INSERT INTO collection_counts SELECT ${table}, '', '', count(*) FROM ${sql(table)}`
      for (const column of columns) {
        yield* sql`
          INSERT INTO collection_counts
          SELECT ${table}, ${column}, ${sql(column)}::text, count(*) FROM ${sql(table)}
          WHERE ${sql(column)} IS NOT NULL GROUP BY ${sql(column)}`
      }
    }
  })
})

/** Applies the pending migrations; concurrent runs serialise on the migrator's table lock. */
export const migrate = Migrator.make({})({ loader: migrations })
