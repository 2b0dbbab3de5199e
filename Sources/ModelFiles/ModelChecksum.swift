import Crypto
import Foundation

/// The sha256 check demucs's naming implies: `955717e8-8726e21a.th` promises a
/// file whose sha256 starts with `8726e21a`.
public enum ModelChecksum {
    /// The 8 hex digits a file name promises, or nil when the name is not `<name>-<8 hex>.th`.
    public static func expectedPrefix(forFileName name: String) -> String? {
        guard name.hasSuffix(".th") else { return nil }
        let stem = name.dropLast(3)
        guard let dash = stem.lastIndex(of: "-") else { return nil }
        let digits = stem[stem.index(after: dash)...]
        guard digits.count == 8, digits.allSatisfy(\.isHexDigit) else { return nil }
        return digits.lowercased()
    }

    /// The lowercase hex sha256 of `bytes`, hashed in 1 MiB chunks.
    static func sha256Hex(_ bytes: UnsafeRawBufferPointer) -> String {
        var hasher = SHA256()
        var start = 0
        while start < bytes.count {
            let end = min(bytes.count, start + 1 << 20)
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
            start = end
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    static func check(_ file: UnsafeRawBufferPointer, fileName: String) throws(ModelFileError.Problem) {
        guard let expected = expectedPrefix(forFileName: fileName) else { return }
        let actual = sha256Hex(file)
        guard actual.hasPrefix(expected) else {
            throw .checksumMismatch(expectedPrefix: expected, actual: actual)
        }
    }
}
