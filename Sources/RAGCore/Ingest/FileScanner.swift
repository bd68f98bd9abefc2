import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A file found under one of the paths given to `rag ingest`.
public struct FoundFile: Sendable {
    public var path: String
    /// The path relative to the root it was found under: the document's id and source.
    public var id: String
    /// The folder it was found under (absolute), or `nil` for a file named directly.
    public var root: String?
    public var format: DocumentFormat
    public var size: Int
}

/// Walks the paths given to `rag ingest`: hidden files and unsupported extensions are
/// skipped (and counted); a dangling link with a supported extension is a failure.
public struct FileScanner: Sendable {
    public struct Result: Sendable {
        public var files: [FoundFile] = []
        public var skipped = 0
        public var failures: [(path: String, reason: String)] = []
        /// Absolute folders that were walked, for `--prune`.
        public var roots: [String] = []
    }

    public init() {}

    public func scan(_ paths: [String]) -> Result {
        var result = Result()
        let fm = FileManager.default
        for given in paths {
            let absolute = URL(fileURLWithPath: given).standardizedFileURL.path
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: absolute, isDirectory: &isDirectory) else {
                let isLink = (try? fm.destinationOfSymbolicLink(atPath: absolute)) != nil
                result.failures.append((given, isLink ? "dangling symbolic link" : "no such file or folder"))
                continue
            }
            if isDirectory.boolValue {
                result.roots.append(absolute)
                var visited = Set<String>()
                walk(absolute, root: absolute, relative: "", visited: &visited, into: &result)
            } else {
                let name = (absolute as NSString).lastPathComponent
                guard let format = DocumentFormat(fileExtension: (name as NSString).pathExtension) else {
                    result.skipped += 1
                    continue
                }
                let size = Self.status(absolute).map { Int($0.st_size) } ?? 0
                result.files.append(FoundFile(path: absolute, id: name, root: nil, format: format, size: size))
            }
        }
        return result
    }

    private func walk(_ folder: String, root: String, relative: String, visited: inout Set<String>, into result: inout Result) {
        let fm = FileManager.default
        let real = (folder as NSString).resolvingSymlinksInPath
        guard visited.insert(real).inserted else { return }
        guard let names = try? fm.contentsOfDirectory(atPath: folder) else {
            result.failures.append((folder, "cannot read the folder"))
            return
        }
        for name in names.sorted() {
            if name.hasPrefix(".") {
                result.skipped += 1
                continue
            }
            let path = folder + "/" + name
            let id = relative.isEmpty ? name : relative + "/" + name
            let status = Self.status(path)
            if let status, status.st_mode & S_IFMT == S_IFDIR {
                walk(path, root: root, relative: id, visited: &visited, into: &result)
                continue
            }
            guard let format = DocumentFormat(fileExtension: (name as NSString).pathExtension) else {
                result.skipped += 1
                continue
            }
            guard let status else {
                result.failures.append((path, "dangling symbolic link"))
                continue
            }
            let size = Int(status.st_size)
            result.files.append(FoundFile(path: path, id: id, root: root, format: format, size: size))
        }
    }

    /// `stat` (following links), or `nil` if there is nothing there. One system call:
    /// `FileManager.attributesOfItem` also looks up the owner's and group's names, which
    /// was a sixth of an unchanged re-ingest of 530 files (0.12 s → 0.10 s without).
    private static func status(_ path: String) -> stat? {
        var info = stat()
        return stat(path, &info) == 0 ? info : nil
    }
}
