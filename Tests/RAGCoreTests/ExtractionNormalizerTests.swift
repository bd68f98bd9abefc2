import Foundation
import Testing

@testable import RAGCore

@Suite("Extraction normalizers")
struct ExtractionNormalizerTests {
    @Test(
        "Dates in English and Chinese forms become ISO 8601",
        arguments: [
            ("March 5, 2026", "2026-03-05"), ("Mar. 5th, 2026", "2026-03-05"), ("5 March 2026", "2026-03-05"),
            ("Thursday, 12 March 2026", "2026-03-12"), ("on 1st September 2016.", "2016-09-01"),
            ("2026-03-05", "2026-03-05"), ("2026/3/5", "2026-03-05"), ("2026.03.05", "2026-03-05"),
            ("2026年3月5日", "2026-03-05"), ("2009 年 6 月 18 日", "2009-06-18"), ("二〇〇九年六月十八日", "2009-06-18"),
            ("２０２６年３月５日", "2026-03-05"), ("13/04/2026", "2026-04-13"), ("04/13/2026", "2026-04-13"),
            ("05.03.2026", "2026-03-05"), ("Posted 29 February 2024", "2024-02-29"),
        ])
    func dates(_ text: String, _ iso: String) {
        #expect(Dates.date(in: text) == iso)
    }

    @Test("Impossible and ambiguous dates are not dates", arguments: ["2026-02-30", "03/04/2026", "March 2026", "3月5日", "2026", "18:30"])
    func notDates(_ text: String) {
        #expect(Dates.date(in: text) == nil)
    }

    @Test("A <time datetime> wins over the text, and a date-time needs a zone")
    func dateTimes() {
        #expect(Dates.date(from: ValueText(text: "next Thursday", times: ["2026-03-05"])) == "2026-03-05")
        #expect(Dates.date(from: ValueText(text: "20 March", times: ["2026-03-20T09:15:00Z"])) == "2026-03-20")
        #expect(Dates.dateTime(from: ValueText(text: "x", times: ["2026-03-20T09:15:00Z"])) == "2026-03-20T09:15:00Z")
        #expect(Dates.dateTime(in: "2026-03-20T09:15+01:00") == "2026-03-20T09:15:00+01:00")
        #expect(Dates.dateTime(in: "2026-03-20T09:15:00.250-0500") == "2026-03-20T09:15:00-05:00")
        #expect(Dates.dateTime(in: "20 March 2026, 09:15 UTC") == "2026-03-20T09:15:00Z")
        #expect(Dates.dateTime(in: "March 20, 2026 at 6:30 pm GMT+1") == "2026-03-20T18:30:00+01:00")
        #expect(Dates.dateTime(in: "2026-03-20T09:15:00+00:00") == "2026-03-20T09:15:00Z")
        #expect(Dates.dateTime(in: "2026-03-20 09:15") == nil)
        #expect(Dates.dateTime(in: "Thursday, 12 March 2026, 18:30") == nil)
    }

    @Test("Numbers keep their unit or currency; codes, dates, times and phone numbers are not numbers")
    func quantities() {
        #expect(Quantities.scan("1,299.00 USD") == [Quantity(value: 1299, unit: "USD", currency: "USD")])
        #expect(Quantities.scan("23.5 kg") == [Quantity(value: 23.5, unit: "kg")])
        #expect(Quantities.scan("2200 W").first?.value == 2200)
        #expect(Quantities.scan("4.6 out of 5 (based on 312 reviews)").map(\.value) == [4.6, 5, 312])
        #expect(Quantities.scan("约350人") == [Quantity(value: 350, unit: "人")])
        #expect(Quantities.scan("约三百五十人").first?.value == 350)
        #expect(Quantities.scan("$5").first?.currency == "USD")
        #expect(Quantities.scan("€ 12,50").first?.currency == "EUR")
        #expect(Quantities.scan("¥1,200").first?.value == 1200)
        #expect(Quantities.scan("1.2 million people").first == Quantity(value: 1_200_000, unit: "people"))
        #expect(Quantities.scan("2万元").first == Quantity(value: 20000, unit: "元", currency: "CNY"))
        #expect(Quantities.scan("-5 °C").first == Quantity(value: -5, unit: "°C"))
        #expect(Quantities.scan("4–7 business days").first?.value == 4)
        #expect(Quantities.scan("pages 4–7").first?.value == 4)
        #expect(Quantities.scan("KST-DUO-2200-SS EH6 6QF 3rd 0571-86023370 2026-03-05 18:30").isEmpty)
        #expect(Quantities.scan("12kg").first == Quantity(value: 12, unit: "kg"))
    }

