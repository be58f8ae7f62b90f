import GovernanceCore

extension Operator {
    enum Add {
        static let publicKey: Flag<String> = .path("public-key", value: "FILE", "The operator's Ed25519 public key (PEM), or - for stdin")
        static let name: Positional<String> = .one("NAME", "The operator's name (1-256 bytes)")

        static let command = CommandSpec(
            "add", "Register an operator's public key",
            doc: """
            Stores NAME with its Ed25519 public key. The first operator of a store needs no signature; once one is \
            registered, adding another needs --operator-key of a registered operator (exit 22 without). Audited \
            (operator.added) in the chain of the pseudo-agent `governance`. On PostgreSQL, `governance db roles` \
            keeps the agent's role from writing this table at all.
            """,
            flags: [publicKey.required,
                    SharedFlags.operatorKey.described("A registered operator's private key, to sign the registration (not needed for the first)")],
            positionals: [name],
            examples: ["governance operator add alice --public-key alice.pub.pem",
                       "governance operator add bob --public-key bob.pub.pem --operator-key ~/.config/governance/operator.pem"],
            needs: CommandNeeds(store: .write, keys: true),
            failures: [.invalidInput, .operatorNotPermitted]
        ) { args, run in
            let name = try args.require(Add.name)
            let source = try args.require(publicKey)
            let bytes = source == "-" ? Array(try run.console.readStdin().prefix(16_384))
                : try FileSystem.readRegularFile(source, limit: 16_384, what: "public key file").bytes
            let key = try OperatorKey.publicKey(pem: bytes, source: source == "-" ? "stdin" : source)
            let db = try run.store.connection
            let credential = try args[SharedFlags.operatorKey].map { try OperatorCredential.load(keyFile: $0, db: db) }
            let added = try Operators.add(db, keys: try run.keys(), name: name, publicKey: key, by: credential)
            run.emit(json: added.json, text: "added operator \(Render.escaped(added.name)) (key \(Hex.encode(added.publicKey).prefix(16))...)")
            return 0
        }
    }
}
