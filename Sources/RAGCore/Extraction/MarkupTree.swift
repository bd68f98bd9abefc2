import CLibXML2

#if canImport(Glibc)
import Glibc
#endif

/// An HTML or XML document as a Swift value: libxml2 parses it into its own tree, which is
/// copied once into this flat, preorder array and freed. Extraction needs to look back
/// and around (a label before a value, a header above a cell), which SAX cannot give.
struct MarkupTree: Sendable {
    struct Node: Sendable {
        /// The element's local name (lower-case for HTML); empty for a text node.
        var name: String
        /// A text node's text.
        var text: String
        var attributes: [String: String]
        var parent: Int
        /// One past the node's last descendant: its subtree is `index..<end`.
        var end: Int

        var isElement: Bool { !name.isEmpty }
    }

    enum Dialect: Sendable {
        case html, xml
    }

    var nodes: [Node] = []
    var dialect: Dialect

    /// Elements whose content is never data: code, styling, embedded media, form controls.
    static let skippedHTML: Set<String> = [
        "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed", "canvas", "select",
        "textarea", "button", "option", "datalist", "audio", "video", "map", "input",
    ]

    /// Parses HTML in libxml2's recover mode; never fails (broken markup still has text).
    static func html(_ source: String) -> MarkupTree {
        LibXML.prepareThread()
        var bytes = Array(source.utf8)
        if bytes.isEmpty { bytes = [32] }
        let options =
            HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue
            | HTML_PARSE_NONET.rawValue | HTML_PARSE_IGNORE_ENC.rawValue
        let doc = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                htmlReadMemory($0, Int32(buffer.count), nil, "UTF-8", Int32(options))
            }
        }
        guard let doc else { return MarkupTree(dialect: .html) }
        defer { xmlFreeDoc(doc) }
        return convert(doc, dialect: .html)
    }

    /// Parses XML with no network, no DTD loading and no entity substitution (an entity
    /// bomb stays unexpanded); `nil` if the document is not well-formed.
    static func xml(_ source: String) -> MarkupTree? {
        LibXML.prepareThread()
        let bytes = Array(source.utf8)
        guard !bytes.isEmpty else { return nil }
        let options =
            XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue
            | XML_PARSE_IGNORE_ENC.rawValue | XML_PARSE_NOCDATA.rawValue
        let doc = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                xmlReadMemory($0, Int32(buffer.count), nil, "UTF-8", Int32(options))
            }
        }
        guard let doc else { return nil }
        defer { xmlFreeDoc(doc) }
        let tree = convert(doc, dialect: .xml)
        // XHTML is HTML with XML syntax: its structure means what HTML's does.
        if tree.nodes.first(where: \.isElement)?.name.lowercased() == "html" {
            var html = tree
            html.dialect = .html
            return html
        }
        return tree
    }

    /// Copies libxml2's tree without recursion (documents can nest deeply).
    private static func convert(_ doc: xmlDocPtr, dialect: Dialect) -> MarkupTree {
        var tree = MarkupTree(dialect: dialect)
        var stack: [(index: Int, next: xmlNodePtr?)] = []
        var cursor: xmlNodePtr? = doc.pointee.children
        var parent = -1
        while true {
            guard let node = cursor else {
                guard let open = stack.popLast() else { break }
                tree.nodes[open.index].end = tree.nodes.count
                parent = tree.nodes[open.index].parent
                cursor = open.next
                continue
            }
            switch node.pointee.type {
            case XML_ELEMENT_NODE:
                var name = node.pointee.name.map { String(cString: $0) } ?? ""
                if dialect == .html {
                    name = name.lowercased()
                    if skippedHTML.contains(name) { break }
                }
                if name.isEmpty { break }
                var attributes: [String: String] = [:]
                var attribute = node.pointee.properties
                while let a = attribute {
                    if let attributeName = a.pointee.name {
                        var value = ""
                        var child = a.pointee.children
                        while let c = child {
                            if let content = c.pointee.content { value += String(cString: content) }
                            child = c.pointee.next
                        }
                        attributes[String(cString: attributeName).lowercased()] = value
                    }
                    attribute = a.pointee.next
                }
                let index = tree.nodes.count
                tree.nodes.append(Node(name: name, text: "", attributes: attributes, parent: parent, end: index + 1))
                if let children = node.pointee.children {
                    stack.append((index, node.pointee.next))
                    parent = index
                    cursor = children
                    continue
                }
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                if let content = node.pointee.content {
                    let index = tree.nodes.count
                    tree.nodes.append(
                        Node(name: "", text: String(cString: content), attributes: [:], parent: parent, end: index + 1))
                }
            default:
                break
            }
            cursor = node.pointee.next
        }
        return tree
    }

    /// The concatenated text of a subtree.
    func text(of index: Int) -> String {
        var out = ""
        for i in index..<nodes[index].end where !nodes[i].isElement {
            out += nodes[i].text
        }
        return out
    }

    /// Direct children of an element.
    func children(of index: Int) -> [Int] {
        var result: [Int] = []
        var child = index + 1
        while child < nodes[index].end {
            result.append(child)
            child = nodes[child].end
        }
        return result
    }
}
