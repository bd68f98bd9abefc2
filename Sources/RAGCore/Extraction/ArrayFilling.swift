/// Arrays come from repeated structures: objects from the rows of a table whose header
/// cells name the item's properties, or from the items of a list the array's label
/// introduces; scalars from such a list, a table column, or a delimited value.
extension SchemaFiller {
    func fillArray(_ schema: SchemaNode, _ context: Context, scope: Scope, path: String) -> Outcome {
        let item = schema.items ?? SchemaNode()
        var best: (score: Double, position: Int, items: [Filled])?
        func consider(_ score: Double, _ position: Int, _ items: [Filled]) {
            guard !items.isEmpty else { return }
            if best == nil || score > best!.score + 1e-9 || (abs(score - best!.score) <= 1e-9 && position < best!.position) {
                best = (score, position, items)
            }
        }
        let lists = evidence.lists.filter { scope.range.contains($0.position) }
        if item.fillKinds.first == .object {
            for table in evidence.tables where scope.range.contains(table.position) {
                if let (score, items) = objects(from: table, item, context, path: path) { consider(score, table.position, items) }
            }
            for list in lists {
                let score = listScore(list, context.labels)
                guard score >= LabelSet.threshold else { continue }
                let items = objects(from: list, item, context, path: path)
                consider(score * list.weight * Double(items.count) / Double(list.items.count), list.position, items)
            }
        } else {
            let hints = ValueHints(name: nil, schema: item, labels: context.labels)
            for list in lists {
                let score = listScore(list, context.labels)
                guard score >= LabelSet.threshold else { continue }
                var items: [Filled] = []
                for entry in list.items {
                    let (value, snippet) = innerValue(entry, context.labels)
                    if let coerced = Coercer.coerce(value, to: item, hints: hints) {
                        let cite = Cite(path: JSONPointer.appending(path, items.count), segment: list.segment, snippet: snippet)
                        items.append(Filled(value: coerced, cites: [cite]))
                    }
                }
                consider(score * list.weight * Double(items.count) / Double(list.items.count), list.position, items)
            }
            for field in evidence.fields(in: scope.range) {
                let score = context.labels.score(field.key)
                guard score >= LabelSet.threshold else { continue }
                var items: [Filled] = []
                for part in ListSplit.parts(field.value.text) {
                    if let coerced = Coercer.coerce(ValueText(text: part), to: item, hints: hints) {
                        let cite = Cite(path: JSONPointer.appending(path, items.count), segment: field.segment, snippet: field.snippet)
                        items.append(Filled(value: coerced, cites: [cite]))
                    }
                }
                consider(0.9 * score * field.weight, field.position, items)
            }
            for table in evidence.tables where scope.range.contains(table.position) {
                guard let (column, score) = table.headerKeys.enumerated().map({ ($0.offset, context.labels.score($0.element)) })
                    .max(by: { $0.1 < $1.1 }), score >= LabelSet.threshold
                else { continue }
                var items: [Filled] = []
                for row in table.rows where column < row.cells.count {
                    if let coerced = Coercer.coerce(row.cells[column], to: item, hints: hints) {
                        let snippet = Snippet.make("\(table.headers[column]): \(row.cells[column].text)")
                        items.append(
                            Filled(value: coerced, cites: [Cite(path: JSONPointer.appending(path, items.count), segment: table.segment, snippet: snippet)]))
                    }
                }
                consider(0.9 * score * table.weight, table.position, items)
            }
        }
        guard let best else { return .absent }
        return .found(Filled(value: .array(best.items.map(\.value)), cites: best.items.flatMap(\.cites)))
    }

    /// How well a list is introduced as this array: by its own label, or (a little less)
    /// by the heading of the part it sits in.
    private func listScore(_ list: ItemList, _ labels: LabelSet) -> Double {
        var score = list.labels.map(labels.score).max() ?? 0
        if let section = evidence.section(containing: list.position) { score = max(score, 0.9 * labels.score(section.key)) }
        return score
    }

