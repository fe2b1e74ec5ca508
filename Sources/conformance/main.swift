import ConcurrencyConformance
import ConcurrencyWorker
import ConformanceGallery
import Foundation

/// `swift run conformance`: the conformance matrix of every implementation
/// the package knows.
struct Options {
    enum Format: String { case markdown, json }

    var format = Format.markdown
    var includeMutants = false
    var allClausesOnMutants = false
    var implementations: [String] = []
    var clausePrefix = ""

    static let usage = """
        usage: conformance [--format markdown|json] [--include-mutants] [--implementation NAME]... [--clause PREFIX]

          --format FORMAT        markdown (default): the matrix; json: the report adopters' CI parses
          --include-mutants      also run the mutant gallery: each mutant against the clauses it targets
          --all-clauses-on-mutants  run mutants against every clause, to see what else catches them (slow)
          --implementation NAME  run only this implementation (repeatable); names: \(Gallery.all.map(\.name).joined(separator: ", "))
          --clause PREFIX        run only clauses whose ID starts with PREFIX, e.g. FUT- or FUT-011
          --help                 show this help

        Exits 1 when an implementation that is not a mutant fails or times out on a MUST clause,
        2 on a usage error, 0 otherwise. CONFORMANCE_TIME_SCALE stretches every time unit.
        """

    static func parse(_ arguments: [String]) throws(UsageError) -> Options {
        var options = Options()
        var remaining = arguments[...]
        func value(for flag: String) throws(UsageError) -> String {
            guard let value = remaining.popFirst(), !value.hasPrefix("--") else {
                throw UsageError("\(flag) needs a value")
            }
            return value
        }
        while let argument = remaining.popFirst() {
            switch argument {
            case "--format":
                let text = try value(for: argument)
                guard let format = Format(rawValue: text) else {
                    throw UsageError("--format takes markdown or json, not '\(text)'")
                }
                options.format = format
            case "--include-mutants":
                options.includeMutants = true
            case "--all-clauses-on-mutants":
                options.includeMutants = true
                options.allClausesOnMutants = true
            case "--implementation":
                options.implementations.append(try value(for: argument))
            case "--clause":
                options.clausePrefix = try value(for: argument)
            case "--help", "-h":
                throw UsageError(nil)
            default:
                throw UsageError("unknown argument '\(argument)'")
            }
        }
        return options
    }
}

struct UsageError: Error {
    let message: String?
    init(_ message: String?) { self.message = message }
}

func selectImplementations(_ options: Options) throws(UsageError) -> [Implementation] {
    let pool = options.includeMutants || options.implementations.contains(where: { $0.hasPrefix("mutant:") })
        ? Gallery.all
        : Gallery.implementations
    guard !options.implementations.isEmpty else { return pool }
    return try options.implementations.map { name throws(UsageError) in
        guard let implementation = Gallery.all.first(where: { $0.name == name }) else {
            throw UsageError("no implementation named '\(name)'; known: \(Gallery.all.map(\.name).joined(separator: ", "))")
        }
        return implementation
    }
}

// First of all, as Python's `if __name__ == '__main__':` guard: a copy of this
// program started as a process-pool worker serves jobs and never reaches the
// matrix below. The reference process pool then re-launches this program for
// its workers instead of needing a separate worker executable.
ProcessWorker.runIfRequested(jobs: Gallery.workerJobs)

let options: Options
let implementations: [Implementation]
do {
    options = try Options.parse(Array(CommandLine.arguments.dropFirst()))
    implementations = try selectImplementations(options)
} catch {
    if let message = error.message {
        FileHandle.standardError.write(Data("conformance: \(message)\n\n\(Options.usage)\n".utf8))
        exit(2)
    }
    print(Options.usage)
    exit(0)
}

let definitions = Conformance.catalogue.filter { $0.id.hasPrefix(options.clausePrefix) }
guard !definitions.isEmpty else {
    FileHandle.standardError.write(Data("conformance: no clause ID starts with '\(options.clausePrefix)'\n".utf8))
    exit(2)
}

let report = await MatrixRunner.run(
    implementations: implementations,
    definitions: definitions,
    mutantScope: options.allClausesOnMutants ? .allClauses : .targets
)
switch options.format {
case .markdown:
    print(report.markdown(), terminator: "")
case .json:
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    FileHandle.standardOutput.write(try encoder.encode(report))
    print()
}
exit(report.nonConformingImplementations.isEmpty ? 0 : 1)
