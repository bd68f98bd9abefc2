/// A JSON Schema in the subset extraction supports, checked once when a request arrives:
/// an unknown keyword or format is `unsupported_schema`, a malformed one
/// `validation_failed`, both with the JSON Pointer of the offending place in the schema.
public struct ExtractionSchema: Sendable {
    public let root: SchemaNode
    /// The schema as sent, for backends that pass it on.
    public let json: JSONValue

    public init(_ json: JSONValue) throws(ExtractionError) {
        guard case .object = json else {
            throw .invalid("The schema must be a JSON object, not \(json.typeName).", path: "")
        }
        let root = try SchemaNode(json, path: "", depth: 0)
        if !root.types.isEmpty, !root.types.contains(.object) {
            throw .invalid("The schema's root type must be object: the answer is one object.", path: "/type")
        }
        self.root = root
        self.json = json
    }
}

public struct SchemaNode: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case object, array, string, integer, number, boolean, null
    }

    public enum Format: String, Sendable, CaseIterable {
        case date
        case dateTime = "date-time"
        case email
        case uri
    }

    public struct Property: Sendable {
        public var name: String
        public var schema: SchemaNode
        public var isRequired: Bool
    }

    /// Empty when the schema says nothing (any type).
    public private(set) var types: [Kind] = []
    /// Sorted by name, so extraction does not depend on the order of a JSON object.
    public private(set) var properties: [Property] = []
    /// As given: its order is the order fields are usually listed in.
    public private(set) var required: [String] = []
    public private(set) var enumValues: [JSONValue]?
    public private(set) var title: String?
    public private(set) var description: String?
    public private(set) var format: Format?
    public private(set) var minimum: Double?
    public private(set) var maximum: Double?
    public private(set) var additionalProperties = true
    // An array keeps the recursive value out of line.
    private var itemStorage: [SchemaNode] = []

    public var items: SchemaNode? { itemStorage.first }

    static let keywords: Set<String> = [
        "type", "properties", "required", "items", "enum", "description", "format", "minimum", "maximum",
        "additionalProperties", "$schema", "title",
    ]
    static let maxDepth = 32

    init() {}

    init(_ json: JSONValue, path: String, depth: Int) throws(ExtractionError) {
        guard case .object(let members) = json else {
            throw .invalid("A schema must be a JSON object, not \(json.typeName).", path: path)
        }
        guard depth < Self.maxDepth else {
            throw .invalid("The schema is nested more than \(Self.maxDepth) levels deep.", path: path)
        }
        func at(_ keyword: String) -> String { JSONPointer.appending(path, keyword) }

        for keyword in members.keys.sorted() where !Self.keywords.contains(keyword) {
            throw .unsupported(
                keyword: keyword, path: at(keyword),
                message: "The schema keyword \(keyword) is not supported (at \(at(keyword))).")
        }
        for keyword in ["$schema", "title", "description"] {
            guard let value = members[keyword] else { continue }
            guard case .string(let text) = value else {
                throw .invalid("\(keyword) must be a string, not \(value.typeName).", path: at(keyword))
            }
            if keyword == "title" { title = text }
            if keyword == "description" { description = text }
        }
        if let value = members["type"] { types = try Self.types(value, path: at("type")) }
        if let value = members["enum"] {
            guard case .array(let values) = value, !values.isEmpty else {
                throw .invalid("enum must be a non-empty array.", path: at("enum"))
            }
            enumValues = values
        }
        if let value = members["format"] {
            guard case .string(let name) = value else {
                throw .invalid("format must be a string, not \(value.typeName).", path: at("format"))
            }
            guard let format = Format(rawValue: name) else {
                throw .unsupported(
                    keyword: "format", path: at("format"),
                    message: "The format \(name) is not supported (use date, date-time, email or uri; at \(at("format"))).")
            }
            self.format = format
        }
        for keyword in ["minimum", "maximum"] {
            guard let value = members[keyword] else { continue }
            guard case .number(let n) = value else {
                throw .invalid("\(keyword) must be a number, not \(value.typeName).", path: at(keyword))
            }
            if keyword == "minimum" { minimum = n } else { maximum = n }
        }
        if let minimum, let maximum, minimum > maximum {
            throw .invalid("minimum (\(minimum)) is greater than maximum (\(maximum)).", path: at("minimum"))
        }
        if let value = members["additionalProperties"] {
            switch value {
            case .bool(let allowed): additionalProperties = allowed
            case .object:
                throw .unsupported(
                    keyword: "additionalProperties", path: at("additionalProperties"),
                    message: "additionalProperties must be true or false; a schema there is not supported.")
            default:
                throw .invalid(
                    "additionalProperties must be true or false, not \(value.typeName).", path: at("additionalProperties"))
            }
        }
        var names = Set<String>()
        if let value = members["properties"] {
            guard case .object(let declared) = value else {
                throw .invalid("properties must be an object, not \(value.typeName).", path: at("properties"))
            }
            for name in declared.keys.sorted() {
                let child = try SchemaNode(
                    declared[name]!, path: JSONPointer.appending(at("properties"), name), depth: depth + 1)
                properties.append(Property(name: name, schema: child, isRequired: false))
                names.insert(name)
            }
        }
        if let value = members["required"] {
            guard case .array(let list) = value else {
                throw .invalid("required must be an array of property names, not \(value.typeName).", path: at("required"))
            }
            for (i, entry) in list.enumerated() {
                let place = JSONPointer.appending(at("required"), i)
                guard case .string(let name) = entry else {
                    throw .invalid("required must list property names (strings).", path: place)
                }
                guard names.contains(name) else {
                    throw .invalid("required names \(name), which is not one of the properties.", path: place)
                }
                guard !required.contains(name) else { throw .invalid("required lists \(name) twice.", path: place) }
                required.append(name)
            }
            for i in properties.indices where required.contains(properties[i].name) { properties[i].isRequired = true }
        }
        if let value = members["items"] {
            guard case .object = value else {
                throw .invalid("items must be one schema object, not \(value.typeName).", path: at("items"))
            }
            itemStorage = [try SchemaNode(value, path: at("items"), depth: depth + 1)]
        }
    }

    private static func types(_ value: JSONValue, path: String) throws(ExtractionError) -> [Kind] {
        func kind(_ value: JSONValue, at place: String) throws(ExtractionError) -> Kind {
            guard case .string(let name) = value else {
                throw .invalid("type must be a type name or a list of them, not \(value.typeName).", path: place)
            }
            guard let kind = Kind(rawValue: name) else {
                throw .invalid(
                    "Unknown type \(name); use object, array, string, integer, number, boolean or null.", path: place)
            }
            return kind
        }
        switch value {
        case .array(let list):
            guard !list.isEmpty else { throw .invalid("type must not be an empty list.", path: path) }
            var kinds: [Kind] = []
            for (i, entry) in list.enumerated() {
                let k = try kind(entry, at: JSONPointer.appending(path, i))
                guard !kinds.contains(k) else {
                    throw .invalid("type lists \(k.rawValue) twice.", path: JSONPointer.appending(path, i))
                }
                kinds.append(k)
            }
            return kinds
        default:
            return [try kind(value, at: path)]
        }
    }

    public var allowsNull: Bool { types.contains(.null) }

    /// The kinds to try when filling this node, most specific first; inferred from the
    /// other keywords when `type` is absent.
    var fillKinds: [Kind] {
        var kinds = types.filter { $0 != .null }
        if kinds.isEmpty {
            if !properties.isEmpty { return [.object] }
            if items != nil { return [.array] }
            if let first = enumValues?.first(where: { $0 != .null }) {
                switch first {
                case .number: return [.number]
                case .bool: return [.boolean]
                default: return [.string]
                }
            }
            return [.string]
        }
        let order: [Kind] = [.object, .array, .integer, .number, .boolean, .string]
        kinds.sort { order.firstIndex(of: $0)! < order.firstIndex(of: $1)! }
        return kinds
    }
}
