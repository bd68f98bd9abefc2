import Foundation
import Hummingbird
import RAGCore

/// Health, metrics, the OpenAPI document, the web page, and `/v1/ws` without an upgrade.
struct OperationRoutes {
    let state: ServiceState

    func register(on router: Router<RAGRequestContext>) {
        router.route("/healthz", [.get: health])
        router.route("/metrics", [.get: metrics])
        router.route("/openapi.json", [.get: openAPI])
        router.route("/", [.get: page])
        router.route("/v1/ws", [.get: upgradeRequired])
    }

    @Sendable func health(_ request: Request, context: RAGRequestContext) async throws -> Response {
        let counts = try await state.index.reader.counts()
        return try JSONResponse.make(
            JSONValue.object([
                "status": .string(state.isShuttingDown ? "shutting_down" : "ok"),
                "documents": .number(Double(counts.documents)), "passages": .number(Double(counts.passages)),
            ]))
    }

    @Sendable func metrics(_ request: Request, context: RAGRequestContext) async throws -> Response {
        state.tick()
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: state.metrics.text())))
    }

    @Sendable func openAPI(_ request: Request, context: RAGRequestContext) async throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: try StaticResource.bytes("openapi.json"))))
    }

    @Sendable func page(_ request: Request, context: RAGRequestContext) async throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(bytes: try StaticResource.bytes("index.html"))))
    }

    @Sendable func upgradeRequired(_ request: Request, context: RAGRequestContext) async throws -> Response {
        throw APIError(
            .upgradeRequired, "upgrade_required", "/v1/ws speaks WebSocket; send an Upgrade: websocket request.",
            headers: [.upgrade: "websocket", .connection: "Upgrade"])
    }
}

/// Files shipped in the server's bundle (the web page, the OpenAPI document).
enum StaticResource {
    static func bytes(_ name: String) throws -> [UInt8] {
        let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
        guard let url = Bundle.module.url(forResource: parts[0], withExtension: parts.count > 1 ? parts[1] : nil) else {
            throw APIError(.internalServerError, "internal_error", "The resource \(name) is missing from this build.")
        }
        return Array(try Data(contentsOf: url))
    }
}
