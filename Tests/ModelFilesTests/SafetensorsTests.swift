import Foundation
import Testing
@testable import ModelFiles

/// A safetensors file from a header string and a data section.
func safetensors(_ header: String, data: [UInt8]) -> [UInt8] {
    Bytes.le(UInt64(header.utf8.count)) + Array(header.utf8) + data
}

func loadSafetensors(_ bytes: [UInt8]) -> ModelFileError.Problem? {
    do {
        return try withTemporaryFile(bytes, name: "model.safetensors") { url in
            problem { _ = try SafetensorsFile.load(contentsOf: url) }
        }
    } catch {
        return .unreadable("temp file: \(error)")
    }
}

@Suite("Safetensors files")
struct SafetensorsTests {
    @Test func fileWrittenByPythonSafetensorsLoads() throws {
        let file = try SafetensorsFile.load(contentsOf: fixtures.appendingPathComponent("tiny.safetensors"))
        #expect(file.metadata == ["format": "pt", "note": "fixture"])
        #expect(file.tensors["a.f32"] == StoredTensor(shape: [2, 3], values: ramp(6)))
        #expect(file.tensors["b.f16"] == StoredTensor(shape: [5], values: ramp(5, 0.5, 0), sourceType: .float16))
        #expect(file.tensors["c.bf16"] == StoredTensor(shape: [2, 2], values: ramp(4, 2, -3), sourceType: .bfloat16))
    }

    @Test func writtenFileReadsBack() throws {
        let tensors = [
            "b": StoredTensor(shape: [2, 2], values: [1, -2, .infinity, 0.5]),
            "a\"quoted\"": StoredTensor(shape: [], values: [7]),
            "empty": StoredTensor(shape: [0, 3], values: []),
        ]
        try withTemporaryFile([], name: "cache.safetensors") { url in
            try SafetensorsFile.write(tensors: tensors, metadata: ["model": "htdemucs\n"], to: url)
            let file = try SafetensorsFile.load(contentsOf: url)
            #expect(file.tensors == tensors)
            #expect(file.metadata == ["model": "htdemucs\n"])
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path)
            #expect(leftovers == ["cache.safetensors"])
        }
    }

    @Test func headerLengthBeyondTheFileIsRefused() {
        #expect(loadSafetensors(Bytes.le(UInt64(1) << 40) + Array("{}".utf8)) == .badHeaderSize(1 << 40))
        #expect(loadSafetensors(Bytes.le(UInt64(3)) + Array("{}".utf8)) == .badHeaderSize(3))
        guard case .truncated? = loadSafetensors([1, 2, 3]) else {
            Issue.record("3 bytes were accepted")
            return
        }
    }

    @Test func offsetsOutsideTheDataAreRefused() {
        let header = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        #expect(loadSafetensors(safetensors(header, data: Array(repeating: 0, count: 8)))
            == .offsetsOutOfBounds(tensor: "w", begin: 4, end: 12, dataSize: 8))
    }

    @Test func overlappingTensorsAreRefused() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        #expect(loadSafetensors(safetensors(header, data: Array(repeating: 0, count: 12)))
            == .overlappingTensors("a", "b"))
    }

    @Test func byteLengthMustMatchShape() {
        let header = #"{"w":{"dtype":"F16","shape":[3],"data_offsets":[0,8]}}"#
        #expect(loadSafetensors(safetensors(header, data: Array(repeating: 0, count: 8)))
            == .sizeMismatch(tensor: "w", expectedBytes: 6, actualBytes: 8))
    }

    @Test func duplicateNamesAreRefused() {
        let header = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"#
            + #""w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        #expect(loadSafetensors(safetensors(header, data: Array(repeating: 0, count: 8))) == .duplicateTensor("w"))
    }

    @Test func otherDTypesAreRefused() {
        let header = #"{"w":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#
        #expect(loadSafetensors(safetensors(header, data: Array(repeating: 0, count: 8)))
            == .unsupportedDType(tensor: "w", dtype: "I64"))
    }

    @Test func invalidJSONIsRefused() {
        guard case .malformedHeader? = loadSafetensors(safetensors(#"{"w":"#, data: [])) else {
            Issue.record("broken JSON was accepted")
            return
        }
        guard case .malformedHeader? = loadSafetensors(safetensors(String(repeating: "[", count: 10_000), data: []))
        else {
            Issue.record("deep JSON nesting was accepted")
            return
        }
    }
}
