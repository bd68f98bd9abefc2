import Foundation
import GRDB
import Testing
import RAGTestSupport

@testable import RAGCore

@Suite("rag ingest and rag search, run as a user would")
struct IngestCLITests {
    @Test("Help explains every subcommand")
    func help() throws {
        let top = try CLI.run(["--help"])
        #expect(top.status == 0)
        for command in ["serve", "ingest", "reindex", "search", "ask", "extract"] {
            #expect(top.stdout.contains(command))
        }
        let ingest = try CLI.run(["ingest", "--help"])
        #expect(ingest.stdout.contains("--prune"))
        #expect(ingest.stdout.contains("--db"))
        #expect(ingest.stdout.contains("RAG_DB"))
    }

    @Test("The sample corpus ingests without failures and is searchable in English and Chinese")
    func corpus() throws {
        let folder = try TemporaryFolder()
        let db = folder.file("index.sqlite")
        let result = try CLI.run(["ingest", repositoryRoot.appendingPathComponent("corpus").path, "--db", db])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("0 failed"))
        #expect(try search("backpressure", db: db).first?.doc_id.contains("backpressure") == true)
        #expect(try search("背压", db: db).first?.doc_id.hasPrefix("zh/") == true)
        // The GBK page is decoded: its Chinese text is found.
        #expect(try search("断线重连", db: db).contains { $0.doc_id == "zh/sse/sse-reconnect.html" })
        // RAG_DB is honoured in place of --db.
        let viaEnvironment = try CLI.run(["search", "WebSocket", "--json"], environment: ["RAG_DB": db])
        #expect(viaEnvironment.stdout.contains("websocket"))
    }

    @Test("Failures are named with their reason, the good files are committed, exit status 1")
    func failures() throws {
        let folder = try TemporaryFolder()
        let docs = folder.file("docs")
        try folder.write("docs/good.md", "# Good\n\nThe quillwort grows in cold lakes.")
        try folder.write("docs/page.html", "<html><head><title>Page</title></head><body><p>Marrowfin eels sleep.</p></body></html>")
        try folder.write("docs/empty.txt", "")
        try folder.write("docs/binary.html", bytes: [0x89, 0x50, 0x4E, 0x47, 0, 0, 0, 13] + Array(repeating: 0, count: 64))
        try folder.write("docs/bomb.xml", Self.billionLaughs)
        try folder.write("docs/.hidden.md", "# Hidden\n\nNever indexed.")
        try folder.write("docs/image.png", bytes: [0x89, 0x50])
        try FileManager.default.createSymbolicLink(atPath: folder.file("docs/dangling.md"), withDestinationPath: "/nonexistent/x.md")
        let db = folder.file("index.sqlite")
        let result = try CLI.run(["ingest", docs, "--db", db])
        #expect(result.status == 1)
        #expect(result.stderr.contains("empty.txt: the document is empty"))
        #expect(result.stderr.contains("binary.html: the file is binary"))
        #expect(result.stderr.contains("bomb.xml: entity expansion"))
        #expect(result.stderr.contains("dangling.md: dangling symbolic link"))
        #expect(result.stdout.contains("2 created"))
        #expect(result.stdout.contains("4 failed"))
        #expect(result.stdout.contains("2 skipped"))  // the hidden file and the .png
        #expect(try search("quillwort", db: db).map(\.doc_id) == ["good.md"])
        #expect(try search("marrowfin", db: db).map(\.doc_id) == ["page.html"])
        #expect(try search("hidden", db: db).isEmpty)
    }

    @Test("Re-ingesting unchanged files parses nothing; a changed file is replaced; --prune removes gone files")
    func incremental() throws {
        let folder = try TemporaryFolder()
        let docs = folder.file("docs")
        try folder.write("docs/a.txt", "Alpha\n\nThe glimmerwort fern hums at night.")
        try folder.write("docs/sub/b.md", "# Beta\n\nThe sandpiper counts waves.")
        try folder.write("docs/c.html", "<title>Gamma</title><p>Teal lighthouses on Skellmoor.</p>")
        let db = folder.file("index.sqlite")
        #expect(try CLI.run(["ingest", docs, "--db", db]).stdout.contains("3 created"))

        let again = try CLI.run(["ingest", docs, "--db", db])
        #expect(again.status == 0)
        #expect(again.stdout.contains("3 unchanged"))
        #expect(again.stdout.contains("0 parsed"), "\(again.stdout)")

        try folder.write("docs/a.txt", "Alpha\n\nThe glimmerwort fern sings at dawn.")
        let changed = try CLI.run(["ingest", docs, "--db", db])
        #expect(changed.stdout.contains("1 updated"))
        #expect(changed.stdout.contains("1 parsed"))
        #expect(try search("sings dawn", db: db).first?.doc_id == "a.txt")
        #expect(try search("hums", db: db).isEmpty)

        try FileManager.default.removeItem(atPath: folder.file("docs/sub/b.md"))
        let kept = try CLI.run(["ingest", docs, "--db", db])
        #expect(kept.stdout.contains("2 unchanged"))
        #expect(try search("sandpiper", db: db).map(\.doc_id) == ["sub/b.md"], "without --prune the document stays")
        let pruned = try CLI.run(["ingest", docs, "--db", db, "--prune"])
        #expect(pruned.stdout.contains("1 pruned"))
        #expect(try search("sandpiper", db: db).isEmpty)
        #expect(try search("lighthouses", db: db).map(\.doc_id) == ["c.html"])
    }

    @Test("A progress bar on a terminal, log lines otherwise")
    func progress() throws {
        let folder = try TemporaryFolder()
        for i in 0..<20 { try folder.write("docs/\(i).md", "# Doc \(i)\n\nText number \(i).") }
        let db = folder.file("index.sqlite")
        let plain = try CLI.run(["ingest", folder.file("docs"), "--db", db])
        #expect(plain.stderr.contains("ingest: 20/20 files"))
        #expect(!plain.stderr.contains("\r"))
        // `script` gives the command a pseudo-terminal, as an interactive shell would.
        let tty = Process()
        tty.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        tty.arguments = ["-qec", "\(CLI.binary.path) ingest \(folder.file("docs")) --db \(folder.file("tty.sqlite"))", "/dev/null"]
        let pipe = Pipe()
        tty.standardOutput = pipe
        try tty.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        tty.waitUntilExit()
        #expect(output.contains("\r"))
        #expect(output.contains("MB/s"))
        #expect(output.contains("ETA"))
        #expect(output.contains("20 created"))
    }

    @Test("kill -9 in the middle of an ingest leaves a consistent index that still answers")
    func killMidIngest() async throws {
        let folder = try TemporaryFolder()
        // Enough text that the ingest takes a while: 300 documents of about 150 KB.
        let paragraph = "<p>" + String(repeating: "Streams carry tokens over bounded queues with backpressure. ", count: 40) + "</p>"
        for i in 0..<300 {
            let body = (0..<60).map { "<h2>Section \($0)</h2>" + paragraph }.joined()
            try folder.write("docs/doc\(i).html", "<html><head><title>Document \(i)</title></head><body>\(body)</body></html>")
        }
        let db = folder.file("index.sqlite")
        let process = try CLI.start(["ingest", folder.file("docs"), "--db", db])
        // Wait until some documents are committed, then kill without warning.
        let deadline = ContinuousClock.now + .seconds(120)
        var committed = 0
        while committed < 5, ContinuousClock.now < deadline, process.isRunning {
            try await Task.sleep(for: .milliseconds(20))
            committed = (try? Self.documentCount(db)) ?? 0
        }
        #expect(process.isRunning, "the ingest finished before it could be killed; make the corpus larger")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()

        let queue = try DatabaseQueue(path: db)
        try await queue.read { db in
            #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
            // Every committed document has all its passages, and the FTS index agrees.
            let mismatched = try Int.fetchOne(
                db,
                sql: """
                    SELECT count(*) FROM documents d
                    WHERE d.passages != (SELECT count(*) FROM passages p WHERE p.doc_id = d.id)
                    """)
            #expect(mismatched == 0)
        }
        // The FTS5 integrity check needs the index's own tokenizer, registered by SearchIndex.
        try await SearchIndex(path: db).pool.write { db in
            try db.execute(sql: "INSERT INTO passages_fts(passages_fts) VALUES ('integrity-check')")
        }
        let survivors = try Self.documentCount(db)
        #expect(survivors >= 5)
        #expect(try search("backpressure", db: db).count > 0)

        // Ingesting again finishes the job without redoing what was committed.
        let resumed = try CLI.run(["ingest", folder.file("docs"), "--db", db])
        #expect(resumed.status == 0)
        #expect(resumed.stdout.contains("\(survivors) unchanged"), "\(resumed.stdout)")
        #expect(try Self.documentCount(db) == 300)
    }

    @Test("A bulk ingest leaves the full-text index consistent, complete, and in at most two segments")
    func bulkSegments() async throws {
        let folder = try TemporaryFolder()
        // 400 documents of about 12 KB, each with a word of its own.
        let paragraph = "<p>" + String(repeating: "Segments merge while the parsers finish the last files. ", count: 20) + "</p>"
        func word(_ i: Int) -> String {
            let letters = Array("abcdefghijklmnopqrstuvwxyz")
            return "zq\(letters[i / 26])\(letters[i % 26])x"
        }
        for i in 0..<400 {
            let body = (0..<10).map { "<h2>Part \($0)</h2>" + paragraph }.joined()
            try folder.write("docs/doc\(i).html", "<html><head><title>Doc \(i)</title></head><body><p>\(word(i))</p>\(body)</body></html>")
        }
        let db = folder.file("index.sqlite")
        let result = try CLI.run(["ingest", folder.file("docs"), "--db", db])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("400 created"), "\(result.stdout)")

        try await SearchIndex(path: db).pool.write { db in
            try db.execute(sql: "INSERT INTO passages_fts(passages_fts) VALUES ('integrity-check')")
        }
        let segments = try await Self.segments(db)
        #expect((1...2).contains(segments.count), "\(segments) segments")
        for i in [0, 1, 199, 350, 398, 399] {
            #expect(try search(word(i), db: db).map(\.doc_id) == ["doc\(i).html"], "\(word(i))")
        }
    }

    @Test("Changing a few files of a larger index merges only their segments, not the whole index")
    func smallIngestKeepsSegments() async throws {
        let folder = try TemporaryFolder()
        let paragraph = "<p>" + String(repeating: "Incremental ingests touch few segments. ", count: 20) + "</p>"
        let db = folder.file("index.sqlite")
        // Two ingests of 20 files: the second writes as many documents as the index held,
        // so it optimizes two segments into one. Each file has 300 words of its own, so
        // that segment is many pages: FTS5 moves a segment no larger than a new one down to
        // the new one's level, where a merge would take it along (harmless when it is that
        // small, and not what this test is about).
        for half in [0..<20, 20..<40] {
            for i in half {
                let own = (0..<300).map { "t\(i)k\($0)" }.joined(separator: " ")
                try folder.write(
                    "docs/doc\(i).html",
                    "<html><head><title>Doc \(i)</title></head><body>\(paragraph)<p>\(own)</p></body></html>")
            }
            #expect(try CLI.run(["ingest", folder.file("docs"), "--db", db]).status == 0)
        }
        let before = try await Self.segments(db)

        try folder.write("docs/doc3.html", "<html><head><title>Doc 3</title></head><body><p>Quokkas replaced this page.</p></body></html>")
        try folder.write("docs/new.html", "<html><head><title>New</title></head><body><p>Wombats arrived later.</p></body></html>")
        let again = try CLI.run(["ingest", folder.file("docs"), "--db", db])
        #expect(again.stdout.contains("1 created, 1 updated, 39 unchanged"), "\(again.stdout)")
        let after = try await Self.segments(db)
        // The large segment was not rewritten; at most the small ones were merged.
        let large = try #require(before.max { $0.value < $1.value })
        #expect(after[large.key] == large.value, "\(before) then \(after)")
        #expect(after.count <= before.count + 1)
        #expect(try search("quokkas", db: db).map(\.doc_id) == ["doc3.html"])
        #expect(try search("wombats", db: db).map(\.doc_id) == ["new.html"])
        #expect(try search("incremental", db: db, k: 50).count == 39)
        try await SearchIndex(path: db).pool.write { db in
            try db.execute(sql: "INSERT INTO passages_fts(passages_fts) VALUES ('integrity-check')")
        }
    }

    @Test("rag reindex rebuilds passages and the full-text index from the stored content, without the files")
    func reindex() async throws {
        let folder = try TemporaryFolder()
        let corpus = repositoryRoot.appendingPathComponent("corpus").path
        try FileManager.default.copyItem(atPath: corpus, toPath: folder.file("corpus"))
        let db = folder.file("index.sqlite")
        #expect(try CLI.run(["ingest", folder.file("corpus"), "--db", db]).status == 0)
        let queries = ["backpressure", "streams", "背压", "断线重连"]
        let before = try queries.map { try search($0, db: db).map(\.passage_id) }
        #expect(before.allSatisfy { !$0.isEmpty })

        // The files are gone, and the full-text index is empty, as stale as a tokenizer change leaves it.
        try FileManager.default.removeItem(atPath: folder.file("corpus"))
        try await SearchIndex(path: db).pool.write { db in
            try db.execute(sql: "INSERT INTO passages_fts(passages_fts) VALUES ('delete-all')")
        }
        #expect(try search("backpressure", db: db).isEmpty)

        let documents = try Self.documentCount(db)
        let result = try CLI.run(["reindex", "--db", db])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("\(documents) documents: \(documents) reindexed, 0 failed"), "\(result.stdout)")
        #expect(try queries.map { try search($0, db: db).map(\.passage_id) } == before)
        try await SearchIndex(path: db).pool.write { db in
            try db.execute(sql: "INSERT INTO passages_fts(passages_fts) VALUES ('integrity-check')")
        }
        // Content hashes are kept: the same files, back, are unchanged.
        try FileManager.default.copyItem(atPath: corpus, toPath: folder.file("corpus"))
        let again = try CLI.run(["ingest", folder.file("corpus"), "--db", db])
        #expect(again.stdout.contains("\(documents) unchanged"), "\(again.stdout)")
    }

    @Test("A stored document that no longer parses keeps its passages and is named; exit status 1")
    func reindexFailure() async throws {
        let folder = try TemporaryFolder()
        let db = folder.file("index.sqlite")
        #expect(try CLI.run(["ingest", repositoryRoot.appendingPathComponent("corpus").path, "--db", db]).status == 0)
        let queue = try DatabaseQueue(path: db)
        let (id, passages) = try await queue.write { db -> (String, Int) in
            let id = try String.fetchOne(db, sql: "SELECT id FROM documents ORDER BY id LIMIT 1")!
            try db.execute(sql: "UPDATE documents SET content = '', content_encoding = NULL WHERE id = ?", arguments: [id])
            return (id, try Int.fetchOne(db, sql: "SELECT count(*) FROM passages WHERE doc_id = ?", arguments: [id])!)
        }
        try queue.close()
        let documents = try Self.documentCount(db)

        let result = try CLI.run(["reindex", "--db", db])
        #expect(result.status == 1)
        #expect(result.stdout.contains("\(documents) documents: \(documents - 1) reindexed, 1 failed"), "\(result.stdout)")
        #expect(result.stderr.contains("failed: \(id): the document is empty"), "\(result.stderr)")
        let kept = try await DatabaseQueue(path: db).read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM passages WHERE doc_id = ?", arguments: [id])
        }
        #expect(kept == passages)
        #expect(try search("backpressure", db: db).count > 0)
    }

    /// The FTS5 index's segments, by id, with their number of pages: FTS5 stores segment
    /// s's pages from rowid s << 37 in its data table.
    static func segments(_ path: String) async throws -> [Int: Int] {
        try await DatabaseQueue(path: path).read { db in
            let rows = try Row.fetchAll(
                db, sql: "SELECT rowid >> 37 AS segment, count(*) AS pages FROM passages_fts_data WHERE rowid >> 37 > 0 GROUP BY segment")
            return Dictionary(uniqueKeysWithValues: rows.map { ($0["segment"] as Int, $0["pages"] as Int) })
        }
    }

    static func documentCount(_ path: String) throws -> Int {
        var config = Configuration()
        config.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: config)
        return try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM documents") ?? 0 }
    }

    static let billionLaughs: String = {
        var dtd = "<!ENTITY lol0 \"lollollollollollollollollollol\">"
        for i in 1...9 {
            dtd += "<!ENTITY lol\(i) \"" + String(repeating: "&lol\(i - 1);", count: 10) + "\">"
        }
        return "<?xml version=\"1.0\"?><!DOCTYPE lolz [\(dtd)]><lolz>&lol9;</lolz>"
    }()
}
