import CLibXML2

/// rag's use of libxml2: the HTML parser in recover mode and a locked-down XML parser,
/// both driven through SAX so no tree is built.
enum LibXML {
    /// Called once per process before any parsing.
    static let setUp: Void = {
        xmlInitParser()
        // Never fetch an external entity or DTD, whatever a document or option asks for.
        rag_xml_install_refusing_loader()
    }()

    /// Silences libxml2's messages on the calling thread (its handlers are thread-local).
    private static func prepareThread() {
        _ = setUp
        rag_xml_silence_errors()
    }

    // libxml2 keeps its built-in handlers for the life of the process and never mutates them.
    nonisolated(unsafe) private static let utf8Handler = xmlFindCharEncodingHandler("UTF-8")

    // MARK: - HTML

    /// Parses UTF-8 HTML with libxml2's HTML parser in recover mode.
    static func parseHTML(_ utf8: [UInt8]) throws(IngestError) -> ExtractedText {
        prepareThread()
        let extractor = MarkupExtractor(dialect: .html)
        var sax = htmlSAXHandler()
        sax.startElement = { ctx, name, attributes in
            guard let ctx, let name else { return }
            let extractor = Unmanaged<MarkupExtractor>.fromOpaque(ctx).takeUnretainedValue()
            let tag = String(cString: name)
            extractor.start(name: tag, namespace: nil, hasAttributes: attributes != nil) { wanted in
                LibXML.htmlAttribute(attributes, named: wanted)
            }
        }
        sax.endElement = { ctx, _ in
            guard let ctx else { return }
            Unmanaged<MarkupExtractor>.fromOpaque(ctx).takeUnretainedValue().end()
        }
        let characters: charactersSAXFunc = { ctx, bytes, count in
            guard let ctx, let bytes, count > 0 else { return }
            Unmanaged<MarkupExtractor>.fromOpaque(ctx).takeUnretainedValue()
                .characters(UnsafeBufferPointer(start: bytes, count: Int(count)))
        }
        sax.characters = characters
        sax.ignorableWhitespace = characters
        sax.cdataBlock = characters

        let parsed: Bool = utf8.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!)
                .assumingMemoryBound(to: CChar.self)
            guard let ctxt = htmlCreateMemoryParserCtxt(base, Int32(buffer.count)) else { return false }
            defer { htmlFreeParserCtxt(ctxt) }
            ctxt.pointee.sax.pointee = sax
            ctxt.pointee.userData = Unmanaged.passUnretained(extractor).toOpaque()
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

    fileprivate static func htmlAttribute(
        _ attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?, named wanted: String
    ) -> Substring? {
        guard let attributes else { return nil }
        var i = 0
        while let name = attributes[i] {
            if matches(name, wanted) {
                guard let value = attributes[i + 1] else { return "" }
                return Substring(String(cString: value))
            }
            i += 2
        }
        return nil
    }

    /// Compares a NUL-terminated C string with a Swift string without allocating.
    fileprivate static func matches(_ cString: UnsafePointer<xmlChar>, _ wanted: String) -> Bool {
        var i = 0
        for byte in wanted.utf8 {
            if cString[i] != byte { return false }
            i += 1
        }
        return cString[i] == 0
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
        let extractor = MarkupExtractor()
        var sax = xmlSAXHandler()
        sax.initialized = UInt32(XML_SAX2_MAGIC)
        // Internal DTD subsets and internal entities go through libxml2's own SAX2 code,
        // which keeps them on the parser context's document; external ones are refused.
        sax.internalSubset = xmlSAX2InternalSubset
        sax.entityDecl = xmlSAX2EntityDecl
        sax.getEntity = xmlSAX2GetEntity
        sax.getParameterEntity = xmlSAX2GetParameterEntity
        sax.unparsedEntityDecl = xmlSAX2UnparsedEntityDecl
        sax.startDocument = xmlSAX2StartDocument
        sax.resolveEntity = { ctx, _, _ in
            // An external entity was referenced: note it, load nothing.
            guard let ctx else { return nil }
            let ctxt = ctx.assumingMemoryBound(to: xmlParserCtxt.self)
            if let state = ctxt.pointee._private {
                Unmanaged<XMLParseState>.fromOpaque(state).takeUnretainedValue().externalEntityRequested = true
            }
            return nil
        }
        sax.startElementNs = { ctx, localName, _, uri, _, _, attributeCount, _, attributes in
            guard let ctx, let localName else { return }
            let state = XMLParseState.from(ctx)
            let name = String(cString: localName)
            let namespace = uri.map { String(cString: $0) }
            state.extractor.start(name: name, namespace: namespace, hasAttributes: attributeCount > 0) { wanted in
                guard let attributes, attributeCount > 0 else { return nil }
                for i in 0..<Int(attributeCount) {
                    let base = i * 5
                    guard let attrName = attributes[base], LibXML.matches(attrName, wanted),
                        let start = attributes[base + 3], let end = attributes[base + 4]
                    else { continue }
                    return Substring(String(decoding: UnsafeBufferPointer(start: start, count: end - start), as: UTF8.self))
                }
                return nil
            }
        }
        sax.endElementNs = { ctx, _, _, _ in
            guard let ctx else { return }
            XMLParseState.from(ctx).extractor.end()
        }
        let characters: charactersSAXFunc = { ctx, bytes, count in
            guard let ctx, let bytes, count > 0 else { return }
            XMLParseState.from(ctx).extractor.characters(UnsafeBufferPointer(start: bytes, count: Int(count)))
        }
        sax.characters = characters
        sax.cdataBlock = characters

        let state = XMLParseState(extractor: extractor)
        let failure: XMLFailure? = utf8.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!)
                .assumingMemoryBound(to: CChar.self)
            guard let ctxt = xmlCreateMemoryParserCtxt(base, Int32(buffer.count)) else {
                return XMLFailure(code: -1, message: "the XML parser could not start", line: 0)
            }
            defer {
                if let doc = ctxt.pointee.myDoc { xmlFreeDoc(doc) }
                ctxt.pointee.myDoc = nil
                xmlFreeParserCtxt(ctxt)
            }
            ctxt.pointee.sax.pointee = sax
            ctxt.pointee._private = Unmanaged.passUnretained(state).toOpaque()
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
        if let failure {
            switch failure.code {
            case Int32(XML_ERR_ENTITY_LOOP.rawValue):
                throw .entityExpansion
            default:
                if failure.message.lowercased().contains("amplification") { throw .entityExpansion }
                throw .malformed(failure.line > 0 ? "\(failure.message) (line \(failure.line))" : failure.message)
            }
        }
        return extractor.finish()
    }
}

/// Per-parse state reachable from libxml2's XML callbacks, whose context argument must
/// stay the parser context for libxml2's own SAX2 entity handling to work.
private final class XMLParseState {
    let extractor: MarkupExtractor
    var externalEntityRequested = false

    init(extractor: MarkupExtractor) {
        self.extractor = extractor
    }

    static func from(_ ctx: UnsafeMutableRawPointer) -> XMLParseState {
        let ctxt = ctx.assumingMemoryBound(to: xmlParserCtxt.self)
        return Unmanaged<XMLParseState>.fromOpaque(ctxt.pointee._private!).takeUnretainedValue()
    }
}
