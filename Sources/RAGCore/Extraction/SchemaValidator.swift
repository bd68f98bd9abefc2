/// One way a value fails its schema.
public struct SchemaViolation: Sendable, Equatable {
    /// A JSON Pointer into the value (for a missing member, where it should be).
    public var path: String
    public var message: String
}

/// Checks data against a checked schema; the service runs it on every answer before it
/// is sent, whichever extractor produced the data.
public enum SchemaValidator {
    public static func violations(of value: JSONValue, against schema: SchemaNode) -> [SchemaViolation] {
        var found: [SchemaViolation] = []
        check(value, schema, path: "", into: &found)
        return found
    }

    static func matches(_ value: JSONValue, _ kind: SchemaNode.Kind) -> Bool {
        switch (kind, value) {
        case (.null, .null), (.boolean, .bool), (.string, .string), (.array, .array), (.object, .object): true
        case (.number, .number(let n)): n.isFinite
        case (.integer, .number(let n)): n.isFinite && n == n.rounded()
        default: false
        }
    }

    private static func check(_ value: JSONValue, _ schema: SchemaNode, path: String, into found: inout [SchemaViolation]) {
        if !schema.types.isEmpty, !schema.types.contains(where: { matches(value, $0) }) {
            let wanted = schema.types.map(\.rawValue).joined(separator: " or ")
            found.append(SchemaViolation(path: path, message: "expected \(wanted), found \(value.typeName)"))
            return
        }
        if let options = schema.enumValues, !options.contains(value) {
            found.append(SchemaViolation(path: path, message: "not one of the enum values"))
        }
        switch value {
        case .string(let text):
            if let format = schema.format, !FormatCheck.isValid(text, format) {
                found.append(SchemaViolation(path: path, message: "not a valid \(format.rawValue)"))
            }
        case .number(let n):
            if let minimum = schema.minimum, n < minimum {
                found.append(SchemaViolation(path: path, message: "below the minimum \(minimum)"))
            }
            if let maximum = schema.maximum, n > maximum {
                found.append(SchemaViolation(path: path, message: "above the maximum \(maximum)"))
            }
        case .object(let members):
            for name in schema.required where members[name] == nil {
                found.append(SchemaViolation(path: JSONPointer.appending(path, name), message: "required but absent"))
            }
            let declared = Dictionary(schema.properties.map { ($0.name, $0.schema) }, uniquingKeysWith: { a, _ in a })
            for name in members.keys.sorted() {
                let place = JSONPointer.appending(path, name)
                if let child = declared[name] {
                    check(members[name]!, child, path: place, into: &found)
                } else if !schema.additionalProperties {
                    found.append(SchemaViolation(path: place, message: "not an allowed property"))
                }
            }
        case .array(let items):
            if let itemSchema = schema.items {
                for (i, item) in items.enumerated() {
                    check(item, itemSchema, path: JSONPointer.appending(path, i), into: &found)
                }
            }
        default:
            break
        }
    }
}

/// The formats extraction supports, checked as strictly as common validators do
/// (RFC 3339 `full-date` and `date-time`, an RFC 3986 URI with a scheme).
enum FormatCheck {
    static func isValid(_ text: String, _ format: SchemaNode.Format) -> Bool {
        switch format {
        case .date: isDate(Array(text.utf8))
        case .dateTime: isDateTime(text)
        case .email: isEmail(text)
        case .uri: isURI(text)
        }
    }

    private static func digits(_ bytes: ArraySlice<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return bytes.reduce(0) { $0 * 10 + Int($1 - 48) }
    }

    static func isDate(_ b: [UInt8]) -> Bool {
        guard b.count == 10, b[4] == 45, b[7] == 45, let y = digits(b[0..<4]), let m = digits(b[5..<7]),
            let d = digits(b[8..<10])
        else { return false }
        return (1...12).contains(m) && d >= 1 && d <= CalendarDate.days(inMonth: m, year: y)
    }

    static func isDateTime(_ text: String) -> Bool {
        let b = Array(text.utf8)
        guard b.count >= 20, isDate(Array(b[0..<10])), b[10] == 84 || b[10] == 116,  // T t
            b[13] == 58, b[16] == 58, let h = digits(b[11..<13]), let mi = digits(b[14..<16]),
            let s = digits(b[17..<19]), h < 24, mi < 60, s <= 60
        else { return false }
        var i = 19
        if b[i] == 46 {  // fraction
            i += 1
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
            if i == start { return false }
        }
        guard i < b.count else { return false }
        if b[i] == 90 || b[i] == 122 { return i + 1 == b.count }  // Z z
        guard b[i] == 43 || b[i] == 45, b.count == i + 6, b[i + 3] == 58, let oh = digits(b[(i + 1)..<(i + 3)]),
            let om = digits(b[(i + 4)..<(i + 6)])
        else { return false }
        return oh < 24 && om < 60
    }

    static func isEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
            !parts[1].hasSuffix(".")
        else { return false }
        return !text.unicodeScalars.contains { $0.properties.isWhitespace || $0.value < 0x21 }
    }

    static func isURI(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard let colon = scalars.firstIndex(of: ":"), colon > 0, isLetter(scalars[0]) else { return false }
        for s in scalars[..<colon] where !(isLetter(s) || ("0"..."9").contains(s) || s == "+" || s == "-" || s == ".") {
            return false
        }
        guard colon + 1 < scalars.count else { return false }
        var i = colon + 1
        while i < scalars.count {
            let s = scalars[i]
            if s == "%" {
                guard i + 2 < scalars.count, scalars[i + 1].properties.isASCIIHexDigit, scalars[i + 2].properties.isASCIIHexDigit
                else { return false }
                i += 3
                continue
            }
            guard s.value > 0x20, s.value < 0x7F, !"<>\"{}|\\^` ".unicodeScalars.contains(s) else { return false }
            i += 1
        }
        return true
    }

    private static func isLetter(_ s: Unicode.Scalar) -> Bool { ("a"..."z").contains(s) || ("A"..."Z").contains(s) }
}

enum CalendarDate {
    static func days(inMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
