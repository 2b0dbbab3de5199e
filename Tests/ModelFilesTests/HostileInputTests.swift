import Foundation
import Testing
@testable import ModelFiles

/// A valid one-tensor checkpoint's pieces, for tests to corrupt one at a time.
private let halfStorage = [UInt8](repeating: 0, count: 12)
private func oneTensor(numel: Int = 6, shape: [Int] = [2, 3], stride: [Int] = [3, 1], key: String = "0") -> [UInt8] {
    Pickle.dict([(Pickle.string("w"), Pickle.tensor(key: key, numel: numel, shape: shape, stride: stride))])
}

@Suite("Hostile zip containers")
struct HostileZipTests {
    @Test func builtCheckpointLoads() throws {
        let state = try withTemporaryFile(makeCheckpoint(pickle: oneTensor(), storages: ["0": halfStorage])) { url in
            try TorchCheckpoint.load(contentsOf: url).state
        }
        #expect(state["w"] == StoredTensor(shape: [2, 3], values: Array(repeating: 0, count: 6), sourceType: .float16))
    }

    @Test func truncatedFileIsRefused() throws {
        let whole = try [UInt8](Data(contentsOf: fixtures.appendingPathComponent("plain_state.th")))
        guard case .truncated? = loadCheckpoint(Array(whole.prefix(whole.count / 2))) else {
            Issue.record("half a checkpoint was not reported as truncated")
            return
        }
        guard case .truncated? = loadCheckpoint([0x50, 0x4B]) else {
            Issue.record("two bytes were not reported as truncated")
            return
        }
    }

    @Test func compressedEntryIsRefused() {
        let zip = makeZip([ZipEntrySpec(name: "archive/data.pkl", data: oneTensor(), method: 8)])
        #expect(loadCheckpoint(zip) == .compressedEntry(name: "archive/data.pkl", method: 8))
    }

    @Test func parentDirectoryEntryNameIsRefused() {
        let zip = makeZip([ZipEntrySpec(name: "../archive/data.pkl", data: oneTensor())])
        #expect(loadCheckpoint(zip) == .unsafeEntryName("../archive/data.pkl"))
        let absolute = makeZip([ZipEntrySpec(name: "/etc/data.pkl", data: oneTensor())])
        #expect(loadCheckpoint(absolute) == .unsafeEntryName("/etc/data.pkl"))
    }

    @Test func entryRunningPastTheFileIsRefused() {
        let zip = makeZip([ZipEntrySpec(name: "archive/data.pkl", data: oneTensor(), extraDataClaim: 1 << 20)])
        #expect(loadCheckpoint(zip) == .entryOutOfBounds("archive/data.pkl"))
    }

    @Test func missingDataPickleIsRefused() {
        #expect(loadCheckpoint(makeZip([ZipEntrySpec(name: "x", data: [1])])) == .missingEntry("<archive>/data.pkl"))
    }

    @Test func storageKeyWithoutEntryIsRefused() {
        #expect(loadCheckpoint(makeCheckpoint(pickle: oneTensor(key: "7"), storages: ["0": halfStorage]))
            == .missingEntry("archive/data/7"))
    }

    @Test func tensorLargerThanItsStorageIsRefused() {
        let pickle = oneTensor(numel: 60, shape: [20, 3], stride: [3, 1])
        #expect(loadCheckpoint(makeCheckpoint(pickle: pickle, storages: ["0": halfStorage]))
            == .storageTooSmall(tensor: "w", neededBytes: 120, availableBytes: 12))
    }

    @Test func nonContiguousStrideIsRefused() {
        let pickle = oneTensor(shape: [2, 3], stride: [1, 2])
        #expect(loadCheckpoint(makeCheckpoint(pickle: pickle, storages: ["0": halfStorage]))
            == .nonContiguous(tensor: "w", shape: [2, 3], stride: [1, 2]))
    }
}

