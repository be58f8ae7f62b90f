import GovernanceCore

extension Secret {
    enum Generate {
        static let output: Flag<String> = .path("output", short: "o", value: "FILE", "Write to a new file (mode 0600) instead of stdout")

        static let command = CommandSpec(
            "generate", "Print a new random audit secret (or write it to a file)",
            doc: "Makes 32 random bytes from the system's cryptographic generator and writes them as 64 hexadecimal characters. With --output the secret goes to a new file with mode 0600 and nothing is printed; that file can be given as GOVERNANCE_AUDIT_SECRET_FILE. Use the same secret on every host that shares a store.",
            flags: [output],
            examples: ["governance secret generate --output /etc/governance/audit.secret"],
            role: .meta
        ) { args, run in
            let secret = try AuditSecret.generate()
            if let path = try args[output] {
                guard try FileSystem.createExclusive(path, contents: secret + "\n", mode: 0o600) else {
                    throw GovernanceError.usage("\(Render.quoted(path)) already exists; nothing was written", hint: "choose a new path or remove the old file first")
                }
                run.emit(json: .object([("path", .string(path))]), text: "wrote a new audit secret to \(path) (mode 0600)")
            } else {
                run.emit(json: .object([("secret", .string(secret))]), text: secret)
            }
            return 0
        }
    }
}
