/// Reads little-endian integers from a byte buffer, returning nil past the end.
extension UnsafeRawBufferPointer {
    func le<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T? {
        guard offset >= 0, offset <= count - MemoryLayout<T>.size else { return nil }
        return T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

/// The stored (uncompressed) entries of a zip file as written by `torch.save`:
/// central directory, end-of-central-directory and ZIP64 records, no compression.
struct ZipArchive {
    /// Entry name → byte range of its data within the file.
    let entries: [String: Range<Int>]

    private static let eocdSignature: UInt32 = 0x0605_4b50
    private static let zip64LocatorSignature: UInt32 = 0x0706_4b50
    private static let zip64EndSignature: UInt32 = 0x0606_4b50
    private static let centralSignature: UInt32 = 0x0201_4b50
    private static let localSignature: UInt32 = 0x0403_4b50
    private static let centralHeaderSize = 46
    private static let localHeaderSize = 30

    init(_ file: UnsafeRawBufferPointer) throws(ModelFileError.Problem) {
        let (directory, count) = try Self.centralDirectory(file)
        var entries: [String: Range<Int>] = [:]
        var at = directory.lowerBound
        for _ in 0..<count {
            let (name, data, next) = try Self.entry(file, at: at, within: directory)
            guard entries.updateValue(data, forKey: name) == nil else {
                throw .malformedZip("entry '\(name)' appears twice")
            }
            at = next
        }
        self.entries = entries
    }

    /// Finds the central directory's byte range and entry count.
    private static func centralDirectory(
        _ file: UnsafeRawBufferPointer
    ) throws(ModelFileError.Problem) -> (Range<Int>, Int) {
        let eocdSize = 22
        guard file.count >= eocdSize else {
            throw .truncated("\(file.count) bytes is too short for a zip")
        }
        // The record sits at the very end, followed only by a comment of ≤ 65535 bytes.
        var eocd: Int?
        var candidate = file.count - eocdSize
        while candidate >= max(0, file.count - eocdSize - 0xFFFF) {
            if file.le(UInt32.self, at: candidate) == eocdSignature,
               let commentLength = file.le(UInt16.self, at: candidate + 20),
               candidate + eocdSize + Int(commentLength) == file.count {
                eocd = candidate
                break
            }
            candidate -= 1
        }
        guard let eocd else {
            throw .truncated("no end-of-central-directory record (truncated, or not a zip)")
        }
        var count = UInt64(file.le(UInt16.self, at: eocd + 10)!)
        var size = UInt64(file.le(UInt32.self, at: eocd + 12)!)
        var offset = UInt64(file.le(UInt32.self, at: eocd + 16)!)
        let locator = eocd - 20
        if locator >= 0, file.le(UInt32.self, at: locator) == zip64LocatorSignature {
            let end64 = file.le(UInt64.self, at: locator + 8)!
            guard end64 <= UInt64(locator),
                  file.le(UInt32.self, at: Int(end64)) == zip64EndSignature,
                  let count64 = file.le(UInt64.self, at: Int(end64) + 32),
                  let size64 = file.le(UInt64.self, at: Int(end64) + 40),
                  let offset64 = file.le(UInt64.self, at: Int(end64) + 48)
            else { throw .malformedZip("bad ZIP64 end-of-central-directory record") }
            (count, size, offset) = (count64, size64, offset64)
        } else if count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
            throw .malformedZip("ZIP64 sizes without a ZIP64 locator")
        }
        guard offset <= UInt64(eocd), size <= UInt64(eocd) - offset else {
            throw .truncated("central directory lies outside the file")
        }
        guard count <= size / UInt64(centralHeaderSize) else {
            throw .malformedZip("\(count) entries cannot fit in a \(size)-byte central directory")
        }
        return (Int(offset)..<Int(offset + size), Int(count))
    }

    /// Parses the central-directory entry at `at`, returning its name, data range
    /// and the offset of the next entry.
    private static func entry(
        _ file: UnsafeRawBufferPointer, at: Int, within directory: Range<Int>
    ) throws(ModelFileError.Problem) -> (String, Range<Int>, Int) {
        guard at + centralHeaderSize <= directory.upperBound,
              file.le(UInt32.self, at: at) == centralSignature
        else { throw .malformedZip("bad central directory entry at byte \(at)") }
        let flags = file.le(UInt16.self, at: at + 8)!
        let method = file.le(UInt16.self, at: at + 10)!
        var compressed = UInt64(file.le(UInt32.self, at: at + 20)!)
        var size = UInt64(file.le(UInt32.self, at: at + 24)!)
        let nameLength = Int(file.le(UInt16.self, at: at + 28)!)
        let extraLength = Int(file.le(UInt16.self, at: at + 30)!)
        let commentLength = Int(file.le(UInt16.self, at: at + 32)!)
        var local = UInt64(file.le(UInt32.self, at: at + 42)!)
        let nameStart = at + centralHeaderSize
        let next = nameStart + nameLength + extraLength + commentLength
        guard next <= directory.upperBound else {
            throw .malformedZip("central directory entry at byte \(at) overruns the directory")
        }
        let nameBytes = UnsafeRawBufferPointer(rebasing: file[nameStart..<nameStart + nameLength])
        guard let name = String(validating: nameBytes, as: UTF8.self) else {
            throw .malformedZip("entry name at byte \(at) is not UTF-8")
        }
        guard isSafe(name) else { throw .unsafeEntryName(name) }
        guard method == 0 else { throw .compressedEntry(name: name, method: Int(method)) }
        guard flags & 1 == 0 else { throw .malformedZip("entry '\(name)' is encrypted") }

        // ZIP64 extra field: 64-bit values for exactly the fields saturated above.
        var extra = nameStart + nameLength
        let extraEnd = extra + extraLength
        while extra + 4 <= extraEnd {
            let id = file.le(UInt16.self, at: extra)!
            let length = Int(file.le(UInt16.self, at: extra + 2)!)
            guard extra + 4 + length <= extraEnd else {
                throw .malformedZip("extra field of '\(name)' overruns its entry")
            }
            if id == 1 {
                var field = extra + 4
                func wide(_ value: inout UInt64) throws(ModelFileError.Problem) {
                    guard value == 0xFFFF_FFFF else { return }
                    guard field + 8 <= extra + 4 + length else {
                        throw .malformedZip("ZIP64 extra field of '\(name)' is too short")
                    }
                    value = file.le(UInt64.self, at: field)!
                    field += 8
                }
                try wide(&size)
                try wide(&compressed)
                try wide(&local)
            }
            extra += 4 + length
        }
        guard compressed == size else {
            throw .malformedZip("stored entry '\(name)' has different stored and real sizes")
        }

        // Local header: its own name and extra lengths (torch pads the extra field
        // to align data) decide where the data starts.
        guard file.count >= localHeaderSize, local <= UInt64(file.count - localHeaderSize) else { throw .entryOutOfBounds(name) }
        let header = Int(local)
        guard file.le(UInt32.self, at: header) == localSignature else {
            throw .malformedZip("no local header for '\(name)' at byte \(header)")
        }
        let localName = Int(file.le(UInt16.self, at: header + 26)!)
        let localExtra = Int(file.le(UInt16.self, at: header + 28)!)
        let dataStart = header + localHeaderSize + localName + localExtra
        guard dataStart <= file.count, size <= UInt64(file.count - dataStart) else {
            throw .entryOutOfBounds(name)
        }
        guard localName == nameLength,
              file[header + localHeaderSize..<header + localHeaderSize + localName]
                .elementsEqual(nameBytes)
        else { throw .malformedZip("local header name differs from central directory for '\(name)'") }
        return (name, dataStart..<dataStart + Int(size), next)
    }

    /// Whether an entry name stays inside the archive: relative, no `..` component.
    private static func isSafe(_ name: String) -> Bool {
        guard !name.isEmpty, !name.hasPrefix("/"), !name.hasPrefix("\\") else { return false }
        if name.count >= 2, name.dropFirst().first == ":" { return false }
        return !name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).contains("..")
    }
}
