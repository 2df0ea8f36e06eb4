/// A JSON object named fields its type does not have: most often a misspelling (`"vaule"`),
/// which, ignored, would store an event without the value its sender meant to send.
public struct UnknownFields: Error, Sendable, Hashable, CustomStringConvertible {
    /// The unknown names, in order.
    public var names: [String]
    /// The fields the object may have.
    public var known: [String]

    public var description: String {
        let listed = names.map { "'\($0)'" }.joined(separator: ", ")
        return "unknown field\(names.count == 1 ? "" : "s") \(listed); the fields are \(known.joined(separator: ", "))"
    }

    /// Throws when the object `decoder` reads has a key outside `known`.
    public static func check(_ decoder: any Decoder, known: [String]) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        let unknown = container.allKeys.map(\.stringValue).filter { !known.contains($0) }.sorted()
        guard !unknown.isEmpty else { return }
        let error = UnknownFields(names: unknown, known: known)
        throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description, underlyingError: error))
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
