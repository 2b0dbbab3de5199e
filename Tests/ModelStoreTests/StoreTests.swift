import Foundation
import Testing
@testable import ModelStore

@Suite("Manifest and locations")
struct ManifestTests {
    @Test func theBundledManifestNamesTheOfficialModels() throws {
        let manifest = try ModelManifest.bundled()
        #expect(manifest.baseURL.absoluteString == "https://dl.fbaipublicfiles.com/demucs/hybrid_transformer/")
        #expect(manifest.models.map(\.name) == ["htdemucs", "htdemucs_6s", "htdemucs_ft", "demo"])
        #expect(manifest.models.map(\.isBundled) == [false, false, false, true])
        #expect(manifest.model(named: "htdemucs")?.files.map(\.name) == ["955717e8-8726e21a.th"])
        #expect(manifest.model(named: "htdemucs_6s")?.sources.count == 6)
        let fineTuned = try #require(manifest.model(named: "htdemucs_ft"))
        #expect(fineTuned.files.map(\.name) == [
            "f7e0c4bc-ba3fe64a.th", "d12395a8-e57c48e6.th", "92cfc3b6-ef3bcb9c.th", "04573f0d-f3cf25b2.th",
        ])
        #expect(fineTuned.weights == [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
    }

    @Test func aManifestWhosePrefixContradictsTheFileNameIsRejected() {
        let file = ModelManifest.File(name: "955717e8-8726e21a.th", sha256Prefix: "deadbeef")
        #expect(throws: ModelStoreError.self) {
            try fakeManifest([file], baseURL: URL(string: "https://example.invalid/")!)
        }
    }

    @Test func locationsFollowXDGWithAHomeFallback() {
        let xdg = Locations(environment: ["XDG_CACHE_HOME": "/tmp/xdg", "HOME": "/home/ann"])
        #expect(xdg.weightsDirectory.path == "/tmp/xdg/demixer/weights")
        #expect(xdg.stemsDirectory.path == "/tmp/xdg/demixer/stems")
        let relative = Locations(environment: ["XDG_CACHE_HOME": "relative/path", "HOME": "/home/ann"])
        #expect(relative.weightsDirectory.path == "/home/ann/.cache/demixer/weights")
        #expect(relative.weightsURLOverride == nil)
        let mirror = Locations(environment: ["HOME": "/home/ann", "DEMIXER_WEIGHTS_URL": "http://mirror.example/w/"])
        #expect(mirror.weightsURLOverride?.absoluteString == "http://mirror.example/w/")
    }
}

@Suite("Installed weights")
struct InstalledWeightsTests {
    @Test func listAndVerifyTellInstalledCorruptAndMissingApart() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let files = [try makeFakeModelFile(in: temp.url, tag: "a1"), try makeFakeModelFile(in: temp.url, tag: "b2")]
        var manifest = try fakeManifest(files, baseURL: temp.url)
        manifest.models.append(.init(name: "other", description: "Never fetched", sources: ["x"], files: [files[0]]))
        manifest.models[1].files = [.init(name: "c3-12345678.th", sha256Prefix: "12345678")]
        let store = temp.store(manifest)
        #expect(store.list().map(\.isInstalled) == [false, false])

        _ = try store.fetch("fake")
        #expect(store.list().map(\.isInstalled) == [true, false])
        #expect(try store.verify().map(\.isHealthy) == [true, false])

        let damaged = store.installedURL(of: files[1])
        var bytes = try Data(contentsOf: damaged)
        bytes[1000] ^= 0x01
        try bytes.write(to: damaged)
        let report = try store.verify()

        #expect(report[0].files[0].health == .ok)
        guard case .corrupt(let reason) = report[0].files[1].health else {
            Issue.record("expected \(files[1].name) to be reported corrupt")
            return
        }
        #expect(reason.contains(files[1].sha256Prefix))
        #expect(report[1].isAbsent && report[1].files[0].health == .missing)
    }

    @Test func importInstallsALoadableCheckpointUnderItsOwnName() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let store = temp.store(try fakeManifest([Fixtures.entry(Fixtures.single)], baseURL: temp.url))

        let installed = try store.importModel(at: Fixtures.single)

        #expect(installed.lastPathComponent == Fixtures.single.lastPathComponent)
        #expect(try Data(contentsOf: installed) == (try Data(contentsOf: Fixtures.single)))
        #expect(store.list().first?.isInstalled == true)
        #expect(try store.verify().first?.isHealthy == true)
    }

    @Test func importRejectsAFileThatIsNotAModelAndInstallsNothing() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let bogus = temp.url.appendingPathComponent("bogus.th")
        try Data("not a checkpoint".utf8).write(to: bogus)
        let store = temp.store(try fakeManifest([Fixtures.entry(Fixtures.single)], baseURL: temp.url))

        let error = #expect(throws: ModelStoreError.self) { try store.importModel(at: bogus) }

        #expect(error?.description.contains("bogus.th") == true)
        #expect(temp.contents(of: store.locations.weightsDirectory).isEmpty)
    }
}

@Suite("Resolving the model to run")
struct ResolveTests {
    @Test func withNothingInstalledTheErrorSaysWhatToRun() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let store = temp.store(try .bundled())

        let error = #expect(throws: ModelStoreError.self) { try store.resolve(name: nil, weightsPath: nil) }

