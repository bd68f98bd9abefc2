import Foundation

/// The JSON conventions of the API: UTF-8, no escaped slashes, stable key order.
public enum JSONCoding {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }

    public static func data(_ value: some Encodable) throws -> Data {
        try encoder().encode(value)
    }

    public static func string(_ value: some Encodable) throws -> String {
        String(decoding: try data(value), as: UTF8.self)
    }
}

extension Duration {
    /// The duration in milliseconds, rounded to microseconds.
    public var milliseconds: Double {
        let c = components
        let ms = Double(c.seconds) * 1000 + Double(c.attoseconds) / 1e15
        return (ms * 1000).rounded() / 1000
    }

    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
