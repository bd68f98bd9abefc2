import CLibXML2

#if canImport(Glibc)
import Glibc
#endif

/// rag's use of libxml2: the HTML parser in recover mode and a locked-down XML parser,
/// both driven through SAX so no tree is built.
enum LibXML {
    /// The allocator libxml2 uses: `mimalloc` when the system has it (ingest took 5% less
    /// CPU), else `malloc`. Set up once per process, before any other use of libxml2.
    static let allocator: String = {
        let mimalloc = rag_xml_use_mimalloc() == 0
        xmlInitParser()
        // Never fetch an external entity or DTD, whatever a document or option asks for.
        rag_xml_install_refusing_loader()
        return mimalloc ? "mimalloc" : "malloc"
    }()

    /// Sets libxml2 up once per process, and silences its messages on the calling thread
    /// (its handlers are thread-local). Every use of libxml2 starts with this.
    static func prepareThread() {
        _ = allocator
        rag_xml_silence_errors()
    }

    // libxml2 keeps its built-in handlers for the life of the process and never mutates them.
    nonisolated(unsafe) private static let utf8Handler = xmlFindCharEncodingHandler("UTF-8")

    // MARK: - HTML

    /// Parses UTF-8 HTML with libxml2's HTML parser in recover mode.
    static func parseHTML(_ utf8: [UInt8]) throws(IngestError) -> ExtractedText {
        prepareThread()
        var sax = htmlSAXHandler()
        sax.startElement = { ctx, name, attributes in
            guard let ctx, let name else { return }
            ctx.extractor.pointee.start(name: name, namespace: nil, attributes: HTMLAttributes(pairs: attributes))
        }
        sax.endElement = { ctx, _ in
            ctx?.extractor.pointee.end()
        }
        let characters: charactersSAXFunc = { ctx, bytes, count in
            guard let ctx, let bytes, count > 0 else { return }
            ctx.extractor.pointee.characters(UnsafeBufferPointer(start: bytes, count: Int(count)))
        }
        sax.characters = characters
        sax.ignorableWhitespace = characters
        sax.cdataBlock = characters

        var extractor = MarkupExtractor(dialect: .html)
        let parsed = withParse(of: utf8, context: &extractor) { document, count, extractor in
            guard let ctxt = htmlCreateMemoryParserCtxt(document, count) else { return false }
            defer { htmlFreeParserCtxt(ctxt) }
            ctxt.pointee.sax.pointee = sax
            ctxt.pointee.userData = extractor
            if let utf8Handler { xmlSwitchToEncoding(ctxt, utf8Handler) }
            let options =
                HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue
                | HTML_PARSE_NONET.rawValue | HTML_PARSE_NOIMPLIED.rawValue | HTML_PARSE_IGNORE_ENC.rawValue
            htmlCtxtUseOptions(ctxt, Int32(options))
            _ = htmlParseDocument(ctxt)
            return true
        }
        if !parsed { throw .malformed("the HTML parser could not start") }
        return extractor.finish()
    }