        #expect(error == .notInstalled(
            model: "htdemucs", directory: store.locations.weightsDirectory.path, missing: ["955717e8-8726e21a.th"]))
        #expect(error?.description.contains("demixer weights fetch htdemucs") == true)
        #expect(error?.description.contains("--weights PATH") == true)
    }

    @Test func anExplicitWeightsFileWinsOverTheModelName() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let store = temp.store(try .bundled())

        let resolved = try store.resolve(name: "htdemucs_ft", weightsPath: Fixtures.single.path)

        #expect(resolved.bag.models.count == 1)
        #expect(resolved.bag.sources == Fixtures.sources)
        #expect(resolved.identity == Fixtures.single.lastPathComponent)
        #expect(resolved.description.contains(Fixtures.single.lastPathComponent))
    }

    @Test func aWeightsFileWithoutAChecksumNameIsIdentifiedByItsHash() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let renamed = temp.url.appendingPathComponent("mine.th")
        try FileManager.default.copyItem(at: Fixtures.single, to: renamed)

        let resolved = try temp.store(try .bundled()).resolve(name: nil, weightsPath: renamed.path)

        #expect(resolved.identity == "sha256:" + (try sha256Hex(of: Fixtures.single)))
    }

    @Test func aMissingWeightsFileIsNamedInTheError() throws {
        let store = try TemporaryDirectory().store(try .bundled())
        let error = #expect(throws: ModelStoreError.self) {
            try store.resolve(name: nil, weightsPath: "/nonexistent/model.th")
        }
        #expect(error?.description.contains("/nonexistent/model.th") == true)
    }

    @Test func anInstalledBagIsBuiltWithTheManifestWeights() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let weights: [[Float]] = [[1, 0.5, 0.25, 0], [0, 0.5, 0.75, 1]]
        let manifest = try ModelManifest(
            baseURL: temp.url, origin: "fixtures",
            models: [.init(name: "pair", description: "Two small models", sources: Fixtures.sources,
                           files: Fixtures.bag.map(Fixtures.entry), weights: weights)])
        let store = temp.store(manifest)
        for url in Fixtures.bag { try store.importModel(at: url) }

        let resolved = try store.resolve(name: "pair", weightsPath: nil)

        #expect(resolved.bag.models.count == 2)
        #expect(resolved.bag.weights == weights)
        #expect(resolved.identity == "pair:" + Fixtures.bag.map(\.lastPathComponent).joined(separator: "+"))
    }

    @Test func aCorruptInstalledFileSaysToFetchAgain() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let store = temp.store(try fakeManifest([Fixtures.entry(Fixtures.single)], baseURL: temp.url))
        let installed = try store.importModel(at: Fixtures.single)
        var bytes = try Data(contentsOf: installed)
        bytes[bytes.count / 2] ^= 0xff
        try bytes.write(to: installed)

        let error = #expect(throws: ModelStoreError.self) { try store.resolve(name: "fake", weightsPath: nil) }

        #expect(error?.description.contains("demixer weights fetch fake") == true)
        #expect(error?.description.contains(installed.lastPathComponent) == true)
    }
}

@Suite("Bundled models")
struct BundledModelTests {
    /// A manifest whose only model ships in `Fixtures.single`'s folder.
    static func manifest() throws -> ModelManifest {
        try ModelManifest(
            baseURL: URL(string: "file:///nonexistent/")!, origin: "test",
            models: [.init(name: "demo", description: "bundled", sources: Fixtures.sources,
                           files: [Fixtures.entry(Fixtures.single)], bundled: true)])
    }

    @Test func aBundledModelCountsAsInstalledAndIsNeverDownloaded() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let store = ModelStore(
            manifest: try Self.manifest(), locations: temp.store(try Self.manifest()).locations,
            bundledDirectory: Fixtures.single.deletingLastPathComponent())

        #expect(store.list().map(\.isInstalled) == [true])
        #expect(try store.fetch("demo").map(\.outcome) == [.alreadyInstalled])
        #expect(try store.verify(["demo"]).allSatisfy(\.isHealthy))
        #expect(try store.resolve(name: "demo", weightsPath: nil).bag.sources == Fixtures.sources)
        #expect(temp.contents(of: store.locations.weightsDirectory).isEmpty)
    }

    @Test func aBundleMissingItsFileSaysTheInstallationIsBroken() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let store = ModelStore(
            manifest: try Self.manifest(), locations: temp.store(try Self.manifest()).locations,
            bundledDirectory: temp.url)

        let error = #expect(throws: ModelStoreError.self) { try store.resolve(name: "demo", weightsPath: nil) }
        #expect(error == .bundleIncomplete(model: "demo", missing: [Fixtures.single.lastPathComponent]))
        #expect(throws: ModelStoreError.self) { try store.fetch("demo") }
    }

    @Test func aDamagedBundledFileSaysToReinstallNotToFetch() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        try Data("not a checkpoint".utf8).write(to: temp.url.appendingPathComponent(Fixtures.single.lastPathComponent))
        let store = ModelStore(
            manifest: try Self.manifest(), locations: temp.store(try Self.manifest()).locations,
            bundledDirectory: temp.url)

        let error = #expect(throws: ModelStoreError.self) { try store.resolve(name: "demo", weightsPath: nil) }
        #expect(error?.description.contains("rebuild or reinstall Demixer") == true, "\(String(describing: error))")
        #expect(error?.description.contains("weights fetch") == false)
    }

    @Test func theShippedDemoModelIsInTheManifestAndItsBundle() throws {
        let store = try ModelStore.standard()
        let demo = try #require(store.list().first { $0.model.name == ModelStore.demoModel })
        #expect(demo.model.isBundled && demo.isInstalled)
        #expect(try store.verify([ModelStore.demoModel]).allSatisfy(\.isHealthy))
    }
}
