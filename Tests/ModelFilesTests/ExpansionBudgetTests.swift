import Foundation
import Testing
@testable import ModelFiles

/// A demucs package whose `kwargs` is `{'x': value}` (`value`: pickle ops leaving one object).
private func packageWithKwarg(_ value: [UInt8]) -> [UInt8] {
    Pickle.dict([
        (Pickle.string("klass"), Pickle.global("demucs.htdemucs", "HTDemucs")),
        (Pickle.string("kwargs"), Pickle.emptyDict + Pickle.string("x") + value + Pickle.setItem),
        (Pickle.string("state"), Pickle.emptyDict),
    ])
}

/// A checkpoint of `count` fp16 tensors `t0`, `t1`, … of `length` elements, all views of
/// one storage of `storageLength` elements; tensor `i` starts at element `offset(i)`.
private func viewsOfOneStorage(
    count: Int, length: Int, storageLength: Int, offset: (Int) -> Int
) -> [UInt8] {
    let pairs = (0..<count).map { i in
        (Pickle.string("t\(i)"),
         Pickle.tensor(key: "0", numel: storageLength, offset: offset(i), shape: [length], stride: [1]))
    }
    return makeCheckpoint(pickle: Pickle.dict(pairs), storages: ["0": [UInt8](repeating: 0, count: 2 * storageLength)])
}

/// Each of these files would make the old reader allocate tens of gigabytes; the limit
/// keeps a regression from hanging the run instead of failing it.
@Suite("What a model file may expand to", .timeLimit(.minutes(3)))
struct ExpansionBudgetTests {
    @Test func nestedListReusedThroughTheMemoIsRefusedBeforeItExpands() {
        // level 0 holds 64 ints; level k holds 64 references to level k-1: 64^7 values.
        var value = Pickle.emptyList + Pickle.binput(0) + Pickle.mark
            + Array(repeating: [0x4B, 0], count: 64).joined() + Pickle.appends + Pickle.pop
        for level in UInt8(1)...6 {
            value += Pickle.emptyList + Pickle.binput(level) + Pickle.mark
                + Array(repeating: Pickle.binget(level - 1), count: 64).joined() + Pickle.appends + Pickle.pop
        }
        value += Pickle.binget(6)
        let pickle = packageWithKwarg(value)
        #expect(pickle.count < 2_000)
        #expect(loadCheckpoint(makeCheckpoint(pickle: pickle)) == .limitExceeded(
            "args, kwargs and training_args expand to more than \(Unpickler.maxPlainValues) values"))
    }

    @Test func pickleBuildingMoreObjectsThanTheLimitIsRefused() {
        // A list of 1.2 million references to one memoized empty list.
        let batch = Pickle.mark + Array(repeating: Pickle.binget(0), count: 400_000).joined() + Pickle.appends
        let value = Pickle.emptyList + Pickle.binput(0) + Pickle.pop + Pickle.emptyList
            + Array(repeating: batch, count: 3).joined()
        #expect(loadCheckpoint(makeCheckpoint(pickle: packageWithKwarg(value))) == .limitExceeded(
            "more than \(Unpickler.maxObjects) objects built or recalled from the memo"))
    }

    @Test func twentyThousandViewsOfOneStorageAreDecodedOnce() throws {
        let length = 1 << 18
        let file = viewsOfOneStorage(count: 20_000, length: length, storageLength: length) { _ in 0 }
        let state = try withTemporaryFile(file) { url in try TorchCheckpoint.load(contentsOf: url).state }
        #expect(state.count == 20_000)
        #expect(state["t19999"]?.values.count == length)
        let buffers = Set(state.values.map { $0.values.withUnsafeBufferPointer { $0.baseAddress } })
        #expect(buffers.count == 1)
    }

    @Test func overlappingViewsDeclaringMoreThanTheBudgetAreRefusedBeforeDecoding() {
        let length = 1 << 17
        let file = viewsOfOneStorage(count: 20_000, length: length, storageLength: 2 * length) { $0 }
        let budget = file.count * DecodeBudget.maxBytesPerFileByte
        let perTensor = length * MemoryLayout<Float>.size
        let over = budget / perTensor + 1
        #expect(loadCheckpoint(file) == .decodeBudgetExceeded(
            tensor: "t\(over - 1)", decodedBytes: over * perTensor, budgetBytes: budget))
    }

    @Test func twentyThousandOverlappingSafetensorsEntriesAreRefusedBeforeDecoding() {
        let length = 1 << 18
        let entries = (0..<20_000).map { i in
            "\"t\(String(format: "%05d", i))\":{\"dtype\":\"F16\",\"shape\":[\(length)],\"data_offsets\":[0,\(2 * length)]}"
        }
        let file = safetensors("{\(entries.joined(separator: ","))}", data: [UInt8](repeating: 0, count: 2 * length))
        #expect(loadSafetensors(file) == .overlappingTensors("t00000", "t00001"))
    }

    @Test func releaseCheckpointsStillLoadWithinHalfTheBudget() throws {
        let root = fixtures.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let files = [
            root.appendingPathComponent("Weights/model/demo0001-9443c818.th"),
            root.appendingPathComponent("Tests/DemucsTests/Fixtures/small_forward/5f0a1e01-754fa305.th"),
            root.appendingPathComponent("Tests/DemucsTests/Fixtures/small_6s/6c6c6c06-e5f38e29.th"),
        ]
        for url in files {
            let checkpoint = try TorchCheckpoint.load(contentsOf: url)
            #expect(checkpoint.klass == "demucs.htdemucs.HTDemucs")
            #expect(checkpoint.kwargs["sources"] != nil)
            let size = try #require(try url.resourceValues(forKeys: [.fileSizeKey]).fileSize)
            let decoded = checkpoint.state.values.reduce(0) { $0 + $1.values.count * MemoryLayout<Float>.size }
            #expect(decoded > 0 && 2 * decoded <= size * DecodeBudget.maxBytesPerFileByte, "\(url.lastPathComponent)")
        }
    }
}
