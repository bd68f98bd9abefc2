import Foundation
import Testing
import RAGTestSupport

@testable import RAGCore

@Suite("The rule extractor")
struct ExtractionRuleTests {
    static func extract(_ content: String, _ kind: ContentSegment.Kind, schema: JSONValue) throws -> ExtractionResult {
        let checked = try ExtractionSchema(schema)
        let result = try RuleExtractor().fill(
            ExtractionInput(schema: checked, segments: [ContentSegment(kind: kind, content: content)]))
        let answer = try ExtractionService.checked(result, against: checked)
        // Every answer is also checked by an independent validator.
        IndependentValidator.expectValid(answer.data, schema, "\(kind) extraction")
        return answer
    }

    static func schema(_ text: String) -> JSONValue { JSONValue.parse(Array(text.utf8))! }

    @Test("A required value the page does not have is reported missing, not invented")
    func incomplete() throws {
        let page = try ExtractionFixture.text("product-page.html")
        let expected = try ExtractionFixture.json("incomplete.expected.json")
        let error = #expect(throws: ExtractionError.self) {
            try Self.extract(page, .html, schema: try ExtractionFixture.json("incomplete.schema.json"))
        }
        #expect(error?.code == "extraction_incomplete")
        #expect(error?.status == 422)
        #expect(error?.extra["missing"] == expected["missing"])
    }

    @Test("English property names find Chinese labels, and the other way round")
    func bilingual() throws {
        let text = "个人信息\n\n姓名：张三\n年龄：28岁\n地址：北京市海淀区中关村大街1号\n电话：010-12345678\n出生日期：1998年2月3日"
        let schema = Self.schema(
            #"{"type":"object","required":["name","age","address"],"properties":{"name":{"type":"string"},"age":{"type":"integer","minimum":0,"maximum":150},"address":{"type":"string"},"phone":{"type":"string"},"birthday":{"type":"string","format":"date"}}}"#)
        let result = try Self.extract(text, .text, schema: schema)
        #expect(result.data == Self.schema(#"{"name":"张三","age":28,"address":"北京市海淀区中关村大街1号","phone":"010-12345678","birthday":"1998-02-03"}"#))
        let english = try Self.extract(
            "<dl><dt>Name</dt><dd>Li Wei</dd><dt>Age</dt><dd>41</dd></dl>", .html,
            schema: Self.schema(#"{"type":"object","properties":{"xingming":{"type":"string","description":"姓名 / name"},"nianling":{"type":"integer","description":"年龄"}}}"#))
        #expect(english.data == Self.schema(#"{"xingming":"Li Wei","nianling":41}"#))
    }

    @Test("Markdown: label lines, headings and lists")
    func markdown() throws {
        let text = "# Spring Fair\n\nDate: 1 April 2026\nEntry: $12 per person\n\n## Stalls\n\n- Bread\n- Cheese\n- Cider\n"
        let schema = Self.schema(
            #"{"type":"object","required":["title","date"],"properties":{"title":{"type":"string"},"date":{"type":"string","format":"date"},"entry":{"type":"object","properties":{"amount":{"type":"number"},"currency":{"type":"string","description":"currency code"}}},"stalls":{"type":"array","items":{"type":"string"}}}}"#)
        let result = try Self.extract(text, .markdown, schema: schema)
        #expect(result.data == Self.schema(#"{"title":"Spring Fair","date":"2026-04-01","entry":{"amount":12,"currency":"USD"},"stalls":["Bread","Cheese","Cider"]}"#))
    }

    @Test("Arrays of objects from repeated XML elements and from labelled list items")
    func repeatedStructures() throws {
        let xml = """
            <company><name>Northwind</name><branches>
            <branch><city>Leeds</city><opened>2019-04-01</opened><phone>+44 113 000</phone></branch>
            <branch><city>York</city><opened>3 May 2021</opened></branch>
            </branches></company>
            """
        let schema = Self.schema(
            #"{"type":"object","properties":{"name":{"type":"string"},"branches":{"type":"array","items":{"type":"object","required":["city"],"properties":{"city":{"type":"string"},"opened":{"type":"string","format":"date"},"phone":{"type":"string"}}}}}}"#)
        let result = try Self.extract(xml, .xml, schema: schema)
        #expect(result.data == Self.schema(#"{"name":"Northwind","branches":[{"city":"Leeds","opened":"2019-04-01","phone":"+44 113 000"},{"city":"York","opened":"2021-05-03"}]}"#))

        let html = """
            <main><h2>Contacts</h2><ul>
            <li><b>Name:</b> Ann Lee<br>Email: <a href="mailto:ann@x.org">ann@x.org</a></li>
            <li><b>Name:</b> Bo Chen<br>Email: bo@x.org</li>
            </ul><ul><li>Unrelated</li></ul></main>
            """
        let contacts = Self.schema(
            #"{"type":"object","properties":{"contacts":{"type":"array","items":{"type":"object","required":["name","email"],"properties":{"name":{"type":"string"},"email":{"type":"string","format":"email"}}}}}}"#)
        #expect(try Self.extract(html, .html, schema: contacts).data == Self.schema(#"{"contacts":[{"name":"Ann Lee","email":"ann@x.org"},{"name":"Bo Chen","email":"bo@x.org"}]}"#))
    }

    @Test("Optional values that are not there are absent; required ones that may be null are null")
    func absentAndNull() throws {
        let schema = Self.schema(
            #"{"type":"object","required":["name","fax"],"properties":{"name":{"type":"string"},"fax":{"type":["string","null"]},"email":{"type":"string","format":"email"},"founded":{"type":"string","format":"date"}}}"#)
        let result = try Self.extract("Name: Quill & Co\nPhone: 555 0100", .text, schema: schema)
        #expect(result.data == Self.schema(#"{"name":"Quill & Co","fax":null}"#))
        #expect(result.sources.map(\.path) == ["/name"])
    }

    @Test("A partly found required object reports its missing members")
    func partialObject() throws {
        let schema = Self.schema(
            #"{"type":"object","required":["price"],"properties":{"price":{"type":"object","required":["amount","valid_until"],"properties":{"amount":{"type":"number"},"valid_until":{"type":"string","format":"date"}}}}}"#)
        let error = #expect(throws: ExtractionError.self) { try Self.extract("Price: 12.50", .text, schema: schema) }
        #expect(error?.extra["missing"] == .array([.string("/price/valid_until")]))
        let whole = #expect(throws: ExtractionError.self) { try Self.extract("Nothing here.", .text, schema: schema) }
        #expect(whole?.extra["missing"] == .array([.string("/price")]))
    }

    @Test("Main content beats the footer; the footer is used when it is all there is")
    func zones() throws {
        let schema = Self.schema(#"{"type":"object","required":["email"],"properties":{"email":{"type":"string","format":"email"}}}"#)
        let both = "<body><footer><p>Email: footer@x.org</p></footer><main><p>Email: main@x.org</p></main></body>"
        #expect(try Self.extract(both, .html, schema: schema).data == Self.schema(#"{"email":"main@x.org"}"#))
        let footer = "<body><main><p>Welcome.</p></main><footer><p>Email: footer@x.org</p></footer></body>"
        #expect(try Self.extract(footer, .html, schema: schema).data == Self.schema(#"{"email":"footer@x.org"}"#))
        // A required email with no label: the one address in the main content.
        let unlabelled = "<body><main><p>Questions? Write to help@x.org any time.</p></main><footer>press@x.org</footer></body>"
        #expect(try Self.extract(unlabelled, .html, schema: schema).data == Self.schema(#"{"email":"help@x.org"}"#))
    }

    @Test("Hostile markup: entities stay unexpanded and deep nesting is fine")
    func hostile() throws {
        let bomb = """
            <?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
            <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
            <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
            <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"><!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
            <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
            <doc><title>Bomb</title><note>&lol9;</note></doc>
            """
        let schema = Self.schema(#"{"type":"object","properties":{"title":{"type":"string"},"note":{"type":"string"}}}"#)
        let clock = ContinuousClock()
        let start = clock.now
        let result = try Self.extract(bomb, .xml, schema: schema)
        #expect(clock.now - start < .seconds(2))
        #expect((result.data["note"]?.stringValue?.count ?? 0) < 1000)
        let deep = String(repeating: "<div>", count: 20000) + "Email: deep@x.org" + String(repeating: "</div>", count: 20000)
        let email = Self.schema(#"{"type":"object","properties":{"email":{"type":"string","format":"email"}}}"#)
        _ = try Self.extract(deep, .html, schema: email)
    }

    @Test("A bare name is what the page is about, not the site's name; units in property names convert")
    func namesAndUnits() throws {
        let page = try ExtractionFixture.text("product-page.html")
        let schema = Self.schema(
            #"{"type":"object","required":["name"],"properties":{"name":{"type":"string"},"weight_g":{"type":"integer"},"power_kw":{"type":"number"},"manufacturer":{"type":"object","properties":{"name":{"type":"string"}}}}}"#)
        let result = try Self.extract(page, .html, schema: schema)
        #expect(result.data == Self.schema(#"{"name":"Kestrel Duo Dual-Boiler Espresso Machine","weight_g":23500,"power_kw":2.2,"manufacturer":{"name":"Kestrel Appliances Ltd."}}"#))
    }
}
