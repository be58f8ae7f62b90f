/// Observation never breaks the caller: the recorder appends to the store when it can, spools
/// locally when the store is unreachable, and falls back to placeholder records when even the
/// spool cannot be written. Pending spool is replayed before new events, so order holds.
public final class AuditRecorder {
    public enum Outcome: Sendable {
        /// In the chain. Records carry their seq and hmac (ids only when asked for).
        case appended([AuditRecord])
        /// Waiting in the spool file at `path`; `audit flush` (or the next append) replays it.
        case spooled(path: String, count: Int)
        /// Neither store nor spool could take the events: placeholder records, hmac of zeros and
        /// `metadata["audit.unavailable"] = true`, so the caller can go on.
        case placeholder([AuditRecord])
        /// Taken as state alone (`stateOnly` said the events change nothing the chain records):
        /// nothing was appended.
        case stateOnly
    }

    private enum Mode {
        case unopened
        case store(AuditLog)
        case spooling(reason: GovernanceError)
    }

    private let openStore: () throws -> Store
    private let keys: PurposeKeys
    /// The key its appends chain with, for events whose MAC is begun ahead (`PendingEvent.beginChainMAC`).
    var chainKey: HMACKey { HMACKey(key: keys.chainKey) }
    private let spool: AuditSpool
    private let requireDurable: Bool
    private var mode = Mode.unopened

    /// The store's connection once the recorder appended to it (nil while unopened or spooling),
    /// for a follow-up in the same store (a budget alert after tracked spend).
    public var storeConnection: SQLConnection? {
        if case .store(let log) = mode { return log.db }
        return nil
    }

    /// Warnings for the caller to show (the core never prints).
    public private(set) var warnings: [String] = []
    /// What replaying the pending spool did when the store was opened.
    public private(set) var flushed: AuditSpool.FlushReport?

    /// `requireDurable`: fail with exit 4 instead of spooling.
    public init(spool: AuditSpool, keys: PurposeKeys, requireDurable: Bool, openStore: @escaping () throws -> Store) {
        self.spool = spool
        self.keys = keys
        self.requireDurable = requireDurable
        self.openStore = openStore
    }

    /// Records validated events, in order. What an event does to other tables (spend, presence)
    /// happens when it enters the chain, in the append's transaction (`ChainEffects`).
    /// `stateOnly` runs first, inside the append's write transaction: when it returns true it has
    /// recorded what the events say as state, and nothing is appended (`.stateOnly`).
    public func record(_ events: [PendingEvent], returningIDs: Bool = false,
                       stateOnly: ((SQLConnection) throws -> Bool)? = nil) throws -> Outcome {
        if case .unopened = mode { try open() }
        // Made before the first attempt: if the COMMIT's reply is lost, the spooled copy carries
        // it and the replay skips events that did commit.
        var attempted: String?
        if case .store(let log) = mode {
            let appendID = try AuditLog.newAppendID()
            do {
                attempted = appendID
                let records: [AuditRecord]? = try log.db.writeTransaction {
                    if let stateOnly, try stateOnly(log.db) { return nil }
                    return try log.appendInTransaction(events, returningIDs: returningIDs, appendID: appendID)
                }
                return records.map(Outcome.appended) ?? .stateOnly
            } catch let error as GovernanceError where error.kind == .storeUnavailable {
                if requireDurable { throw error }
                mode = .spooling(reason: error)
            }
        }
        guard case .spooling(let reason) = mode else { throw GovernanceError.internalError("recorder has no mode") }
        do {
            let path = try spool.write(events, keys: keys, appendID: attempted)
            warnings.append("the store is unavailable (\(reason.message)); \(events.count == 1 ? "the event was" : "\(events.count) events were") spooled to \(path); run `governance audit flush` when the store is back (the next successful `audit log` also replays it)")
            return .spooled(path: path, count: events.count)
        } catch {
            let spoolError = (error as? GovernanceError)?.message ?? "\(error)"
            warnings.append("the store is unavailable (\(reason.message)) and the spool cannot be written (\(spoolError)); \(events.count == 1 ? "the event is" : "\(events.count) events are") NOT recorded: placeholder records returned")
            return .placeholder(events.map(Self.placeholder))
        }
    }

    private func open() throws {
        do {
            let store = try openStore()
            let log = AuditLog(db: store.connection, keys: keys)
            mode = .store(log)
            if !spool.pendingFiles().isEmpty {
                do {
                    let report = try spool.flush(into: log)
                    flushed = report
                    if report.appended > 0 {
                        warnings.append("replayed \(report.appended) spooled event\(report.appended == 1 ? "" : "s") from \(report.files) spool file\(report.files == 1 ? "" : "s") first")
                    }
                    for r in report.rejected {
                        warnings.append("a spooled event was set aside, not chained (\(r.file) line \(r.line)): \(r.reason)")
                    }
                } catch let error as GovernanceError where error.kind != .storeUnavailable {
                    // A replay problem must not cost the new event; say so and go on.
                    warnings.append("could not replay the spool (\(error.message)); run `governance audit flush` to retry")
                }
            }
        } catch let error as GovernanceError where error.kind == .storeUnavailable {
            if requireDurable { throw error }
            mode = .spooling(reason: error)
        }
    }

    static func placeholder(_ pending: PendingEvent) -> AuditRecord {
        var metadata = (try? JSONParser.parse(pending.metadata).objectMembers) ?? nil ?? []
        metadata.removeAll { $0.0 == "audit.unavailable" }
        metadata.append(("audit.unavailable", .bool(true)))
        let e = pending.event
        return AuditRecord(id: 0, sessionID: e.sessionID.value, seq: 0, agentID: e.agentID, kind: e.kind, model: e.model,
                           inputHash: e.inputHash, outputHash: e.outputHash, metadataJSON: JSONWriter.canonical(.object(metadata)),
                           createdAt: pending.createdAt, prevHash: ChainCodec.genesisHash, hmac: ChainCodec.genesisHash)
    }
}
