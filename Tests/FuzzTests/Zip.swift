/// The stored (uncompressed) zip that `torch.save` writes: read through its central
/// directory, and written back with fresh headers and CRCs.
struct StoredZip {
    struct Entry {
        var name: [UInt8]
        var data: [UInt8]
    }
    var entries: [Entry] = []

    init(entries: [Entry]) { self.entries = entries }

    init?(_ bytes: [UInt8]) {
        guard bytes.count >= 22,
            let end = stride(from: bytes.count - 22, through: max(0, bytes.count - 65_557), by: -1).first(where: {
                bytes.readLE(at: $0, width: 4) == 0x0605_4b50
            })
        else { return nil }
        let count = Int(bytes.readLE(at: end + 10, width: 2))
        var at = Int(bytes.readLE(at: end + 16, width: 4))
        for _ in 0..<count {
            guard at + 46 <= bytes.count, bytes.readLE(at: at, width: 4) == 0x0201_4b50 else { return nil }
            let size = Int(bytes.readLE(at: at + 20, width: 4))
            let nameLength = Int(bytes.readLE(at: at + 28, width: 2))
            let extra = Int(bytes.readLE(at: at + 30, width: 2))
            let comment = Int(bytes.readLE(at: at + 32, width: 2))
            let local = Int(bytes.readLE(at: at + 42, width: 4))
            guard at + 46 + nameLength <= bytes.count, local + 30 <= bytes.count else { return nil }
            let name = Array(bytes[(at + 46)..<(at + 46 + nameLength)])
            let start = local + 30 + Int(bytes.readLE(at: local + 26, width: 2)) + Int(bytes.readLE(at: local + 28, width: 2))
            guard start + size <= bytes.count else { return nil }
            entries.append(Entry(name: name, data: Array(bytes[start..<(start + size)])))
            at += 46 + nameLength + extra + comment
        }
    }

    func index(named name: String) -> Int? { entries.firstIndex { $0.name == Array(name.utf8) } }

    /// The archive, each entry's data aligned to 64 bytes as torch.save does.
    func serialized() -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        for entry in entries {
            let offset = out.count
            let crc = crc32(entry.data)
            let padding = (64 - (offset + 30 + entry.name.count + 4) % 64) % 64
            var local = [UInt8](repeating: 0, count: 30)
            local.putLE(0x0403_4b50, at: 0, width: 4)
            local.putLE(20, at: 4, width: 2)
            local.putLE(UInt64(crc), at: 14, width: 4)
            local.putLE(UInt64(entry.data.count), at: 18, width: 4)
            local.putLE(UInt64(entry.data.count), at: 22, width: 4)
            local.putLE(UInt64(entry.name.count), at: 26, width: 2)
            local.putLE(UInt64(padding + 4), at: 28, width: 2)
            var extra: [UInt8] = [0x46, 0x42, 0, 0]  // torch's "FB" padding field
            extra.putLE(UInt64(padding), at: 2, width: 2)
            out += local + entry.name + extra + [UInt8](repeating: 0x5a, count: padding) + entry.data
            var record = [UInt8](repeating: 0, count: 46)
            record.putLE(0x0201_4b50, at: 0, width: 4)
            record.putLE(20, at: 4, width: 2)
            record.putLE(20, at: 6, width: 2)
            record.putLE(UInt64(crc), at: 16, width: 4)
            record.putLE(UInt64(entry.data.count), at: 20, width: 4)
            record.putLE(UInt64(entry.data.count), at: 24, width: 4)
            record.putLE(UInt64(entry.name.count), at: 28, width: 2)
            record.putLE(UInt64(offset), at: 42, width: 4)
            central += record + entry.name
        }
        var end = [UInt8](repeating: 0, count: 22)
        end.putLE(0x0605_4b50, at: 0, width: 4)
        end.putLE(UInt64(entries.count), at: 8, width: 2)
        end.putLE(UInt64(entries.count), at: 10, width: 2)
        end.putLE(UInt64(central.count), at: 12, width: 4)
        end.putLE(UInt64(out.count), at: 16, width: 4)
        return out + central + end
    }

    /// Offsets of the records of a serialized archive: local headers, central records, end.
    static func layout(_ bytes: [UInt8]) -> (locals: [Int], centrals: [Int], end: Int)? {
        guard bytes.count >= 22 else { return nil }
        let end = bytes.count - 22
        guard bytes.readLE(at: end, width: 4) == 0x0605_4b50 else { return nil }
        var centrals: [Int] = []
        var locals: [Int] = []
        var at = Int(bytes.readLE(at: end + 16, width: 4))
        for _ in 0..<Int(bytes.readLE(at: end + 10, width: 2)) {
            centrals.append(at)
            locals.append(Int(bytes.readLE(at: at + 42, width: 4)))
            at += 46 + Int(bytes.readLE(at: at + 28, width: 2))
        }
        return (locals, centrals, end)
    }
}

private let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
}

func crc32(_ data: [UInt8]) -> UInt32 {
    var c: UInt32 = 0xFFFF_FFFF
    for byte in data { c = crcTable[Int((c ^ UInt32(byte)) & 0xff)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
}
