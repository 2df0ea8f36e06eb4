import Foundation

/// The part of JSON Schema the OpenAPI document uses (type, enum, required, properties,
/// additionalProperties, string lengths and patterns, number bounds, array sizes, oneOf,
/// allOf, not, $ref), enough to say whether the document allows a request body or parameter.
struct SchemaCheck {
    let document: [String: Any]

    /// Whether `value` (as JSONSerialization or Yams reads it) satisfies `schema`.
    func allows(_ value: Any, _ schema: [String: Any]) -> Bool {
        if let reference = schema["$ref"] as? String { return allows(value, resolve(reference)) }
        if let all = schema["allOf"] as? [[String: Any]], !all.allSatisfy({ allows(value, $0) }) { return false }
        if let one = schema["oneOf"] as? [[String: Any]], one.filter({ allows(value, $0) }).count != 1 { return false }
        if let not = schema["not"] as? [String: Any], allows(value, not) { return false }
        if let options = schema["enum"] as? [Any], !options.contains(where: { "\($0)" == "\(value)" }) { return false }
        let types = (schema["type"] as? [String]) ?? (schema["type"] as? String).map { [$0] }
        if let types, !types.contains(where: { Self.isType(value, $0) }) { return false }
        if let text = value as? String, !(value is NSNumber) { return allows(text: text, schema) }
        if let number = value as? NSNumber, !(value is String) {
            if let minimum = (schema["minimum"] as? NSNumber)?.doubleValue, number.doubleValue < minimum { return false }
            if let maximum = (schema["maximum"] as? NSNumber)?.doubleValue, number.doubleValue > maximum { return false }
        }
        if let array = value as? [Any] {
            if let minimum = schema["minItems"] as? Int, array.count < minimum { return false }
            if let maximum = schema["maxItems"] as? Int, array.count > maximum { return false }
            if let items = schema["items"] as? [String: Any], !array.allSatisfy({ allows($0, items) }) { return false }
        }
        if let object = value as? [String: Any] {
            let required = schema["required"] as? [String] ?? []
            if !required.allSatisfy({ object[$0] != nil }) { return false }
            let properties = schema["properties"] as? [String: [String: Any]] ?? [:]
            for (key, field) in object {
                if let property = properties[key] {
                    if !allows(field, property) { return false }
                } else if schema["additionalProperties"] as? Bool == false {
                    return false
                }
            }
        }
        return true
    }

    private func allows(text: String, _ schema: [String: Any]) -> Bool {
        if let minimum = schema["minLength"] as? Int, text.count < minimum { return false }
        if let maximum = schema["maxLength"] as? Int, text.count > maximum { return false }
        if let pattern = schema["pattern"] as? String, text.range(of: pattern, options: .regularExpression) == nil { return false }
        return true
    }

    private static func isType(_ value: Any, _ type: String) -> Bool {
        switch type {
        case "string": return value is String
        case "integer": return !isBoolean(value) && (value as? NSNumber).map { $0.doubleValue == $0.doubleValue.rounded() } ?? false
        case "number": return !isBoolean(value) && value is NSNumber && !(value is String)
        case "boolean": return isBoolean(value)
        case "array": return value is [Any]
        case "object": return value is [String: Any]
        default: return true
        }
    }

    /// Foundation reads JSON's true and false as NSNumbers, which `is Bool` cannot tell from 1 and 0.
    private static func isBoolean(_ value: Any) -> Bool {
        if type(of: value) == Bool.self { return true }
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c"
    }

    private func resolve(_ reference: String) -> [String: Any] {
        var node: Any = document
        for part in reference.dropFirst(2).split(separator: "/") {
            node = (node as? [String: Any])?[String(part)] ?? [:]
        }
        return node as? [String: Any] ?? [:]
    }
}
