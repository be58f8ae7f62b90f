import GovernanceCore

enum Compliance {
    static let group = GroupSpec("compliance", "Article 12 and summary evidence reports that CI can gate on",
                                 doc: "Reports read the audit chain only, in one streaming pass that is also the chain verification with --verify-chain. A status says how far the log evidences a section for the actions it holds (compliant, partial, non_compliant, or not_applicable), never a verdict on the deployment; docs/COMPLIANCE.md says which evidence each section reads.",
                                 commands: [Report.command])
}
