import JSON
import Platform

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The few file-system calls the seed loader and watcher need, straight on libc: Foundation's
/// `FileManager` and `NSString` path helpers would link full Foundation (and ICU) into the binary.
/// Each one keeps the `FileManager`/`NSString` behaviour it replaces (noted per function).
package enum SeedFiles {
    /// What `stat` says about a path, following symbolic links (like `FileManager.fileExists(atPath:isDirectory:)`):
    /// nil when nothing is there.
    package static func isDirectory(_ path: String) -> Bool? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & S_IFMT == S_IFDIR
    }

    /// The names in a folder, without `.` and `..` (like `FileManager.contentsOfDirectory(atPath:)`),
    /// or the `errno` of the failure.
    package static func contentsOfDirectory(_ path: String) -> Result<[String], ListError> {
        OS.directoryEntries(path).mapError { ListError(code: $0.code) }
    }

    /// A failed folder listing. `description` is the text Foundation's `localizedDescription` gave
    /// for the errors a listing of an existing folder can meet, so "cannot list folder: …" reads as before.
    package struct ListError: Error, CustomStringConvertible {
        package var code: Int32

        package var description: String {
            switch code {
            case EACCES, EPERM: return "The operation could not be completed. You don’t have permission."
            case ENOENT: return "The operation could not be completed. The file doesn’t exist."
            default: return "The operation could not be completed. (\(String(cString: strerror(code))))"
            }
        }
    }

    /// A whole regular file, read to its end (so `/proc` files and pipes work too); nil when it cannot be
    /// opened or read, or is a folder (like `FileManager.contents(atPath:)`).
    package static func contents(_ path: String) -> [UInt8]? {
        OS.readFile(path)
    }

    /// A seed file's text for the JSON tape; nil as for `contents`. With `mapping`, a large regular
    /// file is mapped rather than read: only where nothing rewrites it while it is parsed, since a
    /// mapped file cut shorter meanwhile stops the process (SIGBUS) instead of failing the read.
    package static func document(_ path: String, mapping: Bool) -> JSONTape.Bytes? {
        (mapping ? mappedFile(path) : nil) ?? contents(path).map(JSONTape.Bytes.init)
    }

    /// Below this, the read is quick whatever the pages.
    static let largeFileSize = 8 << 20

    /// A large regular file mapped read-only: its pages are the page cache's, so nothing is copied
    /// and no fresh memory is faulted in (a 100k-record seed is ~90 MB). The tape reads it once,
    /// front to back, on all the cores. Nil for anything else, so that `contents` reads it.
    private static func mappedFile(_ path: String) -> JSONTape.Bytes? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, Int(info.st_size) >= largeFileSize else {
            return nil
        }
        let size = Int(info.st_size)
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != UnsafeMutableRawPointer(bitPattern: -1)
        else { return nil }
        // Read once, front to back (in a few parts at once): read ahead, and drop what was read first.
        _ = madvise(base, size, MADV_SEQUENTIAL)
        _ = madvise(base, size, MADV_WILLNEED)
        let memory = UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: size)
        return JSONTape.Bytes(memory: memory, owner: Mapping(base: base, size: size))
    }

    /// A mapped file, unmapped when the last tape reading it goes away.
    private final class Mapping {
        let base: UnsafeMutableRawPointer
        let size: Int

        init(base: UnsafeMutableRawPointer, size: Int) {
            self.base = base
            self.size = size
        }

        deinit { munmap(base, size) }
    }

    /// The modification time of the path itself, not of a symbolic link's target (`lstat`, like
    /// `FileManager.attributesOfItem(atPath:)[.modificationDate]`); nil when nothing is there.
    package static func modificationTime(_ path: String) -> ModificationTime? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        #if canImport(Darwin)
        return ModificationTime(seconds: Int64(info.st_mtimespec.tv_sec), nanoseconds: Int64(info.st_mtimespec.tv_nsec))
        #else
        return ModificationTime(seconds: Int64(info.st_mtim.tv_sec), nanoseconds: Int64(info.st_mtim.tv_nsec))
        #endif
    }

    package struct ModificationTime: Equatable, Sendable {
        var seconds: Int64
        var nanoseconds: Int64
    }

    /// `NSString.appendingPathComponent`: a `/` between the two unless the folder is empty or already ends in one.
    package static func appendingPathComponent(_ folder: String, _ name: String) -> String {
        if name.isEmpty { return folder }
        if folder.isEmpty { return name }
        return folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }

    /// `NSString.lastPathComponent`: runs of `/` count as one, one trailing `/` is dropped, and
    /// `/` alone stays `/`.
    package static func lastPathComponent(_ path: String) -> String {
        if path == "/" { return path }
        var fixed: [UInt8] = []
        for byte in path.utf8 where !(byte == UInt8(ascii: "/") && fixed.last == UInt8(ascii: "/")) {
            fixed.append(byte)
        }
        if fixed.last == UInt8(ascii: "/") { fixed.removeLast() }
        if fixed.count <= 1 { return String(decoding: fixed, as: UTF8.self) }
        let start = fixed.lastIndex(of: UInt8(ascii: "/")).map { $0 + 1 } ?? 0
        return String(decoding: fixed[start...], as: UTF8.self)
    }
}
