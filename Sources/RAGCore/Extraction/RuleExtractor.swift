import Synchronization

/// The built-in extractor: no network, no model. It fills a schema from the source's
/// structure first (tables with header cells, definition lists, `label: value` lines,
/// `<meta>`, `<time>`, `<a href>`, headings, XML elements), looking for each property
/// under its name and description and their English and Chinese synonyms, then reads the
/// value by type and format. A value next to a matching label beats a value that merely
/// looks right, and main content beats navigation and footers.
public struct RuleExtractor: Extractor {
    /// Labels of the properties seen so far, kept with the extractor.
    private let labelCache = LabelCache()

    public init() {}

    public func extract(_ input: ExtractionInput) async throws -> ExtractionResult {
        try fill(input)
    }

    func fill(_ input: ExtractionInput) throws(ExtractionError) -> ExtractionResult {
        let filler = SchemaFiller(evidence: Evidence.build(input.segments), labelCache: labelCache)
        let root = filler.fillMembers(input.schema.root, objectLabels: .empty, scope: filler.rootScope, path: "", ownsScope: true)
        if !root.missing.isEmpty { throw .incomplete(root.missing) }
        let sources = root.cites.map { cite in
            let segment = input.segments[cite.segment]
            return SourceReference(
                path: cite.path, docID: segment.docID, passageID: segment.passageID, snippet: cite.snippet)
        }
        return ExtractionResult(data: .object(root.values), sources: sources)
    }
}

/// Fills schema nodes from the evidence of one request.
struct SchemaFiller {
    struct Cite: Sendable {
        var path: String
        var segment: Int
        var snippet: String
    }

    struct Filled {
        var value: JSONValue
        var cites: [Cite]
    }

    enum Outcome {
        case found(Filled)
        /// Some of it was found, but not these required parts.
        case missing([String])
        case absent
    }

    /// The part of the evidence a node is filled from.
    struct Scope {
        var range: Range<Int>
        /// The heading that labels it, a name for its name-like property.
        var heading: String?
        var isRoot = false
    }

    /// What one property is looked for as.
    struct Context {
        var labels: LabelSet
        /// The enclosing object's labels, for parts of a compound value ("Price: 1,299.00
        /// USD" gives a price's amount and its currency).
        var anchor: LabelSet?
        var hints: ValueHints
        var isRequired: Bool
        /// A name (`name`, `title`) of what the scope is about: its heading names it too.
        var isNameOfScope: Bool
        /// For a name: the words a label may add to it. "Site name" is not a product's
        /// name, "Product name" is when the object is about a product.
        var qualifiers: Set<UInt64>?
        /// The property's (and its items') description, for the order parts are listed in.
        var description: String
    }

    struct Members {
        var values: [String: JSONValue] = [:]
        var cites: [Cite] = []
        var missing: [String] = []
        var found = false
    }

    let evidence: Evidence
    let labelCache: LabelCache

    var rootScope: Scope { Scope(range: 0..<max(evidence.end, 1), heading: nil, isRoot: true) }

    static let nameWords: Set<String> = ["name", "title", "label", "headline", "名称", "标题", "姓名", "名字"]

    func context(
        for property: SchemaNode.Property, objectLabels: LabelSet, about: Set<UInt64>, soleString: Bool, ownsScope: Bool
    ) -> Context {
        let schema = property.schema
        let (labels, hints) = labelCache.labels(name: property.name, schema: schema)
        let nameLike = LabelText.rawWords(property.name).last.map(Self.nameWords.contains) ?? false
        let kinds = schema.fillKinds
        let anchored =
            kinds.contains(.number) || kinds.contains(.integer) || kinds.contains(.boolean) || schema.format != nil
            || schema.enumValues != nil || hints.role != .plain || nameLike || soleString
        return Context(
            labels: labels, anchor: objectLabels.isEmpty || !anchored ? nil : objectLabels.scaled(0.8), hints: hints,
            isRequired: property.isRequired, isNameOfScope: nameLike && ownsScope,
            qualifiers: nameLike ? labels.allTokens.union(about) : nil,
            description: [schema.description, schema.items?.description].compactMap { $0 }.joined(separator: " "))
    }