@Suite("Hostile pickles")
struct HostilePickleTests {
    func load(_ pickle: [UInt8]) -> ModelFileError.Problem? {
        loadCheckpoint(makeCheckpoint(pickle: pickle))
    }

    @Test func unknownOpcodeIsNamed() {
        #expect(load(Pickle.proto + [0x69] + Pickle.stop) == .unknownOpcode(0x69, offset: 2))
    }

    @Test func reduceOfOsSystemIsRefusedAtTheGlobal() {
        let pickle = Pickle.proto + Pickle.global("os", "system") + Pickle.mark + Pickle.string("rm -rf /")
            + Pickle.tuple + Pickle.reduce + Pickle.stop
        #expect(load(pickle) == .forbiddenGlobal(module: "os", name: "system"))
    }

    @Test func stackGlobalOfEvalIsRefused() {
        let pickle = Pickle.proto + [0x8C, 8] + Array("builtins".utf8) + [0x8C, 4] + Array("eval".utf8)
            + [0x93] + Pickle.stop
        #expect(load(pickle) == .forbiddenGlobal(module: "builtins", name: "eval"))
    }

    @Test func callingTheDemucsClassIsRefused() {
        let pickle = Pickle.proto + Pickle.global("demucs.htdemucs", "HTDemucs") + Pickle.emptyTuple
            + Pickle.reduce + Pickle.stop
        #expect(load(pickle) == .forbiddenCall("demucs.htdemucs.HTDemucs"))
    }

    @Test func unicodeClaimingGigabytesIsRefusedWithoutAllocating() {
        let pickle = Pickle.proto + [0x58] + Bytes.le(UInt32.max) + Array("abc".utf8)
        #expect(load(pickle) == .lengthPastEnd(opcode: "BINUNICODE", claimed: UInt64(UInt32.max), remaining: 3))
        let huge = Pickle.proto + [0x8E] + Bytes.le(UInt64.max)
        #expect(load(huge) == .lengthPastEnd(opcode: "BINBYTES8", claimed: .max, remaining: 0))
    }

    @Test func deepMarkNestingHitsTheLimit() {
        guard case .limitExceeded? = load(Pickle.proto + Array(repeating: 0x28, count: 100_000)) else {
            Issue.record("100 000 MARKs were accepted")
            return
        }
    }

    @Test func deepTupleNestingHitsTheLimit() {
        let pickle = Pickle.proto + Pickle.emptyTuple + Array(repeating: 0x85, count: 100_000) + Pickle.stop
        guard case .limitExceeded? = load(pickle) else {
            Issue.record("100 000 nested tuples were accepted")
            return
        }
    }

    @Test func listContainingItselfIsRefused() {
        // kwargs = {'x': l} where l.append(l), via the memo.
        let cycle = Pickle.emptyList + [0x71, 0] + [0x68, 0] + [0x61]
        let pickle = Pickle.dict([
            (Pickle.string("klass"), Pickle.global("demucs.htdemucs", "HTDemucs")),
            (Pickle.string("kwargs"), Pickle.emptyDict + Pickle.string("x") + cycle + [0x73]),
            (Pickle.string("state"), Pickle.emptyDict),
        ])
        guard case .limitExceeded? = load(pickle) else {
            Issue.record("a self-containing list was accepted")
            return
        }
    }

    @Test func unsetMemoEntryIsRefused() {
        #expect(load(Pickle.proto + [0x68, 9] + Pickle.stop) == .malformedPickle("memo entry 9 is unset"))
    }

    @Test func pickleWithoutStopIsTruncated() {
        #expect(load(Pickle.proto + Pickle.emptyDict) == .truncated("pickle ends at byte 3 without STOP"))
    }

    @Test func nonTensorInStateIsRefused() {
        let pickle = Pickle.dict([(Pickle.string("__quantized"), [0x88])])
        #expect(load(pickle) == .unexpectedLayout("state entry '__quantized' is not a tensor"))
    }
}
