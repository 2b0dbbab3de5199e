import Foundation

/// One generated case: input files (placed in the sandbox's `in/`) and the command line,
/// where `@NAME` stands for input NAME and `{out}` for the output folder.
struct FuzzCase {
    var kind: String
    var seed: UInt64
    var mutation: String
    var files: [String: [UInt8]]
    var arguments: [String]
    /// When the command exits 0: how many files it must have written under the output folder.
    var expectedOutputs: Int? = nil
}

enum Seeds {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Seeds")
    static let regressions = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Regressions")
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    private static func load(_ url: URL) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: url.path) else { fatalError("missing fuzz seed \(url.path)") }
        return [UInt8](data)
    }
    /// The small fixture checkpoint (not copied into Seeds/).
    static let checkpoint = load(repository.appendingPathComponent("Tests/DemucsTests/Fixtures/small_forward/5f0a1e01-754fa305.th"))
    static let safetensors = load(folder.appendingPathComponent("model.safetensors"))
    static let audioNames = ["mono-22k-u8.wav", "stereo-44k-s16.wav", "stereo-44k.flac", "stereo-48k-f32.wav"]
    static let audio: [String: [UInt8]] = Dictionary(uniqueKeysWithValues: audioNames.map { ($0, load(folder.appendingPathComponent($0))) })
    static let song = "stereo-44k-s16.wav"
}

enum Command {
    /// `separate` (or, one time in five, `mix`) of `audio` with model file `model`.
    static func run(audio: String, model: String, using random: inout SeededRandom, cache: Bool? = nil) -> [String] {
        var arguments: [String]
        if random.chance(0.2) {
            arguments = ["mix", "@\(audio)", "--weights", "@\(model)", "-o", "{out}/mix.wav"]
        } else {
            arguments = ["separate", "@\(audio)", "--weights", "@\(model)", "-o", "{out}"]
        }
        if !(cache ?? random.chance(0.2)) { arguments.append("--no-cache") }
        return arguments
    }
}

// MARK: - Checkpoints (.th)

enum CheckpointMutator {
    static func make(seed: UInt64) -> FuzzCase {
        var r = SeededRandom(seed: seed)
        var zip = StoredZip(Seeds.checkpoint)!
        let pkl = zip.entries.firstIndex { String(decoding: $0.name, as: UTF8.self).hasSuffix("/data.pkl") }!
        let pickle = Pickle(zip.entries[pkl].data)!
        var mutation: String
        var bytes: [UInt8]
        let roll = r.below(100)
        if roll < 40 {
            (zip.entries[pkl].data, mutation) = kwarg(pickle, &r)
            if r.chance(0.2) {
                let (second, what) = kwarg(Pickle(zip.entries[pkl].data) ?? pickle, &r)
                zip.entries[pkl].data = second
                mutation += "; " + what
            }
            bytes = zip.serialized()
        } else if roll < 60 {
            (zip.entries[pkl].data, mutation) = tensor(pickle, &r)
            bytes = zip.serialized()
        } else if roll < 70 {
            (zip.entries[pkl].data, mutation) = pickleBytes(pickle, &r)
            bytes = zip.serialized()
        } else if roll < 85 {
            mutation = entries(&zip, &r)
            bytes = zip.serialized()
        } else {
            bytes = zip.serialized()
            mutation = headers(&bytes, &r)
        }
        return FuzzCase(
            kind: "checkpoint", seed: seed, mutation: mutation, files: ["model.th": bytes, Seeds.song: Seeds.audio[Seeds.song]!],
            arguments: Command.run(audio: Seeds.song, model: "model.th", using: &r))
    }

    static func confusion(_ r: inout SeededRandom) -> ([UInt8], String) {
        r.pick([
            (PickleValue.none, "None"), (PickleValue.bool(true), "True"), (PickleValue.bool(false), "False"),
            (PickleValue.string("4"), "'4'"), (PickleValue.float(4), "4.0"), (PickleValue.int(4), "4"),
            (PickleValue.list([]), "[]"), (PickleValue.list([PickleValue.int(4)]), "[4]"),
            (PickleValue.fraction(PickleValue.int(1), PickleValue.int(2)), "Fraction(1, 2)"),
            (PickleValue.memoBomb(width: 64, depth: 6), "a memo-shared list of 64^6 elements"),
            (PickleValue.string(String(repeating: "a", count: 1 << 20)), "a 1 MB string"),
        ])
    }

