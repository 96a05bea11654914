/// The hubs' tables in PostgreSQL (docs/scale-out.md), created on start when missing.
///
/// `aisle_acknowledgements` holds each device's newest report of what it holds, per scope, for
/// the status view (`aisle admin status`) of every process.
///
/// Rows carry `tx`, the id of the transaction that inserted them, so followers read them in
/// commit order (see ``PostgresJournal``).
///
/// `changes` on an envelope row is how many changes it carries (a run more than one; rows kept by
/// version 1 count as one). `aisle_checkpoints` holds, per scope, the state of the envelopes compaction removed from
/// `aisle_envelopes` (``PostgresJournal/compact(peerRetention:minimumChanges:scratchDirectory:)``): the version vector it covers, its parts in
/// `aisle_checkpoint_parts` (encoded ObjectDeltas), and a generation from one sequence, so a
/// follower asks only for checkpoints newer than the last it saw (version 2).
enum JournalSchema {
    /// Bumped when the tables change; a hub refuses a database of a newer version, and migrates
    /// an older one (every change so far only adds tables).
    static let version = 2

    static let statements = [
        "CREATE TABLE IF NOT EXISTS aisle_schema (version integer NOT NULL)",
        """
        CREATE TABLE IF NOT EXISTS aisle_envelopes (
            id bigserial PRIMARY KEY,
            tx bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
            scope text NOT NULL,
            origin text NOT NULL,
            seq bigint NOT NULL,
            envelope bytea NOT NULL,
            kept_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (scope, origin, seq))
        """,
        "CREATE INDEX IF NOT EXISTS aisle_envelopes_commit_order ON aisle_envelopes (tx, id)",
        """
        CREATE TABLE IF NOT EXISTS aisle_trusted (
            kind text NOT NULL,
            id bytea NOT NULL,
            bytes bytea NOT NULL,
            seq bigserial,
            tx bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
            PRIMARY KEY (kind, id))
        """,
        "CREATE INDEX IF NOT EXISTS aisle_trusted_commit_order ON aisle_trusted (tx, seq)",
        """
        CREATE TABLE IF NOT EXISTS aisle_acknowledgements (
            peer text NOT NULL,
            scope text NOT NULL,
            vector bytea NOT NULL,
            reported_at_ms bigint NOT NULL,
            archive boolean NOT NULL,
            PRIMARY KEY (peer, scope))
        """,
        // Version 2: how many changes each envelope carries (a run several), for compaction.
        "ALTER TABLE aisle_envelopes ADD COLUMN IF NOT EXISTS changes integer NOT NULL DEFAULT 1",
        "CREATE SEQUENCE IF NOT EXISTS aisle_checkpoint_generation",
        """
        CREATE TABLE IF NOT EXISTS aisle_checkpoints (
            scope text PRIMARY KEY,
            generation bigint NOT NULL,
            vector bytea NOT NULL,
            stamp bigint NOT NULL,
            parts integer NOT NULL,
            changes bigint NOT NULL,
            taken_at timestamptz NOT NULL DEFAULT now())
        """,
        "CREATE INDEX IF NOT EXISTS aisle_checkpoints_generation ON aisle_checkpoints (generation)",
        """
        CREATE TABLE IF NOT EXISTS aisle_checkpoint_parts (
            scope text NOT NULL,
            generation bigint NOT NULL,
            part integer NOT NULL,
            objects bytea NOT NULL,
            PRIMARY KEY (scope, generation, part))
        """,
    ]
}
