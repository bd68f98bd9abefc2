import Foundation
import Testing

@Suite("Documents over HTTP")
struct DocumentAPITests {
    @Test("POST is one transaction with created, unchanged and updated statuses")
    func post() async throws {
        let server = try await TestServer()
        let first = ["id": "notes/eel.txt", "format": "text", "content": "Eel note\n\nThe marrowfin eel sleeps in kettles."]
        var response = try await server.request("POST", "/v1/documents", json: ["documents": [first]])
        #expect(response.status == 200)
        #expect(response.object["created"] as? Int == 1)
        let entry = (response.object["documents"] as? [[String: Any]])?.first
        #expect(entry?["status"] as? String == "created")
        #expect(entry?["title"] as? String == "Eel note")
        #expect(entry?["passages"] as? Int == 1)

        response = try await server.request("POST", "/v1/documents", json: ["documents": [first]])
        #expect(response.object["unchanged"] as? Int == 1)

        var changed = first
        changed["content"] = "Eel note\n\nThe marrowfin eel sleeps in teapots."
        response = try await server.request("POST", "/v1/documents", json: ["documents": [changed]])
        #expect(response.object["updated"] as? Int == 1)
        let hits = try await server.request("GET", "/v1/search?q=teapots").object["hits"] as? [[String: Any]]
        #expect(hits?.first?["doc_id"] as? String == "notes/eel.txt")

        // Ids default to a stable hash of the source, or of the content.
        response = try await server.request(
            "POST", "/v1/documents", json: ["documents": [["source": "https://example.org/a", "content": "Stable id test."]]])
        let id1 = (response.object["documents"] as? [[String: Any]])?.first?["id"] as? String
        response = try await server.request(
            "POST", "/v1/documents", json: ["documents": [["source": "https://example.org/a", "content": "Stable id test."]]])
        #expect((response.object["documents"] as? [[String: Any]])?.first?["id"] as? String == id1)
        #expect(id1?.count == 16)
    }

    @Test("An invalid document, a repeated id or an empty list writes nothing")
    func atomic() async throws {
        let server = try await TestServer()
        let cases: [[[String: Any]]] = [
            [["id": "a1", "content": "Valid one."], ["id": "t1", "content": "Twin."], ["id": "t1", "content": "Twin again."]],
            [["id": "a2", "content": "Valid two."], ["id": "b2", "content": "   "]],
            [["id": "a3", "content": "Valid three."], ["id": "b3", "format": "pdf", "content": "Nope."]],
            [["id": "a4", "content": "Valid four."], ["id": String(repeating: "x", count: 257), "content": "Long id."]],
            [["id": "a5", "content": "Valid five."], ["id": "b5", "format": "xml", "content": "<broken><xml>"]],
        ]
        for documents in cases {
            let response = try await server.request("POST", "/v1/documents", json: ["documents": documents])
            #expect(response.status == 422, "\(response.text)")
            #expect(response.errorCode == "validation_failed")
            let id = documents[0]["id"] as! String
            #expect(try await server.request("GET", "/v1/documents/\(id)").status == 404)
        }
        let empty = try await server.request("POST", "/v1/documents", json: ["documents": []])
        #expect(empty.status == 422)
        let notJSON = try await server.request("POST", "/v1/documents", headers: [("Content-Type", "application/json")], body: Array("{".utf8))
        #expect(notJSON.status == 400 && notJSON.errorCode == "invalid_json")
        let wrongType = try await server.request("POST", "/v1/documents", json: ["documents": [["content": 42]]])
        #expect(wrongType.status == 400 && wrongType.errorCode == "bad_request")
        #expect(wrongType.text.contains("documents[0].content"))
        #expect(try await server.request("GET", "/healthz").object["documents"] as? Int == TestServer.documents.count)
    }