    static func kwarg(_ pickle: Pickle, _ r: inout SeededRandom) -> ([UInt8], String) {
        let items = pickle.items(of: pickle.topLevel("kwargs")!)
        let item = r.pick(items)
        let key = item.keyString ?? "?"
        let original = Array(pickle.bytes[pickle.tokens[item.value.start].range.lowerBound..<pickle.tokens[item.value.end].range.upperBound])
        let roll = r.below(100)
        if roll < 8 {
            return (pickle.replacing([(Pickle.Span(start: item.key.start, end: item.value.end), [])]), "kwargs: '\(key)' removed")
        }
        if roll < 12 {
            let extra = r.pick(["unknown_argument", "__class__", "", key.uppercased()])
            return (
                pickle.replacing([(item.value, original + PickleValue.string(extra) + PickleValue.int(1))]),
                "kwargs: '\(extra)'=1 added"
            )
        }
        let op = pickle.tokens[item.value.start].op
        var value: [UInt8]
        var text: String
        if roll < 30 {
            (value, text) = confusion(&r)
        } else if Pickle.isInteger(op) {
            if r.chance(0.1) {
                let n = r.pick([9, 17])
                (value, text) = (PickleValue.huge(byteCount: n), "2^\(8 * n - 1)-1")
            } else {
                let v = interestingInteger(near: pickle.integer(pickle.tokens[item.value.start]), using: &r)
                (value, text) = (PickleValue.int(v), "\(v)")
            }
        } else if op == 0x47 {
            let v = r.pick(interestingDoubles)
            (value, text) = (PickleValue.float(v), "\(v)")
        } else if Pickle.isString(op) {
            let v = r.pick(interestingStrings)
            (value, text) = (PickleValue.string(v), "'\(v.prefix(40))'")
        } else if op == 0x63 {  // Fraction(n, d)
            func part(_ r: inout SeededRandom) -> ([UInt8], String) {
                r.chance(0.1) ? (PickleValue.huge(byteCount: 9), "2^71-1") : {
                    let v = interestingInteger(near: 2, using: &r)
                    return (PickleValue.int(v), "\(v)")
                }()
            }
            let (n, nt) = part(&r)
            let (d, dt) = part(&r)
            (value, text) = (PickleValue.fraction(n, d), "Fraction(\(nt), \(dt))")
        } else if op == 0x5d, key == "sources" {
            let standard = ["drums", "bass", "other", "vocals"]
            var names = standard
            switch r.below(5) {
            case 0: names[r.below(4)] = r.pick(interestingStrings)
            case 1: names[r.below(4)] = names[r.below(4)]
            case 2: names = Array(standard.prefix(r.below(4)))
            case 3: names += [r.pick(interestingStrings)]
            default: names = (0..<r.pick([0, 1, 100, 1000])).map { "s\($0)" }
            }
            (value, text) = (PickleValue.list(names.map(PickleValue.string)), "\(names.prefix(6).map { String($0.prefix(20)) })")
        } else if op == 0x5d {
            switch r.below(4) {
            case 0: (value, text) = (PickleValue.list([]), "[]")
            case 1: (value, text) = (PickleValue.list((0..<3).map { _ in PickleValue.float(r.pick(interestingDoubles)) }), "3 odd floats")
            case 2: (value, text) = (PickleValue.list((0..<10000).map { _ in PickleValue.int(1) }), "10000 ones")
            default: (value, text) = (PickleValue.memoBomb(width: 32, depth: 5), "a memo-shared list of 32^5 elements")
            }
        } else {
            (value, text) = confusion(&r)
        }
        return (pickle.replacing([(item.value, value + pickle.puts(in: item.value))]), "kwargs: \(key)=\(text)")
    }

