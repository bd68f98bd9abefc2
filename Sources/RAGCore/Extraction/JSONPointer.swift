/// RFC 6901 pointers: the paths of `sources`, `missing` and schema errors.
enum JSONPointer {
    static func escape(_ token: String) -> String {
        guard token.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else { return token }
        return token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    static func unescape(_ token: Substring) -> String {
        token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
    }

    static func appending(_ base: String, _ token: String) -> String { base + "/" + escape(token) }
    static func appending(_ base: String, _ index: Int) -> String { base + "/\(index)" }

    static func tokens(_ pointer: String) -> [String] {
        guard pointer.hasPrefix("/") else { return [] }
        return pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map(unescape)
    }
}

extension JSONValue {
    /// The value a pointer designates, or `nil`.
    func value(at tokens: some Collection<String>) -> JSONValue? {
        guard let first = tokens.first else { return self }
        switch self {
        case .object(let members): return members[first]?.value(at: tokens.dropFirst())
        case .array(let items):
            guard let i = Int(first), items.indices.contains(i) else { return nil }
            return items[i].value(at: tokens.dropFirst())
        default: return nil
        }
    }

    /// This value without the member or item a pointer designates.
    func removing(_ tokens: some Collection<String>) -> JSONValue {
        guard let first = tokens.first else { return self }
        let rest = tokens.dropFirst()
        switch self {
        case .object(var members):
            if rest.isEmpty { members[first] = nil } else if let child = members[first] { members[first] = child.removing(rest) }
            return .object(members)
        case .array(var items):
            guard let i = Int(first), items.indices.contains(i) else { return self }
            if rest.isEmpty { items.remove(at: i) } else { items[i] = items[i].removing(rest) }
            return .array(items)
        default: return self
        }
    }
}
