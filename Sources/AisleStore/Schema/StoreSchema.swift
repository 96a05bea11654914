import GRDB

/// The on-disk schema, as GRDB migrations: plain SQL, never edited once shipped (STYLE.md §12).
///
/// docs/storage.md documents every table for people reading a replica with `sqlite3`.
enum StoreSchema {
    /// The migrations this build knows, in order.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-replica") { db in
            try db.execute(sql: v1)
        }
        migrator.registerMigration("v2-envelopes") { db in
            try db.execute(sql: v2)
        }
        migrator.registerMigration("v3-trusted") { db in
            try db.execute(sql: v3)
        }
        migrator.registerMigration("v4-compaction") { db in
            try db.execute(sql: v4)
        }
        migrator.registerMigration("v5-reservations") { db in
            try db.execute(sql: v5)
        }
        migrator.registerMigration("v6-reservation-notes") { db in
            try db.execute(sql: v6)
        }
        migrator.registerMigration("v7-numbered-stock") { db in
            try migrateToNumberedStock(db)
        }
        migrator.registerMigration("v8-version-marks") { db in
            try db.execute(sql: v8)
        }
        migrator.registerMigration("v9-run-envelopes") { db in
            try db.execute(sql: v9)
        }
        migrator.registerMigration("v10-trusted-checked-by") { db in
            try db.execute(sql: v10)
        }
        migrator.registerMigration("v11-trusted-grant-index") { db in
            try db.execute(sql: v11)
        }
        migrator.registerMigration("v12-trusted-certificate-device") { db in
            try db.execute(sql: v12)
        }
        return migrator
    }

    static let v1 = """
        CREATE TABLE replica (
            singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
            replica_id TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL,
            hlc INTEGER NOT NULL DEFAULT 0
        );

        -- Every change applied here, local or remote: the replication log.
        CREATE TABLE changes (
            scope TEXT NOT NULL,
            origin TEXT NOT NULL,
            seq INTEGER NOT NULL,
            hlc INTEGER NOT NULL,
            dependencies BLOB NOT NULL,
            delta BLOB NOT NULL,
            PRIMARY KEY (scope, origin, seq)
        ) WITHOUT ROWID;

        -- Remote changes received before a change they depend on; applied once it arrives.
        CREATE TABLE held_changes (
            scope TEXT NOT NULL,
            origin TEXT NOT NULL,
            seq INTEGER NOT NULL,
            hlc INTEGER NOT NULL,
            dependencies BLOB NOT NULL,
            delta BLOB NOT NULL,
            PRIMARY KEY (scope, origin, seq)
        ) WITHOUT ROWID;

        -- Per scope, per origin: the highest sequence number applied without gaps.
        CREATE TABLE versions (
            scope TEXT NOT NULL,
            origin TEXT NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (scope, origin)
        ) WITHOUT ROWID;

        -- Catalog objects (products, prices, promotions, stores) with their CRDT state.
        CREATE TABLE catalog_entries (
            kind TEXT NOT NULL,
            id TEXT NOT NULL,
            state BLOB NOT NULL,
            PRIMARY KEY (kind, id)
        ) WITHOUT ROWID;

        -- Read table: products with their current price (NULL when unpriced or withdrawn).
        CREATE TABLE products (
            sku TEXT PRIMARY KEY NOT NULL,
            name TEXT,
            category TEXT,
            price_minor INTEGER
        ) WITHOUT ROWID;

        -- Stock per store and SKU: level across the chain, what this replica may sell, CRDT state.
        CREATE TABLE stock_levels (
            store_id TEXT NOT NULL,
            sku TEXT NOT NULL,
            level INTEGER NOT NULL,
            sellable_here INTEGER NOT NULL,
            state BLOB NOT NULL,
            PRIMARY KEY (store_id, sku)
        ) WITHOUT ROWID;

        -- Carts (scope is store:<id> for walk-in carts, customer:<id> for a customer's own).
        CREATE TABLE carts (
            scope TEXT NOT NULL,
            cart_id TEXT NOT NULL,
            owner TEXT,
            phase TEXT NOT NULL,
            line_count INTEGER NOT NULL,
            item_count INTEGER NOT NULL,
            late_edits INTEGER NOT NULL,
            state BLOB NOT NULL,
            PRIMARY KEY (scope, cart_id)
        ) WITHOUT ROWID;

        -- Read table: the lines a person sees in each cart (sealed lines once checked out).
        CREATE TABLE cart_lines (
            scope TEXT NOT NULL,
            cart_id TEXT NOT NULL,
            sku TEXT NOT NULL,
            quantity INTEGER NOT NULL,
            note TEXT,
            PRIMARY KEY (scope, cart_id, sku)
        ) WITHOUT ROWID;

        -- Orders, immutable, with the totals they were charged at.
        CREATE TABLE orders (
            scope TEXT NOT NULL,
            order_id TEXT NOT NULL,
            cart_id TEXT NOT NULL,
            customer_id TEXT,
            store_id TEXT,
            placed_at_ms INTEGER NOT NULL,
            placed_by TEXT NOT NULL,
            subtotal_minor INTEGER NOT NULL,
            discount_minor INTEGER NOT NULL,
            total_minor INTEGER NOT NULL,
            points INTEGER NOT NULL,
            state BLOB NOT NULL,
            PRIMARY KEY (scope, order_id)
        ) WITHOUT ROWID;

        -- Points per customer: balance across the chain, what this replica may redeem, CRDT state.
        CREATE TABLE loyalty_balances (
            customer_id TEXT PRIMARY KEY NOT NULL,
            balance INTEGER NOT NULL,
            redeemable_here INTEGER NOT NULL,
            state BLOB NOT NULL
        ) WITHOUT ROWID;
        """

    /// The sealed, signed envelope a change travelled in (or was sealed into for sending), kept so
    /// it can be forwarded byte for byte: only its author can sign it. NULL for a local change not
    /// sealed yet and for changes logged before v2.
    static let v2 = """
        ALTER TABLE changes ADD COLUMN envelope BLOB;
        ALTER TABLE held_changes ADD COLUMN envelope BLOB;
        """

    /// Certificates (and, later, grants) this replica learned from peers, each checked against the
    /// tenant's admin key before it was kept, so after a restart the replica can still check and
    /// forward the changes their devices wrote. Opaque here: AisleNode encodes and checks them.
    static let v3 = """
        CREATE TABLE trusted (
            kind TEXT NOT NULL,
            id BLOB NOT NULL,
            bytes BLOB NOT NULL,
            PRIMARY KEY (kind, id)
        ) WITHOUT ROWID;
        """

    /// What compaction by causal stability needs (docs/storage.md): what each peer has
    /// acknowledged of each scope, and below which sequence numbers the log no longer holds an
    /// origin's changes.
    static let v4 = """
        -- Per scope, each peer that ever synced it here and the version vector it last reported;
        -- archive: the peer is the hub, which compaction never runs ahead of.
        CREATE TABLE peer_acks (
            scope TEXT NOT NULL,
            peer TEXT NOT NULL,
            vector BLOB NOT NULL,
            acked_at_ms INTEGER NOT NULL,
            archive INTEGER NOT NULL,
            PRIMARY KEY (scope, peer)
        ) WITHOUT ROWID;

        -- Per scope and origin: the log may lack this origin's changes up to seq (compacted, or
        -- installed from a snapshot); a peer that lacks any of them needs a snapshot.
        CREATE TABLE log_floor (
            scope TEXT NOT NULL,
            origin TEXT NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (scope, origin)
        ) WITHOUT ROWID;
        """

    /// Click and collect and wishlists ([5/6]): a store's reservations, and customers' wishlists,
    /// readable by the till software.
    static let v5 = """
        -- One row per reservation: what it holds for whom, until when, and who decides its end.
        -- phase: reserved, picked, collected or released; lines: "sku×units" joined by ", ".
        CREATE TABLE reservations (
            store_id TEXT NOT NULL,
            reservation_id TEXT NOT NULL,
            customer_id TEXT,
            phase TEXT NOT NULL,
            custodian TEXT,
            expires_at_ms INTEGER,
            lines TEXT NOT NULL,
            state BLOB NOT NULL,
            PRIMARY KEY (store_id, reservation_id)
        ) WITHOUT ROWID;
        CREATE INDEX reservations_by_custodian ON reservations (custodian, phase, expires_at_ms);

        -- A customer's wishlist (in the customer's scope): items "sku" joined by ", ", oldest SKU first.
        CREATE TABLE wishlists (
            customer_id TEXT PRIMARY KEY NOT NULL,
            items TEXT NOT NULL,
            item_count INTEGER NOT NULL,
            state BLOB NOT NULL
        ) WITHOUT ROWID;
        """

    /// The phone's reservations ([5/6]): what a customer's phones keep of its click-and-collect
    /// reservations, in the customer's scope.
    static let v6 = """
        -- One row per reservation note: where, what, until when, and the latest stage the hub reported
        -- (reserved, picked, collected or released); lines: "sku×units" joined by ", ".
        CREATE TABLE reservation_notes (
            customer_id TEXT NOT NULL,
            reservation_id TEXT NOT NULL,
            store_id TEXT,
            phase TEXT NOT NULL,
            expires_at_ms INTEGER,
            lines TEXT NOT NULL,
            state BLOB NOT NULL,
            PRIMARY KEY (customer_id, reservation_id)
        ) WITHOUT ROWID;
        """

    /// A write no longer updates a version row (one B-tree page fewer per commit: docs/performance.md
    /// `local_write_single`): an origin's highest applied sequence is the larger of its row in
    /// `version_marks` and its highest change in the log, which the view `versions` shows.
    static let v8 = """
        -- Per scope and origin: a sequence number of the origin's applied here, written when its
        -- first change is logged and raised when the log is truncated or a snapshot installed.
        -- The highest sequence applied is the larger of this and the highest logged change: read
        -- the view versions.
        ALTER TABLE versions RENAME TO version_marks;

        -- Per scope, per origin: the highest sequence number applied without gaps.
        CREATE VIEW versions (scope, origin, seq) AS
            SELECT marks.scope, marks.origin, max(marks.seq, coalesce((
                SELECT max(changes.seq) FROM changes
                WHERE changes.scope = marks.scope AND changes.origin = marks.origin), 0))
            FROM version_marks AS marks;
        """

    /// Run envelopes (docs/sync.md): one envelope carries an origin's consecutive changes. It is
    /// kept once, with the run's first change still in the log; each later change of the run
    /// names that change in `run_start` and keeps no envelope of its own.
    static let v9 = """
        ALTER TABLE changes ADD COLUMN run_start INTEGER;
        """

    /// The admin key a kept certificate or grant was checked under (NULL: kept before this
    /// column, checked again at each start): a node that starts under the same key takes the row
    /// without checking its signatures again (a hub that knows a million devices would otherwise
    /// spend minutes of a start on them).
    static let v10 = """
        ALTER TABLE trusted ADD COLUMN checked_by BLOB;
        """

    /// A handoff grant's scope and end (NULL for a certificate, and for a grant kept before this
    /// column, until the node's next start notes them): a node holds in memory only the grants
    /// still in force or ended lately, and reads a scope's older grants here when a change needs
    /// them (a till's change synced late, a customer's history sent to a new phone). Every cart
    /// handoff makes a grant, so they grow with trade, for good.
    static let v11 = """
        ALTER TABLE trusted ADD COLUMN scope TEXT;
        ALTER TABLE trusted ADD COLUMN not_after INTEGER;
        CREATE INDEX trusted_by_scope ON trusted (scope, kind) WHERE scope IS NOT NULL;
        """

    /// A certificate's device and role (NULL for a grant, and for a certificate kept before this
    /// column, until the node's next start notes them): a node holds in memory the certificates
    /// of the chain's terminals and those of phones it used lately, and reads a phone's here by
    /// id when a change or a grant needs it; the revoked devices are counted here by device. A
    /// hub that knows a million phones would otherwise hold about a kilobyte for each, and read
    /// them all at each start.
    static let v12 = """
        ALTER TABLE trusted ADD COLUMN device TEXT;
        ALTER TABLE trusted ADD COLUMN role TEXT;
        CREATE INDEX trusted_by_device ON trusted (device, kind) WHERE device IS NOT NULL;
        """
}