    static func tensor(_ pickle: Pickle, _ r: inout SeededRandom) -> ([UInt8], String) {
        let state = pickle.items(of: pickle.topLevel("state")!)
        var item = r.pick(state)
        let name = item.keyString ?? "?"
        let span = item.value.start...item.value.end
        let roll = r.below(100)
        if roll < 60 {
            let leaves = span.filter { Pickle.isInteger(pickle.tokens[$0].op) }
            let leaf = r.pick(leaves)
            let position = leaves.firstIndex(of: leaf)!
            let v = interestingInteger(near: pickle.integer(pickle.tokens[leaf]), using: &r)
            return (
                pickle.replacing([(Pickle.Span(start: leaf, end: leaf), PickleValue.int(v))]),
                "state['\(name)']: integer #\(position) (storage size, offset, sizes, strides) = \(v)"
            )
        }
        if roll < 75 {
            let leaves = span.filter { Pickle.isString(pickle.tokens[$0].op) }
            guard let leaf = leaves.isEmpty ? nil : r.pick(leaves) else { return tensor(pickle, &r) }
            let v = r.pick(["../0", "9999", "", String(r.below(600)), "archive/data/0", "0/../1", "/etc/passwd", "cuda"])
            return (
                pickle.replacing([(Pickle.Span(start: leaf, end: leaf), PickleValue.string(v))]),
                "state['\(name)']: string '\(pickle.string(pickle.tokens[leaf]) ?? "")' -> '\(v)'"
            )
        }
        if roll < 85 {
            let other = r.pick(state).keyString ?? ""
            let v = r.pick([name + "x", other, "", String(name.dropLast()), "encoder.99.conv.weight"])
            return (
                pickle.replacing([(item.key, PickleValue.string(v) + pickle.puts(in: item.key))]), "state: '\(name)' renamed '\(v)'"
            )
        }
        item = state[0]
        let globals = (item.value.start...item.value.end).filter { pickle.tokens[$0].op == 0x63 }
        let leaf = r.pick(globals)
        let (module, symbol) = r.pick([
            ("torch", "FloatStorage"), ("torch", "DoubleStorage"), ("torch", "BFloat16Storage"), ("torch", "LongStorage"),
            ("torch", "ByteStorage"), ("torch", "BoolStorage"), ("torch", "ComplexFloatStorage"), ("torch", "UntypedStorage"),
            ("os", "system"), ("builtins", "eval"), ("torch._utils", "_rebuild_parameter"), ("torch", "HalfStorage"),
        ])
        return (
            pickle.replacing([(Pickle.Span(start: leaf, end: leaf), PickleValue.global(module, symbol))]),
            "state: global #\(globals.firstIndex(of: leaf)!) of the first tensor -> \(module).\(symbol)"
        )
    }

    static func pickleBytes(_ pickle: Pickle, _ r: inout SeededRandom) -> ([UInt8], String) {
        var bytes = pickle.bytes
        let t = r.below(pickle.tokens.count)
        let token = pickle.tokens[t].range
        switch r.below(5) {
        case 0:
            let n = 1 + r.below(4)
            bytes.flipBits(n, in: 0..<bytes.count, using: &r)
            return (bytes, "pickle: \(n) random bits flipped")
        case 1: return (Array(bytes[..<token.lowerBound]), "pickle: truncated before token \(t)")
        case 2:
            bytes.removeSubrange(token)
            return (bytes, "pickle: token \(t) removed")
        case 3:
            bytes.insert(contentsOf: bytes[token], at: token.lowerBound)
            return (bytes, "pickle: token \(t) doubled")
        default:
            bytes.flipBits(1, in: token, using: &r)
            return (bytes, "pickle: a bit flipped in token \(t)")
        }
    }