    @Test("PUT with a raw body: 201 created, then 200; the id may contain a slash")
    func put() async throws {
        let server = try await TestServer()
        let path = "/v1/documents/" + encoded("kit/notes.txt")
        let text = "\n  Harbour Notes\nThe harbour of Pellwick freezes every second Tuesday.\n"
        var response = try await server.request("PUT", path, headers: [("Content-Type", "text/plain")], body: Array(text.utf8))
        #expect(response.status == 201)
        #expect(response.object["status"] as? String == "created")
        #expect(response.object["title"] as? String == "Harbour Notes")
        response = try await server.request("PUT", path, headers: [("Content-Type", "text/plain")], body: Array(text.utf8))
        #expect(response.status == 200 && response.object["status"] as? String == "unchanged")
        response = try await server.request("PUT", path, headers: [("Content-Type", "text/plain")], body: Array((text + "Gulls.").utf8))
        #expect(response.status == 200 && response.object["status"] as? String == "updated")

        // A GBK page PUT with its charset in the Content-Type comes out as Chinese.
        let gbk: [UInt8] = [0xB1, 0xB3, 0xD1, 0xB9]  // 背压 in GBK
        let page = Array("<html><head><title>".utf8) + gbk + Array("</title></head><body><p>".utf8) + gbk + Array("</p></body></html>".utf8)
        response = try await server.request("PUT", "/v1/documents/gbk", headers: [("Content-Type", "text/html; charset=gbk")], body: page)
        #expect(response.object["title"] as? String == "背压")

        let unsupported = try await server.request("PUT", "/v1/documents/x", headers: [("Content-Type", "application/pdf")], body: [1])
        #expect(unsupported.status == 415 && unsupported.errorCode == "unsupported_media_type")
        let one = try await server.request("GET", path)
        #expect(one.object["id"] as? String == "kit/notes.txt")
        #expect((one.object["text"] as? String)?.contains("Gulls.") == true)
        #expect(one.object["format"] as? String == "text")
    }

    @Test("The list pages through every document with a cursor")
    func list() async throws {
        let server = try await TestServer()
        var seen: [String] = []
        var cursor: String?
        repeat {
            var path = "/v1/documents?limit=2"
            if let cursor { path += "&cursor=\(encoded(cursor))" }
            let page = try await server.request("GET", path).object
            let documents = page["documents"] as? [[String: Any]] ?? []
            #expect(documents.count <= 2)
            seen += documents.compactMap { $0["id"] as? String }
            cursor = page["next_cursor"] as? String
        } while cursor != nil
        #expect(Set(seen) == Set(TestServer.documents.map { $0.id! }))
        #expect(seen.count == TestServer.documents.count)
        #expect(try await server.request("GET", "/v1/documents?limit=0").status == 422)
        #expect(try await server.request("GET", "/v1/documents?cursor=%%%").status == 400)
    }

    @Test("DELETE makes a document unsearchable; unknown ids are 404")
    func delete() async throws {
        let server = try await TestServer()
        #expect(try await server.request("GET", "/v1/search?q=Quorvath").text.contains("en/cheese.md"))
        #expect(try await server.request("DELETE", "/v1/documents/" + encoded("en/cheese.md")).status == 204)
        #expect(!(try await server.request("GET", "/v1/search?q=Quorvath").text.contains("en/cheese.md")))
        let missing = try await server.request("DELETE", "/v1/documents/" + encoded("en/cheese.md"))
        #expect(missing.status == 404 && missing.errorCode == "not_found")
        #expect(try await server.request("GET", "/v1/documents/nope").errorCode == "not_found")
    }

    @Test("The export gives every document back in the POST shape; posting it back changes nothing")
    func exportRoundTrip() async throws {
        let server = try await TestServer()
        let export = try await server.request("GET", "/v1/export")
        #expect(export.status == 200 && export.mediaType == "application/x-ndjson")
        let lines = export.text.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(lines.count == TestServer.documents.count)
        for line in lines {
            #expect(Set(line.keys) == ["id", "source", "title", "format", "content"])
        }
        let back = try await server.request("POST", "/v1/documents", json: ["documents": lines])
        #expect(back.status == 200)
        #expect(back.object["unchanged"] as? Int == lines.count, "\(back.text)")
        #expect(try await server.request("GET", "/v1/search?q=Verrin").text.contains("en/lighthouse.txt"))
    }
}