    func fill(_ schema: SchemaNode, _ context: Context, scope: Scope, path: String) -> Outcome {
        switch schema.fillKinds.first {
        case .object?: fillObject(schema, context, scope: scope, path: path)
        case .array?: fillArray(schema, context, scope: scope, path: path)
        default: fillScalar(schema, context, scope: scope, path: path)
        }
    }

    // MARK: - Objects

    /// `ownsScope`: the scope is about this object (the whole source for the root, a list
    /// item), so its title or heading names it.
    func fillMembers(_ schema: SchemaNode, objectLabels: LabelSet, scope: Scope, path: String, ownsScope: Bool) -> Members {
        var members = Members()
        // What the object is about, from its label and its own title and description.
        let about = objectLabels.allTokens.union(labelCache.described(schema).tokens)
        let plainStrings = schema.properties.filter {
            $0.schema.fillKinds.first == .string && $0.schema.format == nil && $0.schema.enumValues == nil
        }
        for property in schema.properties {
            let childPath = JSONPointer.appending(path, property.name)
            let context = context(
                for: property, objectLabels: objectLabels, about: about,
                soleString: plainStrings.count == 1 && plainStrings[0].name == property.name, ownsScope: ownsScope)
            switch fill(property.schema, context, scope: scope, path: childPath) {
            case .found(let filled):
                members.values[property.name] = filled.value
                members.cites += filled.cites
                members.found = true
            case .missing(let paths):
                if property.isRequired { members.missing += paths }
            case .absent:
                guard property.isRequired else { break }
                if property.schema.allowsNull {
                    members.values[property.name] = .null
                } else {
                    members.missing.append(childPath)
                }
            }
        }
        if schema.properties.isEmpty, schema.additionalProperties, scope.heading != nil {
            // A free-form object: the labelled values of the part it names.
            for field in evidence.fields(in: scope.range) where field.weight >= 0.85 && members.values[field.label] == nil {
                members.values[field.label] = .string(field.value.text)
                members.cites.append(
                    Cite(path: JSONPointer.appending(path, field.label), segment: field.segment, snippet: field.snippet))
                members.found = true
            }
        }
        return members
    }

    /// An object is filled from the part of the document its label names, if there is
    /// one (`<author>`, a "Shipping & returns" section), else from the enclosing scope.
    private func fillObject(_ schema: SchemaNode, _ context: Context, scope: Scope, path: String) -> Outcome {
        var scopes: [(scope: Scope, owned: Bool)] = []
        // A section found by the object's label is headed by that label, not by a name.
        if let section = bestSection(context.labels, in: scope) { scopes.append((section, false)) }
        scopes.append((scope, false))
        var partial: Members?
        for candidate in scopes {
            let members = fillMembers(
                schema, objectLabels: context.labels, scope: candidate.scope, path: path, ownsScope: candidate.owned)
            guard members.found else { continue }
            if members.missing.isEmpty {
                return .found(Filled(value: .object(members.values), cites: members.cites))
            }
            if partial == nil || members.values.count > partial!.values.count { partial = members }
        }
        guard let partial else { return .absent }
        return .missing(partial.missing)
    }

    func bestSection(_ labels: LabelSet, in scope: Scope) -> Scope? {
        guard !labels.isEmpty else { return nil }
        var best: (score: Double, section: Section)?
        for section in evidence.sections
        where scope.range.contains(section.range.lowerBound) && section.range != scope.range {
            let score = labels.score(section.key)
            guard score >= LabelSet.threshold else { continue }
            let total = score * section.weight
            if best == nil || total > best!.score { best = (total, section) }
        }
        guard let best else { return nil }
        return Scope(range: best.section.range.clamped(to: scope.range), heading: best.section.label)
    }

    // MARK: - Scalars