    @Test("Values are coerced to the property's type, unit and bounds, or not at all")
    func coercion() throws {
        func value(_ text: String, _ schema: String, name: String) throws -> JSONValue? {
            let node = try ExtractionSchema(
                JSONValue.parse(Array(#"{"type":"object","properties":{"\#(name)":\#(schema)}}"#.utf8))!
            ).root.properties[0].schema
            let hints = ValueHints(name: name, schema: node, labels: LabelSet(name: name, schema: node))
            return Coercer.coerce(ValueText(text: text), to: node, hints: hints)
        }
        #expect(try value("2.2 kW", #"{"type":"integer"}"#, name: "power_watts") == .number(2200))
        #expect(try value("23500 g", #"{"type":"number"}"#, name: "weight_kg") == .number(23.5))
        #expect(try value("30 days", #"{"type":"integer"}"#, name: "returns_window_days") == .number(30))
        #expect(try value("30 days", #"{"type":"integer"}"#, name: "warranty_years") == nil)
        #expect(try value("4.6 out of 5", #"{"type":"integer"}"#, name: "rating") == nil)
        #expect(try value("4.6 out of 5 (based on 312 reviews)", #"{"type":"integer"}"#, name: "review_count") == .number(312))
        #expect(try value("120", #"{"type":"integer","maximum":100}"#, name: "age") == nil)
        #expect(try value("28岁", #"{"type":"integer","minimum":0,"maximum":150}"#, name: "age") == .number(28))
        #expect(try value("1,299.00 USD", #"{"type":"string","description":"ISO 4217 currency code"}"#, name: "currency") == .string("USD"))
        #expect(try value("23.5 kilograms", #"{"type":"string","enum":["g","kg"]}"#, name: "unit") == .string("kg"))
        #expect(try value("yes (lift from the entrance)", #"{"type":"boolean"}"#, name: "step_free") == .bool(true))
        #expect(try value("—", #"{"type":["string","null"]}"#, name: "phone") == nil)
        #expect(try value("Human resources", #"{"enum":["Research","Human Resources"]}"#, name: "department") == .string("Human Resources"))
        #expect(try value("12", #"{"type":["integer","string"]}"#, name: "n") == .number(12))
    }

    @Test("Booleans in English and Chinese", arguments: [
        ("Yes", true), ("no", false), ("TRUE", true), ("In stock", true), ("Out of stock", false), ("not available", false),
        ("是", true), ("否", false), ("有", true), ("无", false), ("不支持", false), ("支持", true), ("✓", true), ("✗", false),
    ])
    func booleans(_ text: String, _ value: Bool) {
        #expect(Booleans.parse(text) == value)
    }

    @Test("Emails and URLs from text and links")
    func emailsAndURLs() {
        #expect(Emails.find(in: ValueText(text: "Write to jo.smith+x@mail.example.org.")) == "jo.smith+x@mail.example.org")
        #expect(Emails.find(in: ValueText(text: "Send email", links: ["mailto:mei%40x.org"])) == "mei@x.org")
        #expect(Emails.find(in: ValueText(text: "Send email", links: ["mailto:mei@x.org?subject=Hi"])) == "mei@x.org")
        #expect(Emails.find(in: ValueText(text: "@handle and user@localhost")) == nil)
        #expect(URLs.find(in: ValueText(text: "See https://example.org/a_(b)/c.")) == "https://example.org/a_(b)/c")
        #expect(URLs.find(in: ValueText(text: "Site", links: ["/relative", "https://example.org/x y"])) == "https://example.org/x%20y")
        #expect(URLs.find(in: ValueText(text: "网址：https://例子.中国/路径")) == "https://%E4%BE%8B%E5%AD%90.%E4%B8%AD%E5%9B%BD/%E8%B7%AF%E5%BE%84")
        #expect(URLs.find(in: ValueText(text: "no link here", links: ["/about", "javascript:void(0)"])) == nil)
    }

    @Test("Enums match by case, separators, synonyms, contained phrases and initials")
    func enums() {
        let stock = ["in_stock", "out_of_stock", "preorder"]
        #expect(Enums.match("In stock", options: stock) == "in_stock")
        #expect(Enums.match("https://schema.org/InStock", options: stock) == "in_stock")
        #expect(Enums.match("Sold out", options: stock) == "out_of_stock")
        #expect(Enums.match("Not in stock", options: stock) == "out_of_stock")
        #expect(Enums.match("Pre-order now", options: stock) == "preorder")
        #expect(Enums.match("有货", options: stock) == "in_stock")
        #expect(Enums.match("HR", options: ["Research", "Human Resources"]) == "Human Resources")
        #expect(Enums.match("Marketing", options: ["Research", "Human Resources"]) == nil)
    }

    @Test("Labels match across identifier styles, plurals, spellings and languages")
    func labels() throws {
        func score(_ name: String, description: String? = nil, _ label: String) throws -> Double {
            var json: [String: JSONValue] = ["type": .string("string")]
            if let description { json["description"] = .string(description) }
            let node = try ExtractionSchema(.object(["type": .string("object"), "properties": .object([name: .object(json)])]))
                .root.properties[0].schema
            return LabelSet(name: name, schema: node).score(LabelKey(label))
        }
        #expect(try score("ships_from", "Ships from") == 1)
        #expect(try score("releaseDate", "Release date:") == 1)
        #expect(try score("organisation", "Organization") == 1)
        #expect(try score("water_tank_litres", "Water tank (liters)") >= LabelSet.threshold)
        #expect(try score("phone", "电话") >= LabelSet.threshold)
        #expect(try score("address", "地址") >= LabelSet.threshold)
        #expect(try score("age", "年龄") >= LabelSet.threshold)
        #expect(try score("address", description: "地址（总部）", "地址") >= 0.95)
        #expect(try score("start_time", "End time") < LabelSet.threshold)
        #expect(try score("name", description: "product name", "Site name") < LabelSet.threshold)
        #expect(try score("phone", "传真") == 0)
    }

    @Test("Random text never trips the readers")
    func randomText() throws {
        // SplitMix64, so a failure can be replayed.
        var state: UInt64 = 0x5EED
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let pieces = [
            "1", "23", "2026", ",", ".", ":", "：", "-", "–", "/", " ", "\n", "年", "月", "日", "三", "十", "万", "Jan", "st", "T",
            "Z", "+", "$", "¥", "@", "a", "b.c", "http://", "https://x.y/", "mailto:", "kg", "|", "# ", "- ", "===", "Name", "电话",
            "（", "）", "%", "°", "\u{FF11}", "e\u{301}", "👍", "<", ">", "&amp;",
        ]
        let schema = try ExtractionSchema(
            JSONValue.parse(Array(#"""
                {"type":"object","properties":{"name":{"type":"string"},"n":{"type":"integer"},"x":{"type":"number"},
                 "d":{"type":"string","format":"date"},"t":{"type":"string","format":"date-time"},"e":{"type":"string","format":"email"},
                 "u":{"type":"string","format":"uri"},"b":{"type":"boolean"},"l":{"type":"array","items":{"type":"string"}},
                 "o":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"},"phone":{"type":"string"}}}}}}
                """#.utf8))!)
        for _ in 0..<300 {
            let count = Int(next() % 40)
            let text = (0..<count).map { _ in pieces[Int(next() % UInt64(pieces.count))] }.joined()
            _ = Dates.date(in: text)
            _ = Dates.dateTime(in: text)
            _ = Quantities.scan(text)
            _ = Emails.all(in: text)
            _ = URLs.all(in: text)
            _ = Booleans.parse(text)
            _ = LabelLine.splitAll(Substring(text))
            for kind in [ContentSegment.Kind.text, .html, .xml, .markdown] {
                let result = try? RuleExtractor().fill(ExtractionInput(schema: schema, segments: [ContentSegment(kind: kind, content: text)]))
                if let result {
                    #expect(throws: Never.self) { try ExtractionService.checked(result, against: schema) }
                }
            }
        }
    }
}
