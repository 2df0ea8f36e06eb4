import Foundation
import Yams

/// The bytes of one experiment file and the path they came from (as the user wrote it, so
/// problems point where the user looks).
public struct ExperimentSource: Sendable, Hashable {
    /// The largest experiment file accepted. Real ones are a few kilobytes.
    public static let maximumSize = 1 << 20

    /// The path, as given.
    public var path: String
    /// The file's contents.
    public var contents: Data

    /// Creates a source from bytes.
    public init(path: String, contents: Data) {
        self.path = path
        self.contents = contents
    }

    /// Creates a source from text.
    public init(path: String, text: String) {
        self.init(path: path, contents: Data(text.utf8))
    }

    /// The contents as text, or a problem saying why they cannot be an experiment file.
    func text() -> Result<String, ExperimentProblem> {
        if contents.count > Self.maximumSize {
            return .failure(fileProblem(
                "file is \(Self.formatSize(contents.count)); an experiment file may be at most \(Self.formatSize(Self.maximumSize))"
            ))
        }
        if contents.isEmpty {
            return .failure(fileProblem("file is empty; it should hold one experiment (see experiments/ for examples)"))
        }
        if let (offset, message) = Self.firstEncodingError(in: contents) {
            let (line, column) = Self.position(ofByte: offset, in: contents)
            return .failure(ExperimentProblem(
                path: path, line: line, column: column,
                message: "\(message); an experiment file must be UTF-8 text, and this looks like a binary file"
            ))
        }
        return .success(String(decoding: contents, as: UTF8.self))
    }

    private func fileProblem(_ message: String) -> ExperimentProblem {
        ExperimentProblem(path: path, line: nil, column: nil, message: message)
    }

    /// The offset of the first NUL or invalid UTF-8 byte, with what is wrong there.
    static func firstEncodingError(in data: Data) -> (Int, String)? {
        let bytes = [UInt8](data)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0 { return (index, "NUL byte") }
            let length: Int
            switch byte {
            case 0x01...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return (index, "invalid UTF-8 byte 0x\(String(byte, radix: 16, uppercase: true))")
            }
            if length > 1 {
                guard index + length <= bytes.count,
                      bytes[(index + 1)..<(index + length)].allSatisfy({ $0 & 0xC0 == 0x80 }),
                      String(validating: bytes[index..<(index + length)], as: UTF8.self) != nil else {
                    return (index, "invalid UTF-8 sequence starting with byte 0x\(String(byte, radix: 16, uppercase: true))")
                }
            }
            index += length
        }
        return nil
    }

    /// 1-based line and column (in Unicode scalars, as YAML counts) of byte `offset`.
    static func position(ofByte offset: Int, in data: Data) -> (Int, Int) {
        let prefix = data.prefix(offset)
        let line = prefix.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
        let lineStart = prefix.lastIndex(of: 0x0A).map { $0 + 1 } ?? prefix.startIndex
        // Count scalars, not bytes: continuation bytes do not start a column.
        let column = 1 + data[lineStart..<(prefix.startIndex + offset)].filter { $0 & 0xC0 != 0x80 }.count
        return (line, column)
    }

    static func formatSize(_ bytes: Int) -> String {
        if bytes >= 1 << 20 {
            let mebibytes = Double(bytes) / Double(1 << 20)
            return mebibytes == mebibytes.rounded() ? "\(Int(mebibytes)) MiB" : String(format: "%.1f MiB", mebibytes)
        }
        return "\(bytes) bytes"
    }
}

extension ExperimentSource {
    /// Where in the file the value of arm number `arm`'s parameter `parameter` is written
    /// (1-based line and column), for problems found after decoding, such as a model reference
    /// the registry does not know.
    public func location(ofArm arm: Int, parameter: String) -> (line: Int, column: Int)? {
        guard let text = String(data: contents, encoding: .utf8), let root = try? Yams.compose(yaml: text),
              let arms = root["arms"], case .sequence(let sequence) = arms, arm >= 0, arm < sequence.count,
              let value = sequence[arm]["params"]?[parameter], let mark = value.mark
        else { return nil }
        return (mark.line, mark.column)
    }
}