    static func entries(_ zip: inout StoredZip, _ r: inout SeededRandom) -> String {
        let i = r.below(zip.entries.count)
        let name = String(decoding: zip.entries[i].name, as: UTF8.self)
        let prefix = name.split(separator: "/").first.map(String.init) ?? "archive"
        switch r.below(8) {
        case 0:
            let other = String(decoding: zip.entries[r.below(zip.entries.count)].name, as: UTF8.self)
            let v = r.pick(["../x", other, "", "\(prefix)/data/../data.pkl", "other/data.pkl", "/\(name)", name + "/"])
            zip.entries[i].name = Array(v.utf8)
            return "zip: entry '\(name)' renamed '\(v)'"
        case 1:
            zip.entries.remove(at: i)
            return "zip: entry '\(name)' removed"
        case 2:
            zip.entries.insert(zip.entries[i], at: r.below(zip.entries.count))
            return "zip: entry '\(name)' duplicated"
        case 3:
            let keep = r.pick([0, 1, zip.entries[i].data.count / 2, max(zip.entries[i].data.count - 1, 0)])
            zip.entries[i].data = Array(zip.entries[i].data.prefix(keep))
            return "zip: entry '\(name)' cut to \(keep) bytes"
        case 4:
            zip.entries[i].data += [UInt8](repeating: 0, count: r.pick([1, 2, 4096, 1 << 20]))
            return "zip: entry '\(name)' extended with zeros"
        case 5:
            let j = zip.entries.firstIndex { String(decoding: $0.name, as: UTF8.self).hasSuffix("byteorder") } ?? i
            let v = r.pick(["big", "", "middle", "little\n"])
            zip.entries[j].data = Array(v.utf8)
            return "zip: byteorder = '\(v)'"
        case 6:
            for j in zip.entries.indices where String(decoding: zip.entries[j].name, as: UTF8.self).contains("version") {
                zip.entries[j].data = Array(r.pick(["99\n", "", "-1", "3\n"]).utf8)
            }
            return "zip: version entries changed"
        default:
            zip.entries.shuffle(using: &r)
            return "zip: entries reordered"
        }
    }

    static func headers(_ bytes: inout [UInt8], _ r: inout SeededRandom) -> String {
        let (locals, centrals, end) = StoredZip.layout(bytes)!
        func value(_ original: UInt64, width: Int) -> UInt64 {
            let max: UInt64 = width == 2 ? 0xffff : 0xffff_ffff
            return r.pick([0, max, original &+ 1, original &- 1, original &* 2, UInt64(bytes.count), UInt64(r.below(bytes.count))]) & max
        }
        switch r.below(6) {
        case 0:
            let entry = r.below(centrals.count)
            let (offset, width, field) = r.pick([
                (8, 2, "flags"), (10, 2, "method"), (16, 4, "crc"), (20, 4, "compressed size"), (24, 4, "size"),
                (28, 2, "name length"), (30, 2, "extra length"), (32, 2, "comment length"), (42, 4, "local offset"),
            ])
            let v = value(bytes.readLE(at: centrals[entry] + offset, width: width), width: width)
            bytes.putLE(v, at: centrals[entry] + offset, width: width)
            return "zip: central record \(entry) \(field) = \(v)"
        case 1:
            let entry = r.below(locals.count)
            let (offset, width, field) = r.pick([
                (6, 2, "flags"), (8, 2, "method"), (14, 4, "crc"), (18, 4, "compressed size"), (22, 4, "size"),
                (26, 2, "name length"), (28, 2, "extra length"),
            ])
            let v = value(bytes.readLE(at: locals[entry] + offset, width: width), width: width)
            bytes.putLE(v, at: locals[entry] + offset, width: width)
            return "zip: local header \(entry) \(field) = \(v)"
        case 2:
            let (offset, width, field) = r.pick([
                (8, 2, "entries on disk"), (10, 2, "entries"), (12, 4, "directory size"), (16, 4, "directory offset"),
                (20, 2, "comment length"),
            ])
            let v = value(bytes.readLE(at: end + offset, width: width), width: width)
            bytes.putLE(v, at: end + offset, width: width)
            return "zip: end record \(field) = \(v)"
        case 3:
            let keep = r.below(bytes.count)
            bytes = Array(bytes.prefix(keep))
            return "zip: file cut to \(keep) bytes"
        case 4:
            let n = 1 + r.below(8)
            let region = r.chance(0.5) ? centrals[0]..<bytes.count : 0..<min(bytes.count, 200)
            bytes.flipBits(n, in: region, using: &r)
            return "zip: \(n) bits flipped in \(region)"
        default:
            // A zip64 end locator pointing anywhere, before the end record.
            var locator = [UInt8](repeating: 0, count: 20)
            locator.putLE(0x0706_4b50, at: 0, width: 4)
            locator.putLE(r.pick([0, UInt64.max, UInt64(end)]), at: 8, width: 8)
            locator.putLE(1, at: 16, width: 4)
            bytes.insert(contentsOf: locator, at: end)
            bytes.putLE(0xffff_ffff, at: end + 20 + 16, width: 4)
            return "zip: zip64 locator inserted, directory offset 0xffffffff"
        }
    }
}

