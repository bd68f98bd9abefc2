/// Reads an XML tree (DocBook, Atom, any vocabulary): element names are the labels. A leaf
/// element is a field; an element with children is a labelled part (so an `author` object
/// is filled from inside `<author>`) and also a field holding all its text; same-named
/// siblings are a list.
struct XMLEvidence {
    let tree: MarkupTree
    let segment: Int
    let offset: Int

    func build() -> Evidence {
        var evidence = Evidence()
        let nodes = tree.nodes
        var texts = [String](repeating: "", count: nodes.count)
        var hasElementChildren = [Bool](repeating: false, count: nodes.count)
        // Bottom-up, so each element's text is built from its children's once.
        for i in nodes.indices.reversed() {
            guard nodes[i].isElement else { continue }
            var parts: [String] = []
            for child in tree.children(of: i) {
                if nodes[child].isElement {
                    hasElementChildren[i] = true
                    parts.append(texts[child])
                } else {
                    parts.append(nodes[child].text)
                }
            }
            texts[i] = TextClean.collapse(parts.joined(separator: " "))
        }
        var sawTitle = false
        for i in nodes.indices where nodes[i].isElement {
            let node = nodes[i]
            let position = offset + i
            let links = ["href", "url", "uri"].compactMap { node.attributes[$0] }.filter { !$0.isEmpty }
            let value = ValueText(text: texts[i], links: links)
            if hasElementChildren[i] {
                evidence.sections.append(
                    Section(label: node.name, key: LabelKey(node.name), range: position..<(offset + node.end), weight: 1))
                if !value.text.isEmpty {
                    evidence.fields.append(
                        Field(label: node.name, value: value, position: position, weight: 0.85, segment: segment))
                }
                addLists(under: i, texts: texts, into: &evidence)
            } else if !value.text.isEmpty || !links.isEmpty {
                evidence.fields.append(Field(label: node.name, value: value, position: position, weight: 1, segment: segment))
                evidence.blocks.append(TextBlock(value: value, position: position, weight: 1, segment: segment))
                // Prose inside an element can still say `Label: value`.
                for line in tree.text(of: i).split(separator: "\n") {
                    for (label, range) in LabelLine.splitAll(line) {
                        let text = TextClean.collapse(line[range])
                        if !text.isEmpty {
                            evidence.fields.append(
                                Field(label: label, value: ValueText(text: text), position: position, weight: 0.9, segment: segment))
                        }
                    }
                }
            }
            if node.name == "title", !sawTitle, !value.text.isEmpty {
                sawTitle = true
                evidence.titles.append(TitleCandidate(text: value.text, position: position, weight: 0.6, segment: segment))
            }
        }
        evidence.end = offset + nodes.count
        return evidence
    }

    private func addLists(under parent: Int, texts: [String], into evidence: inout Evidence) {
        var groups: [(name: String, members: [Int])] = []
        for child in tree.children(of: parent) where tree.nodes[child].isElement {
            let name = tree.nodes[child].name
            if let g = groups.firstIndex(where: { $0.name == name }) {
                groups[g].members.append(child)
            } else {
                groups.append((name, [child]))
            }
        }
        for group in groups where group.members.count >= 2 {
            let items = group.members.map {
                ItemList.Item(value: ValueText(text: texts[$0]), range: (offset + $0)..<(offset + tree.nodes[$0].end))
            }
            evidence.lists.append(
                ItemList(
                    labels: [LabelKey(group.name)], items: items, position: offset + group.members[0], weight: 1,
                    segment: segment))
        }
    }
}
