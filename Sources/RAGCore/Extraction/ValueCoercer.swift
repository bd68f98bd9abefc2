/// What a property's labels say about its values: the unit its number is in
/// (`power_watts`), whether it holds a currency or a unit rather than text, and the words
/// that a counted thing is called (`review_count` counts "reviews").
struct ValueHints: Sendable {
    enum Role: Sendable {
        case plain, currency, unit
    }

    var role: Role = .plain
    var unit: Units.Unit?
    var words: Set<String> = []

    init() {}

    init(name: String?, schema: SchemaNode, labels: LabelSet) {
        self.words = labels.words
        let texts = [name, schema.title, schema.description].compactMap { $0 }
        let words = Set(texts.flatMap(LabelText.rawWords))
        if words.contains("currency") || words.contains(where: { $0.unicodeScalars.first?.isCJK == true && ($0.hasSuffix("货币") || $0.hasSuffix("币种")) }) {
            role = .currency
        } else if words.contains("unit") || words.contains("units") || words.contains("单位") {
            role = .unit
        }
        unit = Units.named(name: name, in: texts)
    }
}

/// Turns what a document shows into a value of the schema's type, or nothing: a value is
/// never forced into a type it does not have.
enum Coercer {
    static func coerce(_ value: ValueText, to schema: SchemaNode, hints: ValueHints) -> JSONValue? {
        for kind in schema.fillKinds {
            let candidate: JSONValue?
            switch kind {
            case .string: candidate = string(value, schema, hints).map(JSONValue.string)
            case .integer, .number: candidate = number(value, schema, hints, integral: kind == .integer)
            case .boolean: candidate = Booleans.parse(value.text).map(JSONValue.bool)
            case .object, .array, .null: candidate = nil
            }
            if let candidate, SchemaValidator.violations(of: candidate, against: schema).isEmpty { return candidate }
        }
        return nil
    }

    private static func string(_ value: ValueText, _ schema: SchemaNode, _ hints: ValueHints) -> String? {
        switch schema.format {
        case .date?: return Dates.date(from: value)
        case .dateTime?: return Dates.dateTime(from: value)
        case .email?: return Emails.find(in: value)
        case .uri?: return URLs.find(in: value)
        case nil: break
        }
        let options = schema.enumValues?.compactMap(\.stringValue) ?? []
        switch hints.role {
        case .currency:
            guard let code = Currency.code(in: value) else { return nil }
            return options.isEmpty ? code : Enums.match(code, options: options)
        case .unit:
            guard let word = Quantities.scan(value.text).lazy.compactMap(\.unit).first else { return nil }
            if !options.isEmpty { return Enums.matchUnit(word, options: options) }
            return Units.unit(word)?.symbol ?? word
        case .plain:
            if !options.isEmpty { return Enums.match(value.text, options: options) }
            return PlainValue.value(value)
        }
    }

    /// The number the value gives for this property: in the property's unit when it names
    /// one (converted from a compatible unit, never taken from another dimension), or one
    /// whose unit word the label uses ("312 reviews" for `review_count`), else the first
    /// number, if it fits the type and bounds.
    private static func number(_ value: ValueText, _ schema: SchemaNode, _ hints: ValueHints, integral: Bool) -> JSONValue? {
        var best: (rank: Int, value: Double)?
        for (n, quantity) in Quantities.scan(value.text).enumerated() {
            var number = quantity.value
            var rank = 1
            if let expected = hints.unit, let unit = Units.unit(quantity.unit) {
                guard unit.dimension == expected.dimension else { continue }
                number = (number * unit.factor / expected.factor * 1e9).rounded() / 1e9
                rank = 0
            } else if let word = quantity.unit, hints.words.contains(LabelText.stem(word.lowercased())) {
                rank = 0
            }
            // Later numbers are other things ("4.6 out of 5") unless their unit says otherwise.
            if n > 0, rank > 0 { continue }
            if integral, number != number.rounded() { continue }
            let candidate = JSONValue.number(number)
            guard SchemaValidator.violations(of: candidate, against: schema).isEmpty else { continue }
            if best == nil || rank < best!.rank { best = (rank, number) }
            if rank == 0 { break }
        }
        return best.map { .number($0.value) }
    }
}
