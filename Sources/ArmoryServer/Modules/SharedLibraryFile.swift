import Foundation

/// The checks a module file passes before `dlopen` sees it. The dynamic loader maps a library's
/// segments as its headers describe them; a file cut short (a copy interrupted, a disk full)
/// still has whole headers, and touching a segment past the end of the file is a bus error that
/// stops the whole process. So the headers are read here first, and a file whose segments or
/// section table reach past its end, or that is not a shared library for this machine, is
/// refused with the reason instead.
enum SharedLibraryFile {
    /// Why the file at `path` cannot be a loadable shared library for this process, or `nil`.
    static func problem(at path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "cannot be opened for reading" }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd(), (try? handle.seek(toOffset: 0)) != nil else { return "cannot be read" }
        guard let header = try? handle.read(upToCount: 64), header.count == 64 else {
            return "is \(size) bytes, too short to be a shared library"
        }
        let bytes = [UInt8](header)
        guard bytes[0...3] == [0x7F, 0x45, 0x4C, 0x46] else { return "is not an ELF file" }
        guard bytes[4] == 2, bytes[5] == 1 else { return "is not a 64-bit little-endian ELF file" }
        guard integer(bytes, at: 16, size: 2) == 3 else { return "is an ELF file but not a shared library" }
        guard integer(bytes, at: 18, size: 2) == hostMachine else {
            return "is built for another processor (ELF machine \(integer(bytes, at: 18, size: 2)))"
        }
        let programHeaders = integer(bytes, at: 32, size: 8)
        let programHeaderSize = integer(bytes, at: 54, size: 2)
        let programHeaderCount = integer(bytes, at: 56, size: 2)
        let sectionHeaders = integer(bytes, at: 40, size: 8)
        let sectionHeaderSize = integer(bytes, at: 58, size: 2)
        let sectionHeaderCount = integer(bytes, at: 60, size: 2)
        guard programHeaderSize >= 56, programHeaderCount > 0,
              fits(programHeaders, programHeaderSize * programHeaderCount, in: size) else {
            return "is cut short: its program headers end past the file's \(size) bytes"
        }
        if sectionHeaders != 0, !fits(sectionHeaders, sectionHeaderSize * sectionHeaderCount, in: size) {
            return "is cut short: its section table ends past the file's \(size) bytes"
        }
        guard (try? handle.seek(toOffset: programHeaders)) != nil,
              let table = try? handle.read(upToCount: Int(programHeaderSize * programHeaderCount)) else { return "cannot be read" }
        let entries = [UInt8](table)
        for index in 0..<Int(programHeaderCount) {
            let start = index * Int(programHeaderSize)
            guard integer(entries, at: start, size: 4) == 1 else { continue }  // PT_LOAD
            let offset = integer(entries, at: start + 8, size: 8)
            let length = integer(entries, at: start + 32, size: 8)
            guard fits(offset, length, in: size) else {
                return "is cut short: a segment to load ends at byte \(offset &+ length), past the file's \(size) bytes"
            }
        }
        return nil
    }

    /// `e_machine` for the processor this process runs on.
    private static var hostMachine: UInt64 {
        #if arch(x86_64)
        62
        #elseif arch(arm64)
        183
        #else
        0
        #endif
    }

    /// Whether `length` bytes from `start` lie within a file of `size` bytes.
    private static func fits(_ start: UInt64, _ length: UInt64, in size: UInt64) -> Bool {
        let (end, overflow) = start.addingReportingOverflow(length)
        return !overflow && end <= size
    }

    /// The little-endian unsigned integer of `size` bytes at `offset`.
    private static func integer(_ bytes: [UInt8], at offset: Int, size: Int) -> UInt64 {
        (0..<size).reduce(0) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }
}
