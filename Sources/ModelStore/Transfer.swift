import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// How far the download of one model file has come.
public struct FetchProgress: Sendable, Equatable {
    /// The file being downloaded.
    public var file: String
    /// Its position among the model's files (from 0), and how many there are.
    public var fileIndex: Int
    public var fileCount: Int
    public var bytesDone: Int64
    /// From the server, the source file or the manifest; nil when none says.
    public var bytesTotal: Int64?
}

/// Moves the bytes of one remote or local file into a `StagedFile`.
enum Transfer {
    /// Seconds a connection may stay silent, and the most a whole file may take.
    static let idleTimeout: TimeInterval = 60
    static let fileTimeout: TimeInterval = 3 * 3600

    /// Fetches `url` (`file://`, `http://` or `https://`) into `staged`, calling
    /// `report(bytesDone, bytesTotal)` as bytes arrive.
    static func fetch(
        _ url: URL, into staged: StagedFile, fallbackTotal: Int64?,
        report: @escaping @Sendable (Int64, Int64?) -> Void
    ) throws(ModelStoreError) {
        switch url.scheme?.lowercased() {
        case "file":
            let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
            let total = (attributes?[.size] as? NSNumber)?.int64Value ?? fallbackTotal
            do throws(ModelStoreError) {
                try forEachChunk(of: url) { chunk throws(ModelStoreError) in
                    try staged.append(chunk)
                    report(staged.byteCount, total)
                }
            } catch .fileSystem(let path, _, let reason) where path == url.path {
                throw .downloadFailed(file: url.lastPathComponent, url: url.absoluteString, reason: reason)
            }
        case "http", "https":
            try HTTPDownload(url: url, staged: staged, fallbackTotal: fallbackTotal, report: report).run()
        default:
            throw .unsupportedURL(url.absoluteString)
        }
    }
}

/// One HTTP GET streamed into a staged file through URLSession's data delegate, so
/// the bytes are hashed as they arrive and never held whole in memory.
///
/// `@unchecked Sendable`: URLSession calls the delegate on `queue`, which runs one
/// operation at a time; `run()` reads the state only after the task has completed.
private final class HTTPDownload: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private let url: URL
    private let staged: StagedFile
    private let report: @Sendable (Int64, Int64?) -> Void
    private var total: Int64?
    private var failure: ModelStoreError?
    private let finished = DispatchSemaphore(value: 0)

    init(url: URL, staged: StagedFile, fallbackTotal: Int64?, report: @escaping @Sendable (Int64, Int64?) -> Void) {
        self.url = url
        self.staged = staged
        self.total = fallbackTotal
        self.report = report
    }

    /// Blocks until the download has finished or failed.
    func run() throws(ModelStoreError) {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = Transfer.idleTimeout
        configuration.timeoutIntervalForResource = Transfer.fileTimeout
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: self, delegateQueue: queue)
        session.dataTask(with: url).resume()
        finished.wait()
        session.finishTasksAndInvalidate()
        if let failure { throw failure }
    }

    private func fail(_ reason: String) -> ModelStoreError {
        .downloadFailed(file: url.lastPathComponent, url: url.absoluteString, reason: reason)
    }

    func urlSession(
        _ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void
    ) {
        if let http = response as? HTTPURLResponse, http.statusCode != 200 {
            failure = fail("HTTP \(http.statusCode) \(HTTPURLResponse.localizedString(forStatusCode: http.statusCode))")
            completionHandler(.cancel)
            return
        }
        if response.expectedContentLength > 0 { total = response.expectedContentLength }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil else { return }
        data.withUnsafeBytes { bytes in
            do throws(ModelStoreError) {
                try staged.append(bytes)
            } catch {
                failure = error
                dataTask.cancel()
            }
        }
        report(staged.byteCount, total)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        if failure == nil, let error { failure = fail(error.localizedDescription) }
        finished.signal()
    }
}
