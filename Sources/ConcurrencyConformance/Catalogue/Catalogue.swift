/// Every clause the kit knows, grouped by contract.
enum Catalogue {
    static let all: [ClauseDefinition] = {
        let all = FutureClauses.all + ExecutorClauses.all + MapClauses.all + WaitClauses.all + ThreadLocalClauses.all
            + GILClauses.all + LoopClauses.all + TaskClauses.all + LoopFutureClauses.all + ProcessClauses.all
        // IDs are the spine of the kit: a duplicate would merge two rules
        // in every report, so it is a programming error caught at first use.
        var seen = Set<String>()
        for definition in all {
            precondition(seen.insert(definition.id).inserted, "duplicate clause ID \(definition.id)")
        }
        return all.sorted { $0.id < $1.id }
    }()
}