    /// A NUL-terminated string from libxml2 as bytes, without copying.
    fileprivate static func buffer(_ cString: UnsafePointer<xmlChar>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: cString, count: strlen(UnsafeRawPointer(cString).assumingMemoryBound(to: CChar.self)))
    }

    /// Runs `body` with the document as C characters and a pointer to `context`, which the
    /// parse's callbacks reach through the parser context: valid for the parse only, and
    /// the callbacks run only inside it.
    private static func withParse<Context, Result>(
        of utf8: [UInt8], context: inout Context,
        _ body: (_ document: UnsafePointer<CChar>, _ count: Int32, _ context: UnsafeMutableRawPointer) -> Result
    ) -> Result {
        withUnsafeMutablePointer(to: &context) { context in
            utf8.withUnsafeBufferPointer { buffer in
                let base = UnsafeRawPointer(buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!)
                    .assumingMemoryBound(to: CChar.self)
                return body(base, Int32(buffer.count), UnsafeMutableRawPointer(context))
            }
        }
    }

    // MARK: - XML

    /// What went wrong inside an XML parse, read back from the parser context.
    private struct XMLFailure {
        var code: Int32
        var message: String
        var line: Int32
    }

    /// Parses UTF-8 XML: no network, no external entity or DTD, bounded entity expansion,
    /// no recovery (a malformed document is an error with its line).
    static func parseXML(_ utf8: [UInt8]) throws(IngestError) -> ExtractedText {
        prepareThread()
        var sax = xmlSAXHandler()
        sax.initialized = UInt32(XML_SAX2_MAGIC)
        // Internal DTD subsets and internal entities go through libxml2's own SAX2 code,
        // which keeps them on the parser context's document; external ones are refused.
        sax.internalSubset = xmlSAX2InternalSubset
        sax.entityDecl = xmlSAX2EntityDecl
        // Every entity reference is looked up here: an external one is noted (and, with the
        // refusing loader, never loaded) so the document fails with a clear reason.
        sax.getEntity = { ctx, name in
            let entity = xmlSAX2GetEntity(ctx, name)
            if let ctx, let entity, entity.pointee.etype != XML_INTERNAL_GENERAL_ENTITY,
                entity.pointee.etype != XML_INTERNAL_PREDEFINED_ENTITY
            {
                XMLParseState.from(ctx).pointee.externalEntityRequested = true
            }
            return entity
        }
        sax.getParameterEntity = { ctx, name in
            let entity = xmlSAX2GetParameterEntity(ctx, name)
            if let ctx, let entity, entity.pointee.etype != XML_INTERNAL_PARAMETER_ENTITY {
                XMLParseState.from(ctx).pointee.externalEntityRequested = true
            }
            return entity
        }
        sax.unparsedEntityDecl = xmlSAX2UnparsedEntityDecl
        sax.startDocument = xmlSAX2StartDocument
        sax.resolveEntity = { ctx, _, _ in
            // An external entity was referenced: note it, load nothing.
            guard let ctx else { return nil }
            let ctxt = ctx.assumingMemoryBound(to: xmlParserCtxt.self)
            if let state = ctxt.pointee._private {
                state.assumingMemoryBound(to: XMLParseState.self).pointee.externalEntityRequested = true
            }
            return nil
        }
        sax.startElementNs = { ctx, localName, _, uri, _, _, attributeCount, _, attributes in
            guard let ctx, let localName else { return }
            let state = XMLParseState.from(ctx)
            let namespace = uri.map { state.pointee.extractor.names.entry($0).string }
            state.pointee.extractor.start(
                name: localName, namespace: namespace,
                attributes: XMLAttributes(pointer: attributes, count: Int(attributeCount)))
        }
        sax.endElementNs = { ctx, _, _, _ in
            guard let ctx else { return }
            XMLParseState.from(ctx).pointee.extractor.end()
        }
        let characters: charactersSAXFunc = { ctx, bytes, count in
            guard let ctx, let bytes, count > 0 else { return }
            let state = XMLParseState.from(ctx)
            // Entities can expand a small document into gigabytes of text (one large
            // entity used many times slips under libxml2's own checks): stop at a budget.
            state.pointee.textBytes += Int(count)
            if state.pointee.textBytes > state.pointee.textBudget {
                state.pointee.expansionExceeded = true
                xmlStopParser(ctx.assumingMemoryBound(to: xmlParserCtxt.self))
                return
            }
            state.pointee.extractor.characters(UnsafeBufferPointer(start: bytes, count: Int(count)))
        }
        sax.characters = characters
        sax.cdataBlock = characters

        var state = XMLParseState(extractor: MarkupExtractor(), textBudget: max(utf8.count * 4, 4 << 20))
        let failure: XMLFailure? = withParse(of: utf8, context: &state) { document, count, state in
            guard let ctxt = xmlCreateMemoryParserCtxt(document, count) else {
                return XMLFailure(code: -1, message: "the XML parser could not start", line: 0)
            }
            defer {
                if let doc = ctxt.pointee.myDoc { xmlFreeDoc(doc) }
                ctxt.pointee.myDoc = nil
                xmlFreeParserCtxt(ctxt)
            }
            ctxt.pointee.sax.pointee = sax
            ctxt.pointee._private = state
            if let utf8Handler { xmlSwitchToEncoding(ctxt, utf8Handler) }
            let options =
                XML_PARSE_NOENT.rawValue | XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue
                | XML_PARSE_NOWARNING.rawValue | XML_PARSE_IGNORE_ENC.rawValue | XML_PARSE_NOCDATA.rawValue
            xmlCtxtUseOptions(ctxt, Int32(options))
            _ = xmlParseDocument(ctxt)
            if ctxt.pointee.wellFormed != 0 { return nil }
            let error = ctxt.pointee.lastError
            let message = error.message.map { String(cString: $0).trimmed } ?? "not well-formed"
            return XMLFailure(code: Int32(error.code), message: message, line: Int32(error.line))
        }
        if state.externalEntityRequested { throw .externalEntity }
        if state.expansionExceeded { throw .entityExpansion }
        if let failure {
            switch failure.code {
            case Int32(XML_ERR_ENTITY_LOOP.rawValue):
                throw .entityExpansion
            default:
                if failure.message.lowercased().contains("amplification") { throw .entityExpansion }
                throw .malformed(failure.line > 0 ? "\(failure.message) (line \(failure.line))" : failure.message)
            }
        }
        return state.extractor.finish()
    }
}

