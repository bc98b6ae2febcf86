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
        largeFile(path) ?? OS.readFile(path)
    }

    /// Below this, the read is quick whatever the pages.
    static let largeFileSize = 8 << 20

    /// A large regular file read into memory advised to use huge pages (a 100k-record seed is ~90 MB
    /// of fresh pages), in parts on all the cores: the copy and its page faults are the kernel's
    /// work, done on the reading thread. Nil for anything else, or when the file changes size while
    /// read, so that `OS.readFile` reads it as it reads every other file.
    private static func largeFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, Int(info.st_size) >= largeFileSize else {
            return nil
        }
        let size = Int(info.st_size)
        var complete = false
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initializedCount in
            JSONTape.adviseHugePages(UnsafeMutableRawBufferPointer(buffer))
            let target = ReadTarget(base: buffer.baseAddress!)
            let parts = Parallel.chunks(count: size, minimumChunk: 4 << 20) { range in
                var offset = range.lowerBound
                while offset < range.upperBound {
                    let count = pread(fd, target.base + offset, range.upperBound - offset, off_t(offset))
                    if count > 0 {
                        offset += count
                    } else if count == 0 || errno != EINTR {
                        return false
                    }
                }
                return true
            }
            var probe: UInt8 = 0
            complete = parts.allSatisfy { $0 } && pread(fd, &probe, 1, off_t(size)) == 0
            initializedCount = complete ? size : 0
        }
        return complete ? bytes : nil
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

    /// Where the parts of `largeFile` are read to: each writes its own range.
    private struct ReadTarget: @unchecked Sendable {
        let base: UnsafeMutablePointer<UInt8>
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
