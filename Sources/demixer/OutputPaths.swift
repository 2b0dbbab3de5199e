import DemixerCore
import Foundation

/// Where `separate` writes: `DIR/MODEL/TEMPLATE` for every output of every input,
/// worked out from the file names before anything is decoded or separated, so that a
/// template that would lose outputs or leave the folder is refused up front.
struct OutputPlan {
    /// `paths[file][output]`, in the order of the input files and of `outputNames`.
    let paths: [[URL]]

    /// Checks that every path is relative to `directory`, has no empty, `.` or `..`
    /// component (so it stays inside `directory` whatever the names expand to), and
    /// that no two outputs share a path.
    /// - Throws: `Failure` with status 64 naming the template and the problem.
    init(
        template: String, directory: String, model: String, files: [String], outputNames: [String], fileExtension: String
    ) throws(Failure) {
        let root = URL(fileURLWithPath: directory)
        var owners: [String: String] = [:]
        var paths: [[URL]] = []
        for file in files {
            let input = URL(fileURLWithPath: file)
            var row: [URL] = []
            for name in outputNames {
                let relative = model + "/" + expandTemplate(template, [
                    "track": input.deletingPathExtension().lastPathComponent, "trackext": input.pathExtension,
                    "stem": name, "ext": fileExtension,
                ])
                let refusal = "--filename '\(template)' gives '\(relative)' for \(name) of \(input.lastPathComponent)"
                if relative.split(separator: "/", omittingEmptySubsequences: false).contains(where: { ["", ".", ".."].contains($0) }) {
                    throw Failure(
                        message: "\(refusal): the path must be relative, every part a name (not empty, '.' or '..')",
                        status: ExitStatus.usage)
                }
                if let owner = owners.updateValue("\(name) of \(input.lastPathComponent)", forKey: relative) {
                    throw Failure(
                        message: "\(refusal), as for \(owner): one would overwrite the other; use {stem} and {track}",
                        status: ExitStatus.usage)
                }
                row.append(root.appendingPathComponent(relative))
            }
            paths.append(row)
        }
        self.paths = paths
    }
}

/// `template` with each `{name}` that `values` has replaced by its value in one pass,
/// so that a value which itself contains a placeholder (a track called `a{stem}b`)
/// is kept as it is. Other braces are kept too.
func expandTemplate(_ template: String, _ values: [String: String]) -> String {
    var result = ""
    var rest = template[...]
    while let open = rest.firstIndex(of: "{") {
        result += rest[..<open]
        let afterOpen = rest.index(after: open)
        if let close = rest[afterOpen...].firstIndex(of: "}"), let value = values[String(rest[afterOpen..<close])] {
            result += value
            rest = rest[rest.index(after: close)...]
        } else {
            result += "{"
            rest = rest[afterOpen...]
        }
    }
    return result + rest
}

/// Refuses an output path that exists and is not a regular file (a device node, a FIFO,
/// a folder), which an atomic rename would silently replace.
/// - Throws: `Failure` with status 73.
func refuseNonRegularOutput(_ path: URL) throws(Failure) {
    var info = stat()
    guard stat(path.path, &info) == 0, info.st_mode & S_IFMT != S_IFREG else { return }
    throw Failure(message: "\(path.path): exists and is not a regular file; choose another output", status: ExitStatus.writeFailure)
}
