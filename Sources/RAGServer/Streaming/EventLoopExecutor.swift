import NIOCore
import NIOPosix

/// A task executor that runs jobs on one NIO event loop.
///
/// Hummingbird runs handlers on the global executor and queues each write onto the
/// connection's event loop without waiting; the channel only becomes unwritable after
/// the loop has processed its high-water mark, so a producer faster than the loop piles
/// up an unbounded queue. Writing *from* the connection's own event loop makes each write
/// reach the channel at once, so writability (backpressure) is exact.
final class EventLoopExecutor: TaskExecutor, @unchecked Sendable {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }

    func asUnownedTaskExecutor() -> UnownedTaskExecutor {
        UnownedTaskExecutor(ordinary: self)
    }
}

/// One executor per event loop of a group, made once.
struct EventLoopExecutors: Sendable {
    private let executors: [ObjectIdentifier: EventLoopExecutor]

    init(group: any EventLoopGroup) {
        var executors: [ObjectIdentifier: EventLoopExecutor] = [:]
        for loop in group.makeIterator() {
            executors[ObjectIdentifier(loop)] = EventLoopExecutor(loop)
        }
        self.executors = executors
    }

    func executor(for loop: any EventLoop) -> EventLoopExecutor {
        executors[ObjectIdentifier(loop)] ?? EventLoopExecutor(loop)
    }
}
