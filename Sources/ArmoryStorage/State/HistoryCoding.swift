import Foundation

/// The JSON both stores keep parsed experiments, weight versions and spooled events in: sorted
/// keys, dates as seconds since 1970, so a stored value decodes to exactly what was written.
enum HistoryCoding {
    static func encodeData(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .secondsSince1970
        return try encoder.encode(value)
    }

    static func decodeData<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return try decoder.decode(type, from: data)
    }

    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try encodeData(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try decodeData(type, from: Data(text.utf8))
    }
}
