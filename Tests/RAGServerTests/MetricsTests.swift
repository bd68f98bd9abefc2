import Foundation
import Testing

@Suite("Prometheus metrics")
struct MetricsTests {
    @Test("GET /metrics counts requests by route and status, ingests, jobs, and times retrieval and generation")
    func metrics() async throws {
        let server = try await TestServer()
        #expect(try await server.request("GET", "/v1/search?q=lighthouse").status == 200)
        #expect(try await server.request("GET", "/v1/search").status == 400)
        let answer = try await server.request(
            "POST", "/v1/ask", json: ["question": "What colour is the Verrin lighthouse?", "stream": false])
        #expect(answer.status == 200)
        let doc = ["id": "notes/owl.txt", "format": "text", "content": "Owl note\n\nThe snow owl of Brask nests in bells."]
        #expect(try await server.request("POST", "/v1/documents", json: ["documents": [doc]]).status == 200)

        let response = try await server.request("GET", "/metrics")
        #expect(response.status == 200)
        #expect(response.headers["content-type"]?.hasPrefix("text/plain") == true)
        let lines = response.text.split(separator: "\n").map(String.init)
        /// The value of the sample whose name and labels start with `prefix`.
        func sample(_ prefix: String) -> Double? {
            lines.first { $0.hasPrefix(prefix) }.flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        #expect(sample(#"rag_http_requests_total{route="/v1/search",status="200"}"#) == 1)
        #expect(sample(#"rag_http_requests_total{route="/v1/search",status="400"}"#) == 1)
        #expect(sample(#"rag_http_requests_total{route="/v1/ask",status="200"}"#) == 1)
        #expect(sample("rag_ingested_documents_total") == 1)
        #expect(sample(#"rag_jobs{status="done"}"#) == 1)
        #expect(sample("rag_active_streams") == 0)
        #expect(sample("rag_retrieval_seconds_count") == 1)
        #expect(sample("rag_generation_seconds_count") == 1)
        #expect(lines.contains("# TYPE rag_retrieval_seconds histogram"))
        #expect(lines.contains { $0.hasPrefix("# HELP rag_http_requests_total ") })
    }
}