    /// An item's value: the labelled part of it the array names (a section's `title`), or
    /// the whole item.
    private func innerValue(_ item: ItemList.Item, _ labels: LabelSet) -> (ValueText, String) {
        var best: (score: Double, field: Field)?
        for field in evidence.fields(in: item.range) where field.position != item.range.lowerBound {
            let score = labels.score(field.key)
            if score >= LabelSet.threshold, best == nil || score > best!.score { best = (score, field) }
        }
        if let best { return (best.field.value, best.field.snippet) }
        return (item.value, Snippet.make(item.value.text))
    }

    // MARK: - Objects from tables

    private func objects(from table: RecordTable, _ item: SchemaNode, _ context: Context, path: String) -> (Double, [Filled])? {
        let properties = item.properties.filter {
            let kind = $0.schema.fillKinds.first
            return kind != .object && kind != .array
        }
        var pairs: [(score: Double, property: Int, column: Int)] = []
        let labels = properties.map { labelCache.labels(name: $0.name, schema: $0.schema) }
        for (p, (set, _)) in labels.enumerated() {
            for (column, key) in table.headerKeys.enumerated() {
                let score = set.score(key)
                if score >= LabelSet.threshold { pairs.append((score, p, column)) }
            }
        }
        pairs.sort { ($0.score, -$0.column) > ($1.score, -$1.column) }
        var columnOf: [Int: Int] = [:]
        var usedColumns = Set<Int>()
        for pair in pairs where columnOf[pair.property] == nil && !usedColumns.contains(pair.column) {
            columnOf[pair.property] = pair.column
            usedColumns.insert(pair.column)
        }
        guard !columnOf.isEmpty else { return nil }
        for property in item.properties where property.isRequired && !property.schema.allowsNull {
            guard let p = properties.firstIndex(where: { $0.name == property.name }), columnOf[p] != nil else { return nil }
        }
        let weightOf = { (property: SchemaNode.Property) in property.isRequired ? 2.0 : 1.0 }
        let total = item.properties.map(weightOf).reduce(0, +)
        let covered = columnOf.keys.map { weightOf(properties[$0]) }.reduce(0, +)
        var contextScore = table.context.map(context.labels.score).max() ?? 0
        if let section = evidence.section(containing: table.position) {
            contextScore = max(contextScore, 0.9 * context.labels.score(section.key))
        }
        let score = (0.7 * covered / max(total, 1) + 0.3 * contextScore) * table.weight

        var items: [Filled] = []
        for row in table.rows {
            let itemPath = JSONPointer.appending(path, items.count)
            var values: [String: JSONValue] = [:]
            var cites: [Cite] = []
            var complete = true
            for (p, property) in properties.enumerated() {
                let hints = labels[p].1
                if let column = columnOf[p], column < row.cells.count,
                    let value = Coercer.coerce(row.cells[column], to: property.schema, hints: hints)
                {
                    values[property.name] = value
                    let snippet = Snippet.make("\(table.headers[column]): \(row.cells[column].text)")
                    cites.append(Cite(path: JSONPointer.appending(itemPath, property.name), segment: table.segment, snippet: snippet))
                } else if property.isRequired {
                    if property.schema.allowsNull { values[property.name] = .null } else { complete = false }
                }
            }
            // A row without a required value is not one of the records.
            if complete, !cites.isEmpty { items.append(Filled(value: .object(values), cites: cites)) }
        }
        return (score, items)
    }

    // MARK: - Objects from lists

