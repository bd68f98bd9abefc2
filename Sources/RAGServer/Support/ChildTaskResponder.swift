import Hummingbird

/// Runs the router for each request in a child task of the connection's task.
///
/// A Swift task keeps the memory of its deepest async call chain until it ends: its
/// allocator frees no slab when frames return. The connection's task lives as long as
/// the connection, so everything the request went through (middlewares, router,
/// handler) stayed allocated for the whole of a long SSE stream, about 10 KB per stream.
/// In a child task that memory goes back when the handler returns its response; the
/// body, the long-lived part, is then written from the connection's task at a shallow
/// depth. The child inherits the connection's executor preference, so it still runs on
/// the connection's event loop, and its cancellation.
struct ChildTaskResponderBuilder<Inner: HTTPResponderBuilder>: HTTPResponderBuilder where Inner.Responder.Context: Sendable {
    let inner: Inner

    func buildResponder() -> ChildTaskResponder<Inner.Responder> {
        ChildTaskResponder(inner: inner.buildResponder())
    }
}

struct ChildTaskResponder<Inner: HTTPResponder>: HTTPResponder where Inner.Context: Sendable {
    typealias Context = Inner.Context
    let inner: Inner

    @Sendable func respond(to request: Request, context: Context) async throws -> Response {
        // A group rather than `async let`: `async let` reserves the child task's first
        // slab in the parent's frame, which would stay allocated for the connection too.
        try await withThrowingTaskGroup(of: Response.self) { group in
            group.addTask { try await inner.respond(to: request, context: context) }
            return try await group.next()!
        }
    }
}
