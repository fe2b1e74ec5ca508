import ConcurrencyConformanceTesting
import Foundation
import Testing

/// The catalogue and CONFORMANCE.md say the same thing.
@Suite("Catalogue")
struct CatalogueTests {
    static let conformanceDocument: String = {
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("CONFORMANCE.md"), encoding: .utf8)) ?? ""
    }()

    /// The clause IDs mentioned in CONFORMANCE.md headings (`### FUT-001 …`).
    static var documentedIDs: [String] {
        conformanceDocument.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("### ") else { return nil }
            let token = line.dropFirst(4).prefix { !$0.isWhitespace }
            return token.wholeMatch(of: /[A-Z]+-\d{3}/) != nil ? String(token) : nil
        }
    }

    @Test func idsAreWellFormedAndUnique() {
        let ids = Conformance.catalogue.map(\.id)
        #expect(Set(ids).count == ids.count)
        for id in ids {
            #expect(id.wholeMatch(of: /(FUT|AFUT|EXE|MAP|WAIT|ASC|TASK|GATH|LOOP|TLS|PROC|GIL|JOIN|SEED)-\d{3}/) != nil, "\(id)")
        }
        #expect(Conformance.catalogue.filter { $0.id.hasPrefix("FUT-") }.count >= 17)
    }

    @Test func everyClauseIsDocumentedAndNothingElse() {
        #expect(!Self.conformanceDocument.isEmpty, "CONFORMANCE.md not found")
        let code = Set(Conformance.catalogue.map(\.id))
        let documented = Set(Self.documentedIDs)
        #expect(code.subtracting(documented).sorted() == [], "in the code, missing from CONFORMANCE.md")
        #expect(documented.subtracting(code).sorted() == [], "in CONFORMANCE.md, missing from the code")
        #expect(Self.documentedIDs.count == documented.count, "a clause is documented twice")
    }

    @Test(arguments: Conformance.catalogue.map(\.id))
    func documentStatesTheRuleVerbatim(_ id: String) throws {
        let definition = try #require(Conformance.catalogue.first { $0.id == id })
        let document = Self.conformanceDocument
        let heading = try #require(document.range(of: "### \(id) "), "no heading for \(id)")
        let section = document[heading.lowerBound...].prefix { _ in true }
        let end = section.dropFirst(4).range(of: "\n### ")?.lowerBound ?? section.endIndex
        let body = String(section[..<end])
        #expect(body.contains("\(id) — \(definition.level.rawValue)"), "the heading of \(id) does not say \(definition.level.rawValue)")
        #expect(body.contains(definition.statement), "CONFORMANCE.md does not state \(id) as the code does")
        #expect(body.contains(definition.source), "CONFORMANCE.md does not give the source of \(id)")
    }

    @Test func everyClauseSaysWhereToLook() {
        for definition in Conformance.catalogue {
            #expect(!definition.hint.isEmpty && !definition.method.isEmpty && !definition.source.isEmpty, "\(definition.id)")
            if definition.timing == .realTime {
                #expect(definition.timingRule != nil, "\(definition.id) measures time but states no timing rule")
            }
        }
    }

    @Test func reservedIDsStayReservedAndExplained() {
        let active = Set(Conformance.catalogue.map(\.id))
        for (id, reason) in Conformance.reservedIDs {
            #expect(!active.contains(id), "\(id) is reserved (\(reason)) but a clause uses it")
            #expect(Self.conformanceDocument.contains(id), "CONFORMANCE.md does not explain why \(id) is not a clause")
        }
    }
}
