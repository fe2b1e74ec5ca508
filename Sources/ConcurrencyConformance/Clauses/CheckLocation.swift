/// A place in source code: where a clause's check recorded a failure.
public struct CheckLocation: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The `#fileID` of the file.
    public var fileID: String
    /// The line.
    public var line: Int

    /// Creates a location.
    public init(fileID: String, line: Int) {
        self.fileID = fileID
        self.line = line
    }

    public var description: String { "\(fileID):\(line)" }
}
