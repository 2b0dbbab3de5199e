import Foundation
import Testing
@testable import ModelStore

@Suite("Fetching model files")
struct FetchTests {
    @Test func fetchFromAFileURLInstallsEveryFileAndReportsProgress() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let server = temp.url.appendingPathComponent("server")
        try FileManager.default.createDirectory(at: server, withIntermediateDirectories: true)
        let files = [try makeFakeModelFile(in: server, tag: "a1"), try makeFakeModelFile(in: server, tag: "b2", count: 1000)]
        let store = temp.store(try fakeManifest(files, baseURL: server))
        let log = ProgressLog()

        let fetched = try store.fetch("fake", progress: log.record)

        #expect(fetched.map(\.outcome) == [.downloaded, .downloaded])
        for file in files {
            let installed = try Data(contentsOf: store.installedURL(of: file))
            #expect(installed == (try Data(contentsOf: server.appendingPathComponent(file.name))))
        }
        #expect(temp.contents(of: store.locations.weightsDirectory) == files.map(\.name).sorted())
        let last = try #require(log.all.last { $0.fileIndex == 0 })
        #expect(last.bytesDone == 1_500_000 && last.bytesTotal == 1_500_000 && last.fileCount == 2)
        #expect(log.all.last?.file == files[1].name)
    }

    @Test func filesAlreadyInstalledWithTheRightChecksumAreNotDownloadedAgain() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let file = try makeFakeModelFile(in: temp.url, tag: "a1")
        let store = temp.store(try fakeManifest([file], baseURL: temp.url))
        _ = try store.fetch("fake")

        #expect(try store.fetch("fake").map(\.outcome) == [.alreadyInstalled])
    }

    @Test func aWrongChecksumThrowsNamingTheFileAndInstallsNothing() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let real = try makeFakeModelFile(in: temp.url, tag: "a1")
        let lying = ModelManifest.File(name: "a1-00000000.th", sha256Prefix: "00000000")
        try FileManager.default.moveItem(
            at: temp.url.appendingPathComponent(real.name), to: temp.url.appendingPathComponent(lying.name))
        let store = temp.store(try fakeManifest([lying], baseURL: temp.url))

        let error = #expect(throws: ModelStoreError.self) { try store.fetch("fake") }

        guard case .checksumMismatch(let name, let expected, let got) = error else {
            Issue.record("expected a checksum mismatch, got \(String(describing: error))")
            return
        }
        #expect(name == "a1-00000000.th" && expected == "00000000" && got.hasPrefix(real.sha256Prefix))
        #expect(error!.description.contains("a1-00000000.th") && error!.description.contains(real.sha256Prefix))
        #expect(temp.contents(of: store.locations.weightsDirectory).isEmpty)
    }

    @Test func aMissingSourceFileFailsWithoutLeavingATemporaryFile() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let file = ModelManifest.File(name: "gone-12345678.th", sha256Prefix: "12345678")
        let store = temp.store(try fakeManifest([file], baseURL: temp.url))

        #expect(throws: ModelStoreError.self) { try store.fetch("fake") }
        #expect(temp.contents(of: store.locations.weightsDirectory).isEmpty)
    }

    @Test func fetchOverHTTPFromALocalServer() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let file = try makeFakeModelFile(in: temp.url, tag: "a1")
        let server = try LocalHTTPServer(serving: temp.url)
        defer { server.stop() }
        let store = temp.store(try fakeManifest([file], baseURL: server.baseURL))
        let log = ProgressLog()

        #expect(try store.fetch("fake", progress: log.record).map(\.outcome) == [.downloaded])

        #expect(try Data(contentsOf: store.installedURL(of: file)).count == 1_500_000)
        #expect(log.all.last?.bytesDone == 1_500_000 && log.all.last?.bytesTotal == 1_500_000)
    }

    @Test func anHTTPErrorIsReportedWithItsStatusAndLeavesNoTemporaryFile() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let server = try LocalHTTPServer(serving: temp.url)
        defer { server.stop() }
        let file = ModelManifest.File(name: "gone-12345678.th", sha256Prefix: "12345678")
        let store = temp.store(try fakeManifest([file], baseURL: server.baseURL))

        let error = #expect(throws: ModelStoreError.self) { try store.fetch("fake") }

        #expect(error?.description.contains("gone-12345678.th") == true)
        #expect(error?.description.contains("HTTP 404") == true)
        #expect(temp.contents(of: store.locations.weightsDirectory).isEmpty)
    }

    @Test func theEnvironmentURLReplacesTheManifestURLAndAParameterReplacesBoth() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let file = try makeFakeModelFile(in: temp.url, tag: "a1")
        let manifest = try fakeManifest([file], baseURL: URL(string: "http://127.0.0.1:9/nowhere/")!)
        let environment = [
            "XDG_CACHE_HOME": temp.url.appendingPathComponent("cache").path,
            "DEMIXER_WEIGHTS_URL": temp.url.absoluteString,
        ]
        let store = ModelStore(manifest: manifest, locations: Locations(environment: environment))
        #expect(try store.fetch("fake").map(\.outcome) == [.downloaded])

        try FileManager.default.removeItem(at: store.installedURL(of: file))
        let elsewhere = URL(string: "file:///nonexistent-demixer-mirror/")!
        #expect(throws: ModelStoreError.self) { try store.fetch("fake", from: elsewhere) }
    }

    @Test func anUnknownModelNamesTheKnownOnes() throws {
        let store = try TemporaryDirectory().store(try .bundled())
        let error = #expect(throws: ModelStoreError.self) { try store.fetch("htdemucs_7s") }
        #expect(error?.description.contains("htdemucs, htdemucs_6s, htdemucs_ft") == true)
    }
}
