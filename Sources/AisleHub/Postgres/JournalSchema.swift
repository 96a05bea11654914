/// The hubs' tables in PostgreSQL (docs/scale-out.md), created on start when missing.
///
/// `aisle_acknowledgements` holds each device's newest report of what it holds, per scope, for
/// the status view (`aisle admin status`) of every process.
///
/// Rows carry `tx`, the id of the transaction that inserted them, so followers read them in
/// commit order (see ``PostgresJournal``).
enum JournalSchema {
    /// Bumped when the tables change; a hub refuses a database of a newer version.
    static let version = 1

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
    ]
}
