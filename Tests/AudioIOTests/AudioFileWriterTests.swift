import Foundation
import Testing
@testable import AudioIO

/// The file's bytes, the time of day libsndfile stamps in a float WAV's PEAK chunk
/// zeroed: two writes a second apart differ there and nowhere else.
private func bytes(_ path: String) throws -> Data {
    var data = try Data(contentsOf: URL(fileURLWithPath: path))
    if let peak = data.range(of: Data("PEAK".utf8)) {
        data.replaceSubrange((peak.lowerBound + 12)..<(peak.lowerBound + 16), with: [0, 0, 0, 0])
    }
    return data
}

@Suite("Writing block by block")
struct AudioFileWriterTests {
    /// 100,000 frames, more than one of write's blocks, with a non-finite sample and a
    /// sample beyond ±1 for the integer formats to saturate.
    static let song: AudioBuffer = {
        var song = sine(frequency: 440, amplitude: 0.9, sampleRate: 44_100, frames: 100_000)
        song.channels[0][70_000] = .nan
        song.channels[1][3] = 1.5
        return song
    }()

    @Test(
        "Blocks of any size give the bytes the whole-buffer write gives",
        arguments: [AudioFileFormat.wav16, .wav24, .wavFloat32, .flac16, .flac24, .mp3], [1, 4097, 65_537, 200_000])
    func blocksWriteSameBytes(format: AudioFileFormat, blockFrames: Int) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let whole = dir.file("whole.\(format.fileExtension)")
        let streamed = dir.file("streamed.\(format.fileExtension)")
        let wholeNonFinite = try AudioFile.write(Self.song, to: whole, format: format)

        let writer = try AudioFileWriter(path: streamed, format: format, sampleRate: 44_100, channelCount: 2)
        for block in blocks(of: Self.song, frames: blockFrames) { try writer.append(block) }
        let nonFinite = try writer.commit()

        #expect(nonFinite == 1)
        #expect(nonFinite == wholeNonFinite)
        #expect(try bytes(streamed) == bytes(whole))
        #expect(try dir.contents() == ["streamed.\(format.fileExtension)", "whole.\(format.fileExtension)"])
    }

    @Test("Discarding leaves the old file and no temporary file")
    func discardLeavesOldFile() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("vocals.flac")
        try WAVBytes.write(Array("previous".utf8), to: path)

        let writer = try AudioFileWriter(path: path, format: .flac16, sampleRate: 44_100, channelCount: 2)
        try writer.append(Self.song)
        #expect(try dir.contents().count == 2)
        writer.discard()

        #expect(try dir.contents() == ["vocals.flac"])
        #expect(try bytes(path) == Data("previous".utf8))
    }

    @Test("A writer dropped uncommitted leaves nothing")
    func droppedWriterLeavesNothing() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        do {
            let writer = try AudioFileWriter(path: dir.file("bass.wav"), format: .wav24, sampleRate: 44_100, channelCount: 2)
            try writer.append(Self.song)
        }
        #expect(try dir.contents().isEmpty)
    }

    @Test("Cancelling between pieces of a block stops with cancelled and leaves nothing")
    func cancelLeavesNothing() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let writer = try AudioFileWriter(path: dir.file("drums.wav"), format: .wav16, sampleRate: 44_100, channelCount: 2)
        var asked = 0
        let error = #expect(throws: AudioIOError.self) {
            try writer.append(Self.song) {
                asked += 1
                return asked > 1
            }
        }
        #expect(error?.reason == .cancelled)
        #expect(asked == 2)
        #expect(try dir.contents().isEmpty)
    }

    @Test("A full disk fails the append that meets it and leaves nothing")
    func fullDiskFailsAppend() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let path = dir.file("other.wav")
        let writer = try AudioFileWriter(path: path, format: .wav16, sampleRate: 44_100, channelCount: 2, capacity: 1000)
        let error = #expect(throws: AudioIOError.self) { try writer.append(Self.song) }
        #expect(error?.description == "\(path): could not write (No space left on device); nothing was written")
        #expect(try dir.contents().isEmpty)
    }

    /// An exporter's path from model-rate stems to files at the source's rate: resampled,
    /// made mono for a mono source, clipped by rescaling with the peak of every stem.
    @Test(
        "Stems streamed through resampling, mono, a two-pass rescale and writers give the whole-buffer files",
        arguments: [1, 2], [4096, 100_000])
    func streamedExportMatchesWhole(sourceChannels: Int, blockFrames: Int) throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let stems = [
            sine(frequency: 220, amplitude: 1.4, sampleRate: 44_100, frames: 60_000),
            sine(frequency: 330, amplitude: 0.5, sampleRate: 44_100, frames: 60_000),
        ]
        let rate = 48_000
        func shaped(_ block: [[Float]]) -> AudioBuffer {
            let buffer = AudioBuffer(sampleRate: rate, channels: block)
            return sourceChannels == 1 ? buffer.remixed(toChannelCount: 1) : buffer
        }

        let prepared = try ClipMode.rescale.apply(to: stems.map { try shaped(Resampler.resample($0, to: rate).channels) })
        for (s, buffer) in prepared.enumerated() {
            try AudioFile.write(buffer, to: dir.file("whole\(s).wav"), format: .wav24)
        }

        // Pass 1: the peak; pass 2: the same blocks again, with the gain, into writers.
        func stream(_ stem: AudioBuffer, _ body: (AudioBuffer) throws -> Void) throws {
            var resampler = try Resampler(from: stem.sampleRate, to: rate, channelCount: 2)
            for block in blocks(of: stem, frames: blockFrames) { try body(shaped(resampler.process(block.channels))) }
            try body(shaped(resampler.finish()))
        }
        var peak: Float = 0
        for stem in stems { try stream(stem) { peak = max(peak, ClipMode.peak(of: $0)) } }
        let gain = ClipMode.rescale.gain(forPeak: peak)
        #expect(gain < 1)
        for (s, stem) in stems.enumerated() {
            let writer = try AudioFileWriter(
                path: dir.file("streamed\(s).wav"), format: .wav24, sampleRate: rate, channelCount: sourceChannels)
            try stream(stem) { try writer.append(ClipMode.rescale.apply($0, gain: gain)) }
            try writer.commit()
        }

        for s in stems.indices {
            #expect(try bytes(dir.file("streamed\(s).wav")) == bytes(dir.file("whole\(s).wav")))
        }
    }
}