    private func fillScalar(_ schema: SchemaNode, _ context: Context, scope: Scope, path: String) -> Outcome {
        var best: (score: Double, value: JSONValue, field: Field)?
        for field in evidence.fields(in: scope.range) {
            var score = context.labels.score(field.key)
            if let anchor = context.anchor { score = max(score, anchor.score(field.key)) }
            if let qualifiers = context.qualifiers, !field.key.tokens.isSubset(of: qualifiers) { score *= 0.75 }
            guard score >= LabelSet.threshold else { continue }
            let total = score * field.weight
            if let best, total <= best.score { continue }
            guard let value = Coercer.coerce(field.value, to: schema, hints: context.hints) else { continue }
            best = (total, value, field)
        }
        if let best {
            return .found(Filled(value: best.value, cites: [Cite(path: path, segment: best.field.segment, snippet: best.field.snippet)]))
        }
        if context.isNameOfScope, schema.format == nil, schema.enumValues == nil, schema.fillKinds.first == .string,
            let title = title(in: scope)
        {
            return .found(
                Filled(value: .string(title.text), cites: [Cite(path: path, segment: title.segment, snippet: Snippet.make(title.text))]))
        }
        if context.isRequired, schema.format != nil, let (value, block) = uniqueValue(schema, context, scope: scope) {
            return .found(
                Filled(value: value, cites: [Cite(path: path, segment: block.segment, snippet: Snippet.make(block.value.text))]))
        }
        return .absent
    }

    /// The name of what a scope is about: its heading, or for the whole source its main
    /// heading, `og:title` or `<title>`.
    private func title(in scope: Scope) -> TitleCandidate? {
        if let heading = scope.heading {
            return TitleCandidate(text: heading, position: scope.range.lowerBound, weight: 1, segment: evidence.segment(at: scope.range.lowerBound))
        }
        if !scope.isRoot {
            guard let section = evidence.sections.first(where: { scope.range.contains($0.range.lowerBound) }) else { return nil }
            return TitleCandidate(text: section.label, position: section.range.lowerBound, weight: 1, segment: evidence.segment(at: section.range.lowerBound))
        }
        var best: TitleCandidate?
        for title in evidence.titles where scope.range.contains(title.position) {
            if best == nil || title.weight > best!.weight { best = title }
        }
        return best
    }

    /// For a required value whose format identifies it (an email), the one such value in
    /// the main content, if there is exactly one.
    private func uniqueValue(_ schema: SchemaNode, _ context: Context, scope: Scope) -> (JSONValue, TextBlock)? {
        var found: (JSONValue, TextBlock)?
        for block in evidence.blocks where block.weight >= 1 && scope.range.contains(block.position) {
            guard let value = Coercer.coerce(block.value, to: schema, hints: context.hints) else { continue }
            if let found, found.0 != value { return nil }
            if found == nil { found = (value, block) }
        }
        return found
    }
}

/// Each property's labels and hints, made once per extractor: a list of a hundred items
/// asks for the same properties a hundred times, and clients send the same schemas again
/// and again.
final class LabelCache: Sendable {
    private let entries = Mutex<[String: (LabelSet, ValueHints)]>([:])
    private let descriptions = Mutex<[String: LabelKey]>([:])
    private static let capacity = 4096

    func labels(name: String, schema: SchemaNode) -> (LabelSet, ValueHints) {
        let key = [name, schema.title ?? "", schema.description ?? ""].joined(separator: "\u{1}")
        if let cached = entries.withLock({ $0[key] }) { return cached }
        let labels = LabelSet(name: name, schema: schema)
        let entry = (labels, ValueHints(name: name, schema: schema, labels: labels))
        self.entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = entry
        }
        return entry
    }

    /// What a schema's own title and description say.
    func described(_ schema: SchemaNode) -> LabelKey {
        let text = [schema.title, schema.description].compactMap { $0 }.joined(separator: " ")
        if let cached = descriptions.withLock({ $0[text] }) { return cached }
        let key = LabelKey(text)
        self.descriptions.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[text] = key
        }
        return key
    }
}

extension Evidence {
    /// Fields whose position is in a range, by binary search (fields are in position order).
    func fields(in range: Range<Int>) -> ArraySlice<Field> {
        func firstIndex(atLeast position: Int) -> Int {
            var low = 0
            var high = fields.count
            while low < high {
                let mid = (low + high) / 2
                if fields[mid].position < position { low = mid + 1 } else { high = mid }
            }
            return low
        }
        return fields[firstIndex(atLeast: range.lowerBound)..<firstIndex(atLeast: range.upperBound)]
    }

    /// Which segment a position belongs to.
    func segment(at position: Int) -> Int {
        var segment = 0
        for (i, start) in segmentStarts.enumerated() where start <= position { segment = i }
        return segment
    }
}