    private func objects(from list: ItemList, _ item: SchemaNode, _ context: Context, path: String) -> [Filled] {
        var items: [Filled] = []
        for entry in list.items {
            let itemPath = JSONPointer.appending(path, items.count)
            let members = fillMembers(item, objectLabels: .empty, scope: Scope(range: entry.range), path: itemPath, ownsScope: true)
            if members.found, members.missing.isEmpty {
                items.append(Filled(value: .object(members.values), cites: members.cites))
            } else if let split = split(entry.value.text, item, context, path: itemPath, segment: list.segment) {
                items.append(split)
            }
        }
        return items
    }

    /// An item written as one line of parts ("speaker — talk title"): the parts in the
    /// order the description mentions the properties, self-identifying parts (an email, a
    /// date) to the property of their format.
    private func split(_ text: String, _ item: SchemaNode, _ context: Context, path: String, segment: Int) -> Filled? {
        let properties = mentionOrder(item, description: context.description)
        guard !properties.isEmpty else { return nil }
        let parts = ItemSplit.parts(text, count: properties.count)
        var values: [String: JSONValue] = [:]
        var cites: [Cite] = []
        var used = Set<Int>()
        func assign(_ p: Int, _ part: String) -> Bool {
            let property = properties[p]
            let hints = labelCache.labels(name: property.name, schema: property.schema).1
            guard let value = Coercer.coerce(ValueText(text: part), to: property.schema, hints: hints) else { return false }
            values[property.name] = value
            cites.append(Cite(path: JSONPointer.appending(path, property.name), segment: segment, snippet: Snippet.make(text)))
            used.insert(p)
            return true
        }
        var rest: [String] = []
        for part in parts {
            let formatted = properties.indices.first { !used.contains($0) && properties[$0].schema.format != nil && assign($0, part) }
            if formatted == nil { rest.append(part) }
        }
        var p = 0
        for part in rest {
            while p < properties.count, used.contains(p) || properties[p].schema.format != nil { p += 1 }
            guard p < properties.count else { break }
            _ = assign(p, part)
            p += 1
        }
        for property in item.properties where property.isRequired && values[property.name] == nil {
            guard property.schema.allowsNull else { return nil }
            values[property.name] = .null
        }
        guard !cites.isEmpty else { return nil }
        return Filled(value: .object(values), cites: cites)
    }

    /// Scalar properties in the order a description names them, then required order.
    private func mentionOrder(_ item: SchemaNode, description: String) -> [SchemaNode.Property] {
        let words = LabelText.words(description)
        func mention(_ property: SchemaNode.Property) -> Int {
            LabelText.words(property.name).compactMap { words.firstIndex(of: $0) }.min() ?? Int.max
        }
        return item.properties.filter {
            let kind = $0.schema.fillKinds.first
            return kind != .object && kind != .array
        }.sorted {
            (mention($0), item.required.firstIndex(of: $0.name) ?? Int.max, $0.name)
                < (mention($1), item.required.firstIndex(of: $1.name) ?? Int.max, $1.name)
        }
    }
}

/// A value that lists several: `a, b, c`, `a; b`, `a、b`, one per line.
enum ListSplit {
    private static let separators = Set(",;、，；|\n".unicodeScalars)

    static func parts(_ text: String) -> [String] {
        text.unicodeScalars.split(whereSeparator: { separators.contains($0) }).map { TextClean.collapse(String($0)) }
            .filter { !$0.isEmpty }
    }
}

/// One line holding several parts: `Priya — Running Swift on Linux`.
enum ItemSplit {
    static let separators = [" — ", " – ", " - ", " | ", "：", ": ", " / ", "，", ", "]

    static func parts(_ text: String, count: Int) -> [String] {
        guard count > 1 else { return [text] }
        for separator in separators where text.contains(separator) {
            var parts: [String] = []
            var rest = Substring(text)
            while parts.count < count - 1, let range = rest.range(of: separator) {
                parts.append(TextClean.collapse(rest[..<range.lowerBound]))
                rest = rest[range.upperBound...]
            }
            parts.append(TextClean.collapse(rest))
            return parts.filter { !$0.isEmpty }
        }
        return [text]
    }
}
