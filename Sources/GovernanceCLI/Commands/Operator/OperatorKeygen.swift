import GovernanceCore

extension Operator {
    enum Keygen {
        static let output: Flag<String> = .path("out", short: "o", value: "FILE", "Write the private key to this new file (mode 0600)")

        static let command = CommandSpec(
            "keygen", "Make an operator's Ed25519 key pair: the private key to a file, the public key to stdout",
            doc: """
            Writes a new Ed25519 private key (PEM, PKCS#8) to --out, a file that must not exist yet, with mode 0600, \
            and prints the public key (PEM) to stdout for `governance operator add NAME --public-key FILE`. Keep the \
            private key where the agents cannot read it: another OS user, or a separate machine. `openssl genpkey \
            -algorithm ed25519` makes an equivalent key.
            """,
            flags: [output.required],
            examples: ["governance operator keygen --out ~/.config/governance/operator.pem > alice.pub.pem"],
            role: .meta
        ) { args, run in
            let path = try args.require(output)
            let key = try OperatorKey.generate()
            guard try FileSystem.createExclusive(path, contents: key.privateKeyPEM, mode: 0o600) else {
                throw GovernanceError.usage("\(Render.quoted(path)) already exists; nothing was written", hint: "choose a new path or remove the old file first")
            }
            run.emit(json: .object([("private_key_file", .string(path)), ("public_key_pem", .string(key.publicKeyPEM)),
                                    ("public_key", .string(Hex.encode(key.publicKey)))]),
                     text: key.publicKeyPEM.hasSuffix("\n") ? String(key.publicKeyPEM.dropLast()) : key.publicKeyPEM)
            return 0
        }
    }
}