// MARK: - Safetensors

enum SafetensorsMutator {
    static func make(seed: UInt64) -> FuzzCase {
        var r = SeededRandom(seed: seed)
        let seedBytes = Seeds.safetensors
        let length = Int(seedBytes.readLE(at: 0, width: 8))
        let data = Array(seedBytes[(8 + length)...])
        var header = try! JSONSerialization.jsonObject(with: Data(seedBytes[8..<(8 + length)])) as! [String: Any]
        let names = header.keys.filter { $0 != "__metadata__" }.sorted()
        var mutation: String
        var text: [UInt8]? = nil
        var lengthField: UInt64? = nil
        var tail = data
        let roll = r.below(100)
        if roll < 45 {
            let name = r.pick(names)
            var tensor = header[name] as! [String: Any]
            var shape = tensor["shape"] as! [Int]
            let offsets = tensor["data_offsets"] as! [Int]
            switch r.below(9) {
            case 0:
                let v: Any = r.pick(["F32", "BF16", "F64", "I64", "I8", "U8", "BOOL", "F8_E4M3", "", "f16", 7, NSNull()] as [Any])
                tensor["dtype"] = v
                mutation = "'\(name)' dtype = \(v)"
            case 1:
                if shape.isEmpty { shape = [1] }
                let i = r.below(shape.count)
                let v = interestingInteger(near: Int64(shape[i]), using: &r)
                shape[i] = Int(v)
                tensor["shape"] = shape
                mutation = "'\(name)' shape[\(i)] = \(v)"
            case 2:
                let v: [Int] = r.pick([Array(shape.dropLast()), shape + [1], shape + [1 << 20], [], shape.reversed(), [shape.reduce(1, *)]])
                tensor["shape"] = v
                mutation = "'\(name)' shape = \(v)"
            case 3:
                let other = (header[r.pick(names)] as! [String: Any])["data_offsets"] as! [Int]
                let total = data.count
                let v: [Any] = r.pick([
                    [offsets[1], offsets[0]], [offsets[0], offsets[0]], [offsets[0], total + 1], [0, total], [-1, offsets[1]],
                    [offsets[0] + 1, offsets[1] + 1], other, [Int.max - 1, Int.max], [offsets[0]], ["0", "2"],
                    [offsets[0], offsets[1], 9],
                ])
                tensor["data_offsets"] = v
                mutation = "'\(name)' data_offsets = \(v)"
            case 4:
                header[name] = nil
                mutation = "'\(name)' removed"
            case 5:
                let v = r.pick([name + "x", "", "encoder.99.conv.weight", "../" + name])
                header[name] = nil
                header[v] = tensor
                mutation = "'\(name)' renamed '\(v)'"
            case 6:
                let largest = names.max { a, b in
                    let x = (header[a] as! [String: Any])["data_offsets"] as! [Int]
                    let y = (header[b] as! [String: Any])["data_offsets"] as! [Int]
                    return x[1] - x[0] < y[1] - y[0]
                }!
                let count = r.pick([2000, 20000])
                for k in 0..<count { header["bomb.\(k)"] = header[largest] }
                mutation = "\(count) extra entries all viewing '\(largest)'"
            case 7:
                tensor[r.pick(["extra", "__proto__"])] = [1, 2]
                mutation = "'\(name)' has an unknown field"
            default:
                header[name] = r.pick([NSNull(), 1, "x", [1, 2]] as [Any])
                mutation = "'\(name)' is not an object"
            }
            if header[name] != nil, header[name] is [String: Any], !mutation.hasSuffix("removed"), !mutation.contains("renamed"),
                !mutation.contains("not an object")
            {
                header[name] = tensor
            }
        } else if roll < 65 {
            var metadata = header["__metadata__"] as! [String: String]
            switch r.below(6) {
            case 0:
                var names = ["drums", "bass", "other", "vocals"]
                switch r.below(3) {
                case 0: names[r.below(4)] = r.pick(interestingStrings).replacingOccurrences(of: ",", with: "")
                case 1: names[r.below(4)] = names[r.below(4)]
                default: names = Array(names.prefix(r.below(4))) + (r.chance(0.5) ? ["x", "y"] : [])
                }
                metadata["sources"] = names.joined(separator: ",")
                mutation = "sources = '\(metadata["sources"]!.prefix(80))'"
            case 1:
                metadata["segment"] = r.pick(["nan", "inf", "-inf", "1e300", "-1", "0", "0.0001", "1e-300", "", "0x10", "7.8", "1"])
                mutation = "segment = '\(metadata["segment"]!)'"
            case 2:
                metadata["t_heads"] = r.pick(["0", "-8", "1", "3", "999999999999", "4.0", "", "9223372036854775807"])
                mutation = "t_heads = '\(metadata["t_heads"]!)'"
            case 3:
                metadata[r.pick(["sources", "segment", "t_heads"])] = nil
                mutation = "a metadata key removed"
            case 4:
                metadata["samplerate"] = r.pick(["1", "0", "4294967296"])
                mutation = "samplerate metadata = '\(metadata["samplerate"]!)'"
            default:
                header["__metadata__"] = r.pick([NSNull(), "x", [1], ["sources": 4]] as [Any])
                mutation = "__metadata__ = \(header["__metadata__"]!)"
            }
            if !mutation.hasPrefix("__metadata__") { header["__metadata__"] = metadata }
        } else if roll < 80 {
            let v = r.pick([0, 1, 2, UInt64(length - 1), UInt64(length + 1), UInt64(seedBytes.count), UInt64.max, 1 << 62, 100_000_001])
            lengthField = v
            mutation = "header length = \(v)"
        } else if roll < 92 {
            var json = [UInt8](try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
            switch r.below(3) {
            case 0:
                let n = 1 + r.below(6)
                json.flipBits(n, in: 0..<json.count, using: &r)
                mutation = "\(n) bits flipped in the JSON header"
            case 1:
                json = Array(json.prefix(r.below(json.count)))
                mutation = "JSON header cut to \(json.count) bytes"
            default:
                let name = r.pick(names)
                let duplicate = ",\"\(name)\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"
                json = Array(json.dropLast()) + Array(duplicate.utf8)
                mutation = "'\(name)' appears twice in the JSON header"
            }
            text = json
        } else {
            let keep = r.below(data.count)
            tail = Array(data.prefix(keep))
            mutation = "data cut to \(keep) of \(data.count) bytes"
        }
        var json = text ?? [UInt8](try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        if text == nil { json += [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8) }
        var bytes = [UInt8](repeating: 0, count: 8)
        bytes.putLE(lengthField ?? UInt64(json.count), at: 0, width: 8)
        bytes += json + tail
        return FuzzCase(
            kind: "safetensors", seed: seed, mutation: mutation,
            files: ["model.safetensors": bytes, Seeds.song: Seeds.audio[Seeds.song]!],
            arguments: Command.run(audio: Seeds.song, model: "model.safetensors", using: &r))
    }
}

// MARK: - Audio

enum AudioMutator {
    static func make(seed: UInt64) -> FuzzCase {
        var r = SeededRandom(seed: seed)
        let source = r.pick(Seeds.audioNames)
        var bytes = Seeds.audio[source]!
        var mutation: String
        let roll = r.below(100)
        if roll < 55 {
            mutation = source.hasSuffix(".wav") ? wav(&bytes, &r) : flac(&bytes, &r)
        } else if roll < 70 {
            let keep = r.chance(0.5) ? r.below(min(bytes.count, 100)) : r.below(bytes.count)
            bytes = Array(bytes.prefix(keep))
            mutation = "cut to \(keep) bytes"
        } else if roll < 85 {
            let n = 1 + r.below(8)
            bytes.flipBits(n, in: 0..<min(bytes.count, 128), using: &r)
            mutation = "\(n) bits flipped in the first 128 bytes"
        } else {
            let n = 1 + r.below(64)
            bytes.flipBits(n, in: 0..<bytes.count, using: &r)
            mutation = "\(n) bits flipped anywhere"
        }
        var name = source
        if r.chance(0.1) {
            let ext = r.pick([".wav", ".flac", ".mp3", ".ogg", "", ".txt"])
            name = (source as NSString).deletingPathExtension + ext
            mutation += "; named \(name)"
        }
        return FuzzCase(
            kind: "audio", seed: seed, mutation: "\(source): \(mutation)", files: [name: bytes, "model.th": Seeds.checkpoint],
            arguments: Command.run(audio: name, model: "model.th", using: &r))
    }

    /// Offsets of a RIFF chunk's header by id.
    static func chunk(_ id: String, in bytes: [UInt8]) -> Int? {
        var at = 12
        while at + 8 <= bytes.count {
            if Array(bytes[at..<(at + 4)]) == Array(id.utf8) { return at }
            at += 8 + Int(bytes.readLE(at: at + 4, width: 4)) + Int(bytes.readLE(at: at + 4, width: 4) & 1)
        }
        return nil
    }

    static func wav(_ bytes: inout [UInt8], _ r: inout SeededRandom) -> String {
        let fmt = chunk("fmt ", in: bytes)!
        let data = chunk("data", in: bytes)!
        func set(_ offset: Int, _ width: Int, _ values: [UInt64], _ field: String) -> String {
            let v = r.pick(values + [0, width == 2 ? 0xffff : 0xffff_ffff, bytes.readLE(at: offset, width: width) &+ 1])
            bytes.putLE(v, at: offset, width: width)
            return "\(field) = \(v)"
        }
        switch r.below(11) {
        case 0: return set(4, 4, [36, UInt64(bytes.count), 0x7fff_ffff], "RIFF size")
        case 1: return set(fmt + 8, 2, [1, 3, 0xfffe, 2, 0x55, 6, 7, 0x11], "format tag")
        case 2: return set(fmt + 10, 2, [1, 2, 3, 6, 8, 64, 1024], "channels")
        case 3: return set(fmt + 12, 4, [1, 2, 100, 8000, 384_000, 768_000, 1 << 31, 5_644_800], "sample rate")
        case 4: return set(fmt + 16, 4, [1, 176_400], "byte rate")
        case 5: return set(fmt + 20, 2, [1, 2, 3, 4, 8], "block align")
        case 6: return set(fmt + 22, 2, [1, 8, 12, 16, 24, 32, 64], "bits per sample")
        case 7: return set(fmt + 4, 4, [14, 16, 18, 40, 1000], "fmt size")
        case 8: return set(data + 4, 4, [1, 3, UInt64(bytes.count), 0x7fff_ffff], "data size")
        case 9:
            var junk = Array("LIST".utf8) + [0, 0, 0, 0]
            junk.putLE(r.pick([0, 1, 0x7fff_fff0, 0xffff_ffff]), at: 4, width: 4)
            bytes.insert(contentsOf: junk, at: data)
            return "a LIST chunk of size \(junk.readLE(at: 4, width: 4)) before data"
        default:
            let magic = r.pick(["RIFX", "RF64", "FORM", "\0\0\0\0"])
            bytes.replaceSubrange(0..<4, with: Array(magic.utf8))
            return "magic '\(magic)'"
        }
    }

    static func flac(_ bytes: inout [UInt8], _ r: inout SeededRandom) -> String {
        // STREAMINFO starts at byte 8: block sizes (2+2), frame sizes (3+3), then 20 bits
        // of rate, 3 of channels - 1, 5 of bits - 1, 36 of total samples, 16 bytes of MD5.
        func setBits(_ bitOffset: Int, _ width: Int, _ value: UInt64) {
            for i in 0..<width {
                let bit = (value >> UInt64(width - 1 - i)) & 1
                let position = 8 * 18 + bitOffset + i
                let mask = UInt8(0x80 >> (position % 8))
                if bit == 1 { bytes[position / 8] |= mask } else { bytes[position / 8] &= ~mask }
            }
        }
        switch r.below(8) {
        case 0:
            let v = r.pick([0, 1, 1000, 8000, 655_350, 1_048_575] as [UInt64])
            setBits(0, 20, v)
            return "STREAMINFO sample rate = \(v)"
        case 1:
            let v = UInt64(r.below(8))
            setBits(20, 3, v)
            return "STREAMINFO channels = \(v + 1)"
        case 2:
            let v = UInt64(r.below(32))
            setBits(23, 5, v)
            return "STREAMINFO bits per sample = \(v + 1)"
        case 3:
            let v = r.pick([0, 1, (1 << 36) - 1, 1 << 30] as [UInt64])
            setBits(28, 36, v)
            return "STREAMINFO total samples = \(v)"
        case 4:
            let v = r.pick([0, 1, 15, 16, 65535] as [UInt64])
            bytes.putLE((v >> 8) | ((v & 0xff) << 8), at: 8 + 2 * r.below(2), width: 2)
            return "STREAMINFO block size = \(v)"
        case 5:
            let v = r.pick([0, 1, 33, 34, 0xffffff] as [UInt64])
            bytes[5] = UInt8(v >> 16 & 0xff)
            bytes[6] = UInt8(v >> 8 & 0xff)
            bytes[7] = UInt8(v & 0xff)
            return "STREAMINFO block length = \(v)"
        case 6:
            bytes[4] = r.pick([0x80, 0x7f, 0x01, 0x06, 0x84])
            return "first metadata block header = \(bytes[4])"
        default:
            let at = 42 + r.below(max(bytes.count - 42, 1))
            let n = 1 + r.below(16)
            bytes.flipBits(n, in: at..<min(at + 16, bytes.count), using: &r)
            return "\(n) bits flipped in frame data at \(at)"
        }
    }
}

// MARK: - Options

enum OptionMutator {
    static func make(seed: UInt64) -> FuzzCase {
        var r = SeededRandom(seed: seed)
        let isMix = r.chance(0.25)
        var arguments: [String]
        var twoStems = false
        if isMix {
            let ext = r.pick([".wav", ".flac", ".mp3", ".ogg", ""])
            arguments = ["mix", "@\(Seeds.song)", "--weights", "@model.th", "-o", "{out}/mix\(ext)"]
        } else {
            arguments = ["separate", "@\(Seeds.song)", "--weights", "@model.th", "-o", "{out}"]
        }
        var options: [(String, [String])] = [
            ("--segment", ["0", "-1", "nan", "inf", "1e300", "0.00003", "0.1", "0.25", "0.5", "1", "7.8", "1e-300", "abc"]),
            ("--overlap", ["0", "0.25", "0.9", "0.95", "0.99", "1", "-0", "nan", "1e-300", "-0.5"]),
            ("--shifts", ["0", "1", "2", "20", "21", "-1", "1000000", "9223372036854775807", "x"]),
            ("--seed", ["0", "18446744073709551615", "-1"]),
            ("--bits", ["16", "24", "32f", "8", "32"]),
            ("--format", ["wav", "flac", "mp3", "ogg", ""]),
            ("--clip", ["rescale", "clamp", "none", "x"]),
        ]
        if isMix {
            options += [
                ("--gain", ["drums=+3", "vocals=-inf", "x=1", "drums=nan", "drums=1e300", "drums=-1e300", "bass=", "=3", "drums=inf"]),
                ("--mute", ["drums", "x", ""]), ("--solo", ["vocals", "x"]),
                ("--preset", ["karaoke", "acapella", "drumless", "bassless", "x"]),
            ]
        } else {
            options += [
                ("--filename", [
                    "{track}/{stem}.{ext}", "{stem}.{ext}", "/", "", ".", "{track}.{ext}", "{stem}/{stem}.{ext}",
                    "{stem}{stem}.{ext}", "x/{stem}", "{stem}.{trackext}", "{track}-{stem}.{ext}", "{unknown}.{ext}",
                ]),
                ("--two-stems", ["vocals", "drums", "nothing", "", "no_vocals"]),
            ]
        }
        var chosen: [String] = []
        for (flag, values) in options where r.chance(0.2) {
            let value = r.pick(values)
            arguments += [flag, value]
            chosen.append("\(flag) '\(value)'")
            if flag == "--two-stems" { twoStems = true }
        }
        if r.chance(0.7) { arguments.append("--no-cache") }
        return FuzzCase(
            kind: "options", seed: seed, mutation: chosen.isEmpty ? "no options" : chosen.joined(separator: " "),
            files: [Seeds.song: Seeds.audio[Seeds.song]!, "model.th": Seeds.checkpoint], arguments: arguments,
            expectedOutputs: isMix ? 1 : (twoStems ? 2 : 4))
    }
}
