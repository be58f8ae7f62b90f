/// What an event does to other tables when it enters the chain, applied inside the same write
/// transaction as its append, whichever path appends it (`audit log`, a batch, the recorder, a
/// denial, `audit flush` replaying the spool). So an observation that was spooled while the store
/// was down has its effect exactly once, when it is replayed: the counters follow the chain.
/// On PostgreSQL the server applies the same effects itself (`RolesSchema`'s trigger on the audit
/// table); a change here is made there too, and the store-level tests run on both.
public enum ChainEffects {
    /// Each domain that derives state from events adds one line here.
    static let all: [@Sendable (SQLConnection, [PendingEvent]) throws -> Void] = [
        { db, events in try CostLedger(db: db).applyReplayed(events) },
        { db, events in try Presence.apply(events, db: db) },
        { db, events in try Presence.applyUnresponsive(events, db: db) },
    ]

    /// Rejects (exit 2) an event whose effect could not be applied, before it is appended or
    /// spooled, so a bad event cannot stop a batch or a flush.
    static let validators: [@Sendable (PendingEvent) throws -> Void] = [
        { pending in _ = try CostLedger.usage(in: pending) },
    ]

    static func validate(_ pending: PendingEvent) throws {
        for validator in validators { try validator(pending) }
    }

    /// Applies to `db` what `events` do; `db check` replays the chain through this into a scratch
    /// store, so the recompute and the append cannot disagree.
    static func apply(_ events: [PendingEvent], db: SQLConnection) throws {
        for effect in all { try effect(db, events) }
    }
}
