import Foundation

/// The little of XML that S3's answers need: the text of named elements and the elements inside
/// a named one. S3's documents are flat and machine-written, so a scanner is enough, and it
/// keeps Armory off libxml2.
enum S3XML {
    /// The unescaped text of every `<name>` element in `xml`, in order.
    static func values(of name: String, in xml: Substring) -> [String] {
        elements(named: name, in: xml).map { unescape($0) }
    }

    /// The unescaped text of the first `<name>` element in `xml`.
    static func value(of name: String, in xml: Substring) -> String? {
        firstElement(named: name, in: xml, from: xml.startIndex).map { unescape($0.content) }
    }

    /// The raw content of every `<name>` element in `xml`, in order (a self-closing one is empty).
    static func elements(named name: String, in xml: Substring) -> [Substring] {
        var found: [Substring] = []
        var position = xml.startIndex
        while let element = firstElement(named: name, in: xml, from: position) {
            found.append(element.content)
            position = element.end
        }
        return found
    }

    private static func firstElement(named name: String, in xml: Substring, from start: Substring.Index)
        -> (content: Substring, end: Substring.Index)?
    {
        var position = start
        while let open = xml.range(of: "<\(name)", range: position..<xml.endIndex) {
            guard open.upperBound < xml.endIndex else { return nil }
            let next = xml[open.upperBound]
            guard next == ">" || next == "/" || next.isWhitespace else {
                position = open.upperBound
                continue
            }
            guard let close = xml.range(of: ">", range: open.upperBound..<xml.endIndex) else { return nil }
            if xml[xml.index(before: close.lowerBound)] == "/" {
                return (xml[close.upperBound..<close.upperBound], close.upperBound)
            }
            guard let end = xml.range(of: "</\(name)>", range: close.upperBound..<xml.endIndex) else { return nil }
            return (xml[close.upperBound..<end.lowerBound], end.upperBound)
        }
        return nil
    }

    /// `text` with the five named entities and numeric character references replaced.
    static func unescape(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        var result = ""
        var rest = text
        while let ampersand = rest.firstIndex(of: "&") {
            result += rest[..<ampersand]
            guard let semicolon = rest[ampersand...].firstIndex(of: ";") else { break }
            let entity = rest[rest.index(after: ampersand)..<semicolon]
            if let character = character(for: entity) {
                result.append(character)
            } else {
                result += rest[ampersand...semicolon]
            }
            rest = rest[rest.index(after: semicolon)...]
        }
        return result + rest
    }

    private static func character(for entity: Substring) -> Character? {
        switch entity {
        case "amp": return "&"
        case "lt": return "<"
        case "gt": return ">"
        case "quot": return "\""
        case "apos": return "'"
        default:
            guard entity.hasPrefix("#") else { return nil }
            let digits = entity.dropFirst()
            let code = digits.hasPrefix("x") || digits.hasPrefix("X") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
            return code.flatMap(Unicode.Scalar.init).map(Character.init)
        }
    }

    /// `text` safe inside an element.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
