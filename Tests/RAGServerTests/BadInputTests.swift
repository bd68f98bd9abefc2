import Foundation
import Testing

@Suite("Bad input gets the contract's errors and the server keeps serving")
struct BadInputTests {
    @Test("Ask and search validate their input")
    func validation() async throws {
        let server = try await TestServer { $0.maxBody = 8192 }
        func expectError(_ r: HTTPResult, _ status: Int, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(r.status == status, "\(r.text)", sourceLocation: sourceLocation)
            #expect(r.errorCode == code, "\(r.text)", sourceLocation: sourceLocation)
            #expect(r.mediaType == "application/json", sourceLocation: sourceLocation)
            let message = (r.object["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(!message.isEmpty, sourceLocation: sourceLocation)
        }
        expectError(try await server.request("POST", "/v1/ask", headers: [("Content-Type", "application/json")], body: Array("{\"question\": ".utf8)), 400, "invalid_json")
        expectError(try await server.request("POST", "/v1/ask", json: ["question": ""]), 422, "validation_failed")
        expectError(try await server.request("POST", "/v1/ask", json: ["question": "   "]), 422, "validation_failed")
        expectError(try await server.request("POST", "/v1/ask", json: ["question": 7]), 400, "bad_request")
        expectError(try await server.request("POST", "/v1/ask", json: ["top_k": 3]), 400, "bad_request")
        expectError(try await server.request("POST", "/v1/ask", json: ["question": "x", "top_k": 0]), 422, "validation_failed")
        expectError(try await server.request("POST", "/v1/ask", json: ["question": "x", "top_k": 51]), 422, "validation_failed")
        expectError(try await server.request("POST", "/v1/ask", json: ["question": "x", "top_k": "5"]), 400, "bad_request")
        expectError(try await server.request("POST", "/v1/ask", json: ["question": "x", "stream": "no"]), 400, "bad_request")
        expectError(try await server.request("POST", "/v1/ask", json: [1, 2]), 400, "bad_request")
        let long = String(repeating: "界", count: 2001)
        expectError(try await server.request("POST", "/v1/ask", json: ["question": long, "stream": false]), 422, "validation_failed")
        let limit = String(repeating: "a", count: 2000)
        #expect(try await server.request("POST", "/v1/ask", json: ["question": limit, "stream": false]).status == 200)
        expectError(try await server.request("POST", "/v1/ask", headers: [("Content-Type", "text/plain")], body: Array("hi".utf8)), 415, "unsupported_media_type")
        expectError(try await server.request("POST", "/v1/ask", headers: [("Content-Type", "application/json")], body: Array(repeating: 0x20, count: 10000)), 413, "payload_too_large")
        expectError(try await server.request("GET", "/v1/search?q=x&k=0"), 422, "validation_failed")
        expectError(try await server.request("GET", "/v1/search?q=x&k=51"), 422, "validation_failed")
        expectError(try await server.request("GET", "/v1/search?q=x&k=ten"), 400, "bad_request")
        expectError(try await server.request("GET", "/v1/search"), 400, "bad_request")
        expectError(try await server.request("GET", "/v1/ask?q="), 422, "validation_failed")
        expectError(try await server.request("GET", "/v1/no-such-route"), 404, "not_found")
        expectError(try await server.request("DELETE", "/v1/search"), 405, "method_not_allowed")
        expectError(try await server.request("GET", "/v1/ws"), 426, "upgrade_required")
        #expect(try await server.request("GET", "/healthz").status == 200)
    }

    @Test("Hostile queries are just text", arguments: [
        "\"unbalanced", "NEAR(lighthouse keeper)", "lighthouse AND OR NOT", "-teal", "title:cheese", "'; DROP TABLE documents; --",
        "*", "lighthouse*", "(((", "\\u{7}bell",
    ])
    func hostileQueries(query: String) async throws {
        let server = try await TestServer()
        let search = try await server.request("GET", "/v1/search?q=\(encoded(query))")
        #expect(search.status == 200, "\(search.text)")
        let ask = try await server.request("GET", "/v1/ask?q=\(encoded(query))", headers: [("Accept", "application/json")])
        #expect(ask.status == 200, "\(ask.text)")
        #expect(try await server.request("GET", "/healthz").object["documents"] as? Int == TestServer.documents.count)
    }

    /// How long a raw read waits for an answer: a hang, not a slow answer on a CI machine
    /// busy with every other suite (5 s was once too short there).
    static let patience = 30.0

    @Test("A request target with raw non-ASCII bytes is answered, decoded; control bytes get 400; nothing hangs")
    func rawTargets() async throws {
        let server = try await TestServer()
        let port = server.port
        let (status, body, controlStatuses, latinStatus) = try await blocking {
            // curl sends `?q=全文` unencoded.
            let connection = try RawConnection(port: port)
            try connection.send(Array("GET /v1/search?q=青岚茶 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
            let head = try connection.readHead(timeout: Self.patience)
            let body = String(decoding: try connection.readBody(headers: head.headers), as: UTF8.self)
            var controlStatuses: [Int] = []
            for target in ["/v1/search?q=a\u{1}b", "/v1/search?q=a\u{7F}b", "/v1/sear\u{0}ch"] {
                let raw = try RawConnection(port: port)
                try raw.send(Array("GET \(target) HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
                controlStatuses.append(try raw.readHead(timeout: Self.patience).status)
            }
            // Latin-1 bytes that are not UTF-8 at all.
            let latin = try RawConnection(port: port)
            try latin.send(Array("GET /v1/search?q=caf".utf8) + [0xE9] + Array(" HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
            return (head.status, body, controlStatuses, try latin.readHead(timeout: Self.patience).status)
        }
        #expect(status == 200)
        #expect(body.contains("zh/tea.txt"))
        #expect(controlStatuses == [400, 400, 400])
        #expect([200, 400].contains(latinStatus))
        #expect(try await server.request("GET", "/healthz").status == 200)
    }
}