/// SAX1 attributes (the HTML parser): name, value, name, value, ..., NULL.
private struct HTMLAttributes: AttributeSource {
    let pairs: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?

    var isEmpty: Bool { pairs?[0] == nil }

    func contains(where predicate: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> Bool) -> Bool {
        guard let pairs else { return false }
        var i = 0
        while let attribute = pairs[i] {
            let value = pairs[i + 1].map(LibXML.buffer) ?? UnsafeBufferPointer(start: nil, count: 0)
            if predicate(LibXML.buffer(attribute), value) { return true }
            i += 2
        }
        return false
    }
}

/// SAX2 attributes (the XML parser): localname, prefix, URI, value start, value end; repeated.
private struct XMLAttributes: AttributeSource {
    let pointer: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?
    let count: Int

    var isEmpty: Bool { count == 0 }

    func contains(where predicate: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> Bool) -> Bool {
        guard let pointer else { return false }
        for i in 0..<count {
            let base = i * 5
            guard let attribute = pointer[base], let start = pointer[base + 3], let end = pointer[base + 4] else { continue }
            if predicate(LibXML.buffer(attribute), UnsafeBufferPointer(start: start, count: end - start)) { return true }
        }
        return false
    }
}

/// Element names as Strings, made once per name: libxml2 interns names in a dictionary,
/// so the same name always comes at the same address within one parse.
struct NameCache {
    struct Entry {
        var string: String
        /// The element's role if the document is HTML, looked up once.
        var htmlRole: ElementRole
    }

    private var entries: [UnsafeRawPointer: Entry] = [:]

    mutating func entry(_ name: UnsafePointer<xmlChar>) -> Entry {
        let key = UnsafeRawPointer(name)
        if let cached = entries[key] { return cached }
        let string = String(cString: name)
        let entry = Entry(string: string, htmlRole: MarkupRules.html(string))
        entries[key] = entry
        return entry
    }
}

/// Per-parse state reachable from libxml2's XML callbacks, whose context argument must
/// stay the parser context for libxml2's own SAX2 entity handling to work: it hangs off
/// the context's `_private` pointer instead.
private struct XMLParseState {
    var extractor: MarkupExtractor
    var externalEntityRequested = false
    /// Text delivered so far, and how much a document of this size may deliver.
    var textBytes = 0
    let textBudget: Int
    var expansionExceeded = false

    init(extractor: MarkupExtractor, textBudget: Int) {
        self.extractor = extractor
        self.textBudget = textBudget
    }

    static func from(_ ctx: UnsafeMutableRawPointer) -> UnsafeMutablePointer<XMLParseState> {
        let ctxt = ctx.assumingMemoryBound(to: xmlParserCtxt.self)
        return ctxt.pointee._private!.assumingMemoryBound(to: XMLParseState.self)
    }
}

extension UnsafeMutableRawPointer {
    /// The HTML parser's callback context: the ``MarkupExtractor`` of the parse.
    fileprivate var extractor: UnsafeMutablePointer<MarkupExtractor> {
        assumingMemoryBound(to: MarkupExtractor.self)
    }
}
